import { describe, expect, it } from "vitest";
import {
  CompactRange,
  consistencyProof,
  INTL,
  inclusionProof,
  MerkleTree,
  rootFromInclusionProof,
  rootFromLeafHashes,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from "#chain";
import {
  RfcTree,
  refLeafHash,
  rfcConsistencyPathLength,
  rfcInclusionPathLength,
  rfcVerifyConsistency,
  rfcVerifyInclusion,
  splitPoint,
} from "./rfc9162.js";

// The fast, bottom-up code of lib/chain against the plain recursive definitions of
// RFC 9162 §2.1 (test/unit/lib/chain/rfc9162.ts) for every tree size 0..130, every leaf
// index and every old size. 130 covers every shape of the top levels up to 2^7 + 2.

const MAX_SIZE = 130;

// Distinct entries of 0 to 7 bytes: entry 0 is empty, entry i > 0 starts with the byte i.
const entries = Array.from({ length: MAX_SIZE }, (_, i) =>
  Uint8Array.from({ length: i === 0 ? 0 : 1 + (i % 7) }, (_, j) => (j === 0 ? i : (i * 31 + j) & 0xff)),
);
const ref = new RfcTree(entries);
const leafHashes = entries.map(refLeafHash);
const hexes = (hs: readonly Uint8Array[]): string[] => hs.map(toHex);
const sizes = Array.from({ length: MAX_SIZE + 1 }, (_, n) => n);

describe("the recursive reference itself", () => {
  it("splits at the largest power of two below n", () => {
    expect([2, 3, 4, 5, 7, 8, 9, 63, 28937].map(splitPoint)).toEqual([1, 2, 2, 4, 4, 4, 8, 32, 16384]);
  });

  it("has MTH({}) = SHA-256 of nothing", () => {
    expect(toHex(ref.mth(0, 0))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});

describe.each(sizes)("a tree of %i leaves", (n) => {
  const leaves = leafHashes.slice(0, n);
  const mth = toHex(ref.mth(0, n));
  const tree = new MerkleTree(INTL, leaves);

  it("has MTH(D[n]) as its root, by every route", () => {
    expect(toHex(rootFromLeafHashes(INTL, leaves))).toBe(mth);
    expect(tree.size).toBe(n);
    expect(toHex(tree.root())).toBe(mth);
    const range = CompactRange.empty(INTL);
    range.appendAll(leaves);
    expect(range.size).toBe(n);
    expect(toHex(range.root())).toBe(mth);
  });

  it("gives PATH(m, D[n]) for every m, and each verifies", () => {
    for (let m = 0; m < n; m++) {
      const want = ref.path(m, 0, n);
      expect(want.length).toBe(rfcInclusionPathLength(BigInt(m), BigInt(n)));
      const got = tree.inclusionProof(m);
      expect(hexes(got), `PATH(${m}, D[${n}])`).toEqual(hexes(want));
      const leaf = leaves[m] as Uint8Array;
      expect(toHex(rootFromInclusionProof(INTL, leaf, m, n, got))).toBe(mth);
      verifyInclusion(INTL, leaf, m, n, got, ref.mth(0, n));
      expect(rfcVerifyInclusion(BigInt(m), BigInt(n), leaf, got, ref.mth(0, n))).toBe(true);
    }
  });

  it("gives PROOF(m, D[n]) for every 0 < m <= n, and each verifies", () => {
    for (let m = 1; m <= n; m++) {
      const want = ref.proof(m, n);
      if (m < n) expect(want.length).toBe(rfcConsistencyPathLength(BigInt(m), BigInt(n)));
      const got = tree.consistencyProof(m);
      expect(hexes(got), `PROOF(${m}, D[${n}])`).toEqual(hexes(want));
      verifyConsistency(INTL, m, n, ref.mth(0, m), ref.mth(0, n), got);
      expect(rfcVerifyConsistency(BigInt(m), BigInt(n), ref.mth(0, m), ref.mth(0, n), got)).toBe(true);
    }
  });

  it("keeps one perfect-subtree root per set bit of n in its compact range", () => {
    const range = CompactRange.empty(INTL);
    range.appendAll(leaves);
    const want: string[] = [];
    let start = 0;
    for (let bit = 2 ** 7; bit >= 1; bit /= 2) {
      if ((n & bit) === 0) continue;
      want.push(toHex(ref.mth(start, start + bit)));
      start += bit;
    }
    expect(range.state()).toEqual({ size: n, hashes: want });
  });
});

describe("the one-shot helpers", () => {
  it("inclusionProof and consistencyProof over a leaf list match the tree's", () => {
    for (const n of [1, 2, 3, 7, 8, 9, 100, 130]) {
      const leaves = leafHashes.slice(0, n);
      for (const m of [0, 1, Math.floor(n / 2), n - 1].filter((m) => m < n)) {
        expect(hexes(inclusionProof(INTL, leaves, m))).toEqual(hexes(ref.path(m, 0, n)));
        if (m > 0) expect(hexes(consistencyProof(INTL, leaves, m))).toEqual(hexes(ref.proof(m, n)));
      }
    }
  });

  it("appending one leaf at a time passes through every MTH(D[0:k])", () => {
    const range = CompactRange.empty(INTL);
    for (let k = 0; k <= MAX_SIZE; k++) {
      expect(toHex(range.root())).toBe(toHex(ref.mth(0, k)));
      if (k < MAX_SIZE) range.append(leafHashes[k] as Uint8Array);
    }
  });
});
