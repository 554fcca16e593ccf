import type { EntryItemStore, EntryItems } from "../ports.js";
import { cosignItems } from "./cosign-marks.js";
import { indexItems } from "./index-entries.js";
import { payloadItems } from "./payloads.js";
import type { StoreActions, TableClient } from "./table-client.js";

/**
 * The unconditional items a request writes before its commit point, across families:
 * payloads (payloads.ts), cosign marks (cosign-marks.ts) and index entries
 * (index-entries.ts), each built and checked by its own family. Sent together, 25 items
 * per BatchWriteItem with up to 8 in flight (table-client.ts), so a single-record submit
 * or a match writes them in one request instead of one per family.
 *
 * None needs a condition: payloads are keyed by content-derived entry ids, marks and
 * index entries by fields the request fixes, so a retry rewrites identical items, and
 * the families' keys never meet. The order among them does not matter: nothing is an
 * entry until its batch commits (docs/STORAGE.md, "The life of an entry").
 */

/** What each method sends (StoreActions). */
export const ENTRY_ITEM_STORE_ACTIONS = {
  putEntryItems: { table: ["dynamodb:BatchWriteItem"] },
} as const satisfies StoreActions<DynamoDbEntryItems>;

export class DynamoDbEntryItems implements EntryItemStore {
  constructor(private readonly table: TableClient) {}

  async putEntryItems(items: EntryItems): Promise<void> {
    await this.table.batchPut([
      ...payloadItems(items.payloads ?? []),
      ...cosignItems(items.marks ?? []),
      ...indexItems(items.index ?? []),
    ]);
  }
}
