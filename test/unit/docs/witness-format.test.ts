import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ADD_CHECKPOINT_STATUS, QUORUM_FINDING_CODES } from "../../../lib/witness/index.js";

// docs/formats/witness.md is the witness's reference: its refusal table is the code's
// (ADD_CHECKPOINT_STATUS), its findings are the quorum check's, its worked example is the
// vector's, and every "witness.md §n" a comment cites is a section it has.

const page = readFileSync("docs/formats/witness.md", "utf8");
const worked = JSON.parse(readFileSync("test/vectors/cosignature/worked-example.json", "utf8")) as Record<
  string,
  string
>;

/** The text of the heading numbered `n` (e.g. "3.4") up to the next heading. */
function section(n: string): string {
  const start = page.search(new RegExp(`^#{2,3} ${n.replace(".", "\\.")}[. ]`, "m"));
  if (start < 0) throw new Error(`docs/formats/witness.md has no section ${n}`);
  const body = page.indexOf("\n", start) + 1;
  const end = page.slice(body).search(/^#{2,3} /m);
  return page.slice(start, end < 0 ? undefined : body + end);
}

/** The cells of each table row whose first cell is a `CODE`, the code unquoted. */
function codeRows(text: string): string[][] {
  return text
    .split("\n")
    .map((line) => line.split("|").map((c) => c.trim()))
    .filter((cells) => /^`[A-Z_0-9]+`$/.test(cells[1] ?? ""))
    .map((cells) => [(cells[1] ?? "").slice(1, -1), ...cells.slice(2, -1)]);
}

/** The contents of the bare ``` blocks of a text. */
function blocks(text: string): string[] {
  return [...text.matchAll(/^```\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
}

describe("docs/formats/witness.md", () => {
  it("§3.4 lists every add-checkpoint refusal with its status, and no other", () => {
    const rows = codeRows(section("3.4"));
    expect(Object.fromEntries(rows.map(([code, status]) => [code, Number(status)]))).toEqual(
      ADD_CHECKPOINT_STATUS,
    );
    expect(rows).toHaveLength(Object.keys(ADD_CHECKPOINT_STATUS).length);
  });

  it("§4.3 lists the quorum findings, and no other", () => {
    expect(codeRows(section("4.3")).map(([code]) => code)).toEqual([...QUORUM_FINDING_CODES]);
  });

  it("§1.6 shows the worked example's key, message and cosigned note byte for byte", () => {
    const example = blocks(section("1.6"));
    expect(example.some((b) => b.includes(`vkey    = ${worked.verifierKey}\n`))).toBe(true);
    expect(example.some((b) => b.includes(`key ID  = ${worked.keyHash}\n`))).toBe(true);
    expect(example).toContain(worked.message);
    expect(example).toContain(worked.cosignedNote);
    expect(blocks(section("3.3"))).toContain(worked.signatureLine);
  });

  it("has every section that code, tests and docs cite as witness.md §n", () => {
    const files = ["lib", "functions", "test", "docs", "cli", "local"].flatMap((dir) =>
      readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((f) => /\.(ts|md)$/.test(f))
        .map((f) => join(dir, f)),
    );
    const cited = files.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/witness\.md §(\d+(?:\.\d+)?)/g)].map((m) => ({
        file,
        section: m[1] ?? "",
      })),
    );
    expect(cited.length).toBeGreaterThanOrEqual(3);
    expect(
      cited.filter((c) => page.search(new RegExp(`^#{2,3} ${c.section.replace(".", "\\.")}[. ]`, "m")) < 0),
    ).toEqual([]);
  });
});
