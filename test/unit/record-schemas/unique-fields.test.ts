import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ConsortiumFileError,
  loadConsortium,
  parseConsortium,
  uniqueFieldsOf,
} from "../../../functions/shared/consortium.js";

// recordTypes[].unique in the consortium file: field names of `data` that together are
// unique per record type (S8). Checked at load, every problem with its path.

type Json = Record<string, unknown>;
const example = (): { recordTypes: Json[] } & Json =>
  JSON.parse(readFileSync("consortium.example.json", "utf8"));
const INVOICE = 6;

function problemsOf(value: unknown): string[] {
  try {
    parseConsortium(value);
  } catch (e) {
    expect(e).toBeInstanceOf(ConsortiumFileError);
    return (e as ConsortiumFileError).problems;
  }
  throw new Error("no ConsortiumFileError");
}

describe("uniqueness keys in the consortium file", () => {
  it("the example makes invoice.claim unique by invoiceNo; other types have no key", () => {
    const c = loadConsortium("consortium.example.json");
    expect(c.recordTypes[INVOICE]?.type).toBe("invoice.claim");
    expect(uniqueFieldsOf(c, "invoice.claim")).toEqual(["invoiceNo"]);
    expect(uniqueFieldsOf(c, "housing-fund.deposit-certificate")).toBeUndefined();
    expect(uniqueFieldsOf(c, "no.such-type")).toBeUndefined();
  });

  it("refuses a unique field the schema does not require, at its path", () => {
    const c = example();
    (c.recordTypes[INVOICE] as Json).unique = ["invoiceNo", "issuer"];
    const problems = problemsOf(c);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^recordTypes\.6\.unique\.1: invoice\.claim: unique field issuer/);
  });

  it.each([
    { wrong: "empty", unique: [], path: "recordTypes.6.unique" },
    { wrong: "not an array", unique: "invoiceNo", path: "recordTypes.6.unique" },
    { wrong: "a repeated field", unique: ["invoiceNo", "invoiceNo"], path: "recordTypes.6.unique" },
    { wrong: "an empty name", unique: [""], path: "recordTypes.6.unique.0" },
  ])("refuses a key that is $wrong", ({ unique, path }) => {
    const c = example();
    (c.recordTypes[INVOICE] as Json).unique = unique;
    expect(problemsOf(c).map((p) => p.slice(0, p.indexOf(": ")))).toContain(path);
  });

  it("allows any field on a type without a schema", () => {
    const c = example();
    delete (c.recordTypes[INVOICE] as Json).schema;
    (c.recordTypes[INVOICE] as Json).unique = ["anything", "else"];
    expect(uniqueFieldsOf(parseConsortium(c), "invoice.claim")).toEqual(["anything", "else"]);
  });
});
