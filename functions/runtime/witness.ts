import { KMSClient } from "@aws-sdk/client-kms";
import {
  type CosignatureAlgorithm,
  type CryptoSuite,
  GM,
  INTL,
  isCosignatureAlgorithm,
  NOTE_SIGNATURE_TYPE_ED25519,
  NOTE_SIGNATURE_TYPE_SM2,
  noteVerifierOf,
  parseVerifierKey,
  SUITE_COSIGNATURE_ALGORITHM,
} from "#chain";
import { KmsSigner } from "../../lib/crypto/kms-signer.js";
import { verifyRecordedKeySignature } from "../../lib/crypto/verify.js";
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
  const logs = witnessedLogs(env.ZHIXIN_WITNESS_LOG_VKEYS ?? "");
  assertLogsCountKey(logs, alg);
  let signer: WitnessDeps["key"]["signer"];
  if (env.ZHIXIN_WITNESS_KEY_FILE) {
    signer = await readSignerFile(env.ZHIXIN_WITNESS_KEY_FILE, `${name}/witness`, alg);
  } else if (env.ZHIXIN_WITNESS_KMS_KEY) {
    signer = new KmsSigner(kmsSigningPort(new KMSClient({})), {
      keyId: `${name}/witness`,
      alg,
      kmsKeyId: env.ZHIXIN_WITNESS_KMS_KEY,
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

const LOG_SUITES = new Map<number, CryptoSuite>([
  [NOTE_SIGNATURE_TYPE_ED25519, INTL],
  [NOTE_SIGNATURE_TYPE_SM2, GM],
]);

/** The logs in ZHIXIN_WITNESS_LOG_VKEYS, one per vkey; none: the witness refuses every origin (404). */
export function witnessedLogs(vkeys: string): WitnessedLog[] {
  const logs = new Map<string, WitnessedLog>();
  for (const vkey of vkeys
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean)) {
    const key = parseVerifierKey(vkey);
    // The sealer's key decides the log's suite: an intl ledger's signs with Ed25519, a gm
    // ledger's with SM2 (SUITE_SEALER_ALGORITHM), and the witness's proofs hash with it.
    const suite = LOG_SUITES.get(key.type);
    if (suite === undefined)
      throw new Error(`${key.name}: a log's checkpoint key is Ed25519 (intl suite) or SM2 (gm suite)`);
    const log = logs.get(key.name);
    if (log !== undefined && log.suite !== suite)
      throw new Error(
        `${key.name}: the log's checkpoint keys are of two suites (${log.suite.name}, ${suite.name})`,
      );
    const verifier = noteVerifierOf(key, verifyRecordedKeySignature);
    logs.set(key.name, { origin: key.name, suite, verifiers: [...(log?.verifiers ?? []), verifier] });
  }
  return [...logs.values()];
}
