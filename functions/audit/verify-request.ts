import { z } from "zod";
import type { KeyGovernance } from "#chain";
import type { KeyDirectory } from "../../lib/crypto/key-directory.js";
import type { AuditReport, EntryAuditReport } from "../../lib/protocol/audit.js";
import { type Ed25519Verify, type WitnessPolicy, witnessNames } from "../../lib/witness/index.js";
import type { AuditSource, BatchStore, IndexStore } from "../store/ports.js";
import { CHECKPOINT_PATH, type TileStore } from "../store/tile-store.js";
import { AuditRangeError, auditChain, openSealerCheckpoint } from "./audit.js";
import { auditEntry, EntryNotFoundError } from "./audit-entry.js";

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
 */
const Payload = z.union([
  z.object({ entry: z.string().regex(/^[0-9a-f]{32}$/) }).strict(),
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
export type VerifyReport = AuditReport | EntryAuditReport;

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
 */
export const VERIFY_ERROR_CODES = ["INVALID_PARAMETER", "RANGE_INVALID", "NOT_FOUND"] as const;
export type VerifyErrorCode = (typeof VERIFY_ERROR_CODES)[number];

/** What the function answers instead of a report; `ok` false, like a report with findings. */
export interface VerifyRefusal {
  ok: false;
  error: { code: VerifyErrorCode; message: string; details?: unknown };
}

export type VerifyResult = VerifyReport | VerifyRefusal;

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
  /** The consortium's departments and auditors, whose key records the audit reads. */
  members?: readonly string[];
  /** The consortium file's rule for key records (lib/consortium keyGovernanceOf); unset: OWNER_ALONE. */
  keyGovernance?: KeyGovernance;
  /** The log's name (consortium.log), which checkpoints carry. */
  log: string;
  /** The published log, whose checkpoint a chain audit checks too; absent: not published. */
  tiles?: Pick<TileStore, "get">;
  /** The consortium's witnesses and quorum (their checkpoint cosignatures are counted). */
  witnesses?: { policy: WitnessPolicy; verify: Ed25519Verify };
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
): Promise<VerifyReport> {
  const audit = {
    source: deps.store,
    keys: deps.keys,
    log: deps.log,
    keyRecords: deps.store,
    ...(deps.members ? { members: deps.members } : {}),
    ...(deps.keyGovernance ? { keyGovernance: deps.keyGovernance } : {}),
  };
  try {
    if ("entry" in payload) return await auditEntry({ ...audit, pending: deps.store }, payload.entry);
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
    return openSealerCheckpoint(deps.keys, note, deps.log);
  } catch (e) {
    throw new VerifyRequestError("INVALID_PARAMETER", `trustedCheckpoint: ${(e as Error).message}`);
  }
}

/** The one map from the audits' refusals to the verify function's codes; other errors pass through. */
function asVerifyRequestError(e: unknown): unknown {
  if (e instanceof AuditRangeError) return new VerifyRequestError(e.code, e.message, e.details);
  if (e instanceof EntryNotFoundError) return new VerifyRequestError(e.code, e.message);
  return e;
}
