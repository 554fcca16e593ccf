import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ACCESS_LEAF_TAG,
  accessEntryIdFor,
  BLOCK_HEADER_TAG,
  canonicalJson,
  contentDigest,
  deriveSubjectKey,
  ENTRY_ID_TAG,
  ENTRY_LEAF_TAG,
  FINDING_CODES,
  fromHex,
  INTL,
  type JsonValue,
  RECORD_LEAF_TAG,
  SUBJECT_KEY_LABEL,
  SUBJECT_TAG,
  subjectHmac,
  toHex,
  UNIQUE_TAG,
  utf8,
} from "#chain";
import { uniqueKeyFor } from "../../../functions/rules/unique-keys.js";
import { ContractDocumentSchema, contractVersion } from "../../../lib/protocol/contracts.js";

// The sharing examples of docs/FORMATS.md (§7 subject and claim HMACs, §8 an access entry's
// digest and id, §9 contract versions), read from the doc's own text and recomputed with
// lib/chain and functions/. Editing a value in the doc, or the code that makes it,
// without the other fails here. (§1–§4 are checked by test/unit/lib/chain/formats.test.ts.)

const doc = readFileSync("docs/FORMATS.md", "utf8");
const readme = readFileSync("README.md", "utf8");
const s3Walkthrough = readFileSync("docs/walkthroughs/s3-business-licence.md", "utf8");

/** The text of `## <n>. …` up to the next `## ` heading. */
function section(n: number): string {
  const start = doc.indexOf(`\n## ${n}. `);
  if (start < 0) throw new Error(`docs/FORMATS.md has no section ${n}`);
  const end = doc.indexOf("\n## ", start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** The first `code` span of the value cell of the table row whose first cell is `name`. */
function tableValue(text: string, name: string): string {
  for (const line of text.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    // "| name | value |" splits into ["", name, value, ""].
    if (cells.length < 4 || cells[1] !== name) continue;
    const code = /`([^`]+)`/.exec(cells[2] ?? "");
    if (code?.[1] !== undefined) return code[1];
  }
  throw new Error(`no table row "${name}" with a code value`);
}

/** Group 1 of `re` in `text`, which must match. */
function match(text: string, re: RegExp): string {
  const m = re.exec(text);
  if (m?.[1] === undefined) throw new Error(`docs/FORMATS.md: nothing matches ${re}`);
  return m[1];
}

/** Bodies of the fenced code blocks of `text` whose opening fence is exactly "```" + lang. */
function fenced(text: string, lang = ""): string[] {
  const re = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, "gm");
  return [...text.matchAll(re)].map((m) => (m[1] ?? "").replace(/\n$/, ""));
}

/** The `printf '<format>'` arguments of a shell block, with printf's \n escape applied. */
function printfArguments(sh: string): string[] {
  return [...sh.matchAll(/printf '([^']*)'/g)].map((m) => (m[1] ?? "").replaceAll("\\n", "\n"));
}

const hex = (bytes: Uint8Array | string) => toHex(typeof bytes === "string" ? utf8(bytes) : bytes);
const sha256Hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
/** "a2d298c3…3a93": how the doc abbreviates a long hex value. */
const abbreviation = (h: string) => `${h.slice(0, 8)}…${h.slice(-4)}`;

const s7 = section(7);
const s9 = section(9);
/** §8 from its example on: its envelope table has rows named like the example's. */
const s8 = section(8).slice(section(8).indexOf("**Example**"));

describe("docs/FORMATS.md tags", () => {
  it("lists each domain-separation tag the code uses", () => {
    const table = doc.slice(0, doc.indexOf("\n## 0. "));
    for (const tag of [
      RECORD_LEAF_TAG,
      ENTRY_LEAF_TAG,
      ACCESS_LEAF_TAG,
      ENTRY_ID_TAG,
      BLOCK_HEADER_TAG,
      SUBJECT_TAG,
      UNIQUE_TAG,
    ]) {
      expect(table).toContain(`| \`${tag.replace("\n", "\\n")}\``);
    }
    expect(table).toContain(`label \`${SUBJECT_KEY_LABEL}\`, which has no final`);
  });
});

describe("docs/FORMATS.md §6 audit findings", () => {
  it("gives the check of every finding code lib/chain can report, and of no other", () => {
    // The codes in the table's "finding when it fails" column.
    const named = section(6)
      .split("\n")
      .map((line) => line.split("|"))
      .filter((cells) => cells.length === 4)
      .flatMap((cells) => [...(cells[2] ?? "").matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]));
    expect([...new Set(named)].sort()).toEqual([...FINDING_CODES].sort());
  });
});

describe("docs/FORMATS.md §7 example: subject key, subject HMAC, claim key", () => {
  const master = tableValue(s7, "master");
  const key = tableValue(s7, "`K`");
  const subject = match(s7, /and the subject `([^`]+)`/);
  const claimText = tableValue(s7, "claim text");

  it("derives K from the master with the 21-byte label", () => {
    const label = tableValue(s7, "label (21 bytes)");
    expect(label).toBe(hex(SUBJECT_KEY_LABEL));
    expect(fromHex(label).length).toBe(21);
    expect(hex(deriveSubjectKey(INTL, fromHex(master)))).toBe(key);
  });

  it("gives the subject's HMAC input and subjectHmac under K", () => {
    const input = tableValue(s7, "HMAC input (36 bytes)");
    expect(input).toBe(hex(SUBJECT_TAG + subject));
    expect(fromHex(input).length).toBe(36);
    expect(subjectHmac(INTL, fromHex(key), subject)).toBe(tableValue(s7, "`subjectHmac`"));
  });

  it("gives the uniqueness claim key of an invoice.claim under K", () => {
    const claim = JSON.parse(claimText) as { type: string; values: JsonValue[] };
    expect(canonicalJson(claim as unknown as JsonValue)).toBe(claimText);
    expect(uniqueKeyFor(INTL, fromHex(key), claim.type, claim.values)).toBe(tableValue(s7, "`claimKey`"));
  });

  it("shows openssl commands over the same bytes and keys", () => {
    const sh = fenced(s7, "sh").join("\n");
    if (sh === "") throw new Error("§7 has no sh block");
    expect(printfArguments(sh)).toEqual([SUBJECT_KEY_LABEL, SUBJECT_TAG + subject, UNIQUE_TAG + claimText]);
    expect([...sh.matchAll(/hexkey:([0-9a-f]+)/g)].map((m) => m[1])).toEqual([master, key, key]);
  });
});

describe("docs/FORMATS.md §8 example: access details and the access entry id", () => {
  const [detailsText] = fenced(s8).filter((b) => b.startsWith("{"));
  if (detailsText === undefined) throw new Error("§8 has no access-details block");
  const details = JSON.parse(detailsText) as Record<string, unknown>;
  const keyId = match(s8, /for the key `([^`]+)`/);
  const nonce = match(s8, /and the nonce `([^`]+)`/);
  const digest = tableValue(s8, "`contentDigest`");

  it("shows the details as RFC 8785 JSON, and their contentDigest", () => {
    expect(canonicalJson(details as JsonValue)).toBe(detailsText);
    expect(contentDigest(INTL, details as JsonValue)).toBe(digest);
    expect(sha256Hex(detailsText)).toBe(digest);
  });

  it("derives the access entry id from (keyId, nonce, contentDigest)", () => {
    const idInput = `${ENTRY_ID_TAG}${canonicalJson({ contentDigest: digest, keyId, kind: "access", nonce })}`;
    expect(tableValue(s8, "id input")).toBe(
      idInput.replace("\n", "\\n").replace(digest, abbreviation(digest)),
    );
    const [sh] = fenced(s8, "sh");
    if (sh === undefined) throw new Error("§8 has no sh block");
    expect(printfArguments(sh)).toEqual([idInput]);
    expect(accessEntryIdFor(INTL, keyId, nonce, digest)).toBe(tableValue(s8, "`id`"));
    expect(sha256Hex(idInput).slice(0, 32)).toBe(tableValue(s8, "`id`"));
  });

  it("is about §7's subject, §9's S1 version, the worked example's entry 0 and the empty file", () => {
    expect(details.subjectHmac).toBe(tableValue(s7, "`subjectHmac`"));
    expect(details.version).toBe(match(s9, /Its `version` is `([0-9a-f]{64})`/));
    expect(details.record).toBe(tableValue(doc.slice(doc.indexOf("\n## Worked example")), "entry id 0"));
    expect((details.authorisation as { digest?: string } | undefined)?.digest).toBe(sha256Hex(""));
  });
});

describe("docs/FORMATS.md §9 example: contract versions of examples/contracts", () => {
  const load = (name: string) =>
    ContractDocumentSchema.parse(JSON.parse(readFileSync(`examples/contracts/${name}`, "utf8")));
  const s1 = load(match(s9, /`examples\/contracts\/([a-z0-9-]+\.json)`/));
  const s1Version = match(s9, /Its `version` is `([0-9a-f]{64})`/);
  const [s2Version, s3Version] = [
    match(s9, /The S2 and S3 contracts give\s+`([0-9a-f]{64})`/),
    match(s9, /The S2 and S3 contracts give\s+`[0-9a-f]{64}` and\s+`([0-9a-f]{64})`/),
  ];

  it("shows S1 as RFC 8785 JSON, and its version", () => {
    const [jcs] = fenced(s9).filter((b) => b.startsWith("{"));
    expect(jcs).toBe(canonicalJson(s1 as unknown as JsonValue));
    expect(contractVersion(INTL, s1)).toBe(s1Version);
  });

  it("gives the S2 and S3 versions", () => {
    expect(contractVersion(INTL, load("s2-blacklist.json"))).toBe(s2Version);
    expect(contractVersion(INTL, load("s3-business-licence.json"))).toBe(s3Version);
  });

  it("agrees with the README's S1 walkthrough and the S3 walkthrough's answer", () => {
    expect(readme).toContain(`${s1Version}  -`);
    expect(readme).toContain(`"version": "${abbreviation(s1Version)}"`);
    expect(s3Walkthrough).toContain(`"version": "${abbreviation(s3Version)}"`);
  });
});
