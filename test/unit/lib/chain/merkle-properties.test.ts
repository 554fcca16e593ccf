import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ChainError,
  INTL,
  MerkleTree,
  rootFromInclusionProof,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from "#chain";
import {
  refLeafHash,
  rfcConsistencyPathLength,
  rfcConsistencyRoots,
  rfcConsistencyWalk,
  rfcInclusionPathLength,
  rfcInclusionRoot,
  rfcInclusionWalk,
} from "./rfc9162.js";

// Every generated proof verifies; every mutated one is rejected with the code that
// names what is wrong. Trees have distinct leaves (entry i is seed || i), so no two
// nodes of a tree are equal and a changed hash can only be caught as ROOT_MISMATCH.

type Outcome = "ok" | string;

function outcome(fn: () => unknown): Outcome {
  try {
    fn();
    return "ok";
  } catch (e) {
    if (e instanceof ChainError) return e.code;
    throw e;
  }
}

function buildTree(seed: Uint8Array, size: number): { leaves: Uint8Array[]; tree: MerkleTree } {
  const leaves = Array.from({ length: size }, (_, i) => {
    const entry = new Uint8Array(seed.length + 4);
    entry.set(seed);
    new DataView(entry.buffer).setUint32(seed.length, i);
    return refLeafHash(entry);
  });
  return { leaves, tree: new MerkleTree(INTL, leaves) };
}

const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const seedArb = fc.uint8Array({ minLength: 8, maxLength: 8 });

/** A tree size and a leaf index in it. */
const inclusionCase = fc
  .record({ seed: seedArb, size: fc.integer({ min: 1, max: 260 }) })
  .chain(({ seed, size }) =>
    fc.record({ seed: fc.constant(seed), size: fc.constant(size), index: fc.nat(size - 1) }),
  );

/** A new size and an old size 0 < old <= new. */
const consistencyCase = fc
  .record({ seed: seedArb, size: fc.integer({ min: 1, max: 260 }) })
  .chain(({ seed, size }) =>
    fc.record({ seed: fc.constant(seed), size: fc.constant(size), old: fc.integer({ min: 1, max: size }) }),
  );

function flip(proof: readonly Uint8Array[], k: number, bit: number): Uint8Array[] {
  // Copy: proofs share their arrays with the tree.
  const out = proof.slice();
  const h = (proof[k] as Uint8Array).slice();
  h[bit >> 3] = (h[bit >> 3] as number) ^ (1 << (bit & 7));
  out[k] = h;
  return out;
}

describe("inclusion proofs", () => {
  it("every generated proof verifies", () => {
    fc.assert(
      fc.property(inclusionCase, ({ seed, size, index }) => {
        const { leaves, tree } = buildTree(seed, size);
        const proof = tree.inclusionProof(index);
        expect(proof.length).toBe(rfcInclusionPathLength(BigInt(index), BigInt(size)));
        verifyInclusion(INTL, leaves[index] as Uint8Array, index, size, proof, tree.root());
      }),
      { numRuns: 300 },
    );
  });

  it("a flipped bit in any proof hash is ROOT_MISMATCH", () => {
    fc.assert(
      fc.property(inclusionCase, fc.nat(), fc.nat(255), ({ seed, size, index }, k, bit) => {
        fc.pre(size > 1);
        const { leaves, tree } = buildTree(seed, size);
        const proof = tree.inclusionProof(index);
        const bad = flip(proof, k % proof.length, bit);
        expect(
          outcome(() => verifyInclusion(INTL, leaves[index] as Uint8Array, index, size, bad, tree.root())),
        ).toBe("ROOT_MISMATCH");
      }),
      { numRuns: 300 },
    );
  });

  it("a dropped or an added proof hash is INVALID_PROOF_SIZE", () => {
    fc.assert(
      fc.property(inclusionCase, fc.nat(), hash32, fc.boolean(), ({ seed, size, index }, k, extra, drop) => {
        const { leaves, tree } = buildTree(seed, size);
        const proof = tree.inclusionProof(index);
        fc.pre(!drop || proof.length > 0);
        const bad = proof.slice();
        if (drop) bad.splice(k % proof.length, 1);
        else bad.splice(k % (proof.length + 1), 0, extra);
        expect(
          outcome(() => verifyInclusion(INTL, leaves[index] as Uint8Array, index, size, bad, tree.root())),
        ).toBe("INVALID_PROOF_SIZE");
      }),
      { numRuns: 300 },
    );
  });

  it("a wrong leaf index is always rejected, with the code that says why", () => {
    fc.assert(
      fc.property(inclusionCase, fc.nat(700), ({ seed, size, index }, other) => {
        fc.pre(other !== index);
        const { leaves, tree } = buildTree(seed, size);
        const proof = tree.inclusionProof(index);
        const got = outcome(() =>
          verifyInclusion(INTL, leaves[index] as Uint8Array, other, size, proof, tree.root()),
        );
        if (other >= size) expect(got).toBe("INDEX_OUT_OF_RANGE");
        else if (rfcInclusionPathLength(BigInt(other), BigInt(size)) !== proof.length)
          expect(got).toBe("INVALID_PROOF_SIZE");
        else expect(got).toBe("ROOT_MISMATCH");
      }),
      { numRuns: 300 },
    );
  });

  // RFC 9162 proofs do not bind the tree size: a proof for (index, size) also "proves"
  // (index, size') whenever the verifier's hashing walk is the same for both (e.g. leaf 0
  // in sizes 5 and 6). The size is authenticated by the signed tree head. So: a wrong
  // size is rejected exactly when the walk differs, with the code that says why.
  it("a wrong tree size is rejected unless the RFC walk is identical", () => {
    fc.assert(
      fc.property(inclusionCase, fc.integer({ min: 0, max: 700 }), ({ seed, size, index }, other) => {
        fc.pre(other !== size);
        const { leaves, tree } = buildTree(seed, size);
        const proof = tree.inclusionProof(index);
        const got = outcome(() =>
          verifyInclusion(INTL, leaves[index] as Uint8Array, index, other, proof, tree.root()),
        );
        if (index >= other) expect(got).toBe("INDEX_OUT_OF_RANGE");
        else if (rfcInclusionPathLength(BigInt(index), BigInt(other)) !== proof.length)
          expect(got).toBe("INVALID_PROOF_SIZE");
        else if (
          rfcInclusionWalk(BigInt(index), BigInt(other)) === rfcInclusionWalk(BigInt(index), BigInt(size))
        )
          expect(got).toBe("ok");
        else expect(got).toBe("ROOT_MISMATCH");
      }),
      { numRuns: 300 },
    );
  });

  it("a wrong root or a wrong leaf hash is ROOT_MISMATCH", () => {
    fc.assert(
      fc.property(inclusionCase, hash32, fc.boolean(), ({ seed, size, index }, other, wrongRoot) => {
        const { leaves, tree } = buildTree(seed, size);
        const leaf = leaves[index] as Uint8Array;
        const root = tree.root();
        fc.pre(toHex(other) !== toHex(wrongRoot ? root : leaf));
        const proof = tree.inclusionProof(index);
        const got = wrongRoot
          ? outcome(() => verifyInclusion(INTL, leaf, index, size, proof, other))
          : outcome(() => verifyInclusion(INTL, other, index, size, proof, root));
        expect(got).toBe("ROOT_MISMATCH");
      }),
      { numRuns: 200 },
    );
  });
});

describe("consistency proofs", () => {
  it("every generated proof verifies", () => {
    fc.assert(
      fc.property(consistencyCase, ({ seed, size, old }) => {
        const { leaves, tree } = buildTree(seed, size);
        const oldRoot = new MerkleTree(INTL, leaves.slice(0, old)).root();
        const proof = tree.consistencyProof(old);
        if (old < size) expect(proof.length).toBe(rfcConsistencyPathLength(BigInt(old), BigInt(size)));
        else expect(proof).toEqual([]);
        verifyConsistency(INTL, old, size, oldRoot, tree.root(), proof);
      }),
      { numRuns: 300 },
    );
  });

  // From here on the sizes differ, so the proof is never empty.
  const properCase = consistencyCase.filter(({ size, old }) => old < size);

  it("a flipped bit in any proof hash is ROOT_MISMATCH", () => {
    fc.assert(
      fc.property(properCase, fc.nat(), fc.nat(255), ({ seed, size, old }, k, bit) => {
        const { leaves, tree } = buildTree(seed, size);
        const oldRoot = new MerkleTree(INTL, leaves.slice(0, old)).root();
        const proof = tree.consistencyProof(old);
        const bad = flip(proof, k % proof.length, bit);
        expect(outcome(() => verifyConsistency(INTL, old, size, oldRoot, tree.root(), bad))).toBe(
          "ROOT_MISMATCH",
        );
      }),
      { numRuns: 300 },
    );
  });

  it("a dropped or an added proof hash is INVALID_PROOF_SIZE", () => {
    fc.assert(
      fc.property(properCase, fc.nat(), hash32, fc.boolean(), ({ seed, size, old }, k, extra, drop) => {
        const { leaves, tree } = buildTree(seed, size);
        const oldRoot = new MerkleTree(INTL, leaves.slice(0, old)).root();
        const proof = tree.consistencyProof(old);
        const bad = proof.slice();
        if (drop) bad.splice(k % proof.length, 1);
        else bad.splice(k % (proof.length + 1), 0, extra);
        expect(outcome(() => verifyConsistency(INTL, old, size, oldRoot, tree.root(), bad))).toBe(
          "INVALID_PROOF_SIZE",
        );
      }),
      { numRuns: 300 },
    );
  });

  // As for inclusion, only the walk is checked, so another pair of sizes with the same
  // walk is indistinguishable (e.g. 4 -> 5 and 4 -> 6); every other change is caught.
  it("a wrong old or new size is rejected unless the RFC walk is identical", () => {
    fc.assert(
      fc.property(
        properCase,
        fc.integer({ min: 0, max: 700 }),
        fc.boolean(),
        ({ seed, size, old }, x, moveOld) => {
          const [m, n] = moveOld ? [x, size] : [old, x];
          fc.pre(m !== old || n !== size);
          const { leaves, tree } = buildTree(seed, size);
          const oldRoot = new MerkleTree(INTL, leaves.slice(0, old)).root();
          const proof = tree.consistencyProof(old);
          const got = outcome(() => verifyConsistency(INTL, m, n, oldRoot, tree.root(), proof));
          if (m === 0 || m > n) expect(got).toBe("INVALID_CONSISTENCY_RANGE");
          else if (m === n || rfcConsistencyPathLength(BigInt(m), BigInt(n)) !== proof.length)
            expect(got).toBe("INVALID_PROOF_SIZE");
          else if (rfcConsistencyWalk(BigInt(m), BigInt(n)) === rfcConsistencyWalk(BigInt(old), BigInt(size)))
            expect(got).toBe("ok");
          else expect(got).toBe("ROOT_MISMATCH");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a wrong old root, a wrong new root or swapped roots are ROOT_MISMATCH", () => {
    fc.assert(
      fc.property(
        properCase,
        hash32,
        fc.constantFrom("old", "new", "swap"),
        ({ seed, size, old }, other, which) => {
          const { leaves, tree } = buildTree(seed, size);
          const oldRoot = new MerkleTree(INTL, leaves.slice(0, old)).root();
          const newRoot = tree.root();
          fc.pre(toHex(other) !== toHex(oldRoot) && toHex(other) !== toHex(newRoot));
          const proof = tree.consistencyProof(old);
          const [r1, r2] =
            which === "old" ? [other, newRoot] : which === "new" ? [oldRoot, other] : [newRoot, oldRoot];
          expect(outcome(() => verifyConsistency(INTL, old, size, r1, r2, proof))).toBe("ROOT_MISMATCH");
        },
      ),
      { numRuns: 200 },
    );
  });

  it("equal sizes need an empty proof and equal roots", () => {
    fc.assert(
      fc.property(consistencyCase, hash32, ({ seed, size }, other) => {
        const { tree } = buildTree(seed, size);
        const root = tree.root();
        expect(tree.consistencyProof(size)).toEqual([]);
        expect(outcome(() => verifyConsistency(INTL, size, size, root, root, []))).toBe("ok");
        expect(outcome(() => verifyConsistency(INTL, size, size, root, root, [other]))).toBe(
          "INVALID_PROOF_SIZE",
        );
        fc.pre(toHex(other) !== toHex(root));
        expect(outcome(() => verifyConsistency(INTL, size, size, root, other, []))).toBe("ROOT_MISMATCH");
      }),
      { numRuns: 100 },
    );
  });
});

// Positions up to 2^53 - 1, with proofs of arbitrary hashes: lib/chain's verifier must
// walk exactly as the RFC's BigInt walk does. Sizes cluster around powers of two and
// the 32-bit boundary, where high/low word bit tricks go wrong.
const bigSize = fc.oneof(
  fc.maxSafeNat().filter((n) => n > 0),
  fc
    .tuple(fc.integer({ min: 0, max: 52 }), fc.integer({ min: -3, max: 3 }))
    .map(([k, d]) => Math.min(Math.max(2 ** k + d, 1), Number.MAX_SAFE_INTEGER)),
);

const proofOf = (length: number): fc.Arbitrary<Uint8Array[]> =>
  fc.array(hash32, { minLength: length, maxLength: length });

describe("positions up to 2^53 - 1", () => {
  it("inclusion: the root and the accepted proof length agree with RFC 9162 §2.1.3.2", () => {
    const arb = bigSize
      .chain((size) =>
        fc.record({
          size: fc.constant(size),
          index: fc.oneof(fc.integer({ min: 0, max: size - 1 }), fc.constant(size - 1), fc.constant(0)),
        }),
      )
      .chain(({ size, index }) =>
        fc.record({
          size: fc.constant(size),
          index: fc.constant(index),
          leaf: hash32,
          proof: proofOf(rfcInclusionPathLength(BigInt(index), BigInt(size))),
          delta: fc.constantFrom(-2, -1, 1, 2),
        }),
      );
    fc.assert(
      fc.property(arb, ({ size, index, leaf, proof, delta }) => {
        const want = rfcInclusionRoot(BigInt(index), BigInt(size), leaf, proof);
        if (!("root" in want)) throw new Error("the RFC walk refused its own length");
        const root = rootFromInclusionProof(INTL, leaf, index, size, proof);
        expect(toHex(root)).toBe(toHex(want.root));
        verifyInclusion(INTL, leaf, index, size, proof, want.root);
        const length = proof.length + delta;
        fc.pre(length >= 0);
        const bad = Array.from({ length }, (_, i) => proof[i] ?? leaf);
        expect(outcome(() => verifyInclusion(INTL, leaf, index, size, bad, want.root))).toBe(
          "INVALID_PROOF_SIZE",
        );
      }),
      { numRuns: 300 },
    );
  });

  it("consistency: proofs built by the RFC 9162 §2.1.4.2 walk verify, and no other length does", () => {
    const arb = bigSize
      .filter((n) => n > 1)
      .chain((newSize) =>
        fc.record({
          newSize: fc.constant(newSize),
          oldSize: fc.oneof(
            fc.integer({ min: 1, max: newSize - 1 }),
            fc.constant(newSize - 1),
            fc.constant(1),
          ),
        }),
      )
      .chain(({ newSize, oldSize }) =>
        fc.record({
          newSize: fc.constant(newSize),
          oldSize: fc.constant(oldSize),
          chosenOldRoot: hash32,
          proof: proofOf(rfcConsistencyPathLength(BigInt(oldSize), BigInt(newSize))),
          delta: fc.constantFrom(-2, -1, 1, 2),
        }),
      );
    fc.assert(
      fc.property(arb, ({ newSize, oldSize, chosenOldRoot, proof, delta }) => {
        const roots = rfcConsistencyRoots(BigInt(oldSize), BigInt(newSize), chosenOldRoot, proof);
        if (!("fr" in roots)) throw new Error("the RFC walk refused its own length");
        verifyConsistency(INTL, oldSize, newSize, roots.fr, roots.sr, proof);
        expect(outcome(() => verifyConsistency(INTL, oldSize, newSize, roots.fr, chosenOldRoot, proof))).toBe(
          toHex(chosenOldRoot) === toHex(roots.sr) ? "ok" : "ROOT_MISMATCH",
        );
        const length = proof.length + delta;
        fc.pre(length >= 0);
        const bad = Array.from({ length }, (_, i) => proof[i] ?? chosenOldRoot);
        expect(outcome(() => verifyConsistency(INTL, oldSize, newSize, roots.fr, roots.sr, bad))).toBe(
          "INVALID_PROOF_SIZE",
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe("documented cases where the proof alone cannot tell sizes apart", () => {
  const { leaves, tree } = buildTree(new Uint8Array(8), 6);

  it("the inclusion proof of leaf 0 in a tree of 5 also verifies at size 6", () => {
    const small = new MerkleTree(INTL, leaves.slice(0, 5));
    const proof = small.inclusionProof(0);
    expect(rfcInclusionWalk(0n, 5n)).toBe(rfcInclusionWalk(0n, 6n));
    verifyInclusion(INTL, leaves[0] as Uint8Array, 0, 6, proof, small.root());
  });

  it("the consistency proof 4 -> 5 also verifies as 4 -> 6 against the size-5 root", () => {
    const five = new MerkleTree(INTL, leaves.slice(0, 5));
    const proof = five.consistencyProof(4);
    const oldRoot = new MerkleTree(INTL, leaves.slice(0, 4)).root();
    expect(rfcConsistencyWalk(4n, 5n)).toBe(rfcConsistencyWalk(4n, 6n));
    verifyConsistency(INTL, 4, 6, oldRoot, five.root(), proof);
    // ...and against the real size-6 root it fails, as it must.
    expect(outcome(() => verifyConsistency(INTL, 4, 6, oldRoot, tree.root(), proof))).toBe("ROOT_MISMATCH");
  });
});
