import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BATCH_STORE_ACTIONS, DynamoDbBatches } from "./dynamodb/batches.js";
import { BLOCK_STORE_ACTIONS, DynamoDbBlocks } from "./dynamodb/blocks.js";
import { CLAIM_STORE_ACTIONS, DynamoDbClaims } from "./dynamodb/claims.js";
import { COSIGN_STORE_ACTIONS, DynamoDbCosignMarks } from "./dynamodb/cosign-marks.js";
import { COUNTER_STORE_ACTIONS, DynamoDbCounters } from "./dynamodb/counters.js";
import { DynamoDbEntryItems, ENTRY_ITEM_STORE_ACTIONS } from "./dynamodb/entry-items.js";
import { DynamoDbIndexEntries, INDEX_STORE_ACTIONS } from "./dynamodb/index-entries.js";
import { DynamoDbPayloads, PAYLOAD_STORE_ACTIONS } from "./dynamodb/payloads.js";
import { type StoreActions, TableClient, type TableClientOptions } from "./dynamodb/table-client.js";
import type {
  AuditSource,
  BatchHead,
  BlockPage,
  CosignMark,
  EntryItems,
  IndexEntry,
  LedgerStore,
  PendingBatchRef,
  RawBatch,
  RawBlock,
  RawPage,
  RawPayload,
  StoredBatch,
  StoredBlock,
  StoredPayload,
  UniqueClaim,
} from "./ports.js";

export { itemSizeBytes, MAX_ITEM_BYTES } from "./dynamodb/items.js";

/**
 * LedgerStore on one DynamoDB table (ARCHITECTURE.md §7; docs/STORAGE.md tells the life
 * of an entry through these items). Every write is a single-item write or an idempotent
 * batch of unconditional puts — no transactions, which dynalite does not have.
 *
 * One file per item family under dynamodb/, each showing the items it reads and writes:
 *
 *   item      pk                sk                    file
 *   payload   E#<entryId>       P                     payloads.ts
 *   batch     B#<keyId>#<nonce> B (head), E#<digest>  batches.ts (with the pending index gsi1)
 *   block     CHAIN             H#<height, 16 digits> blocks.ts
 *   page      G#<block hash>    P#<page, 6 digits>    blocks.ts
 *   claim     U#<unique key>    U                     claims.ts
 *   cosign    M#<target id>     <dept>                cosign-marks.ts
 *   index     S#… A#… C#…       <receivedAt>#<entryId> index-entries.ts
 *   counter   R#<counter>       <window>              counters.ts
 *
 * entry-items.ts writes a request's payloads, cosign marks, index entries and batch body
 * together (putEntryItems), each built by its own family's file.
 *
 * The two commit points are conditional puts — commitBatch (submit) and commitBlock
 * (seal); everything else is idempotent so a crashed caller can simply run again.
 * This class only composes the families, so callers hold one store.
 */

export type DynamoDbLedgerStoreOptions = TableClientOptions;

/**
 * What each store method sends: the families' own declarations, one entry per method of
 * the composed store (a method added without one does not compile). The CDK grants of
 * each function are checked against those of the methods its ports offer
 * (test/cdk/grants-drift.test.ts).
 */
export const STORE_ACTIONS = {
  ...PAYLOAD_STORE_ACTIONS,
  ...ENTRY_ITEM_STORE_ACTIONS,
  ...CLAIM_STORE_ACTIONS,
  ...COSIGN_STORE_ACTIONS,
  ...INDEX_STORE_ACTIONS,
  ...COUNTER_STORE_ACTIONS,
  ...BATCH_STORE_ACTIONS,
  ...BLOCK_STORE_ACTIONS,
} as const satisfies StoreActions<DynamoDbLedgerStore>;

export class DynamoDbLedgerStore implements LedgerStore, AuditSource {
  private readonly payloads: DynamoDbPayloads;
  private readonly entryItems: DynamoDbEntryItems;
  private readonly claims: DynamoDbClaims;
  private readonly cosignMarks: DynamoDbCosignMarks;
  private readonly indexEntries: DynamoDbIndexEntries;
  private readonly counters: DynamoDbCounters;
  private readonly batches: DynamoDbBatches;
  private readonly blocks: DynamoDbBlocks;

  /** `client` is created once at module scope by the caller and shared. */
  constructor(client: DynamoDBClient, tableName: string, options: DynamoDbLedgerStoreOptions = {}) {
    const table = new TableClient(client, tableName, options);
    this.payloads = new DynamoDbPayloads(table);
    this.entryItems = new DynamoDbEntryItems(table);
    this.claims = new DynamoDbClaims(table);
    this.cosignMarks = new DynamoDbCosignMarks(table);
    this.indexEntries = new DynamoDbIndexEntries(table);
    this.counters = new DynamoDbCounters(table);
    this.batches = new DynamoDbBatches(table);
    this.blocks = new DynamoDbBlocks(table);
  }

  // ---- a request's unconditional items, before its commit
  putEntryItems(items: EntryItems): Promise<void> {
    return this.entryItems.putEntryItems(items);
  }

  // ---- payloads
  deletePayloads(entryIds: readonly string[]): Promise<void> {
    return this.payloads.deletePayloads(entryIds);
  }
  getPayload(entryId: string): Promise<StoredPayload | undefined> {
    return this.payloads.getPayload(entryId);
  }
  getPayloads(entryIds: readonly string[]): Promise<StoredPayload[]> {
    return this.payloads.getPayloads(entryIds);
  }

  // ---- uniqueness claims
  claimUnique(claim: UniqueClaim): Promise<"claimed" | { holder: UniqueClaim }> {
    return this.claims.claimUnique(claim);
  }
  takeOverClaim(claim: UniqueClaim, holder: UniqueClaim): Promise<boolean> {
    return this.claims.takeOverClaim(claim, holder);
  }
  releaseClaims(claims: readonly UniqueClaim[]): Promise<void> {
    return this.claims.releaseClaims(claims);
  }
  getClaim(key: string): Promise<UniqueClaim | undefined> {
    return this.claims.getClaim(key);
  }

  // ---- co-signatures
  deleteCosignMarks(marks: readonly CosignMark[]): Promise<void> {
    return this.cosignMarks.deleteCosignMarks(marks);
  }
  listCosignMarks(target: string): Promise<CosignMark[]> {
    return this.cosignMarks.listCosignMarks(target);
  }

  // ---- index entries and request counters
  deleteIndexEntries(entries: readonly IndexEntry[]): Promise<void> {
    return this.indexEntries.deleteIndexEntries(entries);
  }
  listIndexEntries(
    index: string,
    options?: { newestFirst?: boolean; limit?: number },
  ): Promise<IndexEntry[]> {
    return this.indexEntries.listIndexEntries(index, options);
  }
  countRequest(counter: string, window: string, limit: number, expiresAt: number): Promise<boolean> {
    return this.counters.countRequest(counter, window, limit, expiresAt);
  }

  // ---- batches
  commitBatch(batch: StoredBatch): Promise<"committed" | "replayed"> {
    return this.batches.commitBatch(batch);
  }
  getBatch(key: string): Promise<StoredBatch | undefined> {
    return this.batches.getBatch(key);
  }
  getBatches(keys: readonly string[]): Promise<StoredBatch[]> {
    return this.batches.getBatches(keys);
  }
  getBatchHeads(keys: readonly string[]): Promise<BatchHead[]> {
    return this.batches.getBatchHeads(keys);
  }
  listPendingBatches(limit: number): Promise<PendingBatchRef[]> {
    return this.batches.listPendingBatches(limit);
  }
  markBatchSealed(key: string, height: number, offset: number): Promise<void> {
    return this.batches.markBatchSealed(key, height, offset);
  }

  // ---- blocks and pages
  commitBlock(block: StoredBlock): Promise<"committed" | "conflict"> {
    return this.blocks.commitBlock(block);
  }
  getLatestBlock(): Promise<StoredBlock | undefined> {
    return this.blocks.getLatestBlock();
  }
  getBlock(height: number): Promise<StoredBlock | undefined> {
    return this.blocks.getBlock(height);
  }
  listBlocks(fromHeight: number, toHeight: number): Promise<StoredBlock[]> {
    return this.blocks.listBlocks(fromHeight, toHeight);
  }
  markBlockFinished(height: number): Promise<void> {
    return this.blocks.markBlockFinished(height);
  }
  putBlockPages(blockHash: string, pages: readonly BlockPage[]): Promise<void> {
    return this.blocks.putBlockPages(blockHash, pages);
  }
  getBlockPages(blockHash: string, pageCount: number): Promise<BlockPage[]> {
    return this.blocks.getBlockPages(blockHash, pageCount);
  }

  // ---- AuditSource: lenient reads for auditors
  latestHeight(): Promise<number> {
    return this.blocks.latestHeight();
  }
  listRawBlocks(fromHeight: number, toHeight: number): Promise<RawBlock[]> {
    return this.blocks.listRawBlocks(fromHeight, toHeight);
  }
  getRawPages(blockHash: string, pageCount: number): Promise<RawPage[]> {
    return this.blocks.getRawPages(blockHash, pageCount);
  }
  getRawBatches(keys: readonly string[]): Promise<RawBatch[]> {
    return this.batches.getRawBatches(keys);
  }
  getRawPayloads(entryIds: readonly string[]): Promise<RawPayload[]> {
    return this.payloads.getRawPayloads(entryIds);
  }
}
