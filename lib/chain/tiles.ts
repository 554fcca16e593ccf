import { ChainError } from "./errors.js";
import { assertIndex, assertSize } from "./numbers.js";
import { HASH_SIZE, type TreeHasher } from "./rfc6962.js";
import {
  assertTileCoords,
  type EntryBundleCoords,
  MAX_TILE_LEVEL,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TileCoords,
} from "./tile-path.js";

/**
 * The RFC 6962 tree as c2sp.org/tlog-tiles tiles: which tiles a tree has, where a node
 * lives, and reading hashes out of a tile (roots and proofs: tile-proofs.ts; writing
 * tiles: tile-build.ts). Format: docs/formats/tiles.md.
 *
 * §Merkle Tree: tile n at level l holds, for i in 0..255,
 *   MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l])
 * so the hashes stored at tile level l are the perfect subtrees at tree level 8·l, and
 * the seven tree levels between two tile levels are recomputed by hashing. Every stored
 * hash, in full and partial tiles alike, is a perfect subtree; the ragged right edge of
 * the tree is never stored, only recomputed from the perfect subtrees that cover it.
 */

/** Bytes of a full tile: 256 hashes (§Merkle Tree: "exactly 256 hashes wide, or 8,192 bytes"). */
export const FULL_TILE_SIZE = TILE_WIDTH * HASH_SIZE;

/**
 * Reads one tile, synchronously (an async caller fetches the tiles that the *Tiles
 * functions list first, then serves them from memory). It is asked for tiles of the tree
 * size the computation is about, with that tree's width; it may return more hashes than
 * asked (the full tile in place of a partial one: §Partial Tiles allows that fallback,
 * and a partial tile is a prefix of its later versions). Its errors propagate.
 * Tiles are not trusted: a proof built from wrong tiles fails to verify against a
 * signed root, and a root computed from them differs from the checkpoint's.
 */
export type TileReader = (tile: TileCoords) => Uint8Array;

/** Where a tree node lives in the tiling. */
export interface NodeInTile {
  tileLevel: number;
  tileIndex: number;
  /** Tree levels the node sits above its tile's stored row (0..7); 0 = stored as is. */
  nodeLevel: number;
  /** The node is the perfect subtree over stored hashes [first, first + count) of the tile. */
  first: number;
  /** 2^nodeLevel. */
  count: number;
}

/**
 * The tile holding node (level, index) of the tree — the perfect subtree over leaves
 * [index·2^level, (index+1)·2^level) — and its place in that tile. Which width the tile
 * has depends on the tree size (tileWidth); the node is in a tree of size S iff its
 * last leaf is, i.e. (index+1)·2^level <= S.
 */
export function tileForNode(level: number, index: number): NodeInTile {
  assertIndex(index, "node index");
  if (!Number.isInteger(level) || level < 0 || !Number.isSafeInteger((index + 1) * 2 ** level)) {
    throw new ChainError(
      "INVALID_INDEX",
      `node (level ${String(level)}, index ${index}) does not fit in a tree of at most 2^53 - 1 leaves`,
    );
  }
  const tileLevel = Math.floor(level / TILE_HEIGHT);
  const nodeLevel = level % TILE_HEIGHT;
  const count = 2 ** nodeLevel;
  const row = index * count; // position among the stored hashes of tileLevel
  return { tileLevel, tileIndex: Math.floor(row / TILE_WIDTH), nodeLevel, first: row % TILE_WIDTH, count };
}

/**
 * The width of tile (level, index) in the tree of `size`: 256 when full, 1..255 when
 * partial, 0 when the tree has no such tile. §Partial Tiles: the rightmost tile of level
 * l has floor(size / 256^l) mod 256 hashes.
 */
export function tileWidth(level: number, index: number, size: number): number {
  assertTileCoords({ level, index, width: TILE_WIDTH });
  assertSize(size);
  const stored = Math.floor(size / TILE_WIDTH ** level);
  return Math.max(0, Math.min(TILE_WIDTH, stored - index * TILE_WIDTH));
}

/** One tile level of a tree: its full tiles are 0..fullTiles-1, then a partial one if partialWidth > 0. */
export interface TileLevel {
  level: number;
  fullTiles: number;
  partialWidth: number;
}

/**
 * The tiles of a tree of `size`, level by level, up to the highest level that has any
 * (§Partial Tiles: a tree of 70,000 has 273 full level-0 tiles and one of width 112, one
 * full level-1 tile and one of width 17, and a level-2 tile of width 1). Empty for size 0.
 */
export function tileLevels(size: number): TileLevel[] {
  assertSize(size);
  const out: TileLevel[] = [];
  for (let level = 0; level <= MAX_TILE_LEVEL; level++) {
    const stored = Math.floor(size / TILE_WIDTH ** level);
    if (stored === 0) break;
    out.push({ level, fullTiles: Math.floor(stored / TILE_WIDTH), partialWidth: stored % TILE_WIDTH });
  }
  return out;
}

/**
 * The tiles a tree of `newSize` has that a tree of `oldSize` does not — what a log must
 * write when it grows from oldSize to newSize, and all of its tiles when oldSize is 0:
 * every tile that became full and the new rightmost partial tile of each level whose
 * stored row grew. Ordered by level, then index (so children before the parents that
 * hash them). Equal sizes: none. Cf. golang.org/x/mod/sumdb/tlog NewTiles.
 */
export function changedTiles(oldSize: number, newSize: number): TileCoords[] {
  assertGrowth(oldSize, newSize);
  const out: TileCoords[] = [];
  for (let level = 0; level <= MAX_TILE_LEVEL; level++) {
    const newStored = Math.floor(newSize / TILE_WIDTH ** level);
    if (newStored === 0) break;
    const oldStored = Math.floor(oldSize / TILE_WIDTH ** level);
    if (oldStored === newStored) continue;
    const lastFull = Math.floor(newStored / TILE_WIDTH);
    for (let index = Math.floor(oldStored / TILE_WIDTH); index < lastFull; index++) {
      out.push({ level, index, width: TILE_WIDTH });
    }
    if (newStored % TILE_WIDTH > 0) out.push({ level, index: lastFull, width: newStored % TILE_WIDTH });
  }
  return out;
}

/** The entry bundles to write when the log grows from oldSize to newSize: one per changed level-0 tile. */
export function changedEntryBundles(oldSize: number, newSize: number): EntryBundleCoords[] {
  return changedTiles(oldSize, newSize)
    .filter((t) => t.level === 0)
    .map(({ index, width }) => ({ index, width }));
}

export function assertGrowth(oldSize: number, newSize: number): void {
  assertSize(oldSize, "old size");
  assertSize(newSize, "new size");
  if (oldSize > newSize) {
    throw new ChainError("INVALID_CONSISTENCY_RANGE", `old size ${oldSize} exceeds new size ${newSize}`);
  }
}

/**
 * Reads a tile and checks its bytes: whole 32-byte hashes, at least `width` of them and
 * at most a full tile. Returns the first `width` hashes' bytes.
 */
export function readTileData(read: TileReader, tile: TileCoords): Uint8Array {
  const data = read(tile);
  if (
    !(data instanceof Uint8Array) ||
    data.length % HASH_SIZE !== 0 ||
    data.length < tile.width * HASH_SIZE ||
    data.length > FULL_TILE_SIZE
  ) {
    const got = data instanceof Uint8Array ? `${data.length} bytes` : typeof data;
    throw new ChainError(
      "INVALID_TILE_DATA",
      `tile ${tile.level}/${tile.index} of width ${tile.width}: want ${tile.width * HASH_SIZE} bytes (or a longer prefix of the full tile), got ${got}`,
    );
  }
  return data.subarray(0, tile.width * HASH_SIZE);
}

/** MTH of the `count` (a power of two) stored hashes from position `first` of tile data. */
export function perfectHash(hasher: TreeHasher, data: Uint8Array, first: number, count: number): Uint8Array {
  if (count === 1) return data.slice(first * HASH_SIZE, (first + 1) * HASH_SIZE);
  const half = count / 2;
  return hasher.hashChildrenUnchecked(
    perfectHash(hasher, data, first, half),
    perfectHash(hasher, data, first + half, half),
  );
}
