import type { QueryCommandInput, WriteRequest } from "@aws-sdk/client-dynamodb";
import { INDEX_PREFIXES } from "../../../lib/store-layout.js";
import type { IndexEntry, IndexStore } from "../ports.js";
import { type Item, type ItemKey, itemKeys } from "../table.js";
import { A, assertItemFits, decode, TIMESTAMP } from "./items.js";
import type { StoreActions, TableClient } from "./table-client.js";

/**
 * Index entries: pointers from a lookup key to an entry (docs/STORAGE.md "Index
 * entries and counters").
 *
 *   pk                                    sk                       attributes
 *   S#<subjectHmac> | A#<subjectHmac>     <receivedAt>#<entryId>   entryId batchKey receivedAt
 *     | C#<contractId>                                             position(N) attrs(S: JSON object of strings)
 *
 * No conditional writes: items are keyed by fields the request fixes, written before
 * the batch commits with its other unconditional items (entry-items.ts putEntryItems,
 * built by indexItems here); readers keep only those whose batch holds the entry.
 */

/** What each method sends (StoreActions). */
export const INDEX_STORE_ACTIONS = {
  deleteIndexEntries: { table: ["dynamodb:BatchWriteItem"] },
  listIndexEntries: { table: ["dynamodb:Query"] },
} as const satisfies StoreActions<DynamoDbIndexEntries>;

export class DynamoDbIndexEntries implements IndexStore {
  constructor(private readonly table: TableClient) {}

  async deleteIndexEntries(entries: readonly IndexEntry[]): Promise<void> {
    const keys = new Map<string, ItemKey>();
    for (const e of entries) {
      const key = itemKeys.index(e.index, e.receivedAt, e.entryId);
      keys.set(`${key.pk.S}\n${key.sk.S}`, key);
    }
    await this.table.batchWrite([...keys.values()].map((Key): WriteRequest => ({ DeleteRequest: { Key } })));
  }

  async listIndexEntries(
    index: string,
    options: { newestFirst?: boolean; limit?: number } = {},
  ): Promise<IndexEntry[]> {
    checkIndexName(index);
    const input: QueryCommandInput = {
      TableName: this.table.tableName,
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": A.pk },
      ExpressionAttributeValues: { ":pk": { S: index } },
      ScanIndexForward: !options.newestFirst,
      ConsistentRead: true,
    };
    const out: IndexEntry[] = [];
    for await (const item of this.table.query(input, options.limit)) out.push(parseIndexItem(item));
    return out;
  }
}

/**
 * The items of `entries`, one per key. Keyed by (index, receivedAt, entry id), all fixed
 * by the request: a retried submit rewrites identical items, so no condition is needed.
 */
export function indexItems(entries: readonly IndexEntry[]): Item[] {
  const byKey = new Map<string, Item>();
  for (const e of entries) {
    const item = indexItem(e);
    byKey.set(`${item[A.pk]?.S}\n${item[A.sk]?.S}`, item);
  }
  return [...byKey.values()];
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
