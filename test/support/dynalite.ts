import { randomBytes } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createLedgerTable } from "../../functions/store/table.js";

// Tests use the same embedded server as local mode: dynalite over the real wire protocol.
export { type LocalDynamo, startDynalite } from "../../local/dynalite.js";

/** Creates a ledger table with a fresh name (DynamoDB wants 3–255 of [A-Za-z0-9_.-]) and returns the name. */
export async function freshTable(client: DynamoDBClient, prefix = "ledger"): Promise<string> {
  const name = `${prefix}-${randomBytes(6).toString("hex")}`;
  await createLedgerTable(client, name);
  return name;
}
