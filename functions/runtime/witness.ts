import { KMSClient } from "@aws-sdk/client-kms";
import {
  type CosignatureAlgorithm,
  type CryptoSuite,
  gmSuite,
  INTL,
  isCosignatureAlgorithm,
  isSm2Id,
  NOTE_SIGNATURE_TYPE_ED25519,
  NOTE_SIGNATURE_TYPE_SM2,
  noteVerifierOf,
  parseVerifierKey,
  SM2_DEFAULT_ID,
  SUITE_COSIGNATURE_ALGORITHM,
} from "#chain";
import { KmsSigner } from "../../lib/crypto/kms-signer.js";
import { keySignatureCheckOf } from "../../lib/crypto/verify.js";
import type { WitnessedLog } from "../../lib/witness/index.js";
import { kmsSigningPort } from "../auth/kms-signing-port.js";
import { readSignerFile } from "../auth/signer-file.js";
import { DynamoDbWitnessState } from "../witness/state-store.js";
import type { WitnessDeps } from "../witness/witness.js";
import { systemClock } from "./clock.js";
import { dynamoClient, required } from "./env.js";

/**
 * A witness's wiring from the environment (functions/add-checkpoint/handler.ts), built once
 * per process:
 *
 *   ZHIXIN_WITNESS_TABLE        its state table (required)
 *   ZHIXIN_WITNESS_NAME         its cosigner name, the name in its vkey (required)
 *   ZHIXIN_WITNESS_KEY_FILE     its PKCS#8 PEM key (local mode), or
 *   ZHIXIN_WITNESS_KMS_KEY      its KMS key (AWS: the member stack's witness key)
 *   ZHIXIN_WITNESS_KEY_ALG      what that key is: ed25519 (default) or sm2-sm3, the
 *                               cosignature algorithm of its logs' suite (witness.md §1.7)
 *   ZHIXIN_WITNESS_LOG_VKEYS    the logs it follows: their checkpoint verifier keys
 *                               (C2SP signed-note vkeys, name = log origin), comma-separated
 *   ZHIXIN_WITNESS_SM2_ID       the SM2 identifier of the gm logs it follows, which its SM2
 *                               key cosigns with too (docs/formats/sm2.md §2): their
 *                               consortium file's sm2Id; default 1234567812345678
 *   ZHIXIN_DYNAMODB_ENDPOINT    DynamoDB endpoint override (local mode: dynalite)
 */
export type WitnessRuntime = Omit<WitnessDeps, "onEvidence">;

let runtime: Promise<WitnessRuntime> | undefined;

export function getWitnessRuntime(env: NodeJS.ProcessEnv = process.env): Promise<WitnessRuntime> {
  runtime ??= buildWitnessRuntime(env).catch((err) => {
    runtime = undefined;
    throw err;
  });
  return runtime;
}

export async function buildWitnessRuntime(env: NodeJS.ProcessEnv): Promise<WitnessRuntime> {
  const table = required(env, "ZHIXIN_WITNESS_TABLE");
  const name = required(env, "ZHIXIN_WITNESS_NAME");
  const client = dynamoClient(env);
  const alg = env.ZHIXIN_WITNESS_KEY_ALG || "ed25519";
  if (!isCosignatureAlgorithm(alg))
    throw new Error(`ZHIXIN_WITNESS_KEY_ALG must be ed25519 or sm2-sm3, got ${JSON.stringify(alg)}`);
  const sm2Id = env.ZHIXIN_WITNESS_SM2_ID || SM2_DEFAULT_ID;
  const logs = witnessedLogs(env.ZHIXIN_WITNESS_LOG_VKEYS ?? "", witnessSm2Id(sm2Id));
  assertLogsCountKey(logs, alg);
  let signer: WitnessDeps["key"]["signer"];
  if (env.ZHIXIN_WITNESS_KEY_FILE) {
    signer = await readSignerFile(env.ZHIXIN_WITNESS_KEY_FILE, `${name}/witness`, alg, sm2Id);
  } else if (env.ZHIXIN_WITNESS_KMS_KEY) {
    signer = new KmsSigner(kmsSigningPort(new KMSClient({})), {
      keyId: `${name}/witness`,
      alg,
      kmsKeyId: env.ZHIXIN_WITNESS_KMS_KEY,
      sm2Id,
    });
  } else {
    throw new Error("no witness key: set ZHIXIN_WITNESS_KEY_FILE or ZHIXIN_WITNESS_KMS_KEY");
  }
  return {
    state: new DynamoDbWitnessState(client, table),
    key: { name, signer },
    logs,
    clock: systemClock,
  };
}

/**
 * Refuses a witness whose cosignatures its logs' verifiers would not count: a gm log's trust
 * root holds SM2 cosigner keys only, an intl log's Ed25519 only (trust-root.md §1).
 */
export function assertLogsCountKey(logs: readonly WitnessedLog[], alg: CosignatureAlgorithm): void {
  for (const log of logs) {
    const want = SUITE_COSIGNATURE_ALGORITHM[log.suite.name];
    if (want !== alg)
      throw new Error(
        `${log.origin} is a log of the ${log.suite.name} suite, whose verifiers count ${want} cosignatures only: set ZHIXIN_WITNESS_KEY_ALG=${want} with a key of that algorithm`,
      );
  }
}

/** ZHIXIN_WITNESS_SM2_ID, checked: an identifier the consortium file could have set. */
function witnessSm2Id(sm2Id: string): string {
  if (!isSm2Id(sm2Id)) {
    throw new Error(
      `ZHIXIN_WITNESS_SM2_ID must be 1 to 128 printable ASCII characters, the consortium file's sm2Id; got ${JSON.stringify(sm2Id)}`,
    );
  }
  return sm2Id;
}

/**
 * The logs in ZHIXIN_WITNESS_LOG_VKEYS, one per vkey, a gm log's signatures checked with
 * SM2 identifier `sm2Id`; none: the witness refuses every origin (404).
 */
export function witnessedLogs(vkeys: string, sm2Id: string = SM2_DEFAULT_ID): WitnessedLog[] {
  const logSuites = new Map<number, CryptoSuite>([
    [NOTE_SIGNATURE_TYPE_ED25519, INTL],
    [NOTE_SIGNATURE_TYPE_SM2, gmSuite(sm2Id)],
  ]);
  const logs = new Map<string, WitnessedLog>();
  for (const vkey of vkeys
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean)) {
    const key = parseVerifierKey(vkey);
    // The sealer's key decides the log's suite: an intl ledger's signs with Ed25519, a gm
    // ledger's with SM2 (SUITE_SEALER_ALGORITHM), and the witness's proofs hash with it.
    const suite = logSuites.get(key.type);
    if (suite === undefined)
      throw new Error(`${key.name}: a log's checkpoint key is Ed25519 (intl suite) or SM2 (gm suite)`);
    const log = logs.get(key.name);
    if (log !== undefined && log.suite !== suite)
      throw new Error(
        `${key.name}: the log's checkpoint keys are of two suites (${log.suite.name}, ${suite.name})`,
      );
    const verifier = noteVerifierOf(key, keySignatureCheckOf(suite));
    logs.set(key.name, { origin: key.name, suite, verifiers: [...(log?.verifiers ?? []), verifier] });
  }
  return [...logs.values()];
}
