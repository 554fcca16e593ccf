import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { ConsortiumFileError } from "../../lib/consortium/consortium.js";

// Tests of consortium-file validation: start from the demo file, break one thing, and
// read back every problem the loader lists.

export type Json = Record<string, unknown>;
export type ExampleConsortium = {
  recordTypes: Array<Json & { schema?: unknown }>;
  departments: Json[];
} & Json;

/** A fresh, mutable copy of consortium.example.json. */
export function exampleConsortium(): ExampleConsortium {
  return JSON.parse(readFileSync("consortium.example.json", "utf8"));
}

/** Index of a record type in a consortium file; throws if it is not there. */
export function recordTypeIndex(c: { recordTypes: Json[] }, type: string): number {
  const i = c.recordTypes.findIndex((t) => t.type === type);
  if (i < 0) throw new Error(`no record type ${type} in the consortium file`);
  return i;
}

/** The problems `fn` reports as a ConsortiumFileError; fails the test if it throws nothing. */
export function consortiumProblems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConsortiumFileError);
    return (e as ConsortiumFileError).problems;
  }
  throw new Error("no ConsortiumFileError");
}
