import { describe, expect, it } from "vitest";
import { dynamoDbItemBytes } from "../../../bench/item-sizes.js";

// bench/item-sizes.ts dynamoDbItemBytes: the one sizer by DynamoDB's billing rules, which
// both `npm run bench -- item-sizes` and `npm run cost` use.
describe("dynamoDbItemBytes", () => {
  it("counts names and values: strings and binaries by their bytes, numbers by significant digits", () => {
    expect(dynamoDbItemBytes({ pk: { S: "B#k" }, b: { B: new Uint8Array(10) } })).toBe(2 + 3 + 1 + 10);
    // 123456: 6 significant digits → 3 + 1; 1200: 2 → 1 + 1; 0: 1 → 1 + 1.
    expect(dynamoDbItemBytes({ n: { N: "123456" } })).toBe(1 + 4);
    expect(dynamoDbItemBytes({ n: { N: "1200" } })).toBe(1 + 2);
    expect(dynamoDbItemBytes({ n: { N: "0" } })).toBe(1 + 2);
  });

  it("sizes a boolean (a block's `finished`), null, lists and maps", () => {
    expect(dynamoDbItemBytes({ finished: { BOOL: true } })).toBe(8 + 1);
    expect(dynamoDbItemBytes({ x: { NULL: true } })).toBe(1 + 1);
    expect(dynamoDbItemBytes({ l: { L: [{ S: "ab" }, { BOOL: false }] } })).toBe(1 + 3 + (1 + 2) + (1 + 1));
    expect(dynamoDbItemBytes({ m: { M: { k: { S: "abc" } } } })).toBe(1 + 3 + (1 + 1 + 3));
  });
});
