import { describe, expect, it } from "vitest";
import { loadConsortium } from "../../../../functions/runtime/consortium-file.js";
import { parseConsortium, uniqueFieldsOf } from "../../../../lib/consortium/consortium.js";
import {
  consortiumProblems,
  exampleConsortium,
  type Json,
  recordTypeIndex,
} from "../../../support/consortium-file.js";

// recordTypes[].unique in the consortium file: field names of `data` that together are
// unique per record type (S8). Checked at load, every problem with its path.

const INVOICE = recordTypeIndex(exampleConsortium(), "invoice.claim");

const problemsOfFile = (value: unknown) => consortiumProblems(() => parseConsortium(value));

describe("uniqueness keys in the consortium file", () => {
  it("the example makes invoice.claim unique by invoiceNo; other types have no key", () => {
    const c = loadConsortium("consortium.example.json");
    expect(c.recordTypes[INVOICE]?.type).toBe("invoice.claim");
    expect(uniqueFieldsOf(c, "invoice.claim")).toEqual(["invoiceNo"]);
    expect(uniqueFieldsOf(c, "housing-fund.deposit-certificate")).toBeUndefined();
    expect(uniqueFieldsOf(c, "no.such-type")).toBeUndefined();
  });

  it("refuses a unique field the schema does not require, at its path", () => {
    const c = exampleConsortium();
    (c.recordTypes[INVOICE] as Json).unique = ["invoiceNo", "issuer"];
    const problems = problemsOfFile(c);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^recordTypes\.6\.unique\.1: invoice\.claim: unique field issuer/);
  });

  it.each([
    { wrong: "empty", unique: [], path: "recordTypes.6.unique" },
    { wrong: "not an array", unique: "invoiceNo", path: "recordTypes.6.unique" },
    { wrong: "a repeated field", unique: ["invoiceNo", "invoiceNo"], path: "recordTypes.6.unique" },
    { wrong: "an empty name", unique: [""], path: "recordTypes.6.unique.0" },
  ])("refuses a key that is $wrong", ({ unique, path }) => {
    const c = exampleConsortium();
    (c.recordTypes[INVOICE] as Json).unique = unique;
    expect(problemsOfFile(c).map((p) => p.slice(0, p.indexOf(": ")))).toContain(path);
  });

  it("allows any field on a type without a schema", () => {
    const c = exampleConsortium();
    delete (c.recordTypes[INVOICE] as Json).schema;
    (c.recordTypes[INVOICE] as Json).unique = ["anything", "else"];
    expect(uniqueFieldsOf(parseConsortium(c), "invoice.claim")).toEqual(["anything", "else"]);
  });
});
