import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64 } from "#chain";
import {
  checkFileDigest,
  EVIDENCE_ERROR_CODES,
  EvidenceError,
  parseTrustRoot,
  verifyEvidenceBundle,
} from "../../../../lib/evidence/index.js";
import type { VectorCase } from "../../../vectors/evidence/cases.js";
import { vectorFiles } from "../../../vectors/evidence/files.js";
import { checks } from "../../../vectors/evidence/ledger.js";

// The evidence-bundle vectors (test/vectors/evidence): each case verifies, or is refused
// with the code and JSON Pointer written beside it; every code a bundle or a file check
// can give has a case; and the files are what their builders make, so they cannot go stale.

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../vectors/evidence/${name}`, import.meta.url), "utf8")) as T;
}

const file = load<{ trustRoot: string; cases: VectorCase[] }>("cases.json");
const root = parseTrustRoot(file.trustRoot);

/** The case's outcome: "ok", or the refusal's code and pointer. */
function outcome(c: VectorCase): { code: string; pointer?: string } {
  try {
    const proven = verifyEvidenceBundle(
      c.bundle,
      root,
      checks,
      c.minWitnesses === undefined ? {} : { minWitnesses: c.minWitnesses },
    );
    if (c.file !== undefined) checkFileDigest(fromBase64(c.file), proven, c.field);
    return { code: "ok" };
  } catch (e) {
    if (!(e instanceof EvidenceError)) throw e;
    return e.pointer === undefined ? { code: e.code } : { code: e.code, pointer: e.pointer };
  }
}

describe("evidence-bundle vectors", () => {
  it("are the files generate.ts writes from the builders", () => {
    const built = JSON.parse(JSON.stringify(vectorFiles())) as Record<string, unknown>;
    expect(load("cases.json")).toEqual(built["cases.json"]);
    expect(load("example.json")).toEqual(built["example.json"]);
  });

  it.each(file.cases.map((c) => [c.description, c] as const))("%s", (_, c) => {
    const expected = c.pointer === undefined ? { code: c.expect } : { code: c.expect, pointer: c.pointer };
    expect(outcome(c)).toEqual(expected);
    expect(c.expect === "ok" || c.wrong !== undefined).toBe(true);
  });

  it("refuse with every code but the trust root's, which no bundle gives", () => {
    const codes = new Set(file.cases.map((c) => c.expect));
    expect(EVIDENCE_ERROR_CODES.filter((code) => !codes.has(code))).toEqual(["TRUST_ROOT_INVALID"]);
  });
});
