import { describe, expect, it } from "vitest";
import { INTL, subjectHmac } from "#chain";
import { subjectIndexRule } from "../../../../functions/rules/subject-index.js";
import type { ApiError } from "../../../../lib/protocol/errors.js";
import { subjectIndex } from "../../../../lib/store-layout.js";
import { batchOf, MemoryRuleStore, SUBJECT_KEY, testConsortium } from "./fixtures.js";

// The subject index rule (functions/rules/subject-index.ts): a record whose type names a
// subject field needs a subject of 1 to 256 bytes, and is indexed under S#<HMAC>.

const consortium = testConsortium();
const deps = { store: new MemoryRuleStore(), consortium, subjectKey: SUBJECT_KEY };

function refusal(data: Record<string, unknown>): string | undefined {
  try {
    subjectIndexRule.checkRecords?.([{ type: "x.note", data }], consortium);
  } catch (e) {
    return (e as ApiError).code;
  }
  return undefined;
}

describe("subjectIndexRule", () => {
  it("refuses a record without its subject, or with one over 256 bytes", () => {
    expect(refusal({})).toBe("SCHEMA_VIOLATION");
    expect(refusal({ who: "" })).toBe("SCHEMA_VIOLATION");
    expect(refusal({ who: 7 })).toBe("SCHEMA_VIOLATION");
    expect(refusal({ who: "é".repeat(129) })).toBe("SCHEMA_VIOLATION");
    expect(refusal({ who: "é".repeat(128) })).toBeUndefined();
  });

  it("indexes each record that has a subject under its HMAC, at its position", async () => {
    const batch = batchOf("hf-haikou", [
      { type: "x.note", data: { who: "alice" } },
      { type: "audit.db-operation", data: { department: "hf-haikou" } },
      { type: "housing-fund.deposit-certificate", data: { citizen: "460100199001011234" } },
    ]);
    const effects = await subjectIndexRule.apply?.(batch, deps);
    expect(effects).toEqual({
      index: [
        {
          index: subjectIndex(subjectHmac(INTL, SUBJECT_KEY, "alice")),
          entryId: batch.entryIds[0],
          batchKey: batch.batchKey,
          receivedAt: batch.receivedAt,
          position: 0,
          attrs: { type: "x.note", dept: "hf-haikou" },
        },
        {
          index: subjectIndex(subjectHmac(INTL, SUBJECT_KEY, "460100199001011234")),
          entryId: batch.entryIds[2],
          batchKey: batch.batchKey,
          receivedAt: batch.receivedAt,
          position: 2,
          attrs: { type: "housing-fund.deposit-certificate", dept: "hf-haikou" },
        },
      ],
    });
  });
});
