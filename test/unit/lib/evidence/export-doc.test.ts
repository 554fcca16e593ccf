import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EXPORT_ERROR_CODES, NOT_CHECKED_OFFLINE } from "../../../../lib/evidence/index.js";

// docs/formats/export.md is the export's reference: its code table is lib/evidence's closed
// set, both ways, and what it says the audit does not check is what the report says.

const page = readFileSync("docs/formats/export.md", "utf8");

describe("docs/formats/export.md", () => {
  it("§7 lists exactly EXPORT_ERROR_CODES, in order", () => {
    const section = page.slice(page.indexOf("## 7. Codes"));
    const codes = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(codes).toEqual([...EXPORT_ERROR_CODES]);
  });

  it("§5 names every code the report says is not checked offline", () => {
    const section = page.slice(page.indexOf("## 5."), page.indexOf("## 6."));
    for (const line of NOT_CHECKED_OFFLINE)
      for (const code of line.split(":")[0]?.split(", ") ?? []) expect(section).toContain(`\`${code}\``);
  });

  it("has no fenced blocks (the walkthrough runner executes fences)", () => {
    expect(page).not.toContain("```");
  });
});
