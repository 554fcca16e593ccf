import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromBase64, utf8 } from "#chain";
import {
  checkEvidence,
  looksLikeBundle,
  sortDropped,
  type WithSignatureChecks,
} from "../../../console/src/views/evidence-check.js";
import { parseTrustRoot } from "../../../lib/evidence/index.js";
import type { VectorCase } from "../../vectors/evidence/cases.js";

// The evidence view's check (console/src/views/evidence-check.ts) runs every evidence-bundle
// vector with WebCrypto answering the signatures (console/src/signatures.ts; Node's WebCrypto
// here, Chromium's in test/browser/evidence.test.ts) and reaches the verdict, code and
// pointer the vectors give for node:crypto's checks.

const vectors = JSON.parse(
  readFileSync(new URL("../../vectors/evidence/cases.json", import.meta.url), "utf8"),
) as { trustRoot: string; cases: VectorCase[] };
const root = parseTrustRoot(vectors.trustRoot);

// signatures.ts is typed for the DOM (BufferSource), which this Node-typed project lacks:
// imported by a path TypeScript does not follow, as the page uses it.
const SIGNATURES = "../../../console/src/signatures.js";
const { withWebCrypto } = (await import(SIGNATURES)) as { withWebCrypto: WithSignatureChecks };

describe("the evidence view's check, with WebCrypto", () => {
  it.each(vectors.cases.map((c) => [c.description, c] as const))("%s", async (_, c) => {
    const outcome = await checkEvidence(c.bundle, root, withWebCrypto, {
      ...(c.file === undefined ? {} : { file: fromBase64(c.file) }),
      ...(c.field === undefined ? {} : { field: c.field }),
      ...(c.minWitnesses === undefined ? {} : { minWitnesses: c.minWitnesses }),
    });
    if (c.expect === "ok") {
      expect(outcome.verdict).toBe("verified");
      return;
    }
    expect(outcome).toMatchObject({ verdict: "refused", code: c.expect, pointer: c.pointer ?? null });
    // Only a file check's refusal comes with what the bundle proves.
    const fileCheck = ["FILE_MISMATCH", "PAYLOAD_WITHHELD", "DIGEST_FIELD_INVALID"].includes(c.expect);
    expect(outcome.verdict === "refused" && outcome.proven !== null).toBe(fileCheck);
  });

  it("tells a dropped bundle from an original file", () => {
    const bundle = { name: "b.json", bytes: utf8(vectors.cases[0]?.bundle ?? "") };
    const original = { name: "evidence.png", bytes: utf8("Screenshot\n") };
    const json = { name: "data.json", bytes: utf8('{"evidence":"other"}') };
    expect(looksLikeBundle(bundle.bytes)).toBe(true);
    expect(looksLikeBundle(json.bytes)).toBe(false);
    expect(looksLikeBundle(new Uint8Array([0xff, 0xfe]))).toBe(false);
    expect(sortDropped([original, bundle])).toEqual({ bundle, original, ignored: [] });
    expect(sortDropped([original, json])).toEqual({ original, ignored: [json] });
    expect(sortDropped([bundle, bundle])).toEqual({ bundle, ignored: [bundle] });
  });
});
