import { z } from "zod";
import type { CryptoSuite, KeyGovernance, KeySignatureCheck } from "#chain";
import type { KeyDirectory } from "../../lib/crypto/key-directory.js";
import type { AuditReport, EntryAuditReport } from "../../lib/protocol/audit.js";
import { type WitnessPolicy, witnessNames } from "../../lib/witness/index.js";
import type { AuditSource, BatchStore, IndexStore } from "../store/ports.js";
import { CHECKPOINT_PATH, type TileStore } from "../store/tile-store.js";
import { type AuditDeps, AuditRangeError, auditChain, openSealerCheckpoint } from "./audit.js";
import { auditEntry, EntryNotFoundError } from "./audit-entry.js";
import { AuditStateError, type AuditStateStore } from "./audit-state.js";
import {
  auditFanOutChunk,
  FAN_OUT_LIMITS,
  type FanOutPlan,
  type FanOutReport,
  joinFanOut,
  planFanOut,
} from "./fan-out.js";
import { auditIncrementally, type IncrementalReport } from "./incremental.js";

/**
 * One request to the verify function (functions/verify/handler.ts: `aws lambda invoke`,
 * or local mode's `zhixin verify`). The payload, one of:
 *   {}                              the whole chain
 *   { "from": 10, "to": 20 }        a height range (inclusive)
 *   { "entry": "<entry id>" }       one entry: envelope, proof, block, signatures
 * and, with either of the first two, "trustedCheckpoint": a sealer-signed C2SP
 * checkpoint kept from an earlier audit — the log must still reach its size, with its
 * root there (this is what shows removal of the newest blocks) — and "minWitnesses": how
 * many witness cosignatures the published checkpoint needs (default: the consortium's
 * quorum; 0 checks none).
 *
 * The scheduled audits (cdk/lib/audit.ts; they need the audit's state store,
 * ZHIXIN_AUDIT_STATE_BUCKET, else AUDIT_STATE_UNAVAILABLE):
 *   { "audit": "incremental" }                      the blocks sealed since the audit's
 *                                                   own state (./incremental.ts)
 *   { "audit": "fan-out-plan", "run": "<id>", "chunkBlocks"?: n, "chunkEntries"?: n }
 *   { "audit": "fan-out-chunk", "run": "<id>", "from": h, "to": h }
 *   { "audit": "fan-out-join", "run": "<id>" }      the full re-audit in ranges (./fan-out.ts)
 * each but the chunk with "minWitnesses" as above.
 */
const RunId = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/);
const Payload = z.union([
  z.object({ entry: z.string().regex(/^[0-9a-f]{32}$/) }).strict(),
  z.object({ audit: z.literal("incremental"), minWitnesses: z.number().int().min(0).optional() }).strict(),
  z
    .object({
      audit: z.literal("fan-out-plan"),
      run: RunId,
      chunkBlocks: z.number().int().min(32).optional(),
      chunkEntries: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      audit: z.literal("fan-out-chunk"),
      run: RunId,
      from: z.number().int().positive(),
      to: z.number().int().positive(),
    })
    .strict(),
  z
    .object({
      audit: z.literal("fan-out-join"),
      run: RunId,
      minWitnesses: z.number().int().min(0).optional(),
    })
    .strict(),
  z
    .object({
      from: z.number().int().positive().optional(),
      to: z.number().int().positive().optional(),
      trustedCheckpoint: z.string().max(65536).optional(),
      minWitnesses: z.number().int().min(0).optional(),
    })
    .strict(),
]);

export type VerifyPayload = z.infer<typeof Payload>;
export type VerifyReport = AuditReport | EntryAuditReport | IncrementalReport | FanOutReport;
/** A fan-out's plan and chunk steps answer these, not reports: the join reports. */
export type FanOutStep = FanOutPlan | Awaited<ReturnType<typeof auditFanOutChunk>>;

/**
 * A request the verify function cannot answer — the caller's mistake, not a finding:
 * nothing in the ledger is at fault. The closed set of codes (docs/ERRORS.md, "Verify
 * function refusals"):
 *   INVALID_PARAMETER   the payload is not one of the above (from/to below 1, a bad id),
 *                       or its trustedCheckpoint is not a checkpoint of this log signed
 *                       by the sealer
 *   RANGE_INVALID       from/to name heights the log does not have: from > to, or past
 *                       the latest block; details { from, to, latestHeight }
 *   NOT_FOUND           an entry id the ledger never had (one it names whose items are
 *                       gone is a report with findings)
 *   AUDIT_STATE_UNAVAILABLE  an "audit" payload to a verify function with no state store
 *   AUDIT_STATE_INVALID the incremental audit's state does not hold together
 *                       (./audit-state.ts): no audit is made until it is mended or
 *                       deleted (deleting it makes the next run a full audit from genesis)
 */
export const VERIFY_ERROR_CODES = [
  "INVALID_PARAMETER",
  "RANGE_INVALID",
  "NOT_FOUND",
  "AUDIT_STATE_UNAVAILABLE",
  "AUDIT_STATE_INVALID",
] as const;
export type VerifyErrorCode = (typeof VERIFY_ERROR_CODES)[number];

/** What the function answers instead of a report; `ok` false, like a report with findings. */
export interface VerifyRefusal {
  ok: false;
  error: { code: VerifyErrorCode; message: string; details?: unknown };
}

export type VerifyResult = VerifyReport | FanOutStep | VerifyRefusal;

export class VerifyRequestError extends Error {
  override readonly name = "VerifyRequestError";

  constructor(
    readonly code: VerifyErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The refusal on the wire: { ok: false, error: { code, message, details? } }. */
  toJSON(): VerifyRefusal {
    return {
      ok: false,
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

/** Throws VerifyRequestError INVALID_PARAMETER, naming each field at fault. */
export function parseVerifyPayload(event: unknown): VerifyPayload {
  const parsed = Payload.safeParse(event);
  if (!parsed.success) {
    throw new VerifyRequestError(
      "INVALID_PARAMETER",
      parsed.error.issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).join("; "),
    );
  }
  return parsed.data;
}

export interface VerifyRequestDeps {
  /** Read leniently (AuditSource); the pending batches are searched for an unsealed entry. */
  store: AuditSource &
    Pick<BatchStore, "listPendingBatches" | "getBatchHeads"> &
    Pick<IndexStore, "listIndexEntries">;
  keys: KeyDirectory;
  /** The ledger's crypto suite (the consortium file's). */
  suite: CryptoSuite;
  /** The consortium's departments and auditors, whose key records the audit reads. */
  members?: readonly string[];
  /** The consortium file's rule for key records (lib/consortium keyGovernanceOf); unset: OWNER_ALONE. */
  keyGovernance?: KeyGovernance;
  /** The log's name (consortium.log), which checkpoints carry. */
  log: string;
  /** The published log, whose checkpoint a chain audit checks too; absent: not published. */
  tiles?: Pick<TileStore, "get">;
  /** The consortium's witnesses and quorum (their checkpoint cosignatures are counted). */
  witnesses?: { policy: WitnessPolicy; verify: KeySignatureCheck };
  /** The audit's own store (state and fan-out results); absent: "audit" payloads are refused. */
  auditState?: AuditStateStore;
  /** Asked between chunks of blocks by an incremental run: true stops it in time (stopInTime). */
  stop?: () => boolean;
  now?: () => Date;
}

/**
 * Audits what `payload` asks for: one entry, or the chain (whole or a range, extending a
 * trusted checkpoint if given). A report with findings is an answer; a request that
 * cannot be answered throws VerifyRequestError; anything else (the store failing)
 * propagates unchanged.
 */
export async function runVerifyRequest(
  payload: VerifyPayload,
  deps: VerifyRequestDeps,
): Promise<VerifyReport | FanOutStep> {
  const audit: AuditDeps = {
    source: deps.store,
    keys: deps.keys,
    suite: deps.suite,
    log: deps.log,
    keyRecords: deps.store,
    ...(deps.members ? { members: deps.members } : {}),
    ...(deps.keyGovernance ? { keyGovernance: deps.keyGovernance } : {}),
  };
  try {
    if ("entry" in payload) return await auditEntry({ ...audit, pending: deps.store }, payload.entry);
    if ("audit" in payload) return await runScheduledAudit(payload, deps, audit);
    const { trustedCheckpoint, minWitnesses, ...range } = payload;
    const trusted =
      trustedCheckpoint === undefined ? undefined : openTrustedCheckpoint(deps, trustedCheckpoint);
    const published = await publishedCheck(deps, minWitnesses);
    return await auditChain(audit, {
      ...range,
      ...(trusted ? { trusted } : {}),
      ...(published ? { published } : {}),
    });
  } catch (e) {
    throw asVerifyRequestError(e);
  }
}

async function runScheduledAudit(
  payload: Extract<VerifyPayload, { audit: string }>,
  deps: VerifyRequestDeps,
  audit: AuditDeps,
): Promise<IncrementalReport | FanOutReport | FanOutStep> {
  const store = deps.auditState;
  if (!store) {
    throw new VerifyRequestError(
      "AUDIT_STATE_UNAVAILABLE",
      `this verify function has no audit state store (ZHIXIN_AUDIT_STATE_BUCKET), so it cannot run the ${payload.audit} audit; ` +
        "audit the whole chain with {} instead, or deploy the stack's audit construct (cdk/lib/audit.ts)",
    );
  }
  switch (payload.audit) {
    case "incremental": {
      const published = await publishedCheck(deps, payload.minWitnesses);
      return await auditIncrementally(audit, store, {
        now: deps.now ?? (() => new Date()),
        ...(published ? { published } : {}),
        ...(deps.stop ? { stop: deps.stop } : {}),
      });
    }
    case "fan-out-plan": {
      const published = await publishedCheck(deps, 0);
      const limits = {
        chunkBlocks: payload.chunkBlocks ?? FAN_OUT_LIMITS.chunkBlocks,
        chunkEntries: payload.chunkEntries ?? FAN_OUT_LIMITS.chunkEntries,
      };
      return await planFanOut(audit, store, payload.run, limits, published?.note);
    }
    case "fan-out-chunk":
      return await auditFanOutChunk(audit, store, payload.run, payload);
    case "fan-out-join": {
      const published = await publishedCheck(deps, payload.minWitnesses);
      return await joinFanOut(audit, store, payload.run, published?.quorum);
    }
  }
}

/**
 * Whether a report is an audit that reached the latest block (AuditsCompleted): the whole
 * chain ({}), an incremental run that caught up, a fan-out's join.
 */
export function completedAudit(payload: VerifyPayload, result: VerifyReport | FanOutStep): boolean {
  if ("entry" in payload) return false;
  if ("audit" in payload) {
    if (payload.audit === "incremental") return (result as IncrementalReport).complete === true;
    return payload.audit === "fan-out-join";
  }
  return payload.from === undefined && payload.to === undefined;
}

/** The published checkpoint and the quorum it must meet: minWitnesses, else the consortium's. */
async function publishedCheck(deps: VerifyRequestDeps, minWitnesses: number | undefined) {
  const witnesses = deps.witnesses?.policy.witnesses ?? [];
  // A witness may be listed with several keys (an old and a new one): it counts once.
  const distinct = witnessNames(witnesses).length;
  if (minWitnesses !== undefined && minWitnesses > distinct) {
    throw new VerifyRequestError(
      "INVALID_PARAMETER",
      `minWitnesses: the consortium has ${distinct} witness(es), so at most ${distinct} can cosign`,
    );
  }
  const bytes = deps.tiles && (await deps.tiles.get(CHECKPOINT_PATH));
  if (!bytes) return undefined;
  const note = new TextDecoder().decode(bytes);
  if (!deps.witnesses) return { note };
  const threshold = minWitnesses ?? deps.witnesses.policy.threshold;
  return { note, quorum: { policy: { witnesses, threshold }, verify: deps.witnesses.verify } };
}

function openTrustedCheckpoint(deps: VerifyRequestDeps, note: string) {
  try {
    return openSealerCheckpoint(deps.suite, deps.keys, note, deps.log);
  } catch (e) {
    throw new VerifyRequestError("INVALID_PARAMETER", `trustedCheckpoint: ${(e as Error).message}`);
  }
}

/** The one map from the audits' refusals to the verify function's codes; other errors pass through. */
function asVerifyRequestError(e: unknown): unknown {
  if (e instanceof AuditRangeError) return new VerifyRequestError(e.code, e.message, e.details);
  if (e instanceof AuditStateError) {
    return new VerifyRequestError(
      e.code,
      `${e.message}. The state is kept by the audit alone (cdk/lib/audit.ts): find who wrote it ` +
        "(the bucket is versioned), then restore its last good version, or delete it to audit again from genesis",
    );
  }
  if (e instanceof EntryNotFoundError) return new VerifyRequestError(e.code, e.message);
  return e;
}
