import { type DynamoDBClient, paginateScan } from "@aws-sdk/client-dynamodb";
import type { Item } from "./table.js";

/**
 * Whole-table snapshots, for tests and local tooling that must show "nothing changed":
 * compare scanAll before and after. A full Scan — never call it on a production table.
 */

/** Every item, sorted by (pk, sk). Strongly consistent. */
export async function scanAll(client: DynamoDBClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of paginateScan({ client }, { TableName: tableName, ConsistentRead: true })) {
    items.push(...(page.Items ?? []));
  }
  const keyOf = (item: Item) => `${item.pk?.S ?? ""}\u0000${item.sk?.S ?? ""}`;
  return items.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

export async function countItems(client: DynamoDBClient, tableName: string): Promise<number> {
  let count = 0;
  for await (const page of paginateScan(
    { client },
    { TableName: tableName, Select: "COUNT", ConsistentRead: true },
  )) {
    count += page.Count ?? 0;
  }
  return count;
}
