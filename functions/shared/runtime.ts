import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { type Consortium, loadConsortium } from "./consortium.js";
import { KmsSigner } from "./crypto/kms-signer.js";
import { LocalSigner } from "./crypto/local-signer.js";
import { StaticKeyDirectory } from "./key-directory.js";
import {
  type AuditSource,
  type Clock,
  type KeyDirectory,
  type LedgerStore,
  type Signer,
  systemClock,
} from "./ports.js";
import { DynamoDbLedgerStore } from "./store/dynamodb-store.js";

/**
 * Wiring from the environment, shared by the three handlers. Read once per process
 * (per Lambda container) and kept: SDK clients are created once, keys parsed once.
 *
 *   ZHIXIN_TABLE               DynamoDB table name (required)
 *   ZHIXIN_DYNAMODB_ENDPOINT   DynamoDB endpoint override (local mode: dynalite)
 *   ZHIXIN_CONSORTIUM_FILE     consortium file (default ./consortium.json beside the bundle)
 *   ZHIXIN_KEYS_FILE           trust bundle of public keys (docs/FORMATS.md §5)
 *   ZHIXIN_SEALER_KEY_FILE     sealer's PKCS#8 PEM key (local mode), or
 *   ZHIXIN_SEALER_KMS_KEY      sealer's KMS key id/ARN/alias (AWS)
 *   ZHIXIN_SEALER_KEY_ID       the sealer's key id in the trust bundle
 */
export interface Runtime {
  store: LedgerStore & AuditSource;
  keys: KeyDirectory;
  consortium: Consortium;
  clock: Clock;
  sealer?: Signer;
}

let runtime: Promise<Runtime> | undefined;

export function getRuntime(env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  runtime ??= buildRuntime(env);
  return runtime;
}

async function buildRuntime(env: NodeJS.ProcessEnv): Promise<Runtime> {
  const table = required(env, "ZHIXIN_TABLE");
  const endpoint = env.ZHIXIN_DYNAMODB_ENDPOINT;
  const client = new DynamoDBClient(
    endpoint
      ? {
          endpoint,
          region: env.AWS_REGION ?? "local",
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
        }
      : {},
  );
  const consortium = loadConsortium(
    env.ZHIXIN_CONSORTIUM_FILE ?? new URL("./consortium.json", import.meta.url).pathname,
  );
  const keys = StaticKeyDirectory.fromFile(required(env, "ZHIXIN_KEYS_FILE"));
  let sealer: Signer | undefined;
  const sealerKeyId = env.ZHIXIN_SEALER_KEY_ID ?? "sealer/key-1";
  if (env.ZHIXIN_SEALER_KEY_FILE) {
    sealer = await LocalSigner.fromFile(env.ZHIXIN_SEALER_KEY_FILE, sealerKeyId, "ed25519");
  } else if (env.ZHIXIN_SEALER_KMS_KEY) {
    sealer = new KmsSigner(new KMSClient({}), {
      keyId: sealerKeyId,
      alg: "ed25519",
      kmsKeyId: env.ZHIXIN_SEALER_KMS_KEY,
    });
  }
  return {
    store: new DynamoDbLedgerStore(client, table),
    keys,
    consortium,
    clock: systemClock,
    ...(sealer ? { sealer } : {}),
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
