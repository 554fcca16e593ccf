import { describe, expect, it } from "vitest";
import { FINDING_CODES } from "#chain";
import { QUORUM_FINDING_CODES } from "../../../../lib/witness/index.js";

// The audit reports lib/witness's quorum findings under their own codes
// (functions/audit/audit.ts checkPublished): each must be an audit finding code, so the
// report's type, docs/ERRORS.md and the CLI's summary know it.
describe("the witness quorum's findings", () => {
  it("are audit finding codes", () => {
    for (const code of QUORUM_FINDING_CODES) expect(FINDING_CODES).toContain(code);
  });
});
