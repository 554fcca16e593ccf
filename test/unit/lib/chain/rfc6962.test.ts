import { sha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HASH_SIZE, INTL, LEAF_HASH_PREFIX, NODE_HASH_PREFIX, sha256Bytes, toHex, utf8 } from "#chain";

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("RFC 6962 hashing constants", () => {
  it("uses 0x00 for leaves, 0x01 for nodes and 32-byte SHA-256 hashes", () => {
    expect(LEAF_HASH_PREFIX).toBe(0x00);
    expect(NODE_HASH_PREFIX).toBe(0x01);
    expect(HASH_SIZE).toBe(32);
  });

  it('has MTH({}) = SHA-256("") and returns a fresh array each time', () => {
    const a = INTL.emptyRoot();
    expect(toHex(a)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    a[0] = 0;
    expect(toHex(INTL.emptyRoot())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("sha256Bytes is plain SHA-256 (FIPS 180-2 'abc')", () => {
    expect(toHex(sha256Bytes(utf8("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});

describe("hashLeaf", () => {
  it("is SHA-256(0x00 || data) for any data, including empty", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        expect(toHex(INTL.hashLeaf(data))).toBe(toHex(sha256(concat(Uint8Array.of(0x00), data))));
      }),
      { numRuns: 300 },
    );
  });

  it("matches the known leaf hash of the empty entry (transparency-dev/merkle testonly)", () => {
    expect(toHex(INTL.hashLeaf(new Uint8Array(0)))).toBe(
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    );
  });

  it("does not modify its input", () => {
    const data = Uint8Array.of(1, 2, 3);
    INTL.hashLeaf(data);
    expect([...data]).toEqual([1, 2, 3]);
  });
});

describe("hashChildren and the specialised node hash", () => {
  it("INTL.hashChildrenUnchecked(l, r) = SHA-256(0x01 || l || r)", () => {
    fc.assert(
      fc.property(hash32, hash32, (l, r) => {
        const want = toHex(sha256(concat(Uint8Array.of(0x01), l, r)));
        expect(toHex(INTL.hashChildrenUnchecked(l, r))).toBe(want);
        expect(toHex(INTL.hashChildren(l, r))).toBe(want);
      }),
      { numRuns: 1000 },
    );
  });

  it("matches the known node hash of leaves 0 and 1 (transparency-dev/merkle testonly)", () => {
    const l = INTL.hashLeaf(new Uint8Array(0));
    const r = INTL.hashLeaf(Uint8Array.of(0x00));
    expect(toHex(INTL.hashChildren(l, r))).toBe(
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    );
  });

  it("returns a new array each call: earlier results survive later calls", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(hash32, hash32), { minLength: 2, maxLength: 20 }), (pairs) => {
        const outs = pairs.map(([l, r]) => INTL.hashChildrenUnchecked(l, r));
        pairs.forEach(([l, r], i) => {
          expect(toHex(outs[i] as Uint8Array)).toBe(toHex(sha256(concat(Uint8Array.of(0x01), l, r))));
        });
        expect(new Set(outs).size).toBe(outs.length);
      }),
      { numRuns: 100 },
    );
  });

  it("does not modify its inputs, and accepts its own output as an input (aliasing)", () => {
    const l = sha256(utf8("l"));
    const r = sha256(utf8("r"));
    const [lCopy, rCopy] = [l.slice(), r.slice()];
    const once = INTL.hashChildrenUnchecked(l, r);
    expect(l).toEqual(lCopy);
    expect(r).toEqual(rCopy);
    // Chaining a result straight back in, on either side and on both.
    expect(toHex(INTL.hashChildrenUnchecked(once, r))).toBe(toHex(sha256(concat(Uint8Array.of(1), once, r))));
    expect(toHex(INTL.hashChildrenUnchecked(l, once))).toBe(toHex(sha256(concat(Uint8Array.of(1), l, once))));
    expect(toHex(INTL.hashChildrenUnchecked(once, once))).toBe(
      toHex(sha256(concat(Uint8Array.of(1), once, once))),
    );
  });

  it("works on subarray views that do not start at offset 0", () => {
    const buf = new Uint8Array(100).map((_, i) => i);
    const l = buf.subarray(3, 35);
    const r = buf.subarray(50, 82);
    expect(toHex(INTL.hashChildren(l, r))).toBe(toHex(sha256(concat(Uint8Array.of(1), l, r))));
  });

  it("is not confused by interleaving with one-shot sha256 and hashLeaf", () => {
    const l = sha256(utf8("a"));
    const r = sha256(utf8("b"));
    const want = toHex(sha256(concat(Uint8Array.of(1), l, r)));
    for (let i = 0; i < 5; i++) {
      INTL.hashLeaf(utf8(`x${i}`));
      sha256(utf8("y".repeat(i * 50)));
      expect(toHex(INTL.hashChildren(l, r))).toBe(want);
    }
  });
});
