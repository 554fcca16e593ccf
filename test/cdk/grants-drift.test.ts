import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TABLE_ACTIONS } from "../../cdk/lib/defaults.js";

// The grants are written by hand from what the store sends. If the store starts sending a
// DynamoDB command no function may call (as DeleteItem once did, for uniqueness claims),
// every call of it fails with AccessDenied on AWS and nowhere else — so check here.

// The DynamoDB store: its composition and one file per item family.
const storeFiles = [
  "functions/store/dynamodb-store.ts",
  ...readdirSync("functions/store/dynamodb").map((f) => `functions/store/dynamodb/${f}`),
];
const store = storeFiles.map((f) => readFileSync(f, "utf8")).join("\n");
const sent = [...new Set([...store.matchAll(/new (\w+)Command\(/g)].map((m) => `dynamodb:${m[1]}`))];
// Paginators send Query/Scan without `new …Command(`; Scan is only used by test tooling.
const granted = new Set(Object.values(TABLE_ACTIONS).flatMap((a) => [...a.table, ...a.pendingIndex]));

describe("DynamoDB grants cover what the store sends", () => {
  it("finds the store's commands", () => {
    expect(sent).toEqual(
      expect.arrayContaining(["dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]),
    );
  });
  it.each(sent)("%s is granted to a function", (action) => {
    expect(granted.has(action)).toBe(true);
  });
});
