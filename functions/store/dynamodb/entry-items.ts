import type { EntryItemStore, EntryItems } from "../ports.js";
import { putBatchBody } from "./batches.js";
import { cosignItems } from "./cosign-marks.js";
import { indexItems } from "./index-entries.js";
import { payloadItems } from "./payloads.js";
import type { StoreActions, TableClient } from "./table-client.js";

/**
 * The items a request writes before its commit point, across families: payloads
 * (payloads.ts), cosign marks (cosign-marks.ts), index entries (index-entries.ts) and
 * the batch's body (batches.ts), each built and checked by its own family. The first
 * three go together, 25 items per BatchWriteItem with up to 8 in flight
 * (table-client.ts); the body beside them, in a PutItem of its own — the submit role may
 * write batch items (B#…) only with PutItem (cdk/lib/defaults.ts COMMITTED_ITEM_WRITES),
 * and the body's is a conditional create. So a single-record submit or a match still
 * waits on one round trip for all of them.
 *
 * None needs a condition but the body: payloads are keyed by content-derived entry ids,
 * marks and index entries by fields the request fixes, so a retry rewrites identical
 * items, and the families' keys never meet; the body is keyed by its digest. The order
 * among them does not matter: nothing is an entry until its batch commits
 * (docs/STORAGE.md, "The life of an entry").
 */

/** What each method sends (StoreActions). */
export const ENTRY_ITEM_STORE_ACTIONS = {
  putEntryItems: { table: ["dynamodb:BatchWriteItem", "dynamodb:PutItem"] },
} as const satisfies StoreActions<DynamoDbEntryItems>;

export class DynamoDbEntryItems implements EntryItemStore {
  constructor(private readonly table: TableClient) {}

  async putEntryItems(items: EntryItems): Promise<void> {
    const { batch } = items;
    await Promise.all([
      this.table.batchPut([
        ...payloadItems(items.payloads ?? []),
        ...cosignItems(items.marks ?? []),
        ...indexItems(items.index ?? []),
      ]),
      batch === undefined ? undefined : putBatchBody(this.table, batch),
    ]);
  }
}
