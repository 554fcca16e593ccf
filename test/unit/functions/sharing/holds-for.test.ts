import { describe, expect, it } from "vitest";
import { holdsFor, predicateTypeProblems } from "../../../../functions/sharing/predicates.js";
import { OPERATORS, type Operator } from "../../../../lib/protocol/sharing.js";

// The predicate a match question puts on a provider's record (docs/design/sharing.md §4):
// values compare only with values of the same JSON type — numbers as numbers, strings by
// code point (ISO dates sort correctly), booleans by = and != — and a missing, inherited,
// null, object or mistyped field satisfies nothing, not even !=.

const record: Record<string, unknown> = {
  months: 12,
  balance: 1500.5,
  since: "2024-03-01",
  lastDeposit: "2026-11-01T08:00:00.000Z",
  name: "海口市住房公积金管理中心",
  active: true,
  closed: false,
  note: null,
  employer: { id: "x" },
};

// [field, op, value, holds]
const cases: Array<[string, Operator, unknown, boolean]> = [
  // numbers against numbers
  ["months", "=", 12, true],
  ["months", "=", 13, false],
  ["months", "!=", 12, false],
  ["months", "!=", 13, true],
  ["months", ">=", 12, true],
  ["months", ">=", 13, false],
  ["months", "<=", 12, true],
  ["months", "<=", 11, false],
  ["months", ">", 11, true],
  ["months", ">", 12, false],
  ["months", "<", 13, true],
  ["months", "<", 12, false],
  ["months", ">", 9, true], // as numbers; as text "12" > "9" would be false
  ["months", "<", 100, true], // as text "12" < "100" would be false
  ["balance", ">", 1500, true],
  ["balance", "<", 1500.51, true],
  // a number field asked with a text value of the same digits: equal as text
  ["months", "=", "12", false],
  ["months", "!=", "12", false],
  // ISO dates, as strings
  ["since", "=", "2024-03-01", true],
  ["since", ">=", "2024-03-01", true],
  ["since", ">", "2024-03-01", false],
  ["since", ">", "2024-02-29", true],
  ["since", "<", "2024-12-31", true],
  ["since", "<=", "2023-12-31", false],
  ["lastDeposit", ">=", "2026-11-01T00:00:00.000Z", true],
  ["lastDeposit", "<", "2026-11-01T08:00:00.001Z", true],
  ["lastDeposit", "<", "2026-11-01T08:00:00.000Z", false],
  // text
  ["name", "=", "海口市住房公积金管理中心", true],
  ["name", "!=", "海口市住房公积金管理中心", false],
  ["name", "=", "海口", false],
  // booleans equal only booleans
  ["active", "=", true, true],
  ["active", "=", false, false],
  ["active", "!=", false, true],
  ["closed", "=", false, true],
  ["active", "=", "true", false],
  ["active", "!=", "true", false],
  ["months", "=", true, false],
  // null and objects equal nothing
  ["note", "=", "null", false],
  ["note", "!=", "null", false],
  ["employer", "=", "[object Object]", false],
];

describe("holdsFor", () => {
  it.each(cases)("%s %s %j is %s", (field, op, value, holds) => {
    expect(holdsFor(record, { field, op, value })).toBe(holds);
  });

  it.each(OPERATORS)("a missing field satisfies no %s predicate", (op) => {
    expect(holdsFor(record, { field: "absent", op, value: 1 })).toBe(false);
    expect(holdsFor(record, { field: "absent", op, value: "x" })).toBe(false);
  });

  it("a field inherited from Object.prototype is not a field of the record", () => {
    expect(holdsFor({ months: 1 }, { field: "constructor", op: "!=", value: "x" })).toBe(false);
  });

  it("the case table exercises every operator", () => {
    expect(new Set(cases.map(([, op]) => op))).toEqual(new Set(OPERATORS));
  });

  it("a text value never satisfies a predicate on a number field, in either direction", () => {
    expect(holdsFor(record, { field: "months", op: ">=", value: "9" })).toBe(false);
    expect(holdsFor(record, { field: "months", op: "<", value: "9" })).toBe(false);
  });
});

describe("predicateTypeProblems", () => {
  const schema = {
    type: "object",
    properties: {
      months: { type: "integer" },
      status: { enum: ["active"] },
      note: { type: ["string", "null"] },
    },
  };
  it("refuses a value of another type than the schema declares, naming the predicate", () => {
    expect(
      predicateTypeProblems(schema, [
        { field: "months", value: "12" },
        { field: "note", value: 3 },
      ]),
    ).toEqual([
      { path: "where.0.value", message: "months is number, not string" },
      { path: "where.1.value", message: "note is string or null, not number" },
    ]);
  });
  it("accepts numbers for integer fields, and says nothing of fields without a declared type", () => {
    expect(
      predicateTypeProblems(schema, [
        { field: "months", value: 12.5 },
        { field: "status", value: 1 },
        { field: "unknown", value: true },
      ]),
    ).toEqual([]);
    expect(predicateTypeProblems(undefined, [{ field: "months", value: "12" }])).toEqual([]);
  });
});
