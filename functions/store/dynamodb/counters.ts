import { ConditionalCheckFailedException, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { TTL_ATTRIBUTE } from "../../../lib/store-layout.js";
import type { CounterStore } from "../ports.js";
import { itemKeys } from "../table.js";
import type { StoreActions, TableClient } from "./table-client.js";

/**
 * Request counters, one item per counter and fixed window (docs/STORAGE.md "Index
 * entries and counters").
 *
 *   pk            sk        attributes
 *   R#<counter>   <window>  n(N: requests counted) expiresAt(N: epoch seconds, the TTL attribute)
 *
 * One conditional update per request.
 */

/** What each method sends (StoreActions). */
export const COUNTER_STORE_ACTIONS = {
  countRequest: { table: ["dynamodb:UpdateItem"] },
} as const satisfies StoreActions<DynamoDbCounters>;

export class DynamoDbCounters implements CounterStore {
  constructor(private readonly table: TableClient) {}

  async countRequest(counter: string, window: string, limit: number, expiresAt: number): Promise<boolean> {
    try {
      await this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
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
}
