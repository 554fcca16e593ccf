import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// Comments cite the design map as "ARCHITECTURE.md §n"; each citation must name a section
// docs/ARCHITECTURE.md has, or a reader follows it to nothing.

const ROOTS = ["bench", "bin", "cdk", "cli", "functions", "lib", "local", "scripts", "docs"];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|md)$/.test(f))
    .map((f) => join(dir, f));
}

/** Every "ARCHITECTURE.md §n" in `text`, as n. */
function citedSections(text: string): number[] {
  return [...text.matchAll(/ARCHITECTURE\.md §(\d+)/g)].map((m) => Number(m[1]));
}

/** The numbers of the "## n. Title" headings of a markdown page. */
function sectionNumbers(markdown: string): Set<number> {
  return new Set([...markdown.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1])));
}

describe("ARCHITECTURE.md citations", () => {
  const sections = sectionNumbers(readFileSync("docs/ARCHITECTURE.md", "utf8"));
  const citations = ROOTS.flatMap(filesUnder).flatMap((file) =>
    citedSections(readFileSync(file, "utf8")).map((section) => ({ file, section })),
  );

  it("are found in the code (the comments that cite it)", () => {
    expect(citations.length).toBeGreaterThanOrEqual(5);
  });

  it("each name a section docs/ARCHITECTURE.md has", () => {
    expect(citations.filter((c) => !sections.has(c.section))).toEqual([]);
  });

  it("a citation of a missing section is caught", () => {
    const page = "## 4. Cryptographic choices\n\n## 5. Request signing\n";
    const cited = citedSections("see ARCHITECTURE.md §5 and ARCHITECTURE.md §9");
    expect(cited.filter((n) => !sectionNumbers(page).has(n))).toEqual([9]);
  });
});
