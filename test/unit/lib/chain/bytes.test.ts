import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, equalBytes, fromBase64, fromHex, fromUtf8, toBase64, toHex, utf8 } from "#chain";
import { chainErrorCode } from "../../../support/chain-errors.js";

const bytes = fc.uint8Array({ maxLength: 100 });

describe("hex", () => {
  it("round trips any bytes, lower-case, and matches Buffer", () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const hex = toHex(b);
        expect(hex).toBe(Buffer.from(b).toString("hex"));
        expect(hex).toMatch(/^[0-9a-f]*$/);
        expect(fromHex(hex)).toEqual(b);
        expect(fromHex(hex.toUpperCase())).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });

  it("reads mixed case", () => {
    expect([...fromHex("aBcD0F")]).toEqual([0xab, 0xcd, 0x0f]);
    expect(fromHex("")).toEqual(new Uint8Array(0));
  });

  it.each(["0", "abc", "0g", "zz", "0x00", " 00", "00 ", "00\n", "+1", "-1", "ab:cd", "é0", "１２"])(
    "rejects %j with INVALID_ENCODING",
    (text) => {
      expect(chainErrorCode(() => fromHex(text))).toBe("INVALID_ENCODING");
    },
  );
});

describe("base64 (RFC 4648 §4, padded, canonical)", () => {
  // RFC 4648 §10 test vectors.
  it.each([
    ["", ""],
    ["f", "Zg=="],
    ["fo", "Zm8="],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg=="],
    ["fooba", "Zm9vYmE="],
    ["foobar", "Zm9vYmFy"],
  ])("RFC 4648 §10: %j <-> %j", (plain, encoded) => {
    expect(toBase64(utf8(plain))).toBe(encoded);
    expect(fromUtf8(fromBase64(encoded))).toBe(plain);
  });

  it("round trips any bytes and matches Buffer", () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const text = toBase64(b);
        expect(text).toBe(Buffer.from(b).toString("base64"));
        expect(fromBase64(text)).toEqual(b);
      }),
      { numRuns: 300 },
    );
  });

  it("uses + and / (not the URL alphabet)", () => {
    expect(toBase64(Uint8Array.of(0xfb, 0xff))).toBe("+/8=");
    expect([...fromBase64("+/8=")]).toEqual([0xfb, 0xff]);
  });

  it("accepts the canonical 'QQ==' and rejects 'QR==', which hides a set bit in the padding", () => {
    expect([...fromBase64("QQ==")]).toEqual([0x41]);
    expect(chainErrorCode(() => fromBase64("QR=="))).toBe("INVALID_ENCODING");
    expect([...fromBase64("QUI=")]).toEqual([0x41, 0x42]);
    expect(chainErrorCode(() => fromBase64("QUJ="))).toBe("INVALID_ENCODING");
  });

  it("rejects every non-canonical spelling of any byte string", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 20 }).filter((b) => b.length % 3 !== 0),
        fc.nat(),
        (b, n) => {
          const text = toBase64(b);
          const pad = text.endsWith("==") ? 2 : 1;
          // The last data character carries 4 (one pad) or 2 (two pads) unused low bits.
          const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
          const last = text.length - pad - 1;
          const value = alphabet.indexOf(text[last] as string);
          const unused = pad === 2 ? 4 : 2;
          const tweak = (n % ((1 << unused) - 1)) + 1; // 1 .. 2^unused - 1: some unused bit set
          const bad = text.slice(0, last) + alphabet.charAt(value | tweak) + text.slice(last + 1);
          fc.pre(bad !== text);
          expect(chainErrorCode(() => fromBase64(bad))).toBe("INVALID_ENCODING");
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    ["QQ", "missing padding"],
    ["QQ=", "length not a multiple of 4"],
    ["Q===", "three padding characters"],
    ["====", "padding only"],
    ["=QQQ", "padding first"],
    ["QQ==QQ==", "padding in the middle"],
    ["QUJD\n", "trailing newline"],
    ["QU JD", "inner space"],
    [" QUJD", "leading space"],
    ["-_8=", "URL-safe alphabet"],
    ["QUJ*", "character outside the alphabet"],
    ["QUJDé===", "non-ASCII"],
  ])("rejects %j (%s) with INVALID_ENCODING", (text) => {
    expect(chainErrorCode(() => fromBase64(text))).toBe("INVALID_ENCODING");
  });
});

describe("UTF-8", () => {
  it("round trips any well-formed string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 50 }), (s) => {
        expect(fromUtf8(utf8(s))).toBe(s);
        expect(utf8(s)).toEqual(new Uint8Array(Buffer.from(s, "utf8")));
      }),
      { numRuns: 300 },
    );
  });

  // A decoder that dropped a leading byte-order mark would map two byte strings to one
  // text, so text read back from signed bytes would not be what was signed.
  it("keeps a leading byte-order mark: decoding is one-to-one", () => {
    const withBom = fromHex("efbbbf41");
    expect(fromUtf8(withBom)).toBe("\ufeffA");
    expect(utf8(fromUtf8(withBom))).toEqual(withBom);
  });

  it("round trips valid UTF-8 bytes exactly, byte-order marks anywhere included", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 5 }), { maxLength: 5 }), (parts) => {
        const b = utf8(`\ufeff${parts.join("\ufeff")}`);
        expect(utf8(fromUtf8(b))).toEqual(b);
      }),
    );
  });

  it("encodes multi-byte characters", () => {
    expect(toHex(utf8("智信€😀"))).toBe("e699bae4bfa1e282acf09f9880");
  });

  it.each([
    ["ff", "a byte that never occurs in UTF-8"],
    ["c3", "a truncated two-byte sequence"],
    ["e282", "a truncated three-byte sequence"],
    ["80", "a lone continuation byte"],
    ["c080", "an overlong encoding of NUL"],
    ["e08080", "an overlong three-byte encoding"],
    ["eda080", "an encoded UTF-16 surrogate (U+D800)"],
    ["f4908080", "a code point above U+10FFFF"],
    ["41ff42", "an invalid byte between valid ones"],
  ])("rejects %s (%s) with INVALID_ENCODING", (hex) => {
    expect(chainErrorCode(() => fromUtf8(fromHex(hex)))).toBe("INVALID_ENCODING");
  });
});

describe("concatBytes / equalBytes", () => {
  it("concatenates in order, with empty parts and no parts", () => {
    expect([...concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3))]).toEqual([1, 2, 3]);
    expect(concatBytes()).toEqual(new Uint8Array(0));
  });

  it("concatenation matches Buffer.concat and returns a fresh array", () => {
    fc.assert(
      fc.property(fc.array(bytes, { maxLength: 5 }), (parts) => {
        const out = concatBytes(...parts);
        expect(out).toEqual(new Uint8Array(Buffer.concat(parts)));
        for (const p of parts) expect(out === p).toBe(false);
      }),
    );
  });

  it("equalBytes is byte equality", () => {
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        expect(equalBytes(a, b)).toBe(Buffer.from(a).equals(Buffer.from(b)));
        expect(equalBytes(a, a.slice())).toBe(true);
      }),
    );
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBe(false);
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
