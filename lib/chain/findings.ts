/**
 * What an audit reports (ARCHITECTURE §8): the closed set of finding codes, a finding,
 * and the two time limits the received-time check holds an entry to.
 */

/**
 * The closed set of audit findings. docs/ERRORS.md and docs/FORMATS.md §6 explain each;
 * their tests compare those tables with this list, both ways.
 */
export const FINDING_CODES = [
  /** Header does not parse (fields missing, wrong form, logSize != first + count). */
  "HEADER_INVALID",
  /** Header's log origin is not the log being audited. */
  "LOG_MISMATCH",
  /** The genesis block records another crypto suite than the one the audit recomputes with (the trust root's, the consortium's). */
  "SUITE_MISMATCH",
  /** Heights do not run on by one: a block is missing, repeated or out of order. */
  "HEIGHT_MISMATCH",
  /** header.prev is not the hash of the previous block's header. */
  "PREV_HASH_MISMATCH",
  /** The stored block hash is not the hash of the stored header. */
  "BLOCK_HASH_MISMATCH",
  /** The sealer's header signature does not verify, or names another key than header.sealer. */
  "HEADER_SIGNATURE_INVALID",
  /** header.first is not the log size before this block. */
  "FIRST_INDEX_MISMATCH",
  /** The block's stored leaves (or entries) are not header.count in number. */
  "ENTRY_COUNT_MISMATCH",
  /** RFC 6962 root of the stored leaves differs from header.root. */
  "BLOCK_ROOT_MISMATCH",
  /** Cumulative log root after this block differs from header.logRoot. */
  "LOG_ROOT_MISMATCH",
  /** The stored compact range after this block is not the recomputed one. */
  "LOG_RANGE_MISMATCH",
  /** A leaf has no stored envelope. */
  "ENTRY_MISSING",
  /** An entry id occurs twice in the audited range, or two entries are the same signed request's (keyId, nonce, batch index). */
  "ENTRY_DUPLICATE",
  /** A stored envelope does not parse. */
  "ENVELOPE_INVALID",
  /** The leaf hash recomputed from the envelope differs from the block's leaf. */
  "LEAF_HASH_MISMATCH",
  /** The page's entry id for a leaf differs from the envelope's id. */
  "ENTRY_ID_MISMATCH",
  /** The page files a leaf under another batch key than its envelope's signed request, `<keyId>#<nonce>`. */
  "BATCH_KEY_MISMATCH",
  /** A page's `ids` or `batches` is not an array with one string per leaf of the page. */
  "PAGE_INVALID",
  /** The record's path to the signed batch root does not verify. */
  "BATCH_PROOF_INVALID",
  /** The stored signature base is not a submit request by this department, key and batch root. */
  "SIGNATURE_BASE_INVALID",
  /** The department's request signature does not verify. */
  "ENTRY_SIGNATURE_INVALID",
  /** A signature names a key the auditor does not know. */
  "KEY_UNKNOWN",
  /** The department key was not valid at the entry's receive time, by the trust bundle (an owner with no key on the ledger yet). */
  "KEY_NOT_VALID",
  /** By the ledger's key history, the key was not the owner's at the entry's receive time: before its add, or at or after its retire. */
  "KEY_NOT_VALID_AT_TIME",
  /** By the ledger's key history, the entry was received at or after its key's compromisedSince. */
  "KEY_REVOKED",
  /** A sealed key record that the key history's fold does not count (intake refuses such records). */
  "KEY_RECORD_REFUSED",
  /** The sealed key records are not the key history the auditor was given (the store's key index, an export's list): one is missing, extra or different. */
  "KEY_HISTORY_MISMATCH",
  /** The entry's receivedAt is outside [created − MAX_CLOCK_SKEW_SECONDS, created + MAX_CLOCK_SKEW_SECONDS + MAX_RECEIVE_DELAY_SECONDS]. */
  "RECEIVED_AT_INVALID",
  /** The stored payload does not hash to the envelope's contentDigest. */
  "PAYLOAD_DIGEST_MISMATCH",
  /** The payload is missing (when payload checks are on). */
  "PAYLOAD_MISSING",
  /** The block's checkpoint is malformed, unsigned, or not for this block's log size and root. */
  "CHECKPOINT_INVALID",
  /** A batch's stored seal position (height, offset) is not where its entries are sealed. */
  "BATCH_SEAL_MISMATCH",
  /** A zhixin.cosign entry names an entry that is not stored, or that has another contentDigest. */
  "COSIGN_TARGET_MISMATCH",
  /** An answered access entry names a contract version not in effect for its consumer, provider and type when it was received. */
  "ACCESS_CONTRACT_MISMATCH",
  /** The log is shorter than a checkpoint the auditor already trusts: blocks were removed. */
  "LOG_TRUNCATED",
  /** At a checkpoint the auditor trusts, the log has another root (or no block ends there): history was rewritten. */
  "LOG_REWRITTEN",
  /** The published checkpoint carries fewer valid witness cosignatures than the quorum (lib/witness quorum.ts). */
  "CHECKPOINT_UNWITNESSED",
  /** A cosignature line by one of the consortium's witness keys does not verify (lib/witness quorum.ts). */
  "WITNESS_SIGNATURE_INVALID",
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

/**
 * The API refuses a request whose signature `created` is more than this many seconds
 * from its receive time (ARCHITECTURE §5), so no honest entry is further apart: an entry
 * that is was moved in time after it was signed.
 */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/**
 * The API checks `created` against its clock first and reads `receivedAt` from the clock
 * later, once the request's own reads are done (a match reads the contract first, so
 * that every record its decision rests on was received before it). No request runs
 * longer than the HTTP API's 30 s integration limit, so an honest receivedAt is at most
 * this much later than the time `created` was checked against.
 */
export const MAX_RECEIVE_DELAY_SECONDS = 30;

export interface Finding {
  code: FindingCode;
  height?: number;
  /** Global log index of the entry concerned. */
  entryIndex?: number;
  entryId?: string;
  expected?: string;
  found?: string;
  message: string;
}
