import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  checkFileDigest,
  EVIDENCE_ERROR_CODES,
  KEY_HISTORY_CAVEAT,
  parseTrustRoot,
  verifyEvidenceBundle,
} from "../../../../lib/evidence/index.js";
import { buildExample, EXAMPLE_INPUTS, type ExampleInputs } from "../../../vectors/evidence/example.js";
import { checks } from "../../../vectors/evidence/ledger.js";

// docs/formats/evidence.md is the bundle's reference: its error table is the code's
// closed set, its caveat the one every result carries, and its worked example (§7) is
// rebuilt here from the inputs the page states, every value compared with the page's.

const page = readFileSync("docs/formats/evidence.md", "utf8");
const vector = JSON.parse(readFileSync("test/vectors/evidence/example.json", "utf8")) as { bundle: string };

/** The text of the heading numbered `n` ("6", "7.3") up to the next heading. */
function section(n: string): string {
  const start = page.search(new RegExp(`^#{2,3} ${n.replace(".", "\\.")}[. ]`, "m"));
  if (start < 0) throw new Error(`docs/formats/evidence.md has no section ${n}`);
  const body = page.indexOf("\n", start) + 1;
  const end = page.slice(body).search(/^#{2,3} /m);
  return page.slice(start, end < 0 ? undefined : body + end);
}

/** The indented block of a section: from its first line indented by four spaces to its last. */
function block(text: string): string {
  const lines = text.split("\n");
  const first = lines.findIndex((l) => l.startsWith("    "));
  const last = lines.findLastIndex((l) => l.startsWith("    "));
  return lines
    .slice(first, last + 1)
    .map((l) => l.slice(4))
    .join("\n");
}

/** The rows of a section's table whose value is in backquotes, as name → value. */
function rows(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\| ([^|]+?) \| `([^`]*)` \|$/.exec(line);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

describe("docs/formats/evidence.md", () => {
  it("§6 lists every code lib/evidence gives, in order, and no other", () => {
    const codes = section("6")
      .split("\n")
      .map((l) => /^\| `([A-Z_]+)` \|/.exec(l)?.[1])
      .filter((c) => c !== undefined);
    expect(codes).toEqual([...EVIDENCE_ERROR_CODES]);
  });

  it("§4 states the caveat every verified bundle carries", () => {
    expect(block(section("4")).trim()).toBe(KEY_HISTORY_CAVEAT);
  });

  it("has no fenced blocks: examples are indented (the walkthrough runner executes fences)", () => {
    expect(page).not.toContain("```");
  });

  describe("§7, rebuilt from the inputs the page states", () => {
    const given = rows(section("7.1"));
    const inputs: ExampleInputs = {
      log: given.log as string,
      sealerSeed: given["sealer key"] as string,
      witnessName: given["witness name"] as string,
      witnessSeed: given["witness key"] as string,
      owner: given.member as string,
      memberSeed: given["member key"] as string,
      add: {
        receivedAt: given["add receivedAt"] as string,
        created: Number(given["add created"]),
        nonce: given["add nonce"] as string,
      },
      evidence: {
        receivedAt: given["evidence receivedAt"] as string,
        created: Number(given["evidence created"]),
        nonce: given["evidence nonce"] as string,
      },
      file: (given["evidence file"] as string).replaceAll("\\n", "\n"),
      capturedAt: given.capturedAt as string,
      caseId: given.caseId as string,
      cosignedAt: Number(given["cosigned at"]),
      departments: (given.departments as string).split(", "),
      ownerCosigns: Number(given["owner cosigns"]),
    };
    const built = buildExample(inputs);
    const bundle = JSON.parse(built.bundle);

    it("are the vectors' inputs, and give the vector's bundle file", () => {
      expect(inputs).toEqual(EXAMPLE_INPUTS);
      expect(built.bundle).toBe(vector.bundle);
      const bytes = Number(/\(([\d,]+) bytes\)/.exec(section("7.6"))?.[1]?.replace(",", ""));
      expect(Buffer.byteLength(built.bundle)).toBe(bytes);
    });

    it("§7.2 shows every value", () => {
      expect(rows(section("7.2"))).toEqual(built.values);
      const shell = /printf '(.*)' \| sha256sum/.exec(section("7.2"))?.[1];
      expect(shell?.replaceAll("\\n", "\n")).toBe(inputs.file);
      expect(createHash("sha256").update(inputs.file).digest("hex")).toBe(built.values["file SHA-256"]);
    });

    it("§7.3–§7.6 show the signature base, the checkpoint, the trust root and the bundle", () => {
      expect(block(section("7.3"))).toBe(bundle.entry.envelope.signatureBase);
      expect(`${block(section("7.4"))}\n`).toBe(built.checkpoint);
      expect(`${block(section("7.5"))}\n`).toBe(built.trustRoot);
      expect(JSON.parse(block(section("7.6")))).toEqual(bundle);
    });

    it("§7.7 shows what verifying it proves, and the file check", () => {
      const proven = verifyEvidenceBundle(built.bundle, parseTrustRoot(built.trustRoot), checks);
      expect(JSON.parse(block(section("7.7")))).toEqual(proven);
      const { sha256 } = checkFileDigest(new TextEncoder().encode(inputs.file), proven);
      expect(section("7.7")).toContain(`"sha256":\n"${sha256}"`);
    });
  });
});
