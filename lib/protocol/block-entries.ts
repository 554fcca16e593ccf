import type { LedgerEnvelope } from "#chain";

/**
 * GET /v1/blocks/{height}/entries?start=<i>: a sealed block's leaves as its pages file
 * them, each with its envelope and, where the caller may read it, its payload — what an
 * offline audit of the block needs besides GET /v1/blocks/{height} (docs/API.md;
 * `zhixin export`, docs/formats/export.md). A block holds up to 10,000 leaves and a
 * payload up to 64 KiB, so the leaves come in parts: from `start`, at most
 * MAX_BLOCK_ENTRIES_PER_ANSWER of them and about MAX_BLOCK_ENTRIES_BYTES of JSON (always
 * at least one leaf), and `next` is where the following part starts, null after the last.
 */

/** Leaves per answer at most: one page of the block (functions/store/ports.ts PAGE_SIZE). */
export const MAX_BLOCK_ENTRIES_PER_ANSWER = 1000;

/** An answer stops adding leaves past this much JSON: well inside Lambda's 6 MB response. */
export const MAX_BLOCK_ENTRIES_BYTES = 4 * 1024 * 1024;

/**
 * Whether a leaf's payload is in the answer: `included` (the caller may read it: the rule
 * of GET /v1/entries/{id}; key records' payloads always), `withheld` (it is stored, the
 * caller may not read it: its contentDigest still binds it), or `missing` (no payload is
 * stored under the entry's id: erased or lost, the audit's PAYLOAD_MISSING).
 */
export type PayloadStatus = "included" | "withheld" | "missing";

export interface BlockLeafView {
  /** Hex leaf hash, as the block's page stores it. */
  leafHash: string;
  /** The entry id the page files the leaf under. */
  id: string;
  /** The batch key `<keyId>#<nonce>` the page files the leaf under. */
  batchKey: string;
  /** The envelope with that id in that batch; null when the batch holds none. */
  envelope: LedgerEnvelope | null;
  /** The payload text as stored (RFC 8785 JSON of the record's data) when `included`, else null. */
  payload: string | null;
  payloadStatus: PayloadStatus;
}

export interface BlockEntriesView {
  height: number;
  /** Hex block hash: the leaves are the pages stored under it. */
  hash: string;
  /** Leaves the block's pages hold (header.count, for a block stored whole). */
  count: number;
  /** Block position of entries[0]. */
  start: number;
  entries: BlockLeafView[];
  /** Block position of the next part's first leaf; null when this part ends the block. */
  next: number | null;
}
