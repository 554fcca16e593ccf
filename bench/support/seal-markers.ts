import { BatchGetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { itemKeys } from "../../functions/store/table.js";
import { BATCH_PK_PREFIX } from "../../lib/store-layout.js";

/**
 * Which of `keys` (at most 100 batch keys) are sealed now: one consistent BatchGetItem of
 * the batch items' seal marker alone, so that latency benches can poll cheaply. Used by
 * bench/ledger/latency.ts and bench/ship.ts.
 */
export async function sealedBatchKeys(client: DynamoDBClient, table: string, keys: readonly string[]) {
  if (keys.length === 0) return [];
  const res = await client.send(
    new BatchGetItemCommand({
      RequestItems: {
        [table]: {
          Keys: keys.map((k) => itemKeys.batch(k)),
          ConsistentRead: true,
          ProjectionExpression: "#pk, #sealed",
          ExpressionAttributeNames: { "#pk": "pk", "#sealed": "sealedHeight" },
        },
      },
    }),
  );
  return (res.Responses?.[table] ?? [])
    .filter((item) => item.sealedHeight !== undefined)
    .map((item) => (item.pk?.S ?? "").slice(BATCH_PK_PREFIX.length));
}
