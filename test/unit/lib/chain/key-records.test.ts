import { createHash, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  contentDigest,
  deriveKeyId,
  fromBase64,
  INTL,
  isDerivedKeyId,
  isKeyRecordType,
  KEY_AT_CODES,
  KEY_POP_TAG,
  KEY_RECORD_TYPES,
  KEY_REFUSAL_CODES,
  keyPopMessage,
  parseKeyRecord,
  toBase64,
  toHex,
} from "#chain";
import { expectChainError } from "../../../support/chain-errors.js";
import { vectorKey } from "./key-vectors.js";

// Key ids, proofs of possession and the three key records' data (docs/FORMATS.md §10).

const a1 = vectorKey("a1");
const s1 = vectorKey("s1");
const addA1 = { keyId: a1.keyId, owner: a1.owner, role: a1.role, alg: a1.alg, spki: a1.spki, pop: a1.pop };
const addS1 = { keyId: s1.keyId, owner: s1.owner, role: s1.role, alg: s1.alg, spki: s1.spki, pop: s1.pop };
const TIME = "2026-11-21T08:00:00.123Z";

describe("deriveKeyId", () => {
  it("is <owner>/ and the first 16 hex digits of SHA-256(spki)", () => {
    const spki = fromBase64(s1.spki);
    const hash = createHash("sha256").update(spki).digest("hex");
    expect(deriveKeyId(INTL, "hf-sanya", spki)).toBe(`hf-sanya/${hash.slice(0, 16)}`);
    expect(deriveKeyId(INTL, "auditor", spki)).toBe(`auditor/${hash.slice(0, 16)}`);
  });

  it.each(["", "a", "HF-Haikou", "hf/haikou", "-hf", `h${"f".repeat(63)}`])(
    "refuses the owner %j",
    (owner) => {
      expectChainError(() => deriveKeyId(INTL, owner, fromBase64(a1.spki)), "INVALID_FORMAT");
    },
  );
});

describe("isDerivedKeyId", () => {
  it.each([
    ["hf-haikou/06e3fd8fda29bb60", true],
    ["a1/0123456789abcdef", true],
    ["hf-haikou/key-1", false],
    ["hf-haikou/06E3FD8FDA29BB60", false],
    ["hf-haikou/06e3fd8fda29bb6", false],
    ["hf-haikou/06e3fd8fda29bb600", false],
    ["alias/zhixin/demo/hf-haikou", false],
    ["arn:aws:kms:ap-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", false],
    ["/06e3fd8fda29bb60", false],
  ])("%s: %s", (keyId, want) => {
    expect(isDerivedKeyId(keyId)).toBe(want);
  });
});

describe("keyPopMessage", () => {
  it("is the UTF-8 of the tag and the key id", () => {
    expect(KEY_POP_TAG).toBe("zhixin/key-pop/v1\n");
    expect(Buffer.from(keyPopMessage("hf-haikou/06e3fd8fda29bb60")).toString("utf8")).toBe(
      "zhixin/key-pop/v1\nhf-haikou/06e3fd8fda29bb60",
    );
  });
});

describe("isKeyRecordType", () => {
  it("is exactly the three reserved types", () => {
    expect(KEY_RECORD_TYPES).toEqual(["zhixin.key.add", "zhixin.key.retire", "zhixin.key.revoke"]);
    for (const type of KEY_RECORD_TYPES) expect(isKeyRecordType(type)).toBe(true);
    for (const type of ["zhixin.key", "zhixin.key.rotate", "zhixin.contract.revoke", "ZHIXIN.KEY.ADD"])
      expect(isKeyRecordType(type)).toBe(false);
  });
});

describe("parseKeyRecord", () => {
  it("reads an add, decoding spki and pop, for each algorithm", () => {
    for (const data of [addA1, addS1]) {
      expect(parseKeyRecord("zhixin.key.add", data)).toEqual({
        type: "zhixin.key.add",
        ...data,
        spki: fromBase64(data.spki),
        pop: fromBase64(data.pop),
      });
    }
  });

  it("reads a retire and a revoke", () => {
    expect(parseKeyRecord("zhixin.key.retire", { keyId: a1.keyId })).toEqual({
      type: "zhixin.key.retire",
      keyId: a1.keyId,
    });
    expect(parseKeyRecord("zhixin.key.revoke", { keyId: "hf-haikou/key-1", compromisedSince: TIME })).toEqual(
      {
        type: "zhixin.key.revoke",
        keyId: "hf-haikou/key-1",
        compromisedSince: TIME,
      },
    );
  });

  it.each([
    "2028-02-29T23:59:59.999Z",
    "2000-02-29T00:00:00.000Z",
    "2026-12-31T00:00:00.000Z",
    "2026-04-30T00:00:00.000Z",
  ])("takes the real instant %s as compromisedSince", (compromisedSince) => {
    expect(parseKeyRecord("zhixin.key.revoke", { keyId: a1.keyId, compromisedSince })).toMatchObject({
      compromisedSince,
    });
  });

  const p256Spki = fromBase64(s1.spki);
  const compressed = new Uint8Array([
    ...Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex"),
    2 + ((p256Spki[90] as number) & 1),
    ...p256Spki.subarray(27, 59),
  ]);
  it("the compressed P-256 SPKI used below is a valid key, the same as s1's", () => {
    const jwk = (der: Uint8Array) =>
      createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" }).export({ format: "jwk" });
    expect(jwk(compressed)).toEqual(jwk(p256Spki));
  });

  const ed25519Spki = fromBase64(a1.spki);
  it.each<[string, string, unknown]>([
    ["data that is no object", "zhixin.key.retire", [a1.keyId]],
    ["data that is null", "zhixin.key.add", null],
    ["a type that is not a key record's", "zhixin.key.rotate", { keyId: a1.keyId }],
    ["an add with an extra field", "zhixin.key.add", { ...addA1, validFrom: TIME }],
    ["an add without pop", "zhixin.key.add", { ...addA1, pop: undefined }],
    ["an add with role sealer", "zhixin.key.add", { ...addA1, role: "sealer" }],
    ["an add with alg rsa", "zhixin.key.add", { ...addA1, alg: "rsa-v1_5-sha256" }],
    ["an Ed25519 spki under alg P-256", "zhixin.key.add", { ...addA1, alg: "ecdsa-p256-sha256" }],
    ["a P-256 spki under alg ed25519", "zhixin.key.add", { ...addS1, alg: "ed25519" }],
    ["a compressed P-256 spki", "zhixin.key.add", { ...addS1, spki: toBase64(compressed) }],
    [
      "an Ed25519 spki with a changed prefix",
      "zhixin.key.add",
      { ...addA1, spki: toBase64(new Uint8Array([0x30, 0x2b, ...ed25519Spki.subarray(2)])) },
    ],
    [
      "an Ed25519 spki one byte short",
      "zhixin.key.add",
      { ...addA1, spki: toBase64(ed25519Spki.subarray(0, 43)) },
    ],
    ["spki without base64 padding", "zhixin.key.add", { ...addA1, spki: a1.spki.replace(/=+$/, "") }],
    [
      "spki in base64url",
      "zhixin.key.add",
      { ...addA1, spki: a1.spki.replaceAll("+", "-").replaceAll("/", "_") },
    ],
    ["a pop of 65 bytes", "zhixin.key.add", { ...addA1, pop: toBase64(new Uint8Array(65)) }],
    ["a pop that is not base64", "zhixin.key.add", { ...addA1, pop: "not base64!" }],
    ["an owner with capitals", "zhixin.key.add", { ...addA1, owner: "HF-haikou" }],
    ["an owner holding /", "zhixin.key.add", { ...addA1, owner: "hf/haikou" }],
    ["an add keyId with a space", "zhixin.key.add", { ...addA1, keyId: "hf-haikou/key 1" }],
    ["an empty retire keyId", "zhixin.key.retire", { keyId: "" }],
    ["a retire keyId that is a number", "zhixin.key.retire", { keyId: 7 }],
    ["a retire with a reason", "zhixin.key.retire", { keyId: a1.keyId, reason: "rotation" }],
    ["a revoke without compromisedSince", "zhixin.key.revoke", { keyId: a1.keyId }],
    [
      "compromisedSince without milliseconds",
      "zhixin.key.revoke",
      { keyId: a1.keyId, compromisedSince: "2026-11-21T08:00:00Z" },
    ],
    [
      "compromisedSince with an offset",
      "zhixin.key.revoke",
      { keyId: a1.keyId, compromisedSince: "2026-11-21T16:00:00.000+08:00" },
    ],
    [
      "compromisedSince on 2026-02-29",
      "zhixin.key.revoke",
      { keyId: a1.keyId, compromisedSince: "2026-02-29T00:00:00.000Z" },
    ],
    [
      "compromisedSince on 2100-02-29",
      "zhixin.key.revoke",
      { keyId: a1.keyId, compromisedSince: "2100-02-29T00:00:00.000Z" },
    ],
    [
      "compromisedSince on 2026-04-31",
      "zhixin.key.revoke",
      { keyId: a1.keyId, compromisedSince: "2026-04-31T00:00:00.000Z" },
    ],
    [
      "compromisedSince on day 0",
      "zhixin.key.revoke",
      { keyId: a1.keyId, compromisedSince: "2026-11-00T00:00:00.000Z" },
    ],
    [
      "compromisedSince in month 13",
      "zhixin.key.revoke",
      { keyId: a1.keyId, compromisedSince: "2026-13-01T00:00:00.000Z" },
    ],
    [
      "compromisedSince in month 0",
      "zhixin.key.revoke",
      { keyId: a1.keyId, compromisedSince: "2026-00-01T00:00:00.000Z" },
    ],
    [
      "compromisedSince at hour 24",
      "zhixin.key.revoke",
      { keyId: a1.keyId, compromisedSince: "2026-11-21T24:00:00.000Z" },
    ],
    [
      "compromisedSince at minute 60",
      "zhixin.key.revoke",
      { keyId: a1.keyId, compromisedSince: "2026-11-21T08:60:00.000Z" },
    ],
    [
      "compromisedSince at a leap second",
      "zhixin.key.revoke",
      { keyId: a1.keyId, compromisedSince: "2016-12-31T23:59:60.000Z" },
    ],
  ])("refuses %s (INVALID_FORMAT)", (_, type, data) => {
    expectChainError(() => parseKeyRecord(type, data), "INVALID_FORMAT");
  });
});

// docs/FORMATS.md §10's example, read from the doc's text and recomputed.
describe("docs/FORMATS.md §10", () => {
  const doc = readFileSync("docs/FORMATS.md", "utf8");
  const start = doc.indexOf("\n## 10. Key history");
  const s10 = doc.slice(start, doc.indexOf("\n## ", start + 1));
  const row = (name: string): string => {
    const m = new RegExp(`^\\| ${name.replace(/[()]/g, "\\$&")} +\\| \`([^\`]+)\``, "m").exec(s10);
    if (m?.[1] === undefined) throw new Error(`§10 has no row ${name}`);
    return m[1];
  };
  // RFC 8032 §7.1 TEST 1.
  const secret = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  const publicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

  it("is the section after §9, listed in the contents and the tag table", () => {
    expect(start).toBeGreaterThan(doc.indexOf("\n## 9. "));
    expect(doc).toContain("· 10 key history ·");
    expect(doc.slice(0, doc.indexOf("\n## 0. "))).toContain("| `zhixin/key-pop/v1\\n`");
  });

  it("gives TEST 1's key id, pop and add record", () => {
    const spki = fromBase64(row("`spki`"));
    expect(toHex(spki)).toBe(`302a300506032b6570032100${publicKey}`);
    expect(s10).toContain(`printf '302a300506032b6570032100${publicKey}' | xxd -r -p | sha256sum`);
    expect(createHash("sha256").update(spki).digest("hex")).toBe(row("`H(spki)`"));
    const keyId = row("`keyId`");
    expect(deriveKeyId(INTL, "hf-haikou", spki)).toBe(keyId);
    expect(toHex(keyPopMessage(keyId))).toBe(row("pop message (hex)"));
    const privateKey = createPrivateKey({
      key: Buffer.from(`302e020100300506032b657004220420${secret}`, "hex"),
      format: "der",
      type: "pkcs8",
    });
    const pop = row("`pop`");
    expect(toBase64(sign(null, keyPopMessage(keyId), privateKey))).toBe(pop);
    expect(
      verify(
        null,
        keyPopMessage(keyId),
        createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }),
        fromBase64(pop),
      ),
    ).toBe(true);
    const data = { alg: "ed25519", keyId, owner: "hf-haikou", pop, role: "department", spki: toBase64(spki) };
    expect(parseKeyRecord("zhixin.key.add", data)).toMatchObject({ keyId, owner: "hf-haikou" });
    expect(s10).toContain(`\n    ${canonicalJson(data)}\n`);
    expect(contentDigest(INTL, data)).toBe(row("`contentDigest`"));
  });

  it("names every refusal and keyAt code, and the record types", () => {
    for (const code of [...KEY_REFUSAL_CODES, ...KEY_AT_CODES]) expect(s10).toContain(`\`${code}\``);
    for (const type of KEY_RECORD_TYPES) expect(s10).toContain(`| \`${type}\``);
    expect(s10).not.toMatch(/^```(json|sh|text)/m);
  });
});
