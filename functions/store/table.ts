import { createHash } from "node:crypto";
import {
  type AttributeValue,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from "@aws-sdk/client-dynamodb";
import {
  BATCH_PK_PREFIX,
  CLAIM_PK_PREFIX,
  COSIGN_PK_PREFIX,
  COUNTER_PK_PREFIX,
  LEDGER_TABLE,
  PAGES_PK_PREFIX,
  PAYLOAD_PK_PREFIX,
} from "../../lib/store-layout.js";

/**
 * The ledger table's layout: key schema, the pending-batch index and the key of every
 * item kind (docs/STORAGE.md). Plain data, so the CDK stack declares the very same
 * table that createLedgerTable makes locally.
 */

/** A raw DynamoDB item. */
export type Item = Record<string, AttributeValue>;

export const PENDING_SHARDS = LEDGER_TABLE.pendingShards;

/** Heights are zero-padded so that string order is numeric order (16 digits hold 2^53 - 1). */
const HEIGHT_DIGITS = 16;
/** Page numbers likewise; 10^6 pages of 1,000 leaves is far beyond any block. */
const PAGE_DIGITS = 6;
export const MAX_PAGE_NUMBER = 10 ** PAGE_DIGITS - 1;

export type ItemKey = { pk: { S: string }; sk: { S: string } };

function itemKey(pk: string, sk: string): ItemKey {
  return { pk: { S: pk }, sk: { S: sk } };
}

export const CHAIN_PK = "CHAIN";
export const BLOCK_SK_PREFIX = "H#";
export const PAGE_SK_PREFIX = "P#";
/** A batch's head is `B`; its body, the envelopes, `E#<hex SHA-256 of the envelopes text>`. */
export const BATCH_HEAD_SK = "B";
export const BATCH_BODY_SK_PREFIX = "E#";

export function heightSortKey(height: number): string {
  return BLOCK_SK_PREFIX + String(height).padStart(HEIGHT_DIGITS, "0");
}

export function pageSortKey(page: number): string {
  return PAGE_SK_PREFIX + String(page).padStart(PAGE_DIGITS, "0");
}

export const itemKeys = {
  payload: (entryId: string): ItemKey => itemKey(PAYLOAD_PK_PREFIX + entryId, "P"),
  /** A batch's head: the commit point, the seal marks, the pending index attributes. */
  batch: (batchKey: string): ItemKey => itemKey(BATCH_PK_PREFIX + batchKey, BATCH_HEAD_SK),
  /** A batch's body, its envelopes, keyed by their digest: written once, before the head. */
  batchBody: (batchKey: string, digest: string): ItemKey =>
    itemKey(BATCH_PK_PREFIX + batchKey, BATCH_BODY_SK_PREFIX + digest),
  block: (height: number): ItemKey => itemKey(CHAIN_PK, heightSortKey(height)),
  page: (blockHash: string, page: number): ItemKey => itemKey(PAGES_PK_PREFIX + blockHash, pageSortKey(page)),
  claim: (uniqueKey: string): ItemKey => itemKey(CLAIM_PK_PREFIX + uniqueKey, "U"),
  cosign: (target: string, dept: string): ItemKey => itemKey(COSIGN_PK_PREFIX + target, dept),
  /** Index entries: pk is the index itself (S#…, A#…, C#…), so one Query reads an index. */
  index: (index: string, receivedAt: string, entryId: string): ItemKey =>
    itemKey(index, `${receivedAt}#${entryId}`),
  counter: (counter: string, window: string): ItemKey => itemKey(COUNTER_PK_PREFIX + counter, window),
};

/** Stable across runtimes and deploys: the first byte of SHA-256(key), mod the shard count. */
export function pendingShard(batchKey: string): number {
  return createHash("sha256").update(batchKey, "utf8").digest().readUInt8(0) % PENDING_SHARDS;
}

export function pendingPartition(shard: number): string {
  return `PENDING#${shard}`;
}

/**
 * Index sort key of a pending batch. receivedAt is fixed-width RFC 3339 (ms, "Z"), so
 * the string order of `<receivedAt>#<key>` is the sealer's (receivedAt, key) order.
 */
export function pendingSortKey(receivedAt: string, batchKey: string): string {
  return `${receivedAt}#${batchKey}`;
}

export function ledgerTableDefinition(tableName: string): CreateTableCommandInput {
  const t = LEDGER_TABLE;
  const gsi = t.pendingIndex;
  return {
    TableName: tableName,
    BillingMode: t.billingMode,
    AttributeDefinitions: [
      { AttributeName: t.partitionKey.name, AttributeType: t.partitionKey.type },
      { AttributeName: t.sortKey.name, AttributeType: t.sortKey.type },
      { AttributeName: gsi.partitionKey.name, AttributeType: gsi.partitionKey.type },
      { AttributeName: gsi.sortKey.name, AttributeType: gsi.sortKey.type },
    ],
    KeySchema: [
      { AttributeName: t.partitionKey.name, KeyType: "HASH" },
      { AttributeName: t.sortKey.name, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: gsi.indexName,
        KeySchema: [
          { AttributeName: gsi.partitionKey.name, KeyType: "HASH" },
          { AttributeName: gsi.sortKey.name, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: gsi.projectionType },
      },
    ],
  };
}

/**
 * Creates the ledger table and waits until it and its index are ACTIVE. Idempotent: an
 * existing table is accepted if its keys and index match LEDGER_TABLE, else it throws.
 */
export async function createLedgerTable(
  client: DynamoDBClient,
  tableName: string,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(ledgerTableDefinition(tableName)));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  for (let delayMs = 20; ; delayMs = Math.min(delayMs * 2, 2_000)) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (table === undefined) throw new Error(`DescribeTable ${tableName} returned no table`);
    checkLayout(tableName, table.KeySchema ?? [], table.GlobalSecondaryIndexes ?? []);
    const indexesActive = (table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === "ACTIVE");
    if (table.TableStatus === "ACTIVE" && indexesActive) return;
    if (Date.now() > deadline) {
      throw new Error(`table ${tableName} is still ${table.TableStatus ?? "unknown"} after waiting`);
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

function checkLayout(
  tableName: string,
  keySchema: readonly { AttributeName?: string | undefined; KeyType?: string | undefined }[],
  indexes: readonly {
    IndexName?: string | undefined;
    KeySchema?: { AttributeName?: string | undefined; KeyType?: string | undefined }[] | undefined;
  }[],
): void {
  const describe = (ks: readonly { AttributeName?: string | undefined; KeyType?: string | undefined }[]) =>
    ks.map((k) => `${k.AttributeName}:${k.KeyType}`).join(",");
  const want = ledgerTableDefinition(tableName);
  const problems: string[] = [];
  if (describe(keySchema) !== describe(want.KeySchema ?? [])) {
    problems.push(`key schema is ${describe(keySchema)}, want ${describe(want.KeySchema ?? [])}`);
  }
  for (const wantIndex of want.GlobalSecondaryIndexes ?? []) {
    const got = indexes.find((i) => i.IndexName === wantIndex.IndexName);
    if (got === undefined) problems.push(`index ${wantIndex.IndexName} is missing`);
    else if (describe(got.KeySchema ?? []) !== describe(wantIndex.KeySchema ?? [])) {
      problems.push(`index ${wantIndex.IndexName} keys are ${describe(got.KeySchema ?? [])}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`table ${tableName} exists but is not a ledger table: ${problems.join("; ")}`);
  }
}
