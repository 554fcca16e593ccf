import { describe, expect, it } from "vitest";
import { EVIDENCE_REFUSALS } from "../../../console/src/views/evidence-refusals.js";
import { EVIDENCE_ERROR_CODES } from "../../../lib/evidence/index.js";

// The evidence view explains every refusal lib/evidence can give in both of the console's
// languages (console/src/views/evidence-refusals.ts), and names no code lib/evidence lacks.

const HAN = /\p{Script=Han}/u;

describe("the evidence view's refusal sentences", () => {
  it.each(EVIDENCE_ERROR_CODES.map((code) => [code]))("%s has an English and a Chinese sentence", (code) => {
    const { en, zh } = EVIDENCE_REFUSALS[code];
    expect(en.trim().length).toBeGreaterThan(20);
    expect(en).not.toMatch(HAN);
    expect(zh).toMatch(HAN);
    expect(zh).not.toBe(en);
  });

  it("are for lib/evidence's codes only", () => {
    expect(Object.keys(EVIDENCE_REFUSALS).sort()).toEqual([...EVIDENCE_ERROR_CODES].sort());
  });
});
