import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type QueryCommandInput,
} from "@aws-sdk/client-dynamodb";
import { COSIGN_PK_PREFIX } from "../../../lib/store-layout.js";
import { mapLimit } from "../concurrency.js";
import type { CosignMark, CosignStore } from "../ports.js";
import { type Item, itemKeys } from "../table.js";
import { A, decode } from "./items.js";
import { PARALLEL_REQUESTS, type StoreActions, type TableClient } from "./table-client.js";

/**
 * Co-signature marks, indexed under the record they sign (docs/STORAGE.md "Items";
 * functions/rules/cosign.ts).
 *
 *   pk              sk            attributes
 *   M#<target id>   <department>  entryId batchKey receivedAt (of the zhixin.cosign entry)
 *
 * Puts are unconditional (the cosign's uniqueness claim decides who may write one), with
 * the batch's other unconditional items (entry-items.ts putEntryItems, built by
 * cosignItems here); a delete is conditioned on the mark still naming the caller's entry.
 */

/** What each method sends (StoreActions). */
export const COSIGN_STORE_ACTIONS = {
  deleteCosignMarks: { table: ["dynamodb:DeleteItem"] },
  listCosignMarks: { table: ["dynamodb:Query"] },
} as const satisfies StoreActions<DynamoDbCosignMarks>;

export class DynamoDbCosignMarks implements CosignStore {
  constructor(private readonly table: TableClient) {}

  async deleteCosignMarks(marks: readonly CosignMark[]): Promise<void> {
    await mapLimit([...marks], PARALLEL_REQUESTS, async (mark) => {
      try {
        await this.table.client.send(
          new DeleteItemCommand({
            TableName: this.table.tableName,
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
      TableName: this.table.tableName,
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": A.pk },
      ExpressionAttributeValues: { ":pk": { S: COSIGN_PK_PREFIX + target } },
      ConsistentRead: true,
    };
    const out: CosignMark[] = [];
    for await (const item of this.table.query(input)) out.push(parseCosignItem(item));
    return out;
  }
}

/**
 * The items of `marks`, one per (target, department). Unconditional: a retried submit
 * rewrites identical marks, and the cosign's uniqueness claim (cosign.ts) already decided
 * which submit may write this one.
 */
export function cosignItems(marks: readonly CosignMark[]): Item[] {
  const byKey = new Map<string, Item>();
  for (const m of marks) byKey.set(`${m.target}\n${m.dept}`, cosignItem(m));
  return [...byKey.values()];
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
