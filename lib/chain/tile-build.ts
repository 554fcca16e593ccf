import { assertSize } from "./numbers.js";
import { assertHash, HASH_SIZE, type TreeHasher } from "./rfc6962.js";
import { encodeEntryBundle, parseEntryBundle } from "./tile-bundle.js";
import { type EntryBundleCoords, TILE_WIDTH, type TileCoords } from "./tile-path.js";
import { FULL_TILE_SIZE, perfectHash, readTileData, type TileReader } from "./tiles.js";

/**
 * What a log writes when it grows: the tiles and entry bundles of changedTiles /
 * changedEntryBundles, with their bytes. Pure: the caller reads the old rightmost partial
 * tiles (its own earlier output) and stores the result. A CompactRange alone is not
 * enough to grow the tiles — a partial tile holds up to 255 hashes where the compact
 * range keeps one per set bit of the size — so the builders take a reader for them.
 */

export interface TileContents {
  tile: TileCoords;
  /** The tile's hashes concatenated: 32·width bytes (§Merkle Tree). */
  data: Uint8Array;
}

export interface EntryBundleContents {
  bundle: EntryBundleCoords;
  data: Uint8Array;
}

/**
 * Every tile that changes when the leaf hashes `newLeafHashes` are appended to a tree of
 * `oldSize`, in changedTiles(oldSize, oldSize + n) order, with its contents.
 * `readTile` is asked only for the old tree's partial tiles (at most one per level, at the
 * old width) and never when oldSize is 0; appending nothing returns no tiles.
 */
export function buildTiles(
  hasher: TreeHasher,
  oldSize: number,
  newLeafHashes: readonly Uint8Array[],
  readTile: TileReader,
): TileContents[] {
  assertSize(oldSize, "old size");
  assertSize(oldSize + newLeafHashes.length, "new size");
  for (let i = 0; i < newLeafHashes.length; i++) assertHash(newLeafHashes[i] as Uint8Array, `leaf hash ${i}`);
  const out: TileContents[] = [];
  // Hashes new to the stored row of this level: the leaf hashes at level 0, then the
  // roots of the tiles just completed on the level below.
  let fresh: readonly Uint8Array[] = newLeafHashes;
  for (let level = 0; fresh.length > 0; level++) {
    const oldStored = Math.floor(oldSize / TILE_WIDTH ** level);
    const firstTile = Math.floor(oldStored / TILE_WIDTH);
    const oldWidth = oldStored % TILE_WIDTH;
    const prefix =
      oldWidth > 0 ? readTileData(readTile, { level, index: firstTile, width: oldWidth }) : new Uint8Array(0);
    // One buffer, not concatBytes(...fresh): a block may append more hashes than a call has arguments.
    const row = new Uint8Array(prefix.length + fresh.length * HASH_SIZE);
    row.set(prefix);
    for (let i = 0; i < fresh.length; i++) row.set(fresh[i] as Uint8Array, prefix.length + i * HASH_SIZE);
    const completed: Uint8Array[] = [];
    for (let t = 0; t * FULL_TILE_SIZE < row.length; t++) {
      const data = row.slice(t * FULL_TILE_SIZE, (t + 1) * FULL_TILE_SIZE);
      const width = data.length / HASH_SIZE;
      out.push({ tile: { level, index: firstTile + t, width }, data });
      // §Partial Tiles: a partial tile "MUST NOT be hashed into a tile at the level above".
      if (width === TILE_WIDTH) completed.push(perfectHash(hasher, data, 0, TILE_WIDTH));
    }
    fresh = completed;
  }
  return out;
}

/**
 * Every entry bundle that changes when `newEntries` (leaf data, see tile-bundle.ts) are
 * appended to a log of `oldSize`, in changedEntryBundles order, with its bytes.
 * `readBundle` is asked only for the old partial bundle (width oldSize mod 256), if any.
 */
export function buildEntryBundles(
  oldSize: number,
  newEntries: readonly Uint8Array[],
  readBundle: (bundle: EntryBundleCoords) => Uint8Array,
): EntryBundleContents[] {
  assertSize(oldSize, "old size");
  assertSize(oldSize + newEntries.length, "new size");
  if (newEntries.length === 0) return [];
  const firstBundle = Math.floor(oldSize / TILE_WIDTH);
  const oldWidth = oldSize % TILE_WIDTH;
  const old =
    oldWidth > 0 ? parseEntryBundle(readBundle({ index: firstBundle, width: oldWidth }), oldWidth) : [];
  const row = old.concat(newEntries);
  const out: EntryBundleContents[] = [];
  for (let b = 0; b * TILE_WIDTH < row.length; b++) {
    const entries = row.slice(b * TILE_WIDTH, (b + 1) * TILE_WIDTH);
    out.push({ bundle: { index: firstBundle + b, width: entries.length }, data: encodeEntryBundle(entries) });
  }
  return out;
}
