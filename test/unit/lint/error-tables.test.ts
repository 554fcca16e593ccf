import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FINDING_CODES } from "#chain";
import { VERIFY_ERROR_CODES } from "../../../functions/audit/verify-request.js";
import { ERROR_STATUS } from "../../../lib/protocol/errors.js";

// docs/ERRORS.md's code tables are the API reference: they list exactly the codes the
// code can return, each API error with its status, each refusal of the verify function
// and each audit finding with its meaning — no code missing, none the code no longer has.

const errorsDoc = readFileSync("docs/ERRORS.md", "utf8");

/** The text of `## <title>` up to the next `## ` heading. */
function section(title: string): string {
  const start = errorsDoc.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/ERRORS.md has no section "${title}"`);
  const end = errorsDoc.indexOf("\n## ", start + 1);
  return errorsDoc.slice(start, end < 0 ? undefined : end);
}

/** The cells of each table row whose first cell is a `CODE`, the code unquoted. */
function codeRows(text: string): string[][] {
  return text
    .split("\n")
    .map((line) => line.split("|").map((c) => c.trim()))
    .filter((cells) => /^`[A-Z_]+`$/.test(cells[1] ?? ""))
    .map((cells) => [(cells[1] ?? "").slice(1, -1), ...cells.slice(2, -1)]);
}

describe("docs/ERRORS.md tables", () => {
  it("list every API error code with its HTTP status, and no other", () => {
    const listed = codeRows(section("Error codes")).map(([code, status]) => [code, Number(status)]);
    expect(Object.fromEntries(listed)).toEqual(ERROR_STATUS);
    expect(listed).toHaveLength(Object.keys(ERROR_STATUS).length);
  });

  it("list every refusal code of the verify function with its cause, and no other", () => {
    const rows = codeRows(section("Verify function refusals"));
    expect(rows.map(([code]) => code).sort()).toEqual([...VERIFY_ERROR_CODES].sort());
    for (const [code, when] of rows) expect(when, code).not.toBe("");
  });

  it("list every audit finding code with a meaning, and no other", () => {
    const rows = codeRows(section("Audit findings"));
    expect(rows.map(([code]) => code).sort()).toEqual([...FINDING_CODES].sort());
    for (const [code, meaning] of rows) expect(meaning, code).not.toBe("");
  });
});
