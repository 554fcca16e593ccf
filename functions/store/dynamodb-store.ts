import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import {
  type BlockHeader,
  batchIndexOf,
  CompactRange,
  type CompactRangeState,
  canonicalJson,
  type LedgerEnvelope,
  parseBlockHeader,
  parseEntryEnvelope,
  SIGNATURE_ALGORITHMS,
} from "#chain";
import { mapLimit } from "../ledger/concurrency.js";
import {
  type AuditSource,
  type BatchHead,
  type BlockPage,
  type BlockSignature,
  type CosignMark,
  type IndexEntry,
  type LedgerStore,
  PAGE_SIZE,
  type PendingBatchRef,
  type RawBatch,
  type RawBlock,
  type RawPage,
  type RawPayload,
  type StoredBatch,
  type StoredBlock,
  type StoredPayload,
  StoreInvariantError,
  type UniqueClaim,
} from "./ports.js";
import {
  BATCH_PK_PREFIX,
  BLOCK_SK_PREFIX,
  CHAIN_PK,
  CLAIM_PK_PREFIX,
  COSIGN_PK_PREFIX,
  heightSortKey,
  INDEX_PREFIXES,
  type Item,
  type ItemKey,
  itemKeys,
  LEDGER_TABLE,
  MAX_PAGE_NUMBER,
  PAGE_SK_PREFIX,
  PAGES_PK_PREFIX,
  PAYLOAD_PK_PREFIX,
  PENDING_SHARDS,
  pageSortKey,
  pendingPartition,
  pendingShard,
  pendingSortKey,
  TTL_ATTRIBUTE,
} from "./table.js";

/**
 * LedgerStore on one DynamoDB table (ARCHITECTURE.md §7; docs/STORAGE.md tells the life
 * of an entry through these items). Every write is a single-item write or an idempotent
 * batch of unconditional puts — no transactions, which dynalite does not have.
 *
 *   item      pk                sk                    attributes
 *   payload   E#<entryId>       P                     dept type batch data(S: canonical JSON)
 *   batch     B#<keyId>#<nonce> B                     dept keyId nonce receivedAt
 *                                                     envelopes(S: canonical JSON array)
 *                                                     pending: gsi1pk=PENDING#<shard>
 *                                                              gsi1sk=<receivedAt>#<key>
 *                                                     sealed:  sealedHeight(N) sealedOffset(N)
 *   block     CHAIN             H#<height, 16 digits> height(N) header(S: canonical JSON) hash
 *                                                     signature(S: JSON) checkpoint
 *                                                     logRange(S: JSON) pageCount(N)
 *   page      G#<block hash>    P#<page, 6 digits>    leaves(B: 32-byte hashes concatenated)
 *                                                     ids(S: JSON array) batches(S: JSON array)
 *   claim     U#<unique key>    U                     batchKey entryId claimedAt
 *   cosign    M#<target id>     <dept>                entryId batchKey receivedAt
 *
 *   index gsi1 (gsi1pk, gsi1sk), KEYS_ONLY, sparse: exactly the pending batches.
 *
 * The two commit points are conditional puts — commitBatch (submit) and commitBlock
 * (seal); everything else is idempotent so a crashed caller can simply run again.
 */

export interface DynamoDbLedgerStoreOptions {
  /**
   * Items per Query request. Unset, DynamoDB fills each 1 MB page; tests set it low to
   * exercise the pagination loops without writing thousands of items.
   */
  queryPageLimit?: number;
}

/** DynamoDB refuses items over 400 KB; we refuse ours well before, with a clear message. */
export const MAX_ITEM_BYTES = 350 * 1024;

const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;
/** Batch requests in flight per call: enough for throughput, far below the SDK's 50 sockets. */
const PARALLEL_REQUESTS = 8;
/** Rounds in a row that may make no progress on Unprocessed{Items,Keys} before giving up. */
const MAX_STALLED_ROUNDS = 8;
const BACKOFF_BASE_MS = 25;
const BACKOFF_CAP_MS = 2_000;

const HEX64 = /^[0-9a-f]{64}$/;
/** RFC 3339 UTC with milliseconds: fixed width, so string order is time order (pendingSortKey). */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HASH_BYTES = 32;

const A = {
  pk: LEDGER_TABLE.partitionKey.name,
  sk: LEDGER_TABLE.sortKey.name,
  gsi1pk: LEDGER_TABLE.pendingIndex.partitionKey.name,
  gsi1sk: LEDGER_TABLE.pendingIndex.sortKey.name,
  sealedHeight: "sealedHeight",
  sealedOffset: "sealedOffset",
} as const;

// Condition pieces. Each names the race it closes where it is used.
/** The item does not exist yet: first writer wins, every later writer learns it lost. */
const ITEM_IS_NEW = "attribute_not_exists(#pk)";
const ITEM_EXISTS = "attribute_exists(#pk)";
const NOT_YET_SEALED = "(attribute_not_exists(#sealedHeight) AND attribute_not_exists(#sealedOffset))";
const SEALED_AT_SAME_PLACE = "(#sealedHeight = :height AND #sealedOffset = :offset)";
/** The claim is this very record's (same request, same record). */
const CLAIMED_BY_ME = "(#batchKey = :batchKey AND #entryId = :entryId)";
/** The claim is still exactly the one the caller read. */
const CLAIM_UNCHANGED =
  "(#batchKey = :oldBatchKey AND #entryId = :oldEntryId AND #claimedAt = :oldClaimedAt)";
const CLAIM_NAMES = { "#pk": "pk", "#batchKey": "batchKey", "#entryId": "entryId" } as const;
/** Rounds of claim-then-read before giving up when the holder keeps disappearing. */
const MAX_CLAIM_ROUNDS = 5;

export class DynamoDbLedgerStore implements LedgerStore, AuditSource {
  private readonly queryPageLimit: number | undefined;

  /** `client` is created once at module scope by the caller and shared. */
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    options: DynamoDbLedgerStoreOptions = {},
  ) {
    this.queryPageLimit = options.queryPageLimit;
  }

  // ---- payloads -------------------------------------------------------------------

  async putPayloads(payloads: readonly StoredPayload[]): Promise<void> {
    // Payload items are keyed by entry id, which is derived from (keyId, nonce, index,
    // record): a retried submit rewrites identical items, so no condition is needed.
    const byId = new Map<string, Item>();
    for (const p of payloads) {
      const item: Item = {
        ...itemKeys.payload(p.entryId),
        dept: { S: p.dept },
        type: { S: p.type },
        batch: { S: p.batchKey },
        data: { S: p.data },
      };
      assertItemFits(item, `payload ${p.entryId}`);
      const earlier = byId.get(p.entryId);
      // BatchWriteItem refuses duplicate keys; identical duplicates are harmless.
      if (earlier !== undefined && canonicalJson(earlier) !== canonicalJson(item)) {
        throw new RangeError(`two different payloads for entry ${p.entryId}`);
      }
      byId.set(p.entryId, item);
    }
    await this.batchPut([...byId.values()]);
  }

  async deletePayloads(entryIds: readonly string[]): Promise<void> {
    // Unconditional and idempotent. Payload ids are shared by every request with the same
    // (keyId, nonce, records), so the caller must first leave out the ids the committed
    // batch references (submit's removeOrphanPayloads does); the store cannot tell them apart.
    const unique = [...new Set(entryIds)];
    await this.batchWrite(
      unique.map((id): WriteRequest => ({ DeleteRequest: { Key: itemKeys.payload(id) } })),
    );
  }

  async getPayload(entryId: string): Promise<StoredPayload | undefined> {
    const item = await this.getItem(itemKeys.payload(entryId));
    return item && parsePayloadItem(item);
  }

  async getPayloads(entryIds: readonly string[]): Promise<StoredPayload[]> {
    const unique = [...new Set(entryIds)];
    const items = await this.batchGet(unique.map((id) => itemKeys.payload(id)));
    return items.map(parsePayloadItem);
  }

  // ---- uniqueness claims ----------------------------------------------------------

  async claimUnique(claim: UniqueClaim): Promise<"claimed" | { holder: UniqueClaim }> {
    const item = claimItem(claim);
    for (let round = 1; round <= MAX_CLAIM_ROUNDS; round++) {
      // Two submits of the same value race to create the claim; one wins, the other
      // learns who holds it. Even a retry of the claiming request gets the holder back
      // rather than rewriting it: a replay of a committed batch must change nothing, and
      // submit decides what a retry may renew.
      if (await this.putIfNew(item)) return "claimed";
      // Released between our write and this read: try again.
      const holder = await this.getClaim(claim.key);
      if (holder !== undefined) return { holder };
    }
    throw new Error(`claim ${claim.key} keeps changing hands; giving up after ${MAX_CLAIM_ROUNDS} rounds`);
  }

  async takeOverClaim(claim: UniqueClaim, holder: UniqueClaim): Promise<boolean> {
    if (claim.key !== holder.key) throw new RangeError(`claim ${claim.key} cannot take over ${holder.key}`);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: claimItem(claim),
          // CLAIM_UNCHANGED: two submits that both found the same stale claim race to
          // take it over; the first wins and changes it, so the second's condition
          // fails — and a holder that re-claimed (refreshed claimedAt) meanwhile keeps it.
          ConditionExpression: `${ITEM_EXISTS} AND ${CLAIM_UNCHANGED}`,
          ExpressionAttributeNames: { ...CLAIM_NAMES, "#claimedAt": "claimedAt" },
          ExpressionAttributeValues: {
            ":oldBatchKey": { S: holder.batchKey },
            ":oldEntryId": { S: holder.entryId },
            ":oldClaimedAt": { S: holder.claimedAt },
          },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async releaseClaims(claims: readonly UniqueClaim[]): Promise<void> {
    await mapLimit([...claims], PARALLEL_REQUESTS, async (claim) => {
      try {
        await this.client.send(
          new DeleteItemCommand({
            TableName: this.tableName,
            Key: itemKeys.claim(claim.key),
            // CLAIMED_BY_ME: between our claim and this release another submit may have
            // taken the claim over (our lease ran out), and a replay shares the original
            // request's batchKey: delete only what is still this record's own claim.
            ConditionExpression: CLAIMED_BY_ME,
            ExpressionAttributeNames: { "#batchKey": "batchKey", "#entryId": "entryId" },
            ExpressionAttributeValues: {
              ":batchKey": { S: claim.batchKey },
              ":entryId": { S: claim.entryId },
            },
          }),
        );
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    });
  }

  async getClaim(key: string): Promise<UniqueClaim | undefined> {
    const item = await this.getItem(itemKeys.claim(key));
    return item && parseClaimItem(item);
  }

  // ---- co-signatures --------------------------------------------------------------

  async putCosignMarks(marks: readonly CosignMark[]): Promise<void> {
    // Unconditional: a retried submit rewrites identical marks, and the cosign's
    // uniqueness claim (cosign.ts) already decided which submit may write this one.
    await this.batchPut(marks.map(cosignItem));
  }

  async deleteCosignMarks(marks: readonly CosignMark[]): Promise<void> {
    await mapLimit([...marks], PARALLEL_REQUESTS, async (mark) => {
      try {
        await this.client.send(
          new DeleteItemCommand({
            TableName: this.tableName,
            Key: itemKeys.cosign(mark.target, mark.dept),
            // Only while it is still this record's mark: a committed cosign's must stay.
            ConditionExpression: "#entryId = :entryId",
            ExpressionAttributeNames: { "#entryId": "entryId" },
            ExpressionAttributeValues: { ":entryId": { S: mark.entryId } },
          }),
        );
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    });
  }

  async listCosignMarks(target: string): Promise<CosignMark[]> {
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": A.pk },
      ExpressionAttributeValues: { ":pk": { S: COSIGN_PK_PREFIX + target } },
      ConsistentRead: true,
    };
    const out: CosignMark[] = [];
    for await (const item of this.query(input)) out.push(parseCosignItem(item));
    return out;
  }

  // ---- index entries and request counters ------------------------------------------

  async putIndexEntries(entries: readonly IndexEntry[]): Promise<void> {
    // Keyed by (index, receivedAt, entry id), all fixed by the request: a retried submit
    // rewrites identical items, so no condition is needed.
    const byKey = new Map<string, Item>();
    for (const e of entries) {
      const item = indexItem(e);
      byKey.set(`${item[A.pk]?.S}\n${item[A.sk]?.S}`, item);
    }
    await this.batchPut([...byKey.values()]);
  }

  async deleteIndexEntries(entries: readonly IndexEntry[]): Promise<void> {
    const keys = new Map<string, ItemKey>();
    for (const e of entries) {
      const key = itemKeys.index(e.index, e.receivedAt, e.entryId);
      keys.set(`${key.pk.S}\n${key.sk.S}`, key);
    }
    await this.batchWrite([...keys.values()].map((Key): WriteRequest => ({ DeleteRequest: { Key } })));
  }

  async listIndexEntries(
    index: string,
    options: { newestFirst?: boolean; limit?: number } = {},
  ): Promise<IndexEntry[]> {
    checkIndexName(index);
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": A.pk },
      ExpressionAttributeValues: { ":pk": { S: index } },
      ScanIndexForward: !options.newestFirst,
      ConsistentRead: true,
    };
    const out: IndexEntry[] = [];
    for await (const item of this.query(input, options.limit)) out.push(parseIndexItem(item));
    return out;
  }

  async countRequest(counter: string, window: string, limit: number, expiresAt: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: itemKeys.counter(counter, window),
          // One conditional ADD: concurrent requests cannot both take the last slot.
          UpdateExpression: "ADD #n :one SET #ttl = :ttl",
          ConditionExpression: "attribute_not_exists(#n) OR #n < :limit",
          ExpressionAttributeNames: { "#n": "n", "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ":one": { N: "1" },
            ":limit": { N: String(limit) },
            ":ttl": { N: String(expiresAt) },
          },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  // ---- batches --------------------------------------------------------------------

  async commitBatch(batch: StoredBatch): Promise<"committed" | "replayed"> {
    // Replay guard and commit point in one write: two submits with the same
    // (keyId, nonce) — a replay, or a client retry racing the original — cannot both
    // create the batch, and the loser must not overwrite the winner's envelopes.
    return (await this.putIfNew(batchItem(batch))) ? "committed" : "replayed";
  }

  async getBatch(key: string): Promise<StoredBatch | undefined> {
    const item = await this.getItem(itemKeys.batch(key));
    return item && parseBatchItem(item);
  }

  async getBatches(keys: readonly string[]): Promise<StoredBatch[]> {
    const unique = [...new Set(keys)];
    const items = await this.batchGet(unique.map((k) => itemKeys.batch(k)));
    return items.map(parseBatchItem);
  }

  async getBatchHeads(keys: readonly string[]): Promise<BatchHead[]> {
    const unique = [...new Set(keys)];
    // Items written before entry ids were kept beside the envelopes lack `ids`: those
    // are read whole.
    const heads = await this.batchGet(
      unique.map((k) => itemKeys.batch(k)),
      "#pk, receivedAt, ids",
      { "#pk": A.pk },
    );
    const whole = heads
      .filter((i) => i.ids === undefined)
      .map((i) => i[A.pk]?.S?.slice(BATCH_PK_PREFIX.length) ?? "");
    const old = whole.length > 0 ? await this.getBatches(whole) : [];
    return [
      ...heads.filter((i) => i.ids !== undefined).map(parseBatchHead),
      ...old.map((b) => ({ key: b.key, receivedAt: b.receivedAt, entryIds: b.envelopes.map((e) => e.id) })),
    ];
  }

  async listPendingBatches(limit: number): Promise<PendingBatchRef[]> {
    assertCount(limit, "limit");
    if (limit === 0) return [];
    const shards = Array.from({ length: PENDING_SHARDS }, (_, shard) => this.oldestPending(shard, limit));
    const refs = (await Promise.all(shards)).flat();
    // Each shard is in gsi1sk order; merging by the same bytes gives the global order.
    refs.sort((a, b) => compareUtf8(a.sortKey, b.sortKey));
    return refs.slice(0, limit).map(({ key, receivedAt }) => ({ key, receivedAt }));
  }

  private async oldestPending(
    shard: number,
    limit: number,
  ): Promise<Array<PendingBatchRef & { sortKey: string }>> {
    const out: Array<PendingBatchRef & { sortKey: string }> = [];
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: LEDGER_TABLE.pendingIndex.indexName,
      KeyConditionExpression: "#gpk = :shard",
      ExpressionAttributeNames: { "#gpk": A.gsi1pk },
      ExpressionAttributeValues: { ":shard": { S: pendingPartition(shard) } },
      ScanIndexForward: true,
    };
    for await (const item of this.query(input, limit)) out.push(parsePendingRef(item));
    return out;
  }

  async markBatchSealed(key: string, height: number, offset: number): Promise<void> {
    assertCount(height, "height", 1);
    assertCount(offset, "offset");
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: itemKeys.batch(key),
          // Setting the seal and dropping the index attributes in one write takes the
          // batch off the pending list exactly when it is recorded as sealed.
          UpdateExpression: "SET #sealedHeight = :height, #sealedOffset = :offset REMOVE #gpk, #gsk",
          // ITEM_EXISTS: an update would otherwise create a bare batch item out of nothing.
          // NOT_YET_SEALED OR SEALED_AT_SAME_PLACE: a sealer finishing a crashed run may
          // repeat this write, but a batch already in another block must never be moved
          // (or counted twice) by a sealer that built a block from a stale pending list.
          ConditionExpression: `${ITEM_EXISTS} AND (${NOT_YET_SEALED} OR ${SEALED_AT_SAME_PLACE})`,
          ExpressionAttributeNames: {
            "#pk": A.pk,
            "#sealedHeight": A.sealedHeight,
            "#sealedOffset": A.sealedOffset,
            "#gpk": A.gsi1pk,
            "#gsk": A.gsi1sk,
          },
          ExpressionAttributeValues: { ":height": { N: String(height) }, ":offset": { N: String(offset) } },
          // DynamoDB returns the item with the failure; dynalite ignores this and we GetItem.
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = err.Item ?? (await this.getItem(itemKeys.batch(key)));
      throw sealRefusal(key, height, offset, current);
    }
  }

  // ---- blocks ---------------------------------------------------------------------

  async commitBlock(block: StoredBlock): Promise<"committed" | "conflict"> {
    // Sealing's commit point: two sealers that both read block h as the latest race to
    // put h+1; exactly one succeeds, the other must stop — no fork, and the loser's
    // header never overwrites the winner's.
    return (await this.putIfNew(blockItem(block))) ? "committed" : "conflict";
  }

  async getLatestBlock(): Promise<StoredBlock | undefined> {
    const res = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "#pk = :chain AND begins_with(#sk, :blocks)",
        ExpressionAttributeNames: { "#pk": A.pk, "#sk": A.sk },
        ExpressionAttributeValues: { ":chain": { S: CHAIN_PK }, ":blocks": { S: BLOCK_SK_PREFIX } },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = res.Items?.[0];
    return item && parseBlockItem(item);
  }

  async getBlock(height: number): Promise<StoredBlock | undefined> {
    assertCount(height, "height");
    const item = await this.getItem(itemKeys.block(height));
    return item && parseBlockItem(item);
  }

  async listBlocks(fromHeight: number, toHeight: number): Promise<StoredBlock[]> {
    assertCount(fromHeight, "fromHeight");
    assertCount(toHeight, "toHeight");
    if (fromHeight > toHeight) return [];
    const blocks: StoredBlock[] = [];
    const input = this.blockRangeQuery(fromHeight, toHeight);
    for await (const item of this.query(input)) blocks.push(parseBlockItem(item));
    return blocks;
  }

  async markBlockFinished(height: number): Promise<void> {
    assertCount(height, "height");
    // Only ever set on an existing block (never creates one), and setting it twice is harmless.
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: itemKeys.block(height),
        UpdateExpression: "SET #finished = :true",
        ConditionExpression: ITEM_EXISTS,
        ExpressionAttributeNames: { "#pk": A.pk, "#finished": "finished" },
        ExpressionAttributeValues: { ":true": { BOOL: true } },
      }),
    );
  }

  async putBlockPages(blockHash: string, pages: readonly BlockPage[]): Promise<void> {
    // Unconditional: pages live under the block hash, so a losing sealer's pages land
    // beside (never over) the winner's, and a rerun rewrites identical items.
    const seen = new Set<number>();
    const items = pages.map((page) => {
      if (seen.has(page.page)) throw new RangeError(`page ${page.page} given twice`);
      seen.add(page.page);
      return pageItem(blockHash, page);
    });
    await this.batchPut(items);
  }

  async getBlockPages(blockHash: string, pageCount: number): Promise<BlockPage[]> {
    assertCount(pageCount, "pageCount");
    if (pageCount === 0) return [];
    const pages: BlockPage[] = [];
    const input = this.pagesQuery(blockHash, pageCount);
    for await (const item of this.query(input)) pages.push(parsePageItem(item));
    return pages;
  }

  // ---- AuditSource: lenient reads for auditors ------------------------------------

  async latestHeight(): Promise<number> {
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: "#pk = :chain",
      ExpressionAttributeNames: { "#pk": A.pk, "#sk": A.sk },
      ExpressionAttributeValues: { ":chain": { S: CHAIN_PK } },
      ScanIndexForward: false,
      ConsistentRead: true,
      ProjectionExpression: "#pk, #sk",
    };
    for await (const item of this.query(input, 1)) {
      const height = Number((item[A.sk]?.S ?? "").slice(BLOCK_SK_PREFIX.length));
      return Number.isSafeInteger(height) ? height : 0;
    }
    return 0;
  }

  async listRawBlocks(fromHeight: number, toHeight: number): Promise<RawBlock[]> {
    assertCount(fromHeight, "fromHeight");
    assertCount(toHeight, "toHeight");
    if (fromHeight > toHeight) return [];
    const blocks: RawBlock[] = [];
    const input = this.blockRangeQuery(fromHeight, toHeight);
    for await (const item of this.query(input)) {
      const height = Number((item[A.sk]?.S ?? "").slice(BLOCK_SK_PREFIX.length));
      if (!Number.isSafeInteger(height)) continue;
      blocks.push({
        height,
        header: lenientJson(item.header),
        hash: item.hash?.S,
        signature: lenientJson(item.signature),
        checkpoint: item.checkpoint?.S,
        logRange: lenientJson(item.logRange),
        pageCount: lenientInteger(item.pageCount),
      });
    }
    return blocks;
  }

  async getRawPages(blockHash: string, pageCount: number): Promise<RawPage[]> {
    if (!Number.isSafeInteger(pageCount) || pageCount <= 0) return [];
    const pages: RawPage[] = [];
    const input = this.pagesQuery(blockHash, pageCount);
    for await (const item of this.query(input)) {
      pages.push({
        page: Number((item[A.sk]?.S ?? "").slice(PAGE_SK_PREFIX.length)),
        leaves: item.leaves?.B,
        entryIds: lenientJson(item.ids),
        batchKeys: lenientJson(item.batches),
      });
    }
    return pages;
  }

  async getRawBatches(keys: readonly string[]): Promise<RawBatch[]> {
    const items = await this.batchGet([...new Set(keys)].map((k) => itemKeys.batch(k)));
    return items.map((item) => ({
      key: (item[A.pk]?.S ?? "").slice(BATCH_PK_PREFIX.length),
      envelopes: lenientJson(item.envelopes),
      sealedHeight: lenientInteger(item[A.sealedHeight]),
      sealedOffset: lenientInteger(item[A.sealedOffset]),
    }));
  }

  async getRawPayloads(entryIds: readonly string[]): Promise<RawPayload[]> {
    const items = await this.batchGet([...new Set(entryIds)].map((id) => itemKeys.payload(id)));
    return items.map((item) => ({
      entryId: (item[A.pk]?.S ?? "").slice(PAYLOAD_PK_PREFIX.length),
      batchKey: item.batch?.S,
      data: item.data?.S,
    }));
  }

  // ---- DynamoDB plumbing ----------------------------------------------------------

  /** Block items with heights from..to, ascending, strongly consistent. */
  private blockRangeQuery(fromHeight: number, toHeight: number): QueryCommandInput {
    return {
      TableName: this.tableName,
      KeyConditionExpression: "#pk = :chain AND #sk BETWEEN :from AND :to",
      ExpressionAttributeNames: { "#pk": A.pk, "#sk": A.sk },
      ExpressionAttributeValues: {
        ":chain": { S: CHAIN_PK },
        ":from": { S: heightSortKey(fromHeight) },
        ":to": { S: heightSortKey(toHeight) },
      },
      ConsistentRead: true,
    };
  }

  /** Page items 0..pageCount-1 under a block hash, in page order, strongly consistent. */
  private pagesQuery(blockHash: string, pageCount: number): QueryCommandInput {
    return {
      TableName: this.tableName,
      KeyConditionExpression: "#pk = :block AND #sk BETWEEN :first AND :last",
      ExpressionAttributeNames: { "#pk": A.pk, "#sk": A.sk },
      ExpressionAttributeValues: {
        ":block": { S: itemKeys.page(blockHash, 0).pk.S },
        ":first": { S: pageSortKey(0) },
        ":last": { S: pageSortKey(Math.min(pageCount - 1, MAX_PAGE_NUMBER)) },
      },
      ConsistentRead: true,
    };
  }

  /** PutItem only if no item has this key yet; false when one does. */
  private async putIfNew(item: Item): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: ITEM_IS_NEW,
          ExpressionAttributeNames: { "#pk": A.pk },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  private async getItem(key: ItemKey): Promise<Item | undefined> {
    const res = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return res.Item;
  }

  /** Every item of a Query, following LastEvaluatedKey; stops after `max` items if given. */
  private async *query(input: QueryCommandInput, max?: number): AsyncGenerator<Item> {
    let startKey: Record<string, AttributeValue> | undefined;
    let yielded = 0;
    do {
      const wanted = max === undefined ? undefined : max - yielded;
      const limit = minDefined(this.queryPageLimit, wanted);
      const res = await this.client.send(
        new QueryCommand({
          ...input,
          ...(limit === undefined ? {} : { Limit: limit }),
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of res.Items ?? []) {
        yield item;
        if (++yielded === max) return;
      }
      startKey = res.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  private async batchPut(items: readonly Item[]): Promise<void> {
    await this.batchWrite(items.map((Item): WriteRequest => ({ PutRequest: { Item } })));
  }

  /** Unconditional puts/deletes, 25 per BatchWriteItem, retrying UnprocessedItems. Keys must be distinct. */
  private async batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    await mapLimit(chunk(requests, BATCH_WRITE_MAX), PARALLEL_REQUESTS, (chunkRequests) =>
      retryUnprocessed(chunkRequests, async (pending) => {
        const res = await this.client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        return { done: [], left: res.UnprocessedItems?.[this.tableName] ?? [] };
      }),
    );
  }

  /**
   * Strongly consistent reads, 100 keys per BatchGetItem, retrying UnprocessedKeys
   * (DynamoDB returns at most 16 MB per call, dynalite ~1.4 MB). Keys must be distinct.
   */
  /** BatchGetItem in chunks of 100, retrying UnprocessedKeys; `projection` reads only those attributes. */
  private async batchGet(
    keys: readonly ItemKey[],
    projection?: string,
    names?: Record<string, string>,
  ): Promise<Item[]> {
    const results = await mapLimit(chunk(keys, BATCH_GET_MAX), PARALLEL_REQUESTS, (chunkKeys) =>
      retryUnprocessed<Record<string, AttributeValue>, Item>(chunkKeys, async (pending) => {
        const res = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: pending,
                ConsistentRead: true,
                ...(projection ? { ProjectionExpression: projection, ExpressionAttributeNames: names } : {}),
              },
            },
          }),
        );
        return {
          done: res.Responses?.[this.tableName] ?? [],
          left: res.UnprocessedKeys?.[this.tableName]?.Keys ?? [],
        };
      }),
    );
    return results.flat();
  }
}

// ---- retries --------------------------------------------------------------------

/**
 * Runs `round` until nothing is left over. Backs off (exponential, full jitter) only
 * after rounds that made no progress — throttling — and gives up after
 * MAX_STALLED_ROUNDS of them; rounds cut short by a response-size limit retry at once.
 */
async function retryUnprocessed<Req, Res>(
  requests: readonly Req[],
  round: (pending: Req[]) => Promise<{ done: Res[]; left: Req[] }>,
): Promise<Res[]> {
  const results: Res[] = [];
  let pending = [...requests];
  let stalled = 0;
  while (pending.length > 0) {
    const { done, left } = await round(pending);
    results.push(...done);
    if (left.length < pending.length) stalled = 0;
    else if (++stalled > MAX_STALLED_ROUNDS) {
      throw new Error(`DynamoDB left ${left.length} requests unprocessed after ${stalled} rounds`);
    }
    pending = left;
    if (pending.length > 0 && stalled > 0) {
      const capMs = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** stalled);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * capMs));
    }
  }
  return results;
}

// ---- item encoding --------------------------------------------------------------
//
// Writers check what readers will check, so nothing is stored that cannot be read
// back. Readers treat any deviation as corruption (StoreInvariantError naming the item)
// rather than return something half-parsed.

function batchItem(batch: StoredBatch): Item {
  if (batch.key !== `${batch.keyId}#${batch.nonce}`) {
    throw new RangeError(`batch key ${batch.key} is not ${batch.keyId}#${batch.nonce}`);
  }
  if (!TIMESTAMP.test(batch.receivedAt)) {
    throw new RangeError(`batch receivedAt ${batch.receivedAt} is not RFC 3339 UTC with milliseconds`);
  }
  if (batch.sealed !== undefined) throw new RangeError("a batch is committed unsealed");
  if (batch.envelopes.length === 0) throw new RangeError("a batch has at least one envelope");
  const envelopes = batch.envelopes.map((e, i) => {
    const parsed = parseEntryEnvelope(e);
    if (batchIndexOf(parsed) !== i)
      throw new RangeError(`envelope ${i} has batch index ${batchIndexOf(parsed)}`);
    return parsed;
  });
  const item: Item = {
    ...itemKeys.batch(batch.key),
    dept: { S: batch.dept },
    keyId: { S: batch.keyId },
    nonce: { S: batch.nonce },
    receivedAt: { S: batch.receivedAt },
    envelopes: { S: canonicalJson(envelopes) },
    // The entry ids again, so that getBatchHeads can answer "is it committed?" without the envelopes.
    ids: { S: JSON.stringify(envelopes.map((e) => e.id)) },
    [A.gsi1pk]: { S: pendingPartition(pendingShard(batch.key)) },
    [A.gsi1sk]: { S: pendingSortKey(batch.receivedAt, batch.key) },
  };
  // A batch is at most 100 envelopes of ~1.5 KB (~150 KB), so this never fires for a
  // batch the submit API accepted; it stops a future change from meeting DynamoDB's
  // 400 KB limit as an opaque ValidationException.
  assertItemFits(item, `batch ${batch.key}`);
  return item;
}

function parseBatchItem(item: Item): StoredBatch {
  return decode(item, (r) => {
    const key = r.keyAfter(A.pk, BATCH_PK_PREFIX);
    const keyId = r.string("keyId");
    const nonce = r.string("nonce");
    if (key !== `${keyId}#${nonce}`) throw new Error(`key is not ${keyId}#${nonce}`);
    const raw = r.json("envelopes");
    if (!Array.isArray(raw) || raw.length === 0) throw new Error("envelopes is not a non-empty array");
    const envelopes: LedgerEnvelope[] = raw.map((value: unknown, i) => {
      const e = parseEntryEnvelope(value);
      if (batchIndexOf(e) !== i) throw new Error(`envelope ${i} has batch index ${batchIndexOf(e)}`);
      return e;
    });
    const height = r.optionalInteger(A.sealedHeight);
    const offset = r.optionalInteger(A.sealedOffset);
    if ((height === undefined) !== (offset === undefined)) throw new Error("half-sealed");
    const batch: StoredBatch = {
      key,
      dept: r.string("dept"),
      keyId,
      nonce,
      receivedAt: r.string("receivedAt"),
      envelopes,
    };
    if (height !== undefined && offset !== undefined) batch.sealed = { height, offset };
    return batch;
  });
}

function parseBatchHead(item: Item): BatchHead {
  return decode(item, (r) => ({
    key: r.keyAfter(A.pk, BATCH_PK_PREFIX),
    receivedAt: r.string("receivedAt"),
    entryIds: r.stringArray("ids"),
  }));
}

function parsePendingRef(item: Item): PendingBatchRef & { sortKey: string } {
  return decode(item, (r) => {
    const key = r.keyAfter(A.pk, BATCH_PK_PREFIX);
    const sortKey = r.string(A.gsi1sk);
    const suffix = `#${key}`;
    const receivedAt = sortKey.slice(0, sortKey.length - suffix.length);
    if (!sortKey.endsWith(suffix) || !TIMESTAMP.test(receivedAt)) {
      throw new Error(`${A.gsi1sk} ${sortKey} is not <receivedAt>#${key}`);
    }
    return { key, receivedAt, sortKey };
  });
}

function claimItem(claim: UniqueClaim): Item {
  if (!HEX64.test(claim.key)) throw new RangeError("a unique key is 64 lowercase hex digits");
  if (!TIMESTAMP.test(claim.claimedAt)) {
    throw new RangeError(`claimedAt ${claim.claimedAt} is not RFC 3339 UTC with milliseconds`);
  }
  return {
    ...itemKeys.claim(claim.key),
    batchKey: { S: claim.batchKey },
    entryId: { S: claim.entryId },
    claimedAt: { S: claim.claimedAt },
  };
}

function parseClaimItem(item: Item): UniqueClaim {
  return decode(item, (r) => {
    const claimedAt = r.string("claimedAt");
    if (!TIMESTAMP.test(claimedAt)) throw new Error(`claimedAt ${claimedAt} is not RFC 3339 UTC`);
    return {
      key: r.keyAfter(A.pk, CLAIM_PK_PREFIX),
      batchKey: r.string("batchKey"),
      entryId: r.string("entryId"),
      claimedAt,
    };
  });
}

function cosignItem(mark: CosignMark): Item {
  return {
    ...itemKeys.cosign(mark.target, mark.dept),
    entryId: { S: mark.entryId },
    batchKey: { S: mark.batchKey },
    receivedAt: { S: mark.receivedAt },
  };
}

function parseCosignItem(item: Item): CosignMark {
  return decode(item, (r) => ({
    target: r.keyAfter(A.pk, COSIGN_PK_PREFIX),
    dept: r.string(A.sk),
    entryId: r.string("entryId"),
    batchKey: r.string("batchKey"),
    receivedAt: r.string("receivedAt"),
  }));
}

function checkIndexName(index: string): void {
  if (!INDEX_PREFIXES.some((p) => index.startsWith(p) && index.length > p.length)) {
    throw new RangeError(`index ${index} does not start with one of ${INDEX_PREFIXES.join(", ")}`);
  }
}

function indexItem(e: IndexEntry): Item {
  checkIndexName(e.index);
  if (!TIMESTAMP.test(e.receivedAt))
    throw new RangeError(`index entry receivedAt ${e.receivedAt} is not RFC 3339 UTC, ms`);
  const item: Item = {
    ...itemKeys.index(e.index, e.receivedAt, e.entryId),
    entryId: { S: e.entryId },
    batchKey: { S: e.batchKey },
    receivedAt: { S: e.receivedAt },
    position: { N: String(e.position) },
    attrs: { S: JSON.stringify(e.attrs) },
  };
  assertItemFits(item, `index entry ${e.index} / ${e.entryId}`);
  return item;
}

function parseIndexItem(item: Item): IndexEntry {
  return decode(item, (r) => {
    const attrs = r.json("attrs") as Record<string, unknown>;
    if (
      typeof attrs !== "object" ||
      attrs === null ||
      !Object.values(attrs).every((v) => typeof v === "string")
    )
      throw new Error("attrs is not a JSON object of strings");
    return {
      index: r.string(A.pk),
      entryId: r.string("entryId"),
      batchKey: r.string("batchKey"),
      receivedAt: r.string("receivedAt"),
      position: r.integer("position"),
      attrs: attrs as Record<string, string>,
    };
  });
}

function parsePayloadItem(item: Item): StoredPayload {
  return decode(item, (r) => ({
    entryId: r.keyAfter(A.pk, PAYLOAD_PK_PREFIX),
    batchKey: r.string("batch"),
    dept: r.string("dept"),
    type: r.string("type"),
    data: r.string("data"),
  }));
}

function blockItem(block: StoredBlock): Item {
  const header = parseBlockHeader(block.header);
  if (!HEX64.test(block.hash)) throw new RangeError("block hash must be 64 lowercase hex digits");
  assertCount(block.pageCount, "pageCount");
  const item: Item = {
    ...itemKeys.block(header.height),
    height: { N: String(header.height) },
    header: { S: canonicalJson(header) },
    hash: { S: block.hash },
    signature: { S: canonicalJson(checkSignature(block.signature)) },
    checkpoint: { S: block.checkpoint },
    logRange: { S: canonicalJson(CompactRange.fromState(block.logRange).state()) },
    pageCount: { N: String(block.pageCount) },
  };
  assertItemFits(item, `block ${header.height}`);
  return item;
}

function parseBlockItem(item: Item): StoredBlock {
  return decode(item, (r) => {
    const header: BlockHeader = parseBlockHeader(r.json("header"));
    if (r.string(A.sk) !== heightSortKey(header.height) || r.integer("height") !== header.height) {
      throw new Error(`holds the header of height ${header.height}`);
    }
    const hash = r.string("hash");
    if (!HEX64.test(hash)) throw new Error("hash is not 64 hex digits");
    const logRange: CompactRangeState = CompactRange.fromState(
      r.json("logRange") as CompactRangeState,
    ).state();
    return {
      header,
      hash,
      signature: checkSignature(r.json("signature")),
      checkpoint: r.string("checkpoint"),
      logRange,
      pageCount: r.integer("pageCount"),
      ...(item.finished?.BOOL === true ? { finished: true } : {}),
    };
  });
}

function checkSignature(value: unknown): BlockSignature {
  const s = value as Partial<Record<keyof BlockSignature, unknown>> | null;
  if (
    typeof s !== "object" ||
    s === null ||
    typeof s.keyId !== "string" ||
    typeof s.value !== "string" ||
    !(SIGNATURE_ALGORITHMS as readonly unknown[]).includes(s.alg)
  ) {
    throw new RangeError("block signature must be { keyId, alg, value }");
  }
  return { keyId: s.keyId, alg: s.alg as BlockSignature["alg"], value: s.value };
}

function pageItem(blockHash: string, page: BlockPage): Item {
  assertCount(page.page, "page number");
  if (page.page > MAX_PAGE_NUMBER) throw new RangeError(`page number ${page.page} > ${MAX_PAGE_NUMBER}`);
  const n = page.leafHashes.length;
  if (n === 0 || n > PAGE_SIZE)
    throw new RangeError(`page ${page.page} has ${n} leaves, want 1..${PAGE_SIZE}`);
  if (page.entryIds.length !== n || page.batchKeys.length !== n) {
    throw new RangeError(
      `page ${page.page}: ${n} leaves, ${page.entryIds.length} entry ids, ${page.batchKeys.length} batch keys`,
    );
  }
  const leaves = new Uint8Array(n * HASH_BYTES);
  page.leafHashes.forEach((h, i) => {
    if (h.length !== HASH_BYTES) throw new RangeError(`page ${page.page} leaf ${i} is ${h.length} bytes`);
    leaves.set(h, i * HASH_BYTES);
  });
  const item: Item = {
    ...itemKeys.page(blockHash, page.page),
    leaves: { B: leaves },
    ids: { S: JSON.stringify(page.entryIds) },
    batches: { S: JSON.stringify(page.batchKeys) },
  };
  assertItemFits(item, `page ${page.page} of block ${blockHash}`);
  return item;
}

function parsePageItem(item: Item): BlockPage {
  return decode(item, (r) => {
    r.keyAfter(A.pk, PAGES_PK_PREFIX);
    const page = Number(r.keyAfter(A.sk, PAGE_SK_PREFIX));
    if (!Number.isSafeInteger(page) || r.string(A.sk) !== pageSortKey(page)) throw new Error("bad page key");
    const leaves = r.bytes("leaves");
    if (leaves.length === 0 || leaves.length % HASH_BYTES !== 0) {
      throw new Error(`leaves is ${leaves.length} bytes, not a positive multiple of ${HASH_BYTES}`);
    }
    const n = leaves.length / HASH_BYTES;
    const entryIds = r.stringArray("ids");
    const batchKeys = r.stringArray("batches");
    if (entryIds.length !== n || batchKeys.length !== n) {
      throw new Error(`${n} leaves, ${entryIds.length} ids, ${batchKeys.length} batches`);
    }
    const leafHashes = Array.from({ length: n }, (_, i) =>
      leaves.slice(i * HASH_BYTES, (i + 1) * HASH_BYTES),
    );
    return { page, leafHashes, entryIds, batchKeys };
  });
}

function sealRefusal(key: string, height: number, offset: number, current: Item | undefined): Error {
  if (current === undefined) {
    return new StoreInvariantError(`cannot mark batch ${key} sealed in block ${height}: it does not exist`);
  }
  const batch = parseBatchItem(current);
  const at = batch.sealed;
  if (at !== undefined && at.height !== height) {
    return new StoreInvariantError(
      `batch ${key} is already sealed in block ${at.height} (offset ${at.offset}); ` +
        `sealing it in block ${height} too would be a double seal`,
    );
  }
  if (at !== undefined) {
    return new StoreInvariantError(
      `batch ${key} is sealed in block ${height} at offset ${at.offset}, not ${offset}`,
    );
  }
  return new StoreInvariantError(`marking batch ${key} sealed in block ${height} failed its condition`);
}

// ---- helpers --------------------------------------------------------------------

function lenientJson(attr: AttributeValue | undefined): unknown {
  if (attr?.S === undefined) return undefined;
  try {
    return JSON.parse(attr.S);
  } catch {
    return undefined;
  }
}

function lenientInteger(attr: AttributeValue | undefined): number | undefined {
  const n = attr?.N === undefined ? Number.NaN : Number(attr.N);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Field readers over a raw item; every failure is turned into one StoreInvariantError by decode. */
class ItemReader {
  constructor(private readonly item: Item) {}

  string(name: string): string {
    const v = this.item[name]?.S;
    if (v === undefined) throw new Error(`${name} is not a string attribute`);
    return v;
  }

  keyAfter(name: string, prefix: string): string {
    const v = this.string(name);
    if (!v.startsWith(prefix) || v.length === prefix.length) throw new Error(`${name} ${v} lacks ${prefix}`);
    return v.slice(prefix.length);
  }

  integer(name: string): number {
    const v = this.optionalInteger(name);
    if (v === undefined) throw new Error(`${name} is missing`);
    return v;
  }

  optionalInteger(name: string): number | undefined {
    const attr = this.item[name];
    if (attr === undefined) return undefined;
    const n = attr.N === undefined ? Number.NaN : Number(attr.N);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} is not a non-negative integer`);
    return n;
  }

  bytes(name: string): Uint8Array {
    const v = this.item[name]?.B;
    if (v === undefined) throw new Error(`${name} is not a binary attribute`);
    return v;
  }

  json(name: string): unknown {
    return JSON.parse(this.string(name));
  }

  stringArray(name: string): string[] {
    const v = this.json(name);
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
      throw new Error(`${name} is not a JSON array of strings`);
    }
    return v;
  }
}

function decode<T>(item: Item, read: (r: ItemReader) => T): T {
  try {
    return read(new ItemReader(item));
  } catch (err) {
    const where = `${item[A.pk]?.S ?? "?"} / ${item[A.sk]?.S ?? "?"}`;
    throw new StoreInvariantError(`stored item ${where} is corrupt: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Upper bound of DynamoDB's item size: attribute names plus values in UTF-8 (numbers
 * are counted as their digits, which overestimates DynamoDB's ~1 byte per 2 digits).
 */
export function itemSizeBytes(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name, "utf8");
    if (value.S !== undefined) size += Buffer.byteLength(value.S, "utf8");
    else if (value.N !== undefined) size += value.N.length + 1;
    else if (value.B !== undefined) size += value.B.length;
    else throw new TypeError(`attribute ${name}: only S, N and B are sized`);
  }
  return size;
}

function assertItemFits(item: Item, what: string): void {
  const size = itemSizeBytes(item);
  if (size > MAX_ITEM_BYTES) {
    throw new RangeError(`${what} would be a ${size}-byte item, over the ${MAX_ITEM_BYTES}-byte limit`);
  }
}

function assertCount(n: number, what: string, min = 0): void {
  if (!Number.isSafeInteger(n) || n < min)
    throw new RangeError(`${what} must be an integer >= ${min}, got ${n}`);
}

/** fn over every item with at most `limit` calls in flight; results in input order. */
function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** DynamoDB orders strings by their UTF-8 bytes, which differs from UTF-16 order above U+FFFF. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
