import type { WriteRequest } from "@aws-sdk/client-dynamodb";
import { canonicalJson } from "#chain";
import { PAYLOAD_PK_PREFIX } from "../../../lib/store-layout.js";
import type { PayloadStore, RawPayload, StoredPayload } from "../ports.js";
import { type Item, itemKeys } from "../table.js";
import { A, assertItemFits, decode } from "./items.js";
import type { StoreActions, TableClient } from "./table-client.js";

/**
 * Payload items: a record's data beside its envelope (docs/STORAGE.md "Items").
 *
 *   pk           sk  attributes
 *   E#<entryId>  P   dept type batch(the batch key) data(S: RFC 8785 JSON of the record data)
 *
 * No conditional writes: payloads are content-addressed by entry id and written before
 * the batch commits, with the batch's other unconditional items (entry-items.ts
 * putEntryItems, built by payloadItems here); deletes only undo a refused submit's writes.
 */

/** What each method sends (StoreActions). */
export const PAYLOAD_STORE_ACTIONS = {
  deletePayloads: { table: ["dynamodb:BatchWriteItem"] },
  getPayload: { table: ["dynamodb:GetItem"] },
  getPayloads: { table: ["dynamodb:BatchGetItem"] },
  getRawPayloads: { table: ["dynamodb:BatchGetItem"] },
} as const satisfies StoreActions<DynamoDbPayloads>;

export class DynamoDbPayloads implements PayloadStore {
  constructor(private readonly table: TableClient) {}

  async deletePayloads(entryIds: readonly string[]): Promise<void> {
    // Unconditional and idempotent. Payload ids are shared by every request with the same
    // (keyId, nonce, records), so the caller must first leave out the ids the committed
    // batch references (submit's undoReplay does); the store cannot tell them apart.
    const unique = [...new Set(entryIds)];
    await this.table.batchWrite(
      unique.map((id): WriteRequest => ({ DeleteRequest: { Key: itemKeys.payload(id) } })),
    );
  }

  async getPayload(entryId: string): Promise<StoredPayload | undefined> {
    const item = await this.table.getItem(itemKeys.payload(entryId));
    return item && parsePayloadItem(item);
  }

  async getPayloads(entryIds: readonly string[]): Promise<StoredPayload[]> {
    const unique = [...new Set(entryIds)];
    const items = await this.table.batchGet(unique.map((id) => itemKeys.payload(id)));
    return items.map(parsePayloadItem);
  }

  /** AuditSource: payload items by entry id, nothing validated. */
  async getRawPayloads(entryIds: readonly string[]): Promise<RawPayload[]> {
    const items = await this.table.batchGet([...new Set(entryIds)].map((id) => itemKeys.payload(id)));
    return items.map((item) => ({
      entryId: (item[A.pk]?.S ?? "").slice(PAYLOAD_PK_PREFIX.length),
      batchKey: item.batch?.S,
      data: item.data?.S,
    }));
  }
}

/**
 * The payload items of `payloads`, one per entry id. Payload items are keyed by entry id,
 * which is derived from (keyId, nonce, index, record): a retried submit rewrites
 * identical items, so no condition is needed. BatchWriteItem refuses duplicate keys;
 * identical duplicates are written once, different ones are refused (RangeError).
 */
export function payloadItems(payloads: readonly StoredPayload[]): Item[] {
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
    if (earlier !== undefined && canonicalJson(earlier) !== canonicalJson(item)) {
      throw new RangeError(`two different payloads for entry ${p.entryId}`);
    }
    byId.set(p.entryId, item);
  }
  return [...byId.values()];
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
