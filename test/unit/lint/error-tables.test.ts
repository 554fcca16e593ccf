import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_STATUS } from "../../../lib/protocol/errors.js";

// docs/ERRORS.md's code tables are the API reference: every code the code can return must
// be listed there with its status, and every audit finding code with its meaning.

const errorsDoc = readFileSync("docs/ERRORS.md", "utf8");
const findingCodes = [...readFileSync("lib/chain/audit.ts", "utf8").matchAll(/\| "([A-Z_]+)"/g)].map(
  (m) => m[1] as string,
);

describe("docs/ERRORS.md tables", () => {
  it.each(Object.entries(ERROR_STATUS))("lists API error %s with HTTP %i", (code, status) => {
    expect(errorsDoc).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`));
  });

  it("lists every audit finding code", () => {
    expect(findingCodes.length).toBeGreaterThan(20);
    for (const code of findingCodes) expect(errorsDoc).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|`));
  });
});
