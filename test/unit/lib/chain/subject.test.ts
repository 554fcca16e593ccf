import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ChainErrorCode,
  deriveSubjectKey,
  fromHex,
  INTL,
  MAX_SUBJECT_BYTES,
  SUBJECT_KEY_BYTES,
  SUBJECT_KEY_LABEL,
  SUBJECT_TAG,
  subjectHmac,
  toHex,
  UNIQUE_TAG,
  uniqueHmac,
} from "#chain";
import { expectChainError } from "../../../support/chain-errors.js";
import vectors from "../../../vectors/subject-hmac.json" with { type: "json" };

// Keyed subject digests (docs/FORMATS.md §7) against known answers computed with
// node:crypto createHmac by the script recorded in test/vectors/subject-hmac.json.

const key = fromHex(vectors.key);
const byteLength = (s: string) => new TextEncoder().encode(s).length;

describe("domain-separation constants", () => {
  it("are the tags the vectors were computed with", () => {
    expect({ subject: SUBJECT_TAG, unique: UNIQUE_TAG, subjectKeyLabel: SUBJECT_KEY_LABEL }).toEqual(
      vectors.tags,
    );
  });
});

describe("subjectHmac known answers", () => {
  it.each(vectors.subjectHmac)("$description", ({ subject, bytes, hmac }) => {
    expect(byteLength(subject)).toBe(bytes);
    expect(subjectHmac(INTL, key, subject)).toBe(hmac);
  });

  it("the vectors reach both ends of the allowed length, in bytes not characters", () => {
    const lengths = vectors.subjectHmac.map((v) => v.bytes);
    expect(Math.min(...lengths)).toBe(1);
    expect(Math.max(...lengths)).toBe(MAX_SUBJECT_BYTES);
    expect(vectors.subjectHmac.some((v) => v.bytes === MAX_SUBJECT_BYTES && v.subject.length < 100)).toBe(
      true,
    );
  });
});

describe("subjectHmac refusals", () => {
  it.each(vectors.subjectRefused)("refuses $description", ({ subject, bytes, error }) => {
    expect(byteLength(subject)).toBe(bytes);
    expectChainError(() => subjectHmac(INTL, key, subject), error as ChainErrorCode);
  });

  it.each(vectors.keyRefused)("refuses $description", ({ keyBytes, error }) => {
    expectChainError(() => subjectHmac(INTL, new Uint8Array(keyBytes), "x"), error as ChainErrorCode);
  });

  it("checks the key before the subject", () => {
    expectChainError(() => subjectHmac(INTL, new Uint8Array(31), ""), "INVALID_ENCODING");
  });
});

describe("uniqueHmac known answers", () => {
  it.each(vectors.uniqueHmac)("$description", ({ text, hmac }) => {
    expect(uniqueHmac(INTL, key, text)).toBe(hmac);
  });

  it.each(vectors.keyRefused)("refuses $description", ({ keyBytes, error }) => {
    expectChainError(() => uniqueHmac(INTL, new Uint8Array(keyBytes), "{}"), error as ChainErrorCode);
  });

  it("is domain-separated from subjectHmac under the same key", () => {
    expect(uniqueHmac(INTL, key, "46010019900101123X")).not.toBe(
      subjectHmac(INTL, key, "46010019900101123X"),
    );
  });
});

describe("deriveSubjectKey", () => {
  const d = vectors.deriveSubjectKey;

  it("derives the known key from the known master, and MACs under it", () => {
    const derived = deriveSubjectKey(INTL, fromHex(d.master));
    expect(derived).toBeInstanceOf(Uint8Array);
    expect(derived.length).toBe(SUBJECT_KEY_BYTES);
    expect(toHex(derived)).toBe(d.key);
    expect(subjectHmac(INTL, derived, d.subject)).toBe(d.hmac);
  });

  it.each(vectors.keyRefused)("refuses a master that is $description", ({ keyBytes, error }) => {
    expectChainError(() => deriveSubjectKey(INTL, new Uint8Array(keyBytes)), error as ChainErrorCode);
  });
});

// Beyond the fixed vectors: any key, any subject of 1..256 UTF-8 bytes agrees with
// node:crypto, and any longer one is refused.
describe("subjectHmac against node:crypto", () => {
  const keys = fc.uint8Array({ minLength: 32, maxLength: 32 });

  it("agrees on every subject of 1 to 256 UTF-8 bytes, and refuses longer ones", () => {
    fc.assert(
      fc.property(keys, fc.string({ unit: "grapheme", minLength: 1, maxLength: 120 }), (k, subject) => {
        const n = byteLength(subject);
        if (n > MAX_SUBJECT_BYTES) {
          expectChainError(() => subjectHmac(INTL, k, subject), "INVALID_ENCODING");
          return;
        }
        const want = createHmac("sha256", k).update(`zhixin/subject/v1\n${subject}`, "utf8").digest("hex");
        expect(subjectHmac(INTL, k, subject)).toBe(want);
      }),
    );
  });
});
