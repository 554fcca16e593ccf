import { fromHex, toHex } from "./bytes.js";
import { ChainError } from "./errors.js";
import { assertSize, onesCount } from "./numbers.js";
import { assertHash, type TreeHasher } from "./rfc6962.js";

/**
 * A compact range [0, size): the roots of the perfect subtrees that make up a tree of
 * `size` leaves, one per set bit of `size`, largest (leftmost) first. It is all a
 * sealer needs to keep to extend the log and compute its RFC 6962 root: O(log n)
 * hashes, however long the log grows (cf. transparency-dev/merkle compact ranges).
 */
export interface CompactRangeState {
  /** Number of leaves in the log so far. */
  size: number;
  /** Lowercase hex of each subtree root, left to right; exactly popcount(size) of them. */
  hashes: string[];
}

export class CompactRange {
  private constructor(
    private readonly hasher: TreeHasher,
    private count: number,
    private readonly nodes: Uint8Array[],
  ) {}

  static empty(hasher: TreeHasher): CompactRange {
    return new CompactRange(hasher, 0, []);
  }

  /** Restores a stored state. Throws INVALID_COMPACT_RANGE if the hashes do not fit the size. */
  static fromState(hasher: TreeHasher, state: CompactRangeState): CompactRange {
    const nodes = checkedNodes(state);
    return new CompactRange(hasher, state.size, nodes);
  }

  get size(): number {
    return this.count;
  }

  /** Appends one leaf hash: O(1) amortised, O(log n) worst case node hashes. */
  append(leafHash: Uint8Array): void {
    assertHash(leafHash, "leaf hash");
    if (this.count === Number.MAX_SAFE_INTEGER) throw new ChainError("INVALID_SIZE", "log is full");
    let node = leafHash;
    // Each trailing 1 bit of the old size is a perfect subtree the new leaf completes.
    for (let s = this.count; s % 2 === 1; s = Math.floor(s / 2)) {
      node = this.hasher.hashChildrenUnchecked(this.nodes.pop() as Uint8Array, node);
    }
    this.nodes.push(node);
    this.count++;
  }

  appendAll(leafHashes: readonly Uint8Array[]): void {
    for (const h of leafHashes) this.append(h);
  }

  /** RFC 6962 root of the leaves appended so far (the empty-tree hash when none). */
  root(): Uint8Array {
    if (this.nodes.length === 0) return this.hasher.emptyRoot();
    let res = this.nodes[this.nodes.length - 1] as Uint8Array;
    for (let i = this.nodes.length - 2; i >= 0; i--)
      res = this.hasher.hashChildrenUnchecked(this.nodes[i] as Uint8Array, res);
    return res;
  }

  state(): CompactRangeState {
    return { size: this.count, hashes: this.nodes.map(toHex) };
  }

  clone(): CompactRange {
    return new CompactRange(this.hasher, this.count, this.nodes.slice());
  }
}

/** The state's hashes as bytes, checked to fit its size; INVALID_COMPACT_RANGE otherwise. */
function checkedNodes(state: CompactRangeState): Uint8Array[] {
  try {
    assertSize(state.size, "compact range size");
  } catch (e) {
    throw new ChainError("INVALID_COMPACT_RANGE", (e as Error).message);
  }
  if (!Array.isArray(state.hashes) || state.hashes.length !== onesCount(state.size)) {
    throw new ChainError(
      "INVALID_COMPACT_RANGE",
      `a range of size ${state.size} has ${onesCount(state.size)} hashes, got ${Array.isArray(state.hashes) ? state.hashes.length : "none"}`,
    );
  }
  return Array.from(state.hashes, (h, i) => {
    const bytes = typeof h === "string" && h.length === 64 ? safeHex(h) : undefined;
    if (!bytes) throw new ChainError("INVALID_COMPACT_RANGE", `hash ${i} is not 64 hex digits`);
    return bytes;
  });
}

/** A stored state, checked (as fromState checks it) and copied: for stores, which keep states without hashing. */
export function checkCompactRangeState(state: CompactRangeState): CompactRangeState {
  return { size: state.size, hashes: checkedNodes(state).map(toHex) };
}

function safeHex(h: string): Uint8Array | undefined {
  try {
    return fromHex(h);
  } catch {
    return undefined;
  }
}
