import type { BlockHeader, CompactRangeState, LedgerEnvelope } from "#chain";
import type { BlockSignature } from "../../lib/protocol/entries.js";

/**
 * Ports: the small interfaces the submit, seal and verify logic is written against.
 * Lambda wires them to DynamoDB and KMS; local mode to dynalite and key files; tests
 * wrap them to inject faults. Each contract below is what the logic relies on.
 */

/** A department's batch as committed by submit: the unit of replay protection and of sealing. */
export interface StoredBatch {
  /** `${keyId}#${nonce}` — one batch per (key, nonce), ever. */
  key: string;
  dept: string;
  keyId: string;
  nonce: string;
  /** Server receive time (RFC 3339, ms); with `key`, the sealer's deterministic order. */
  receivedAt: string;
  /**
   * The batch's entry envelopes, in batch order (envelopes[i].batch.index === i), or the
   * one access entry a match request made (its `key` is that request's keyId#nonce).
   */
  envelopes: LedgerEnvelope[];
  /** Set once the batch is in a committed block: its height and the block position of envelopes[0]. */
  sealed?: { height: number; offset: number };
}

/** A record's data, stored beside its envelope and bound to it by `contentDigest`. */
export interface StoredPayload {
  entryId: string;
  batchKey: string;
  dept: string;
  type: string;
  /** RFC 8785 canonical JSON text of the record data. */
  data: string;
}

export interface StoredBlock {
  header: BlockHeader;
  /** Hex hashBlockHeader(header). */
  hash: string;
  signature: BlockSignature;
  /** C2SP signed note for (header.log, header.logSize, header.logRoot), signed by the sealer. */
  checkpoint: string;
  /** Compact range of the global log after this block: what the next sealer extends. */
  logRange: CompactRangeState;
  /** Number of BlockPage items under this block's hash. */
  pageCount: number;
  /** Set once every batch of the block is marked sealed: later seals need not finish it. */
  finished?: boolean;
}

/** Up to PAGE_SIZE consecutive leaves of one block (keeps every item far below 400 KB). */
export interface BlockPage {
  /** 0-based page number; page p holds leaves [p*PAGE_SIZE, ...). */
  page: number;
  leafHashes: Uint8Array[];
  entryIds: string[];
  /** Batch key of each leaf, parallel to entryIds. */
  batchKeys: string[];
}

export const PAGE_SIZE = 1000;

/**
 * A record's claim on the values of its type's uniqueness key (unique-keys.ts). Written
 * before the record's payload and batch; it belongs to the record for good once the batch
 * `batchKey` exists (is committed). A claim whose batch does not exist is a submit in
 * progress, or one that crashed or was refused: after a lease it may be taken over.
 */
export interface UniqueClaim {
  /** Hex uniqueKeyFor(type, values). */
  key: string;
  /** The claiming request's batch key (`${keyId}#${nonce}`). */
  batchKey: string;
  /** The claiming record's entry id (derived from keyId, nonce, index and record). */
  entryId: string;
  /** When it was claimed (RFC 3339 UTC, ms): the start of its lease. */
  claimedAt: string;
}

/**
 * One co-signature of a multi-party record (cosign.ts), indexed under the record it signs
 * so that reading its signatures is one query. Written with the cosign's payload, before
 * its batch commits: a mark whose batch does not hold `entryId` is not a signature.
 */
export interface CosignMark {
  /** The signed record's entry id. */
  target: string;
  /** The co-signing department. */
  dept: string;
  /** The `zhixin.cosign` entry's id and batch key. */
  entryId: string;
  batchKey: string;
  receivedAt: string;
}

/**
 * A pointer from a lookup key to an entry, for the questions the ledger answers by key
 * rather than by id (docs/STORAGE.md "Index items"):
 *   S#<subjectHmac>   records about a subject (match: the latest effective record)
 *   A#<subjectHmac>   access entries about a subject (the access trail)
 *   C#<contractId>    a sharing contract's propose/approve/revoke records
 * Written before the entry's batch commits, like payloads, so a crash never leaves a
 * committed entry unindexed; an index entry whose batch does not hold `entryId` is a
 * submit that crashed or was refused, and readers skip it.
 */
export interface IndexEntry {
  index: string;
  entryId: string;
  batchKey: string;
  /** The entry's receive time (RFC 3339 UTC, ms): its batch's. */
  receivedAt: string;
  /** The entry's position in its batch: with (receivedAt, batchKey), its place in ledger order. */
  position: number;
  /** What readers filter on without reading the entry (type, dept, provider, ...), as strings. */
  attrs: Record<string, string>;
}

/** What index readers need of a committed batch: that it exists, when it arrived, which entries it holds. */
export interface BatchHead {
  key: string;
  receivedAt: string;
  entryIds: string[];
}

export interface PendingBatchRef {
  key: string;
  receivedAt: string;
}

/**
 * Everything the ledger persists, as one small port per item family so that a service
 * asks only for what it uses. Implementations: DynamoDbLedgerStore (AWS and local
 * dynalite), one file per family under dynamodb/. No method may rely on multi-item
 * transactions (dynalite has none): each write is one item, conditional where a
 * contract below says so, or an idempotent batch of unconditional ones.
 */
export type LedgerStore = PayloadStore &
  EntryItemStore &
  BatchStore &
  BlockStore &
  ClaimStore &
  CosignStore &
  IndexStore &
  CounterStore;

/**
 * Record data, keyed by entry id. Every write is unconditional and idempotent: an entry
 * id is derived from (keyId, nonce, index, record), so a retry rewrites identical items.
 * Payloads are written before their batch commits (EntryItemStore), so one without a
 * committed batch is a submit in progress, or one that crashed or was refused.
 */
export interface PayloadStore {
  /**
   * Deletes payload items by entry id. Only for undoing a refused submit's writes: the
   * caller must leave out every id the committed batch references (a replay of the same
   * records derives the same ids as the original, whose payloads must stay).
   */
  deletePayloads(entryIds: readonly string[]): Promise<void>;
  getPayload(entryId: string): Promise<StoredPayload | undefined>;
  /** Batch read of payloads (for audits); missing ids are left out. Order not guaranteed. */
  getPayloads(entryIds: readonly string[]): Promise<StoredPayload[]>;
}

/** What a request writes before its commit point: see EntryItemStore. */
export interface EntryItems {
  payloads?: readonly StoredPayload[];
  marks?: readonly CosignMark[];
  index?: readonly IndexEntry[];
  /**
   * The batch the request will commit: its body (the envelopes) is written here, so that
   * commitBatch writes only the small head. Required before commitBatch of this batch.
   */
  batch?: StoredBatch;
}

/**
 * The items of a request, across item families, written together before its
 * commitBatch: record payloads (and a match's access details), cosign marks, index
 * entries and the batch's body (its envelopes). Idempotent: payloads are keyed by
 * content-derived entry ids, marks and index entries by fields the request fixes, so a
 * retry rewrites identical items; a body is keyed by the digest of its envelopes and
 * created once (a retry with the same digest finds it there). No order among them is
 * kept, and none is needed — none is part of an entry until the batch commits, and every
 * reader skips those of uncommitted batches (a body is reached only through the head
 * that names it). A failure may leave any subset written: the request's undo, or
 * readers, handle that as for a crash.
 */
export interface EntryItemStore {
  /**
   * Throws RangeError for two different payloads under one entry id (identical
   * duplicates are written once), and for a batch commitBatch would refuse.
   */
  putEntryItems(items: EntryItems): Promise<void>;
}

/**
 * Batches: submit's commit point and the sealer's queue. Two conditional writes:
 * commitBatch (create only, the replay guard) and markBatchSealed (only if unsealed or
 * sealed at the same place, never a double seal). Reads are strongly consistent except
 * the pending list.
 */
export interface BatchStore {
  /**
   * Submit's commit point and replay guard in one conditional write: stores the batch's
   * head (and lists it as pending) only if no batch with this key exists. Requires its
   * body written first: putEntryItems({ batch }) of the same batch, finished — a head
   * committed without its body is a batch no one can read.
   */
  commitBatch(batch: StoredBatch): Promise<"committed" | "replayed">;
  /** Strongly consistent. */
  getBatch(key: string): Promise<StoredBatch | undefined>;
  /** Strongly consistent; missing keys are left out. Order not guaranteed. */
  getBatches(keys: readonly string[]): Promise<StoredBatch[]>;
  /**
   * getBatches without the envelopes (a 100-record batch's body is ~141 KB; its head is
   * ~5 KB): for readers that only ask whether an entry is committed.
   */
  getBatchHeads(keys: readonly string[]): Promise<BatchHead[]>;
  /**
   * Batches listed as pending, oldest first, at most `limit`. May be stale (a secondary
   * index): callers re-read with getBatches before acting.
   */
  listPendingBatches(limit: number): Promise<PendingBatchRef[]>;
  /**
   * Records that a batch is in block `height` at `offset` and takes it off the pending
   * list. Idempotent for the same height and offset; throws StoreInvariantError if the
   * batch is already sealed elsewhere (that would be a double seal) or does not exist.
   */
  markBatchSealed(key: string, height: number, offset: number): Promise<void>;
}

/**
 * Blocks and their leaf pages: sealing's commit point. One conditional write,
 * commitBlock (create only: no fork); markBlockFinished updates only an existing block;
 * pages are unconditional, keyed by block hash.
 */
export interface BlockStore {
  /** Strongly consistent. */
  getLatestBlock(): Promise<StoredBlock | undefined>;
  getBlock(height: number): Promise<StoredBlock | undefined>;
  /** Blocks with fromHeight <= height <= toHeight, ascending. */
  listBlocks(fromHeight: number, toHeight: number): Promise<StoredBlock[]>;
  /** Idempotent; keyed by block hash so a losing sealer's pages never touch the winner's. */
  putBlockPages(blockHash: string, pages: readonly BlockPage[]): Promise<void>;
  /** Pages of a block in page order (those that exist). */
  getBlockPages(blockHash: string, pageCount: number): Promise<BlockPage[]>;
  /** Sealing's commit point: conditional put of block `header.height`. */
  commitBlock(block: StoredBlock): Promise<"committed" | "conflict">;
  /**
   * Records that every batch of block `height` is marked sealed, so that later seals
   * skip re-reading them. Call only after all markBatchSealed calls succeeded. Idempotent.
   */
  markBlockFinished(height: number): Promise<void>;
}

/**
 * Uniqueness claims. Every write is conditional: create only if free, take over only
 * the exact claim read, release only one's own. Reads are strongly consistent.
 */
export interface ClaimStore {
  /**
   * Claims `claim.key` with one conditional write, only if nobody holds it; otherwise
   * returns the holder (read strongly consistently) — even when the holder is the same
   * request's same record: renewing is takeOverClaim's job.
   */
  claimUnique(claim: UniqueClaim): Promise<"claimed" | { holder: UniqueClaim }>;
  /**
   * Replaces `holder`'s claim by `claim` (same key) only if the stored claim is still
   * exactly `holder` (same batchKey, entryId and claimedAt); false when it changed or
   * is gone. Taking over one's own claim renews its lease.
   */
  takeOverClaim(claim: UniqueClaim, holder: UniqueClaim): Promise<boolean>;
  /**
   * Deletes claims, each only while it is still held by the given batchKey and entryId
   * (never one taken over since, nor one of the committed batch). Idempotent.
   */
  releaseClaims(claims: readonly UniqueClaim[]): Promise<void>;
  /** Strongly consistent. */
  getClaim(key: string): Promise<UniqueClaim | undefined>;
}

/**
 * Co-signature marks. Puts are unconditional, one mark per target and department, written
 * before commitBatch (EntryItemStore); a delete only removes a mark still naming its entry.
 */
export interface CosignStore {
  /** Deletes marks, each only while it still names the given entryId (undoing a refused submit). */
  deleteCosignMarks(marks: readonly CosignMark[]): Promise<void>;
  /** Every mark under `target` (committed or not), strongly consistent. */
  listCosignMarks(target: string): Promise<CosignMark[]>;
}

/**
 * Index entries (S#, A#, C#, K#). Unconditional and idempotent (keyed by index, receivedAt
 * and entry id), written before commitBatch (EntryItemStore); readers must keep only
 * entries whose batch holds them (committedIndexEntries).
 */
export interface IndexStore {
  /** Deletes index entries (undoing a refused submit); the caller leaves out those of committed entries. */
  deleteIndexEntries(entries: readonly IndexEntry[]): Promise<void>;
  /**
   * Entries under `index` (committed or not), oldest first (newest first with
   * `newestFirst`), at most `limit`. Strongly consistent.
   */
  listIndexEntries(index: string, options?: { newestFirst?: boolean; limit?: number }): Promise<IndexEntry[]>;
}

/** Fixed-window request counters: one conditional update per counted request. */
export interface CounterStore {
  /**
   * Counts one request against `counter` in fixed window `window`, only while the
   * window's count is below `limit` (one conditional update): false means the limit is
   * reached and nothing was counted. The counter item may be deleted after `expiresAt`
   * (epoch seconds; the table's TTL attribute).
   */
  countRequest(counter: string, window: string, limit: number, expiresAt: number): Promise<boolean>;
}

/**
 * What an auditor reads: the same items as LedgerStore, but nothing is validated
 * beyond the item's key, and nothing about its content throws. A corrupt or
 * tampered item must become an audit finding, not an error that hides every other
 * finding. Each field is `undefined` when it is missing or not of its stored type.
 */
export interface AuditSource {
  /** Height of the newest block item (0 when none), read from its key alone. */
  latestHeight(): Promise<number>;
  /** Block items with height from <= h <= to, ascending; `height` is read from the item's key. */
  listRawBlocks(fromHeight: number, toHeight: number): Promise<RawBlock[]>;
  /** Page items stored under a block hash, in page order. */
  getRawPages(blockHash: string, pageCount: number): Promise<RawPage[]>;
  /** Batches by key (each head with the envelopes of the body it names); missing keys are left out. */
  getRawBatches(keys: readonly string[]): Promise<RawBatch[]>;
  /** Payload items by entry id; missing ids are left out. */
  getRawPayloads(entryIds: readonly string[]): Promise<RawPayload[]>;
}

export interface RawBlock {
  height: number;
  header?: unknown;
  hash?: string;
  signature?: unknown;
  checkpoint?: string;
  logRange?: unknown;
  pageCount?: number;
}

export interface RawPage {
  page: number;
  /** The concatenated leaf hashes as stored (a length not a multiple of 32 is possible). */
  leaves?: Uint8Array;
  entryIds?: unknown;
  batchKeys?: unknown;
}

export interface RawBatch {
  key: string;
  /**
   * The stored envelopes JSON of the body the head names (of the head itself, for a batch
   * written before bodies existed), parsed but not validated; undefined if it is missing
   * or does not parse.
   */
  envelopes?: unknown;
  sealedHeight?: number;
  sealedOffset?: number;
}

export interface RawPayload {
  entryId: string;
  batchKey?: string;
  data?: string;
}

export class StoreInvariantError extends Error {
  override readonly name = "StoreInvariantError";
}
