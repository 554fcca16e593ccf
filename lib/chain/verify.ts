import { equalBytes, toHex } from "./bytes.js";
import { ChainError } from "./errors.js";
import {
  assertIndex,
  assertSize,
  bit,
  bitLength,
  onesCount,
  shiftRight,
  trailingZeros,
  xor,
} from "./numbers.js";
import { assertHash, type TreeHasher } from "./rfc6962.js";

/**
 * Proof checking, RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), in the
 * decomposed form of transparency-dev/merkle's proof/verify.go: a proof for leaf
 * `index` in a tree of `size` is `inner` hashes from the leaf up to where its path
 * meets the right border of the tree, then `border` hashes along that border.
 * All inputs are validated before any hashing; every failure is a ChainError.
 */

/** Throws unless `proof` shows `leafHash` at `index` in the tree of `size` with `root`. */
export function verifyInclusion(
  hasher: TreeHasher,
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  assertHash(root, "root");
  const calculated = rootFromInclusionProof(hasher, leafHash, index, size, proof);
  if (!equalBytes(calculated, root)) {
    throw new ChainError(
      "ROOT_MISMATCH",
      `inclusion proof gives root ${toHex(calculated)}, want ${toHex(root)} (index ${index}, size ${size})`,
    );
  }
}

/** The root implied by an inclusion proof. Requires 0 <= index < size. */
export function rootFromInclusionProof(
  hasher: TreeHasher,
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array {
  assertIndex(index);
  assertSize(size);
  if (index >= size) {
    throw new ChainError("INDEX_OUT_OF_RANGE", `index ${index} is beyond a tree of size ${size}`);
  }
  assertHash(leafHash, "leaf hash");
  assertProofHashes(proof);
  const inner = innerProofSize(index, size);
  const border = onesCount(shiftRight(index, inner));
  if (proof.length !== inner + border) {
    throw new ChainError(
      "INVALID_PROOF_SIZE",
      `wrong proof size ${proof.length}, want ${inner + border} (index ${index}, size ${size})`,
    );
  }
  const res = chainInner(hasher, leafHash, proof, 0, inner, index);
  return chainBorderRight(hasher, res, proof, inner, proof.length);
}

/**
 * Throws unless `proof` shows the tree of `newSize` with `newRoot` extends the tree of
 * `oldSize` with `oldRoot`. Requires 0 < oldSize <= newSize; equal sizes need an empty
 * proof and equal roots.
 */
export function verifyConsistency(
  hasher: TreeHasher,
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  assertSize(oldSize, "old size");
  assertSize(newSize, "new size");
  assertHash(oldRoot, "old root");
  assertHash(newRoot, "new root");
  assertProofHashes(proof);
  if (oldSize === 0) {
    throw new ChainError(
      "INVALID_CONSISTENCY_RANGE",
      "old size 0: every tree is consistent with the empty tree",
    );
  }
  if (oldSize > newSize) {
    throw new ChainError("INVALID_CONSISTENCY_RANGE", `old size ${oldSize} exceeds new size ${newSize}`);
  }
  if (oldSize === newSize) {
    if (proof.length !== 0) {
      throw new ChainError("INVALID_PROOF_SIZE", `wrong proof size ${proof.length}, want 0 (equal sizes)`);
    }
    if (!equalBytes(oldRoot, newRoot)) {
      throw new ChainError(
        "ROOT_MISMATCH",
        `equal sizes ${oldSize} but roots differ: ${toHex(oldRoot)} vs ${toHex(newRoot)}`,
      );
    }
    return;
  }

  // The old tree's root is the chain of perfect subtrees along its right border.
  // When oldSize is a power of two the old root is itself a node of the new tree and
  // is not repeated in the proof; otherwise the proof starts with the node where the
  // old tree's last leaf path leaves the common part (the "seed").
  const shift = trailingZeros(oldSize);
  const inner = innerProofSize(oldSize - 1, newSize) - shift;
  const border = onesCount(shiftRight(oldSize - 1, innerProofSize(oldSize - 1, newSize)));
  const seedInProof = oldSize !== 2 ** shift;
  const want = (seedInProof ? 1 : 0) + inner + border;
  if (proof.length !== want) {
    throw new ChainError(
      "INVALID_PROOF_SIZE",
      `wrong proof size ${proof.length}, want ${want} (old size ${oldSize}, new size ${newSize})`,
    );
  }
  const start = seedInProof ? 1 : 0;
  const seed = seedInProof ? (proof[0] as Uint8Array) : oldRoot;
  const mask = shiftRight(oldSize - 1, shift);

  let oldHash = chainInnerRight(hasher, seed, proof, start, start + inner, mask);
  oldHash = chainBorderRight(hasher, oldHash, proof, start + inner, proof.length);
  if (!equalBytes(oldHash, oldRoot)) {
    throw new ChainError(
      "ROOT_MISMATCH",
      `consistency proof gives old root ${toHex(oldHash)}, want ${toHex(oldRoot)}`,
    );
  }
  let newHash = chainInner(hasher, seed, proof, start, start + inner, mask);
  newHash = chainBorderRight(hasher, newHash, proof, start + inner, proof.length);
  if (!equalBytes(newHash, newRoot)) {
    throw new ChainError(
      "ROOT_MISMATCH",
      `consistency proof gives new root ${toHex(newHash)}, want ${toHex(newRoot)}`,
    );
  }
}

/** Number of proof hashes below the point where the path of `index` meets the right border. */
function innerProofSize(index: number, size: number): number {
  return bitLength(xor(index, size - 1));
}

function assertProofHashes(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof)) throw new ChainError("INVALID_PROOF_SIZE", "proof must be an array of hashes");
  for (let i = 0; i < proof.length; i++) assertHash(proof[i] as Uint8Array, `proof[${i}]`);
}

/** Hashes proof[from..to) into seed; bit i of `index` says whether seed is the right child. */
function chainInner(
  hasher: TreeHasher,
  seed: Uint8Array,
  proof: readonly Uint8Array[],
  from: number,
  to: number,
  index: number,
): Uint8Array {
  let res = seed;
  for (let i = from; i < to; i++) {
    const sibling = proof[i] as Uint8Array;
    res =
      bit(index, i - from) === 0
        ? hasher.hashChildrenUnchecked(res, sibling)
        : hasher.hashChildrenUnchecked(sibling, res);
  }
  return res;
}

/** Like chainInner, but only the levels where seed is a right child (the old tree's view). */
function chainInnerRight(
  hasher: TreeHasher,
  seed: Uint8Array,
  proof: readonly Uint8Array[],
  from: number,
  to: number,
  index: number,
): Uint8Array {
  let res = seed;
  for (let i = from; i < to; i++) {
    if (bit(index, i - from) === 1) res = hasher.hashChildrenUnchecked(proof[i] as Uint8Array, res);
  }
  return res;
}

/** Along the right border every proof hash is a left sibling. */
function chainBorderRight(
  hasher: TreeHasher,
  seed: Uint8Array,
  proof: readonly Uint8Array[],
  from: number,
  to: number,
): Uint8Array {
  let res = seed;
  for (let i = from; i < to; i++) res = hasher.hashChildrenUnchecked(proof[i] as Uint8Array, res);
  return res;
}
