import { expect } from "vitest";
import { EVIDENCE_ERROR_CODES, EvidenceError } from "../../../../lib/evidence/index.js";

/** The EvidenceError code `f` throws (one of the closed set), or undefined if it returns. */
export function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(EvidenceError);
    const code = (e as EvidenceError).code;
    expect(EVIDENCE_ERROR_CODES).toContain(code);
    return code;
  }
}
