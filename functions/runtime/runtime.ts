import { KMSClient } from "@aws-sdk/client-kms";
import { S3Client } from "@aws-sdk/client-s3";
import { type CryptoSuite, type KeySignatureCheck, parseCosignatureVerifierKey } from "#chain";
import type { Clock } from "../../lib/clock.js";
import { type Consortium, suiteOf, witnessQuorumOf } from "../../lib/consortium/consortium.js";
import { type KeyDirectory, SEALER_OWNER } from "../../lib/crypto/key-directory.js";
import { KmsSigner } from "../../lib/crypto/kms-signer.js";
import type { Signer } from "../../lib/crypto/signer.js";
import { keySignatureCheckOf, type SignatureSuite } from "../../lib/crypto/verify.js";
import type { WitnessPolicy } from "../../lib/witness/index.js";
import { StaticKeyDirectory } from "../auth/key-directory.js";
import { KmsKeyDirectory, loadKmsKeyDirectory } from "../auth/kms-key-directory.js";
import { kmsSigningPort } from "../auth/kms-signing-port.js";
import { readOwnerSignerFile } from "../auth/signer-file.js";
import { assertLedgerSuite } from "../ledger/ledger-suite.js";
import { fetchWitnessPost, type WitnessingDeps } from "../ledger/witnessing.js";
import { loadKmsSubjectKey } from "../sharing/kms-subject-key.js";
import { loadLocalSubjectKey } from "../sharing/subject-key.js";
import { DynamoDbLedgerStore } from "../store/dynamodb-store.js";
import type { AuditSource, LedgerStore } from "../store/ports.js";
import { localS3Client, S3TileStore } from "../store/s3/tile-store.js";
import type { TileStore } from "../store/tile-store.js";
import { systemClock } from "./clock.js";
import { loadConsortium } from "./consortium-file.js";
import { dynamoClient, required } from "./env.js";

/**
 * Wiring from the environment, shared by the three handlers. Built once per process
 * (per Lambda container) and kept: SDK clients are created once, keys read once. A part
 * that fails to build (KMS throttled at cold start, say) is built again on the next
 * invocation rather than failing every invocation of the container.
 *
 * KMS calls at a cold start: the API makes one, GenerateMac for the subject key; its
 * trust bundle reads a member's keys when a request signed by one first needs them
 * (GetPublicKey and DescribeKey per key version, functions/auth/kms-key-directory.ts),
 * and a member whose keys KMS will not give refuses only its own requests. The sealer
 * makes one, GetPublicKey of its signing key. The verify function reads every owner's
 * keys, each on its own, for its audit.
 *
 *   ZHIXIN_TABLE               DynamoDB table name (required)
 *   ZHIXIN_DYNAMODB_ENDPOINT   DynamoDB endpoint override (local mode: dynalite)
 *   ZHIXIN_CONSORTIUM_FILE     consortium file (default ./consortium.json beside the bundle)
 *   ZHIXIN_KEYS_SOURCE         "file" (default): the trust bundle is ZHIXIN_KEYS_FILE
 *                              (docs/FORMATS.md §5); "kms": read from KMS, by the API
 *                              an owner at a time when first needed, by the verify function
 *                              all at cold start: alias/zhixin/<consortium>/<member> or the
 *                              member's keyArns (functions/auth/kms-key-directory.ts)
 *   ZHIXIN_KEYS_FILE           trust bundle file, with ZHIXIN_KEYS_SOURCE=file
 *   ZHIXIN_SEALER_KEY_FILE     sealer's PKCS#8 PEM key (local mode), or
 *   ZHIXIN_SEALER_KMS_KEY      sealer's KMS key id/ARN/alias (AWS): one GetPublicKey per cold
 *                              start. Either way header.sealer names the key by the id derived
 *                              from it, sealer/<16 hex of SHA-256(spki)> (docs/design/key-history.md §1)
 *   ZHIXIN_SUBJECT_KEY_FILE    the API's subject key master (local mode: keys/subject.key), or
 *   ZHIXIN_SUBJECT_KMS_KEY     its KMS HMAC_256 key (AWS): one GenerateMac per cold start
 *                              derives the working key (./kms-subject-key.ts)
 *   ZHIXIN_SEAL_LOOP_SECONDS   seal-block: keep sealing every this many seconds within one
 *                              invocation (0 or unset: seal once)
 *   ZHIXIN_TILES_BUCKET        seal-block: the S3 bucket the log is published to as C2SP
 *                              tiles (unset: not published; functions/ledger/publish.ts)
 *   ZHIXIN_S3_ENDPOINT         S3 endpoint override (local mode: s3rver)
 *   ZHIXIN_WITNESSES           seal-block: the witnesses asked to cosign each published
 *                              checkpoint, a JSON array of { "url", "vkey", "retiredVkeys"? }
 *                              (the consortium file's; local mode's in-process witnesses);
 *                              verify: the same, whose every key counts; unset: none
 *   ZHIXIN_WITNESS_TIMEOUT_MS  seal-block: how long each witness may take (default 5000)
 */
export interface Runtime {
  store: LedgerStore & AuditSource;
  keys: KeyDirectory;
  consortium: Consortium;
  clock: Clock;
  sealer?: Signer;
  /** The published log (ZHIXIN_TILES_BUCKET): the API serves its checkpoint, the audit checks it. */
  tiles?: TileStore;
  /** The consortium's witness keys (ZHIXIN_WITNESSES) and quorum (witnessQuorum), for the audit. */
  witnesses?: { policy: WitnessPolicy; verify: KeySignatureCheck };
}

/** What the API needs besides: the subject key, which only the API function may use. */
export interface ApiRuntime extends Runtime {
  subjectKey: Uint8Array;
}

/** What seal-block needs: no trust bundle (so its role needs no access to members' keys). */
export interface SealerRuntime {
  store: LedgerStore & AuditSource;
  consortium: Consortium;
  clock: Clock;
  sealer: Signer;
  /** ZHIXIN_SEAL_LOOP_SECONDS in milliseconds; 0: seal once per invocation. */
  sealLoopMs: number;
  /** Where the log is published as tiles (ZHIXIN_TILES_BUCKET); undefined: not published. */
  tiles?: TileStore;
  /** Who cosigns the published checkpoints (ZHIXIN_WITNESSES); undefined: nobody is asked. */
  witnessing?: WitnessingDeps;
}

// Region and credentials from the Lambda environment; never called in local mode.
const kms = new KMSClient({});

interface Base {
  store: LedgerStore & AuditSource;
  consortium: Consortium;
  clock: Clock;
}

let base: Promise<Base> | undefined;
let keys: Promise<KeyDirectory> | undefined;
let apiKeys: Promise<KeyDirectory> | undefined;
let sealer: Promise<Signer | undefined> | undefined;
let subjectKey: Promise<Uint8Array> | undefined;

/** The runtime of the verify function: a trust bundle with every owner's keys read (for its audits). */
export function getRuntime(env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  return runtimeWith(env, getKeys);
}

async function runtimeWith(
  env: NodeJS.ProcessEnv,
  keysFor: (env: NodeJS.ProcessEnv, consortium: Consortium) => Promise<KeyDirectory>,
): Promise<Runtime> {
  const b = await getBase(env);
  const [k, s] = await Promise.all([keysFor(env, b.consortium), getSealer(env, b.consortium)]);
  const t = tileStore(env);
  const w = witnessingFrom(env, suiteOf(b.consortium));
  const witnesses = w && { policy: auditWitnessPolicy(w, b.consortium), verify: w.verify };
  return {
    ...b,
    keys: k,
    ...(s ? { sealer: s } : {}),
    ...(t ? { tiles: t } : {}),
    ...(witnesses ? { witnesses } : {}),
  };
}

/** The API's runtime: its trust bundle reads an owner's keys when a request first needs them. */
export async function getApiRuntime(env: NodeJS.ProcessEnv = process.env): Promise<ApiRuntime> {
  const r = await runtimeWith(env, getApiKeys);
  return { ...r, subjectKey: await getSubjectKey(env, suiteOf(r.consortium)) };
}

let ledgerSuite: Promise<void> | undefined;

/**
 * `runtime`, once the ledger's genesis block is found to record the consortium file's
 * suite (functions/ledger/ledger-suite.ts): the API's and the sealer's Lambda handlers run
 * only so. Checked once per process (one GetItem), LedgerSuiteError otherwise, and
 * checked again after any failure.
 */
export async function withLedgerSuiteChecked<R extends Pick<Base, "store" | "consortium">>(
  runtime: R,
): Promise<R> {
  ledgerSuite ??= retryable(
    () => assertLedgerSuite(runtime.store, suiteOf(runtime.consortium)),
    () => {
      ledgerSuite = undefined;
    },
  );
  await ledgerSuite;
  return runtime;
}

function getSubjectKey(env: NodeJS.ProcessEnv, suite: CryptoSuite): Promise<Uint8Array> {
  subjectKey ??= retryable(
    async () => {
      if (env.ZHIXIN_SUBJECT_KEY_FILE) return loadLocalSubjectKey(suite, env.ZHIXIN_SUBJECT_KEY_FILE);
      if (env.ZHIXIN_SUBJECT_KMS_KEY) return loadKmsSubjectKey(kms, env.ZHIXIN_SUBJECT_KMS_KEY);
      throw new Error("no subject key: set ZHIXIN_SUBJECT_KEY_FILE or ZHIXIN_SUBJECT_KMS_KEY");
    },
    () => {
      subjectKey = undefined;
    },
  );
  return subjectKey;
}

export async function getSealerRuntime(env: NodeJS.ProcessEnv = process.env): Promise<SealerRuntime> {
  const b = await getBase(env);
  const s = await getSealer(env, b.consortium);
  if (!s) throw new Error("no sealer key: set ZHIXIN_SEALER_KEY_FILE or ZHIXIN_SEALER_KMS_KEY");
  const t = tileStore(env);
  const w = witnessingFrom(env, suiteOf(b.consortium));
  return {
    ...b,
    sealer: s,
    sealLoopMs: sealLoopMs(env),
    ...(t ? { tiles: t } : {}),
    ...(w ? { witnessing: w } : {}),
  };
}

/**
 * The witnesses' keys and quorum the audit judges checkpoints by: every key of each
 * witness, its retired ones too, which count for it once (by name, lib/witness
 * witnessNames) — so a checkpoint cosigned before a witness's rotation still counts.
 */
export function auditWitnessPolicy(
  w: Pick<WitnessingDeps, "witnesses">,
  consortium: Consortium,
): WitnessPolicy {
  return {
    witnesses: w.witnesses.flatMap((x) => [...(x.retired ?? []), x.key]),
    threshold: witnessQuorumOf(consortium),
  };
}

/**
 * ZHIXIN_WITNESSES and ZHIXIN_WITNESS_TIMEOUT_MS as the sealer's witnessing, its
 * cosignatures checked under the ledger's `suite`; undefined when there are none.
 */
export function witnessingFrom(env: NodeJS.ProcessEnv, suite: SignatureSuite): WitnessingDeps | undefined {
  const text = env.ZHIXIN_WITNESSES ?? "";
  if (text === "") return undefined;
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw new Error("ZHIXIN_WITNESSES must be a JSON array of { url, vkey }");
  }
  if (!Array.isArray(list)) throw new Error("ZHIXIN_WITNESSES must be a JSON array of { url, vkey }");
  const witnesses = list.map((w: { url?: unknown; vkey?: unknown; retiredVkeys?: unknown }, i) => {
    const retired = w?.retiredVkeys ?? [];
    if (
      typeof w?.url !== "string" ||
      typeof w.vkey !== "string" ||
      !Array.isArray(retired) ||
      !retired.every((v) => typeof v === "string")
    ) {
      throw new Error(
        `ZHIXIN_WITNESSES[${i}] must be { "url": string, "vkey": string, "retiredVkeys"?: string[] }`,
      );
    }
    return {
      url: w.url,
      key: parseCosignatureVerifierKey(w.vkey),
      ...(retired.length === 0 ? {} : { retired: retired.map((v) => parseCosignatureVerifierKey(v)) }),
    };
  });
  if (witnesses.length === 0) return undefined;
  const timeout = env.ZHIXIN_WITNESS_TIMEOUT_MS ?? "";
  if (timeout !== "" && !/^[1-9]\d{0,5}$/.test(timeout)) {
    throw new Error(
      `ZHIXIN_WITNESS_TIMEOUT_MS must be 1 to 999999 (milliseconds), got ${JSON.stringify(timeout)}`,
    );
  }
  return {
    witnesses,
    post: fetchWitnessPost,
    verify: keySignatureCheckOf(suite),
    ...(timeout === "" ? {} : { timeoutMs: Number(timeout) }),
  };
}

let tiles: TileStore | undefined;

function tileStore(env: NodeJS.ProcessEnv): TileStore | undefined {
  const bucket = env.ZHIXIN_TILES_BUCKET;
  if (!bucket) return undefined;
  const endpoint = env.ZHIXIN_S3_ENDPOINT;
  tiles ??= new S3TileStore(endpoint ? localS3Client(endpoint) : new S3Client({}), bucket);
  return tiles;
}

function getBase(env: NodeJS.ProcessEnv): Promise<Base> {
  base ??= retryable(
    async () => {
      const table = required(env, "ZHIXIN_TABLE");
      const client = dynamoClient(env);
      const consortium = loadConsortium(
        env.ZHIXIN_CONSORTIUM_FILE ?? new URL("./consortium.json", import.meta.url).pathname,
      );
      return { store: new DynamoDbLedgerStore(client, table), consortium, clock: systemClock };
    },
    () => {
      base = undefined;
    },
  );
  return base;
}

function getKeys(env: NodeJS.ProcessEnv, consortium: Consortium): Promise<KeyDirectory> {
  keys ??= retryable(
    async () =>
      keysSource(env) === "kms"
        ? loadKmsKeyDirectory(kms, consortium, { clock: systemClock })
        : StaticKeyDirectory.fromFile(required(env, "ZHIXIN_KEYS_FILE")),
    () => {
      keys = undefined;
    },
  );
  return keys;
}

/** No KMS call here: the directory reads an owner when a request first needs it. */
function getApiKeys(env: NodeJS.ProcessEnv, consortium: Consortium): Promise<KeyDirectory> {
  apiKeys ??= retryable(
    async () =>
      keysSource(env) === "kms"
        ? new KmsKeyDirectory(kms, consortium, { clock: systemClock })
        : StaticKeyDirectory.fromFile(required(env, "ZHIXIN_KEYS_FILE")),
    () => {
      apiKeys = undefined;
    },
  );
  return apiKeys;
}

function keysSource(env: NodeJS.ProcessEnv): "file" | "kms" {
  const source = env.ZHIXIN_KEYS_SOURCE ?? "file";
  if (source === "kms" || source === "file") return source;
  throw new Error(`ZHIXIN_KEYS_SOURCE must be "file" or "kms", got ${JSON.stringify(source)}`);
}

function getSealer(env: NodeJS.ProcessEnv, consortium: Consortium): Promise<Signer | undefined> {
  sealer ??= retryable(
    () => sealerSigner(env, consortium, kms),
    () => {
      sealer = undefined;
    },
  );
  return sealer;
}

/**
 * The sealer's signer from ZHIXIN_SEALER_KEY_FILE or ZHIXIN_SEALER_KMS_KEY (on `client`),
 * named by its key's derived id; undefined when neither is set.
 */
export async function sealerSigner(
  env: NodeJS.ProcessEnv,
  consortium: Consortium,
  client: KMSClient,
): Promise<Signer | undefined> {
  const alg = consortium.sealer.alg;
  const suite = suiteOf(consortium);
  if (env.ZHIXIN_SEALER_KEY_FILE)
    return readOwnerSignerFile(suite, env.ZHIXIN_SEALER_KEY_FILE, SEALER_OWNER, alg);
  if (env.ZHIXIN_SEALER_KMS_KEY) {
    return KmsSigner.forOwner(kmsSigningPort(client), {
      suite,
      owner: SEALER_OWNER,
      kmsKeyId: env.ZHIXIN_SEALER_KMS_KEY,
      alg,
    });
  }
  return undefined;
}

/** ZHIXIN_SEAL_LOOP_SECONDS → milliseconds: a whole number of seconds, 0 to 50. */
export function sealLoopMs(env: NodeJS.ProcessEnv): number {
  const text = env.ZHIXIN_SEAL_LOOP_SECONDS ?? "";
  if (text === "") return 0;
  if (!/^\d{1,2}$/.test(text) || Number(text) > 50) {
    throw new Error(`ZHIXIN_SEAL_LOOP_SECONDS must be 0 to 50 (seconds), got ${JSON.stringify(text)}`);
  }
  return Number(text) * 1000;
}

/** The promise `build` returns, with `forget` called if it rejects (so the next call builds again). */
function retryable<T>(build: () => Promise<T>, forget: () => void): Promise<T> {
  const promise = build();
  promise.catch(forget);
  return promise;
}
