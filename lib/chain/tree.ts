import { ChainError } from "./errors.js";
import { assertIndex, assertSize } from "./numbers.js";
import { assertHash, type TreeHasher } from "./rfc6962.js";

/**
 * An RFC 6962 Merkle tree over leaf hashes, kept level by level so that roots and
 * proofs are answered without rehashing.
 *
 * Building bottom-up and carrying a level's lone last node up unchanged yields
 * exactly RFC 9162 §2.1.1's MTH (split at the largest power of two below n), and
 * node (level k, index i) is MTH of leaves [i·2^k, min((i+1)·2^k, n)). The test suite
 * checks this against a plain recursive transcription of the RFC.
 */
export class MerkleTree {
  readonly size: number;
  /** levels[0] are the leaf hashes; the last level holds the root alone. */
  private readonly levels: Uint8Array[][];

  constructor(
    private readonly hasher: TreeHasher,
    leafHashes: readonly Uint8Array[],
  ) {
    for (let i = 0; i < leafHashes.length; i++) assertHash(leafHashes[i] as Uint8Array, `leaf hash ${i}`);
    this.size = leafHashes.length;
    this.levels = [leafHashes.slice()];
    let level = this.levels[0] as Uint8Array[];
    while (level.length > 1) {
      const next: Uint8Array[] = new Array(Math.ceil(level.length / 2));
      for (let i = 0; i + 1 < level.length; i += 2) {
        next[i >> 1] = hasher.hashChildrenUnchecked(level[i] as Uint8Array, level[i + 1] as Uint8Array);
      }
      if (level.length % 2 === 1) next[next.length - 1] = level[level.length - 1] as Uint8Array;
      this.levels.push(next);
      level = next;
    }
  }

  root(): Uint8Array {
    if (this.size === 0) return this.hasher.emptyRoot();
    return (this.levels[this.levels.length - 1] as Uint8Array[])[0] as Uint8Array;
  }

  /** RFC 9162 §2.1.3.1 PATH(index, D[size]), deepest sibling first. Requires 0 <= index < size. */
  inclusionProof(index: number): Uint8Array[] {
    assertIndex(index);
    if (index >= this.size) {
      throw new ChainError("INDEX_OUT_OF_RANGE", `index ${index} is beyond a tree of size ${this.size}`);
    }
    const proof: Uint8Array[] = [];
    let i = index;
    for (let k = 0; k + 1 < this.levels.length; k++) {
      const level = this.levels[k] as Uint8Array[];
      const sibling = i ^ 1;
      // A lone last node is carried up unchanged, so it contributes no sibling.
      if (sibling < level.length) proof.push(level[sibling] as Uint8Array);
      i >>= 1;
    }
    return proof;
  }

  /** RFC 9162 §2.1.4.1 PROOF(oldSize, D[size]). Requires 0 < oldSize <= size. */
  consistencyProof(oldSize: number): Uint8Array[] {
    assertSize(oldSize, "old size");
    if (oldSize === 0 || oldSize > this.size) {
      throw new ChainError(
        "INVALID_CONSISTENCY_RANGE",
        `old size must be in 1..${this.size}, got ${oldSize}`,
      );
    }
    const proof: Uint8Array[] = [];
    this.subproof(oldSize, 0, this.size, true, proof);
    return proof;
  }

  // SUBPROOF(m, D[start:start+n], b), appending to `out` in RFC order.
  private subproof(m: number, start: number, n: number, b: boolean, out: Uint8Array[]): void {
    if (m === n) {
      if (!b) out.push(this.subtreeRoot(start, n));
      return;
    }
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      this.subproof(m, start, k, b, out);
      out.push(this.subtreeRoot(start + k, n - k));
    } else {
      this.subproof(m - k, start + k, n - k, false, out);
      out.push(this.subtreeRoot(start, k));
    }
  }

  // MTH(D[start:start+n]) for a range that is a node of this tree: start is a multiple
  // of 2^level and the range is either full or ends at the tree's right edge.
  private subtreeRoot(start: number, n: number): Uint8Array {
    const level = n <= 1 ? 0 : 32 - Math.clz32(n - 1);
    return (this.levels[level] as Uint8Array[])[start >>> level] as Uint8Array;
  }
}

/** Largest power of two strictly below n. Requires n >= 2 (and n <= 2^32, true for in-memory trees). */
function largestPowerOfTwoBelow(n: number): number {
  return 2 ** (31 - Math.clz32(n - 1));
}

/** MTH(D[n]) of RFC 9162 §2.1.1 over the given leaf hashes. */
export function rootFromLeafHashes(hasher: TreeHasher, leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return hasher.emptyRoot();
  for (let i = 0; i < leafHashes.length; i++) assertHash(leafHashes[i] as Uint8Array, `leaf hash ${i}`);
  // Same bottom-up walk as MerkleTree, but reusing one array so only the root survives.
  const level = leafHashes.slice();
  let length = level.length;
  while (length > 1) {
    let j = 0;
    for (let i = 0; i + 1 < length; i += 2) {
      level[j++] = hasher.hashChildrenUnchecked(level[i] as Uint8Array, level[i + 1] as Uint8Array);
    }
    if (length % 2 === 1) level[j++] = level[length - 1] as Uint8Array;
    length = j;
  }
  return level[0] as Uint8Array;
}

/** Inclusion proof for leaf `index` (RFC 9162 §2.1.3.1). Requires 0 <= index < leafHashes.length. */
export function inclusionProof(
  hasher: TreeHasher,
  leafHashes: readonly Uint8Array[],
  index: number,
): Uint8Array[] {
  return new MerkleTree(hasher, leafHashes).inclusionProof(index);
}

/** Consistency proof from the first `oldSize` leaves to all of them. Requires 0 < oldSize <= n. */
export function consistencyProof(
  hasher: TreeHasher,
  leafHashes: readonly Uint8Array[],
  oldSize: number,
): Uint8Array[] {
  return new MerkleTree(hasher, leafHashes).consistencyProof(oldSize);
}
