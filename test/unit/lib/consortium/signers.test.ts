import { describe, expect, it } from "vitest";
import { loadConsortium } from "../../../../functions/runtime/consortium-file.js";
import { parseConsortium, signersOf } from "../../../../lib/consortium/consortium.js";
import {
  consortiumProblems,
  exampleConsortium,
  type Json,
  recordTypeIndex,
} from "../../../support/consortium-file.js";

// recordTypes[].signers in the consortium file: departments that must each sign a record
// of the type (S4, S7). Checked at load, every problem with its path.

const problemsOfFile = (value: unknown) => consortiumProblems(() => parseConsortium(value));

describe("signers in the consortium file", () => {
  it("the example makes fund.transfer and approval.decision three-party; other types have none", () => {
    const c = loadConsortium("consortium.example.json");
    expect(signersOf(c, "fund.transfer")).toEqual(["hf-haikou", "hf-sanya", "market-regulation"]);
    expect(signersOf(c, "approval.decision")).toEqual([
      "civil-affairs",
      "market-regulation",
      "service-centre",
    ]);
    expect(signersOf(c, "invoice.claim")).toBeUndefined();
    expect(signersOf(c, "no.such-type")).toBeUndefined();
  });

  it("refuses a signer that is not a department, and one that is not a writer, each at its path", () => {
    const c = exampleConsortium();
    const i = recordTypeIndex(c, "fund.transfer");
    (c.recordTypes[i] as Json).signers = ["hf-haikou", "nobody", "civil-affairs"];
    const problems = problemsOfFile(c);
    expect(problems).toEqual([
      `recordTypes.${i}.signers.1: nobody is not a department`,
      `recordTypes.${i}.signers.2: fund.transfer: signer civil-affairs must also be a writer`,
    ]);
  });

  it.each([
    { wrong: "a single signer", signers: ["hf-haikou"], at: "signers" },
    { wrong: "a repeated signer", signers: ["hf-haikou", "hf-haikou"], at: "signers" },
    { wrong: "not an array", signers: "hf-haikou", at: "signers" },
  ])("refuses signers that are $wrong", ({ signers, at }) => {
    const c = exampleConsortium();
    const i = recordTypeIndex(c, "fund.transfer");
    (c.recordTypes[i] as Json).signers = signers;
    expect(problemsOfFile(c).map((p) => p.slice(0, p.indexOf(": ")))).toContain(`recordTypes.${i}.${at}`);
  });

  it("reserves record types named zhixin.*, such as zhixin.cosign", () => {
    const c = exampleConsortium();
    (c.recordTypes[0] as Json).type = "zhixin.cosign";
    expect(problemsOfFile(c)).toContain(
      "recordTypes.0.type: zhixin.cosign: record types named zhixin.* are reserved for the ledger itself",
    );
  });
});
