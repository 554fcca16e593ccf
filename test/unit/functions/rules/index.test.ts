import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  applyRules,
  checkRecords,
  RECORD_RULES,
  type RecordRule,
  writersOfType,
} from "../../../../functions/rules/index.js";
import { ApiError } from "../../../../lib/protocol/errors.js";
import { batchOf, MemoryRuleStore, SUBJECT_KEY, testConsortium } from "./fixtures.js";

// The rule list and the two passes intake drives over it (functions/rules/index.ts). The
// order is behaviour: it decides which refusal a batch with several faults gets, and the
// order of the writes the crash tests cut (functions/rules/README.md).

const consortium = testConsortium();
const deps = { store: new MemoryRuleStore(), consortium, subjectKey: SUBJECT_KEY };

describe("RECORD_RULES", () => {
  it("is schema, uniqueness, cosign, contracts, key-records, subject-index", () => {
    expect(RECORD_RULES.map((r) => r.name)).toEqual([
      "schema",
      "uniqueness",
      "cosign",
      "contracts",
      "key-records",
      "subject-index",
    ]);
  });

  it("is the order functions/rules/README.md states", () => {
    const readme = readFileSync("functions/rules/README.md", "utf8").replace(/\s+/g, " ");
    expect(readme).toContain(`\`RECORD_RULES\` is \`${RECORD_RULES.map((r) => r.name).join(", ")}\``);
  });

  it("checks the schema before the subject: a record failing both gets the schema's problems", () => {
    // months < 0 breaks the certificate's schema; an empty citizen breaks schema and subject.
    const records = [
      { type: "housing-fund.deposit-certificate", data: { citizen: "", months: -1, status: "active" } },
    ];
    try {
      checkRecords(records, consortium);
      expect.unreachable("checkRecords refused nothing");
    } catch (e) {
      expect((e as ApiError).code).toBe("SCHEMA_VIOLATION");
      expect((e as ApiError).details).toContainEqual(expect.objectContaining({ index: 0, path: "/months" }));
    }
  });
});

describe("applyRules", () => {
  const effects = (name: string) => ({
    claims: [{ index: 0, fields: [name], claim: { key: name, batchKey: "b", entryId: "e", claimedAt: "t" } }],
    index: [{ index: `S#${name}`, entryId: "e", batchKey: "b", receivedAt: "t", position: 0, attrs: {} }],
  });

  it("concatenates each rule's effects in rule order", async () => {
    const rules: RecordRule[] = [
      { name: "a", apply: () => effects("a") },
      { name: "checks only", checkRecords: () => {} },
      { name: "b", apply: async () => effects("b") },
    ];
    const all = await applyRules(batchOf("hf-haikou", []), deps, rules);
    expect(all.claims.map((c) => c.claim.key)).toEqual(["a", "b"]);
    expect(all.index.map((x) => x.index)).toEqual(["S#a", "S#b"]);
    expect(all.marks).toEqual([]);
  });

  it("stops at the first refusal: later rules never run", async () => {
    const ran: string[] = [];
    const rules: RecordRule[] = [
      {
        name: "refuses",
        apply: () => {
          ran.push("refuses");
          throw new ApiError("DUPLICATE_RECORD", "no");
        },
      },
      {
        name: "later",
        apply: () => {
          ran.push("later");
          return {};
        },
      },
    ];
    await expect(applyRules(batchOf("hf-haikou", []), deps, rules)).rejects.toMatchObject({
      code: "DUPLICATE_RECORD",
    });
    expect(ran).toEqual(["refuses"]);
  });

  it("checkRecords runs every rule's check in rule order", () => {
    const ran: string[] = [];
    const rules: RecordRule[] = [
      { name: "x", checkRecords: () => void ran.push("x") },
      { name: "no check" },
      { name: "y", checkRecords: () => void ran.push("y") },
    ];
    checkRecords([], consortium, rules);
    expect(ran).toEqual(["x", "y"]);
  });
});

describe("writersOfType", () => {
  it("lets any department submit the types a rule owns; the rule judges them", () => {
    expect(writersOfType("zhixin.cosign", "civil-affairs", consortium)).toEqual(["civil-affairs"]);
    expect(writersOfType("zhixin.contract.propose", "internet-court", consortium)).toEqual([
      "internet-court",
    ]);
  });

  it("gives a consortium type its writers, and an unknown or unowned reserved type none", () => {
    expect(writersOfType("licence.business", "hf-haikou", consortium)).toEqual(["market-regulation"]);
    expect(writersOfType("nope", "hf-haikou", consortium)).toBeUndefined();
    expect(writersOfType("zhixin.erasure", "hf-haikou", consortium)).toBeUndefined();
  });

  it("reads ownership from the rules it is given", () => {
    const rules: RecordRule[] = [{ name: "erasure", ownsType: (t) => t === "zhixin.erasure" }];
    expect(writersOfType("zhixin.erasure", "hf-haikou", consortium, rules)).toEqual(["hf-haikou"]);
  });
});
