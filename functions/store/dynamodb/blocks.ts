import { QueryCommand, type QueryCommandInput, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import {
  type BlockHeader,
  type CompactRangeState,
  canonicalJson,
  checkCompactRangeState,
  isSignatureAlgorithm,
  parseBlockHeader,
} from "#chain";
import type { BlockSignature } from "../../../lib/protocol/entries.js";
import { PAGES_PK_PREFIX } from "../../../lib/store-layout.js";
import {
  type BlockPage,
  type BlockStore,
  PAGE_SIZE,
  type RawBlock,
  type RawPage,
  type StoredBlock,
} from "../ports.js";
import {
  BLOCK_SK_PREFIX,
  CHAIN_PK,
  heightSortKey,
  type Item,
  itemKeys,
  MAX_PAGE_NUMBER,
  PAGE_SK_PREFIX,
  pageSortKey,
} from "../table.js";
import {
  A,
  assertCount,
  assertItemFits,
  decode,
  HEX64,
  ITEM_EXISTS,
  lenientInteger,
  lenientJson,
} from "./items.js";
import type { StoreActions, TableClient } from "./table-client.js";

/**
 * Block items and their leaf pages (docs/STORAGE.md "Items").
 *
 *   item   pk              sk                     attributes
 *   block  CHAIN           H#<height, 16 digits>  height(N) header(S: canonical JSON) hash
 *                                                 signature(S: JSON) checkpoint
 *                                                 logRange(S: JSON) pageCount(N) finished(BOOL)
 *   page   G#<block hash>  P#<page, 6 digits>     leaves(B: 32-byte hashes concatenated)
 *                                                 ids(S: JSON array) batches(S: JSON array)
 *
 * commitBlock is sealing's commit point (a conditional put); pages are unconditional,
 * keyed by the block hash.
 */

const HASH_BYTES = 32;

/** What each method sends (StoreActions). */
export const BLOCK_STORE_ACTIONS = {
  commitBlock: { table: ["dynamodb:PutItem"] },
  getLatestBlock: { table: ["dynamodb:Query"] },
  getBlock: { table: ["dynamodb:GetItem"] },
  listBlocks: { table: ["dynamodb:Query"] },
  markBlockFinished: { table: ["dynamodb:UpdateItem"] },
  putBlockPages: { table: ["dynamodb:BatchWriteItem"] },
  getBlockPages: { table: ["dynamodb:Query"] },
  latestHeight: { table: ["dynamodb:Query"] },
  listRawBlocks: { table: ["dynamodb:Query"] },
  getRawPages: { table: ["dynamodb:Query"] },
} as const satisfies StoreActions<DynamoDbBlocks>;

export class DynamoDbBlocks implements BlockStore {
  constructor(private readonly table: TableClient) {}

  async commitBlock(block: StoredBlock): Promise<"committed" | "conflict"> {
    // Sealing's commit point: two sealers that both read block h as the latest race to
    // put h+1; exactly one succeeds, the other must stop — no fork, and the loser's
    // header never overwrites the winner's.
    return (await this.table.putIfNew(blockItem(block))) ? "committed" : "conflict";
  }

  async getLatestBlock(): Promise<StoredBlock | undefined> {
    const res = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
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
    const item = await this.table.getItem(itemKeys.block(height));
    return item && parseBlockItem(item);
  }

  async listBlocks(fromHeight: number, toHeight: number): Promise<StoredBlock[]> {
    assertCount(fromHeight, "fromHeight");
    assertCount(toHeight, "toHeight");
    if (fromHeight > toHeight) return [];
    const blocks: StoredBlock[] = [];
    const input = this.blockRangeQuery(fromHeight, toHeight);
    for await (const item of this.table.query(input)) blocks.push(parseBlockItem(item));
    return blocks;
  }

  async markBlockFinished(height: number): Promise<void> {
    assertCount(height, "height");
    // Only ever set on an existing block (never creates one), and setting it twice is harmless.
    await this.table.client.send(
      new UpdateItemCommand({
        TableName: this.table.tableName,
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
    await this.table.batchPut(items);
  }

  async getBlockPages(blockHash: string, pageCount: number): Promise<BlockPage[]> {
    assertCount(pageCount, "pageCount");
    if (pageCount === 0) return [];
    const pages: BlockPage[] = [];
    const input = this.pagesQuery(blockHash, pageCount);
    for await (const item of this.table.query(input)) pages.push(parsePageItem(item));
    return pages;
  }

  // ---- AuditSource: lenient reads for auditors ------------------------------------

  async latestHeight(): Promise<number> {
    const input: QueryCommandInput = {
      TableName: this.table.tableName,
      KeyConditionExpression: "#pk = :chain",
      ExpressionAttributeNames: { "#pk": A.pk, "#sk": A.sk },
      ExpressionAttributeValues: { ":chain": { S: CHAIN_PK } },
      ScanIndexForward: false,
      ConsistentRead: true,
      ProjectionExpression: "#pk, #sk",
    };
    for await (const item of this.table.query(input, 1)) {
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
    for await (const item of this.table.query(input)) {
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
    for await (const item of this.table.query(input)) {
      pages.push({
        page: Number((item[A.sk]?.S ?? "").slice(PAGE_SK_PREFIX.length)),
        leaves: item.leaves?.B,
        entryIds: lenientJson(item.ids),
        batchKeys: lenientJson(item.batches),
      });
    }
    return pages;
  }

  /** Block items with heights from..to, ascending, strongly consistent. */
  private blockRangeQuery(fromHeight: number, toHeight: number): QueryCommandInput {
    return {
      TableName: this.table.tableName,
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
      TableName: this.table.tableName,
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
    logRange: { S: canonicalJson(checkCompactRangeState(block.logRange)) },
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
    const logRange = checkCompactRangeState(r.json("logRange") as CompactRangeState);
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
    !isSignatureAlgorithm(s.alg)
  ) {
    throw new RangeError("block signature must be { keyId, alg, value }");
  }
  return { keyId: s.keyId, alg: s.alg, value: s.value };
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
