import type { Consortium } from "../../lib/consortium/consortium.js";
import type { ApiError } from "../../lib/protocol/errors.js";
import type {
  BatchStore,
  CosignMark,
  IndexEntry,
  IndexStore,
  PayloadStore,
  UniqueClaim,
} from "../store/ports.js";

/**
 * The one shape of a record rule (README.md in this folder). Intake
 * (functions/ledger/submit.ts) runs every rule of RECORD_RULES (index.ts) in two passes:
 *
 *   checkRecords  each record's data alone, before the signed batch root is checked: no
 *                 store, no clock, no entry ids yet;
 *   apply         the prepared batch (entry ids, batch key, receive time), reading the
 *                 store if it must.
 *
 * A rule refuses by throwing its ApiError (lib/protocol/errors.ts); the first refusal in
 * rule order is the answer. A rule never writes: apply returns the claims, cosign marks
 * and index entries the batch needs, and intake writes them — claims first, then the
 * payloads, marks and index entries together, then the batch item (ARCHITECTURE.md §7) — and
 * undoes them if the batch turns out to be a replay.
 */
export interface RecordRule {
  /** What the rule is called in its file, README.md and the tests of the order. */
  readonly name: string;
  /**
   * The record types the rule owns (reserved zhixin.* types): any department may submit
   * them, and the rule's own checks decide whether this one may. Other types are written
   * by their consortium writers only.
   */
  ownsType?(type: string): boolean;
  /** Refuses records whose data alone is not acceptable; runs before the batch root check. */
  checkRecords?(records: readonly ParsedRecord[], consortium: Consortium): void;
  /** Refuses the batch, or says what it must write; runs before anything is written. */
  apply?(batch: PreparedBatch, deps: RuleDeps): RuleEffects | Promise<RuleEffects>;
}

/** A record of the body, as parsed: exactly the members the department signed. */
export interface ParsedRecord {
  type: string;
  data: Record<string, unknown>;
}

/** Who submits: the department the request's signature authenticated, its key and nonce. */
export interface Submitter {
  department: string;
  keyId: string;
  nonce: string;
}

/** The batch once its records are bound to the signed batch root, before anything is written. */
export interface PreparedBatch {
  submitter: Submitter;
  records: readonly ParsedRecord[];
  /** Each record's entry id, by record index. */
  entryIds: readonly string[];
  /** `<keyId>#<nonce>` (lib/chain batchKeyFor): the batch item's key. */
  batchKey: string;
  /** The batch's receive time (RFC 3339 UTC, ms). */
  receivedAt: string;
}

/** What a rule may read of the store. Rules never write: intake writes what they return. */
export type RuleStore = Pick<PayloadStore, "getPayload"> &
  Pick<BatchStore, "getBatch" | "getBatchHeads"> &
  Pick<IndexStore, "listIndexEntries">;

export interface RuleDeps {
  store: RuleStore;
  consortium: Consortium;
  /** The deployment's subject key (lib/chain subject.ts): subjects and unique values are keyed by it. */
  subjectKey: Uint8Array;
}

/** What a batch must write for one rule; intake writes every rule's, in rule order. */
export interface RuleEffects {
  /** Uniqueness claims (unique-claims.ts), taken before anything else is written. */
  claims?: WantedClaim[];
  /** Co-signatures (cosign.ts), written with the payloads. */
  marks?: CosignMark[];
  /** Index entries (S#, C#: lib/store-layout.ts), written with the payloads. */
  index?: IndexEntry[];
}

/** A claim a record of the batch must take, with where it came from (for error details). */
export interface WantedClaim {
  index: number;
  fields: readonly string[];
  claim: UniqueClaim;
  /**
   * The refusal when another record holds the claim (DUPLICATE_RECORD otherwise): a
   * cosign's claim on (entry, department) held by another is COSIGN_DUPLICATE.
   */
  duplicate?: () => ApiError;
}
