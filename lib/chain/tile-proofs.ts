import { toHex } from "./bytes.js";
import { CompactRange } from "./compact.js";
import { ChainError } from "./errors.js";
import { assertIndex, assertSize, bitLength } from "./numbers.js";
import type { TreeHasher } from "./rfc6962.js";
import type { TileCoords } from "./tile-path.js";
import { perfectHash, readTileData, type TileReader, tileForNode, tileWidth } from "./tiles.js";

/**
 * Roots and RFC 9162 proofs computed from c2sp.org/tlog-tiles tiles, and the lists of
 * tiles each computation reads (for callers that fetch them first). Format:
 * docs/formats/tiles.md.
 *
 * Each proof hash (RFC 9162 §2.1.3.1 PATH, §2.1.4.1 SUBPROOF) is MTH of a range
 * [start, start+n) that is a subtree of the tree: start is a multiple of the power of two
 * at or above n. MTH of such a range is its perfect subtrees (one per set bit of n,
 * largest first) folded from the right, because RFC 9162 §2.1.1 splits at the largest
 * power of two below n. So a proof is planned as a list of perfect-subtree lists, and
 * every perfect subtree is read from one tile.
 */

interface NodeId {
  level: number;
  index: number;
}

/** Root of the tree of `size` from its tiles (MTH(D[size]); the empty-tree hash for 0). */
export function rootFromTiles(hasher: TreeHasher, size: number, read: TileReader): Uint8Array {
  assertSize(size);
  if (size === 0) return hasher.emptyRoot();
  return fold(hasher, new TileHashes(hasher, size, read), rangeNodes(0, size));
}

/**
 * The tiles rootFromTiles reads: the partial tile of each level that has one (the root's
 * perfect subtrees, one per set bit of size, all sit in the rightmost tile of their level).
 */
export function rootTiles(size: number): TileCoords[] {
  assertSize(size);
  return tilesOf(size, [rangeNodes(0, size)]);
}

/**
 * The compact range (compact.ts) of the tree of `size`, read from its tiles: its hashes
 * are the perfect subtrees one per set bit of size. Lets a sealer restore, or check, the
 * state it extends the log from against what it published.
 */
export function compactRangeFromTiles(hasher: TreeHasher, size: number, read: TileReader): CompactRange {
  assertSize(size);
  const hashes = new TileHashes(hasher, size, read);
  return CompactRange.fromState(hasher, {
    size,
    hashes: rangeNodes(0, size).map((n) => toHex(hashes.node(n))),
  });
}

/** RFC 9162 §2.1.3.1 PATH(index, D[size]) from tiles; equal to tree.ts inclusionProof. */
export function inclusionProofFromTiles(
  hasher: TreeHasher,
  index: number,
  size: number,
  read: TileReader,
): Uint8Array[] {
  const plan = inclusionPlan(index, size);
  const hashes = new TileHashes(hasher, size, read);
  return plan.map((nodes) => fold(hasher, hashes, nodes));
}

/** The tiles inclusionProofFromTiles reads: tiles of the tree of `size`, its partial ones included. */
export function inclusionProofTiles(index: number, size: number): TileCoords[] {
  return tilesOf(size, inclusionPlan(index, size));
}

/**
 * RFC 9162 §2.1.4.1 PROOF(oldSize, D[newSize]) from tiles; equal to tree.ts
 * consistencyProof. Every hash is a subtree of the new tree, so only the new tree's tiles
 * are read — never the old size's partial tiles.
 */
export function consistencyProofFromTiles(
  hasher: TreeHasher,
  oldSize: number,
  newSize: number,
  read: TileReader,
): Uint8Array[] {
  const plan = consistencyPlan(oldSize, newSize);
  const hashes = new TileHashes(hasher, newSize, read);
  return plan.map((nodes) => fold(hasher, hashes, nodes));
}

/** The tiles consistencyProofFromTiles reads: tiles of the tree of `newSize`. */
export function consistencyProofTiles(oldSize: number, newSize: number): TileCoords[] {
  return tilesOf(newSize, consistencyPlan(oldSize, newSize));
}

function inclusionPlan(index: number, size: number): NodeId[][] {
  assertIndex(index);
  assertSize(size);
  if (index >= size) {
    throw new ChainError("INDEX_OUT_OF_RANGE", `index ${index} is beyond a tree of size ${size}`);
  }
  // The same walk as tree.ts: node i of level k covers [i·2^k, min((i+1)·2^k, size)),
  // a lone last node is carried up, and each level with a sibling contributes it.
  const plan: NodeId[][] = [];
  for (let k = 0, nodes = size; nodes > 1; k++, nodes = Math.ceil(nodes / 2)) {
    const i = Math.floor(index / 2 ** k);
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling < nodes) {
      const start = sibling * 2 ** k;
      plan.push(rangeNodes(start, Math.min(2 ** k, size - start)));
    }
  }
  return plan;
}

function consistencyPlan(oldSize: number, newSize: number): NodeId[][] {
  assertSize(oldSize, "old size");
  assertSize(newSize, "new size");
  if (oldSize === 0 || oldSize > newSize) {
    throw new ChainError("INVALID_CONSISTENCY_RANGE", `old size must be in 1..${newSize}, got ${oldSize}`);
  }
  const plan: NodeId[][] = [];
  subproof(oldSize, 0, newSize, true, plan);
  return plan;
}

// SUBPROOF(m, D[start:start+n], b) of RFC 9162 §2.1.4.1, in the RFC's output order.
function subproof(m: number, start: number, n: number, b: boolean, out: NodeId[][]): void {
  if (m === n) {
    if (!b) out.push(rangeNodes(start, n));
    return;
  }
  const k = 2 ** (bitLength(n - 1) - 1); // largest power of two below n (n >= 2 here)
  if (m <= k) {
    subproof(m, start, k, b, out);
    out.push(rangeNodes(start + k, n - k));
  } else {
    subproof(m - k, start + k, n - k, false, out);
    out.push(rangeNodes(start, k));
  }
}

/** The perfect subtrees covering [start, start+n), left to right. n >= 1, start aligned as above. */
function rangeNodes(start: number, n: number): NodeId[] {
  const out: NodeId[] = [];
  let pos = start;
  for (let level = bitLength(n) - 1; level >= 0; level--) {
    const span = 2 ** level;
    if (Math.floor(n / span) % 2 === 1) {
      out.push({ level, index: pos / span });
      pos += span;
    }
  }
  return out;
}

/**
 * MTH of the range the nodes cover: folded from the right (RFC 9162 §2.1.1). Hashes are
 * read left to right first, so tiles are read in the order tilesOf lists them.
 */
function fold(hasher: TreeHasher, hashes: TileHashes, nodes: readonly NodeId[]): Uint8Array {
  const h = nodes.map((n) => hashes.node(n));
  let res = h[h.length - 1] as Uint8Array;
  for (let i = h.length - 2; i >= 0; i--) res = hasher.hashChildrenUnchecked(h[i] as Uint8Array, res);
  return res;
}

/** The distinct tiles (with the widths they have at `size`) holding the planned nodes, in first-use order. */
function tilesOf(size: number, plan: readonly NodeId[][]): TileCoords[] {
  const seen = new Map<string, TileCoords>();
  for (const nodes of plan) {
    for (const { level, index } of nodes) {
      const t = tileForNode(level, index);
      const key = `${t.tileLevel}/${t.tileIndex}`;
      if (!seen.has(key)) {
        seen.set(key, {
          level: t.tileLevel,
          index: t.tileIndex,
          width: tileWidth(t.tileLevel, t.tileIndex, size),
        });
      }
    }
  }
  return [...seen.values()];
}

/** Node hashes of the tree of `size`, each tile read at most once per computation. */
class TileHashes {
  private readonly tiles = new Map<string, Uint8Array>();

  constructor(
    private readonly hasher: TreeHasher,
    private readonly size: number,
    private readonly read: TileReader,
  ) {}

  node({ level, index }: NodeId): Uint8Array {
    const t = tileForNode(level, index);
    const key = `${t.tileLevel}/${t.tileIndex}`;
    let data = this.tiles.get(key);
    if (data === undefined) {
      const width = tileWidth(t.tileLevel, t.tileIndex, this.size);
      data = readTileData(this.read, { level: t.tileLevel, index: t.tileIndex, width });
      this.tiles.set(key, data);
    }
    return perfectHash(this.hasher, data, t.first, t.count);
  }
}
