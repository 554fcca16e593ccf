import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_STATUS } from "../../../functions/shared/errors.js";

// The README's code tables are the API reference: every code the code can return must be
// listed there with its status, and every audit finding code with its meaning.

const readme = readFileSync("README.md", "utf8");
const findingCodes = [...readFileSync("lib/chain/audit.ts", "utf8").matchAll(/\| "([A-Z_]+)"/g)].map(
  (m) => m[1] as string,
);

describe("README tables", () => {
  it.each(Object.entries(ERROR_STATUS))("lists API error %s with HTTP %i", (code, status) => {
    expect(readme).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`));
  });

  it("lists every audit finding code", () => {
    expect(findingCodes.length).toBeGreaterThan(20);
    for (const code of findingCodes) expect(readme).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|`));
  });
});
