import { describe, expect, it } from "vitest";
import { schemaRule } from "../../../../functions/rules/schema.js";
import type { ApiError } from "../../../../lib/protocol/errors.js";
import { testConsortium } from "./fixtures.js";

// The schema rule (functions/rules/schema.ts): every record's data against its type's
// JSON Schema, all problems of all records in one refusal.

const consortium = testConsortium();
const cert = (data: Record<string, unknown>) => ({ type: "housing-fund.deposit-certificate", data });

function refusal(records: Array<{ type: string; data: Record<string, unknown> }>): ApiError | undefined {
  try {
    schemaRule.checkRecords?.(records, consortium);
  } catch (e) {
    return e as ApiError;
  }
  return undefined;
}

describe("schemaRule", () => {
  it("refuses with every problem of every record, each naming its record", () => {
    const e = refusal([
      cert({ citizen: "460100199001011234", months: -1, status: "active" }),
      cert({ citizen: "460100199001011234", months: 1, status: "active" }),
      cert({ citizen: "460100199001011234", months: 1, status: "gone" }),
    ]);
    expect(e?.code).toBe("SCHEMA_VIOLATION");
    expect(
      ((e?.details ?? []) as Array<{ index: number; path: string }>).map((p) => [p.index, p.path]),
    ).toEqual([
      [0, "/months"],
      [2, "/status"],
    ]);
  });

  it("passes valid records, and types without a schema", () => {
    expect(
      refusal([
        cert({ citizen: "460100199001011234", months: 1, status: "active" }),
        { type: "x.note", data: {} },
      ]),
    ).toBeUndefined();
  });
});
