import { describe, it } from "vitest";
import {
  consistencyProof,
  INTL,
  inclusionProof,
  MerkleTree,
  rootFromInclusionProof,
  rootFromLeafHashes,
  utf8,
  verifyConsistency,
  verifyInclusion,
} from "#chain";
import { expectChainError } from "../../../support/chain-errors.js";

// Bad input is always a ChainError with a specific code, raised before any hashing.
// Tests assert the code, never the message.

const leaves = Array.from({ length: 8 }, (_, i) => INTL.hashLeaf(utf8(`leaf ${i}`)));
const tree = new MerkleTree(INTL, leaves);
const root = tree.root();
const leaf3 = leaves[3] as Uint8Array;
const proof3 = tree.inclusionProof(3);
const root5 = rootFromLeafHashes(INTL, leaves.slice(0, 5));
const proof5to8 = tree.consistencyProof(5);

// Things that are not 32-byte hashes. Casts model untyped callers (JSON, JS code).
const notHashes: Array<[string, Uint8Array]> = [
  ["0 bytes", new Uint8Array(0)],
  ["31 bytes", new Uint8Array(31)],
  ["33 bytes", new Uint8Array(33)],
  ["64 bytes", new Uint8Array(64)],
  ["a hex string", "00".repeat(32) as unknown as Uint8Array],
  ["a plain array of 32 numbers", Array.from({ length: 32 }, () => 0) as unknown as Uint8Array],
  ["undefined", undefined as unknown as Uint8Array],
  ["null", null as unknown as Uint8Array],
];

// Numbers that are not positions in a tree.
const notCounts: Array<[string, number]> = [
  ["-1", -1],
  ["1.5", 1.5],
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["2^53 (MAX_SAFE_INTEGER + 1)", 2 ** 53],
  ["1e300", 1e300],
  ["-0.5", -0.5],
  ["the string '3'", "3" as unknown as number],
  ["the bigint 3n", 3n as unknown as number],
];

describe("INVALID_HASH_SIZE: a hash argument is not 32 bytes", () => {
  it.each(notHashes)("hashChildren left or right is %s", (_, bad) => {
    expectChainError(() => INTL.hashChildren(bad, leaf3), "INVALID_HASH_SIZE");
    expectChainError(() => INTL.hashChildren(leaf3, bad), "INVALID_HASH_SIZE");
  });

  it.each(notHashes)("a leaf hash given to MerkleTree / rootFromLeafHashes / the helpers is %s", (_, bad) => {
    const list = [leaf3, bad, leaf3];
    expectChainError(() => new MerkleTree(INTL, list), "INVALID_HASH_SIZE");
    expectChainError(() => rootFromLeafHashes(INTL, list), "INVALID_HASH_SIZE");
    expectChainError(() => inclusionProof(INTL, list, 0), "INVALID_HASH_SIZE");
    expectChainError(() => consistencyProof(INTL, list, 1), "INVALID_HASH_SIZE");
    // A single "leaf" is the root of a one-leaf tree, so it is checked too.
    expectChainError(() => rootFromLeafHashes(INTL, [bad]), "INVALID_HASH_SIZE");
  });

  it.each(notHashes)("verifyInclusion leaf hash, root or a proof element is %s", (_, bad) => {
    expectChainError(() => verifyInclusion(INTL, bad, 3, 8, proof3, root), "INVALID_HASH_SIZE");
    expectChainError(() => verifyInclusion(INTL, leaf3, 3, 8, proof3, bad), "INVALID_HASH_SIZE");
    expectChainError(() => rootFromInclusionProof(INTL, bad, 3, 8, proof3), "INVALID_HASH_SIZE");
    for (let k = 0; k < proof3.length; k++) {
      const badProof = proof3.slice();
      badProof[k] = bad;
      expectChainError(() => verifyInclusion(INTL, leaf3, 3, 8, badProof, root), "INVALID_HASH_SIZE");
    }
  });

  it.each(notHashes)("verifyConsistency old root, new root or a proof element is %s", (_, bad) => {
    expectChainError(() => verifyConsistency(INTL, 5, 8, bad, root, proof5to8), "INVALID_HASH_SIZE");
    expectChainError(() => verifyConsistency(INTL, 5, 8, root5, bad, proof5to8), "INVALID_HASH_SIZE");
    for (let k = 0; k < proof5to8.length; k++) {
      const badProof = proof5to8.slice();
      badProof[k] = bad;
      expectChainError(() => verifyConsistency(INTL, 5, 8, root5, root, badProof), "INVALID_HASH_SIZE");
    }
  });

  it("accepts Uint8Array subclasses such as Buffer", () => {
    verifyInclusion(
      INTL,
      Buffer.from(leaf3),
      3,
      8,
      proof3.map((p) => Buffer.from(p)),
      Buffer.from(root),
    );
  });
});

describe("INVALID_INDEX / INVALID_SIZE: positions that are not non-negative safe integers", () => {
  it.each(notCounts)("a leaf index of %s", (_, bad) => {
    expectChainError(() => verifyInclusion(INTL, leaf3, bad, 8, proof3, root), "INVALID_INDEX");
    expectChainError(() => rootFromInclusionProof(INTL, leaf3, bad, 8, proof3), "INVALID_INDEX");
    expectChainError(() => tree.inclusionProof(bad), "INVALID_INDEX");
    expectChainError(() => inclusionProof(INTL, leaves, bad), "INVALID_INDEX");
  });

  it.each(notCounts)("a tree size of %s", (_, bad) => {
    expectChainError(() => verifyInclusion(INTL, leaf3, 3, bad, proof3, root), "INVALID_SIZE");
    expectChainError(() => rootFromInclusionProof(INTL, leaf3, 3, bad, proof3), "INVALID_SIZE");
  });

  it.each(notCounts)("an old or new size of %s", (_, bad) => {
    expectChainError(() => verifyConsistency(INTL, bad, 8, root5, root, proof5to8), "INVALID_SIZE");
    expectChainError(() => verifyConsistency(INTL, 5, bad, root5, root, proof5to8), "INVALID_SIZE");
    expectChainError(() => tree.consistencyProof(bad), "INVALID_SIZE");
    expectChainError(() => consistencyProof(INTL, leaves, bad), "INVALID_SIZE");
  });

  it("accepts MAX_SAFE_INTEGER itself as a size", () => {
    expectChainError(
      () => verifyInclusion(INTL, leaf3, 0, Number.MAX_SAFE_INTEGER, [], root),
      "INVALID_PROOF_SIZE",
    );
  });
});

describe("INDEX_OUT_OF_RANGE: index >= size", () => {
  it.each([
    [8, 8],
    [9, 8],
    [0, 0],
    [5, 1],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ])("index %i in a tree of %i", (index, size) => {
    expectChainError(() => verifyInclusion(INTL, leaf3, index, size, [], root), "INDEX_OUT_OF_RANGE");
    expectChainError(() => rootFromInclusionProof(INTL, leaf3, index, size, []), "INDEX_OUT_OF_RANGE");
  });

  it("MerkleTree.inclusionProof past the last leaf, and in the empty tree", () => {
    expectChainError(() => tree.inclusionProof(8), "INDEX_OUT_OF_RANGE");
    expectChainError(() => tree.inclusionProof(1000), "INDEX_OUT_OF_RANGE");
    expectChainError(() => new MerkleTree(INTL, []).inclusionProof(0), "INDEX_OUT_OF_RANGE");
    expectChainError(() => inclusionProof(INTL, [], 0), "INDEX_OUT_OF_RANGE");
  });
});

describe("INVALID_PROOF_SIZE: the proof has the wrong number of hashes", () => {
  it("inclusion proof one short, one long, empty, or far too long", () => {
    for (const bad of [proof3.slice(1), [...proof3, root], [], Array(64).fill(root)]) {
      expectChainError(() => verifyInclusion(INTL, leaf3, 3, 8, bad, root), "INVALID_PROOF_SIZE");
    }
  });

  it("a single-leaf tree wants the empty proof", () => {
    verifyInclusion(INTL, leaf3, 0, 1, [], leaf3);
    expectChainError(() => verifyInclusion(INTL, leaf3, 0, 1, [leaf3], leaf3), "INVALID_PROOF_SIZE");
  });

  it("consistency proof one short, one long, or empty", () => {
    for (const bad of [proof5to8.slice(1), [...proof5to8, root], []]) {
      expectChainError(() => verifyConsistency(INTL, 5, 8, root5, root, bad), "INVALID_PROOF_SIZE");
    }
  });

  it("equal sizes with a non-empty proof", () => {
    expectChainError(() => verifyConsistency(INTL, 8, 8, root, root, [root]), "INVALID_PROOF_SIZE");
  });

  it("a proof that is not an array at all", () => {
    const notArrays = [undefined, null, "00", { length: 0 }, root] as unknown as Uint8Array[][];
    for (const bad of notArrays) {
      expectChainError(() => verifyInclusion(INTL, leaf3, 3, 8, bad, root), "INVALID_PROOF_SIZE");
      expectChainError(() => verifyConsistency(INTL, 5, 8, root5, root, bad), "INVALID_PROOF_SIZE");
    }
  });

  // Index 2^40 + 5 in a tree of 2^41: the tree is perfect, so the path has one sibling
  // per level, 41 in all (inner = bitLength((2^40+5) xor (2^41-1)) = 40, border = 1).
  it("computes the wanted length from 53-bit positions (index 2^40 + 5, size 2^41 wants 41)", () => {
    const index = 2 ** 40 + 5;
    const size = 2 ** 41;
    for (let length = 0; length <= 60; length++) {
      const proof = Array.from({ length }, () => leaf3);
      if (length === 41) {
        // The right length gets as far as comparing roots.
        expectChainError(() => verifyInclusion(INTL, leaf3, index, size, proof, root), "ROOT_MISMATCH");
      } else {
        expectChainError(() => verifyInclusion(INTL, leaf3, index, size, proof, root), "INVALID_PROOF_SIZE");
      }
    }
  });
});

describe("INVALID_CONSISTENCY_RANGE: impossible old/new sizes", () => {
  it("old size 0", () => {
    expectChainError(() => verifyConsistency(INTL, 0, 8, root, root, []), "INVALID_CONSISTENCY_RANGE");
    expectChainError(() => verifyConsistency(INTL, 0, 0, root, root, []), "INVALID_CONSISTENCY_RANGE");
    expectChainError(() => tree.consistencyProof(0), "INVALID_CONSISTENCY_RANGE");
    expectChainError(() => consistencyProof(INTL, leaves, 0), "INVALID_CONSISTENCY_RANGE");
    expectChainError(() => new MerkleTree(INTL, []).consistencyProof(0), "INVALID_CONSISTENCY_RANGE");
  });

  it("old size > new size", () => {
    expectChainError(() => verifyConsistency(INTL, 9, 8, root, root, []), "INVALID_CONSISTENCY_RANGE");
    expectChainError(
      () => verifyConsistency(INTL, 8, 5, root, root5, proof5to8),
      "INVALID_CONSISTENCY_RANGE",
    );
    expectChainError(() => tree.consistencyProof(9), "INVALID_CONSISTENCY_RANGE");
    expectChainError(() => consistencyProof(INTL, leaves, 9), "INVALID_CONSISTENCY_RANGE");
  });
});

describe("ROOT_MISMATCH", () => {
  it("equal sizes with different roots", () => {
    expectChainError(() => verifyConsistency(INTL, 8, 8, root, root5, []), "ROOT_MISMATCH");
  });

  it("a good proof against another tree's root", () => {
    expectChainError(() => verifyInclusion(INTL, leaf3, 3, 8, proof3, root5), "ROOT_MISMATCH");
    expectChainError(() => verifyConsistency(INTL, 5, 8, root5, root5, proof5to8), "ROOT_MISMATCH");
    expectChainError(() => verifyConsistency(INTL, 5, 8, root, root, proof5to8), "ROOT_MISMATCH");
  });
});

describe("the order of checks", () => {
  // When several things are wrong the first failing check names the error; these pin
  // the order documented in test/vectors/merkle/generate.ts.
  it("verifyInclusion: root size, index, size, range, leaf size, proof elements, length", () => {
    const short = new Uint8Array(1);
    expectChainError(() => verifyInclusion(INTL, short, -1, -1, [short], short), "INVALID_HASH_SIZE");
    expectChainError(() => verifyInclusion(INTL, short, -1, -1, [short], root), "INVALID_INDEX");
    expectChainError(() => verifyInclusion(INTL, short, 0, -1, [short], root), "INVALID_SIZE");
    expectChainError(() => verifyInclusion(INTL, short, 9, 8, [short], root), "INDEX_OUT_OF_RANGE");
    expectChainError(() => verifyInclusion(INTL, short, 3, 8, [short], root), "INVALID_HASH_SIZE");
    expectChainError(() => verifyInclusion(INTL, leaf3, 3, 8, [short], root), "INVALID_HASH_SIZE");
    expectChainError(() => verifyInclusion(INTL, leaf3, 3, 8, [root], root), "INVALID_PROOF_SIZE");
  });

  it("verifyConsistency: sizes, hash sizes, range, equal sizes, length", () => {
    const short = new Uint8Array(1);
    expectChainError(() => verifyConsistency(INTL, -1, 8, short, short, [short]), "INVALID_SIZE");
    expectChainError(() => verifyConsistency(INTL, 9, 8, short, root, []), "INVALID_HASH_SIZE");
    expectChainError(() => verifyConsistency(INTL, 9, 8, root, root, [short]), "INVALID_HASH_SIZE");
    expectChainError(() => verifyConsistency(INTL, 9, 8, root, root, [root]), "INVALID_CONSISTENCY_RANGE");
    expectChainError(() => verifyConsistency(INTL, 8, 8, root, root5, [root]), "INVALID_PROOF_SIZE");
  });
});
