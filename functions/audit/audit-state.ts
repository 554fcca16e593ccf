import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { type ChainPosition, CompactRange, type CompactRangeState, type CryptoSuite, toHex } from "#chain";
import type { KeyDirectory } from "../../lib/crypto/key-directory.js";
import { openSealerCheckpoint } from "./audit.js";
import type { AccessAuditState } from "./audit-access.js";

/**
 * The incremental audit's own state (./incremental.ts): the last block it verified with
 * everything before it, and what it needs to go on from there without reading the past
 * again. One JSON object:
 *
 *   { "format": "zhixin-audit-state/1",
 *     "log": "<origin>",
 *     "height": 1234, "hash": "<hex block hash>",
 *     "logRange": { "size": 56789, "hashes": ["<hex>", …] },   the compact range after it
 *     "checkpoint": "<the block's sealer-signed checkpoint note>",
 *     "access": { "contracts": [[id, [event, …]], …], "deferred": [answer, …] },
 *     "caughtUp": true,          false: saved by a run that stopped to resume
 *     "savedAt": "<ISO time>" }
 *
 * It lives where the ledger's writer roles (submit/API, seal-block) cannot write: on AWS an
 * S3 bucket of its own (cdk/lib/audit.ts) that only the verify function's role may write.
 * It is trusted as the auditor's memory, so it is written only after a run with no
 * findings, and read back checked: its checkpoint must be the sealer's and name exactly
 * the state's size and root. Anything else is AUDIT_STATE_INVALID, never a silent restart
 * from genesis: deleting the state is the operator's way to ask for one.
 */

export const AUDIT_STATE_FORMAT = "zhixin-audit-state/1";

export interface AuditState {
  format: typeof AUDIT_STATE_FORMAT;
  log: string;
  height: number;
  hash: string;
  logRange: CompactRangeState;
  checkpoint: string;
  access: AccessAuditState;
  caughtUp: boolean;
  savedAt: string;
}

const Hex32 = z.string().regex(/^[0-9a-f]{64}$/);
const StateSchema = z
  .object({
    format: z.literal(AUDIT_STATE_FORMAT),
    log: z.string().min(1),
    height: z.number().int().positive(),
    hash: Hex32,
    logRange: z.object({ size: z.number().int().nonnegative(), hashes: z.array(Hex32) }).strict(),
    checkpoint: z.string().min(1),
    access: z
      .object({
        contracts: z.array(z.tuple([z.string(), z.array(z.record(z.string(), z.unknown()))])),
        deferred: z.array(z.record(z.string(), z.unknown())),
      })
      .strict(),
    caughtUp: z.boolean(),
    savedAt: z.string(),
  })
  .strict();

/** A stored state that does not read as one, or does not hold together. */
export class AuditStateError extends Error {
  override readonly name = "AuditStateError";
  readonly code = "AUDIT_STATE_INVALID";
}

/**
 * Parses a stored state and checks it holds together: its compact range is well formed and
 * its checkpoint, signed by a sealer of `keys` for `log`, names the range's size and root.
 * Throws AuditStateError saying what is wrong.
 */
export function parseAuditState(
  suite: CryptoSuite,
  bytes: Uint8Array,
  keys: KeyDirectory,
  log: string,
): AuditState {
  let parsed: AuditState;
  try {
    parsed = StateSchema.parse(JSON.parse(new TextDecoder().decode(bytes))) as unknown as AuditState;
  } catch (e) {
    throw new AuditStateError(
      `the audit state does not read as ${AUDIT_STATE_FORMAT}: ${(e as Error).message}`,
    );
  }
  if (parsed.log !== log) throw new AuditStateError(`the audit state is of log ${parsed.log}, not ${log}`);
  let root: string;
  try {
    root = toHex(CompactRange.fromState(suite, parsed.logRange).root());
  } catch (e) {
    throw new AuditStateError(`the audit state's compact range is not one: ${(e as Error).message}`);
  }
  let checkpoint: { size: number; root: string };
  try {
    checkpoint = openSealerCheckpoint(suite, keys, parsed.checkpoint, log);
  } catch (e) {
    throw new AuditStateError(`the audit state's checkpoint: ${(e as Error).message}`);
  }
  if (checkpoint.size !== parsed.logRange.size || checkpoint.root !== root) {
    throw new AuditStateError(
      `the audit state's checkpoint is for size ${checkpoint.size} root ${checkpoint.root}, ` +
        `not its compact range's size ${parsed.logRange.size} root ${root}`,
    );
  }
  return parsed;
}

/** The chain position an incremental run starts from. */
export function positionOf(state: AuditState): ChainPosition {
  return { height: state.height, hash: state.hash, logRange: state.logRange };
}

/**
 * Where the audit keeps its state and a fan-out's chunk results: bytes by key. The one
 * contract: a `get` after a `put` of the same key returns what was put (S3 is strongly
 * consistent for this).
 */
export interface AuditStateStore {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

/** The incremental audit's state, in the store. */
export const STATE_KEY = "incremental/state.json";

/**
 * The store on S3 (s3rver locally). S3 rather than a DynamoDB table: the bucket is
 * versioned, so every state the audit ever kept stays readable (who changed what is
 * visible), a state may outgrow DynamoDB's 400 KB item as contract records accumulate,
 * and a fan-out's chunk results (findings of a whole range) need object sizes anyway.
 */
export class S3AuditStateStore implements AuditStateStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
    } catch (err) {
      if ((err as { name?: string }).name === "NoSuchKey") return undefined;
      throw err;
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: "application/json" }),
    );
  }
}
