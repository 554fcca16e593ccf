import { describe, expect, it } from "vitest";
import { keyGovernanceOf, parseConsortium } from "../../../../lib/consortium/consortium.js";
import { consortiumProblems, exampleConsortium } from "../../../support/consortium-file.js";

// keyRecords in the consortium file (docs/design/key-history.md §3, rule 5) and the
// governance the key history is folded under: the departments, and how many of them must
// cosign a department's own key record.

const problemsOfFile = (value: unknown) => consortiumProblems(() => parseConsortium(value));

describe("keyRecords in the consortium file", () => {
  it("absent: the departments in file order, no cosigns — auditors are no department", () => {
    const c = parseConsortium(exampleConsortium());
    expect(c.keyRecords).toBeUndefined();
    expect(keyGovernanceOf(c)).toEqual({
      departments: [
        "hf-haikou",
        "hf-sanya",
        "market-regulation",
        "civil-affairs",
        "service-centre",
        "internet-court",
      ],
      ownerCosigns: 0,
    });
  });

  it.each([0, 1, 5])("cosigns %i: ownerCosigns", (cosigns) => {
    const file = { ...exampleConsortium(), keyRecords: { cosigns } };
    expect(keyGovernanceOf(parseConsortium(file)).ownerCosigns).toBe(cosigns);
  });

  it("refuses more cosigns than there are other departments, saying how many there can be", () => {
    const file = { ...exampleConsortium(), keyRecords: { cosigns: 6 } };
    expect(problemsOfFile(file)).toEqual([
      "keyRecords.cosigns: 6 cosigns cannot be given by the 5 other department(s): at most 5",
    ]);
  });

  it.each([
    ["a negative count", { cosigns: -1 }],
    ["a fraction", { cosigns: 1.5 }],
    ["a string", { cosigns: "1" }],
  ])("refuses %s at keyRecords.cosigns", (_, keyRecords) => {
    const problems = problemsOfFile({ ...exampleConsortium(), keyRecords });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^keyRecords\.cosigns: /);
  });

  it("refuses a field it does not know, and cosigns left out", () => {
    expect(problemsOfFile({ ...exampleConsortium(), keyRecords: { cosigns: 1, quorum: 2 } })).toEqual([
      expect.stringMatching(/^keyRecords: .*quorum/),
    ]);
    expect(problemsOfFile({ ...exampleConsortium(), keyRecords: {} })).toEqual([
      expect.stringMatching(/^keyRecords\.cosigns: /),
    ]);
  });
});
