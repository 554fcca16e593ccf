import { ChainError } from "./errors.js";

/**
 * Tile and entry-bundle coordinates and their paths, c2sp.org/tlog-tiles §"Merkle Tree"
 * and §"Log entries". Paths are relative to the log's prefix and have no leading slash:
 * a route serving `<prefix>/tile/...` strips `<prefix>/` and hands the rest to
 * parseTilePath. Format: docs/formats/tiles.md.
 */

/** Tree levels per tile: fixed at 8 by tlog-tiles (§Merkle Tree: "subtree of height 8"). */
export const TILE_HEIGHT = 8;
/** Hashes in a full tile, entries in a full bundle: 2^TILE_HEIGHT. */
export const TILE_WIDTH = 256;
/** Highest tile level a path may name (§Merkle Tree: "between 0 and 63"). */
export const MAX_TILE_LEVEL = 63;

/** A hash tile: `width` is 256 for a full tile, 1..255 for a partial one. */
export interface TileCoords {
  level: number;
  index: number;
  width: number;
}

/** An entry bundle: the entries whose leaf hashes form level-0 tile `index`. */
export interface EntryBundleCoords {
  index: number;
  width: number;
}

/** What a path names: a hash tile or an entry bundle. */
export type TileResource = ({ kind: "hash" } & TileCoords) | ({ kind: "entries" } & EntryBundleCoords);

/**
 * `<N>` of a tile path (§Merkle Tree): the index in zero-padded 3-digit groups, most
 * significant first, every group but the last prefixed with "x"; the fewest groups that
 * hold the number. 1234067 → "x001/x234/067", 5 → "005".
 */
export function formatTileIndex(index: number): string {
  assertTileIndex(index);
  let rest = Math.floor(index / 1000);
  let out = pad3(index % 1000);
  while (rest > 0) {
    out = `x${pad3(rest % 1000)}/${out}`;
    rest = Math.floor(rest / 1000);
  }
  return out;
}

/** `tile/<L>/<N>[.p/<W>]`; the suffix only when width < 256. */
export function tilePath(tile: TileCoords): string {
  assertTileCoords(tile);
  return `tile/${tile.level}/${formatTileIndex(tile.index)}${widthSuffix(tile.width)}`;
}

/** `tile/entries/<N>[.p/<W>]` (§Log entries). */
export function entryBundlePath(bundle: EntryBundleCoords): string {
  assertTileIndex(bundle.index);
  assertTileWidth(bundle.width);
  return `tile/entries/${formatTileIndex(bundle.index)}${widthSuffix(bundle.width)}`;
}

// Wire format (tlog-tiles §Merkle Tree, §Log entries; ABNF, RFC 5234):
//   path       = "tile/" ( level / "entries" ) "/" tile-index [ ".p/" width ]
//   level      = "0" / ( %x31-39 *DIGIT )       ; 0..63, no leading zeroes
//   tile-index = *( "x" 3DIGIT "/" ) 3DIGIT     ; the fewest groups: never a leading "x000/"
//   width      = %x31-39 *DIGIT                 ; 1..255, no leading zeroes
// Exactly one spelling per resource: the path is what tilePath/entryBundlePath would
// write for the coordinates parsed from it. Indices above 2^53 - 1 are refused (no tree
// of a JavaScript-safe size has them).
const PATH = /^tile\/(entries|0|[1-9][0-9]*)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/(0|[1-9][0-9]*))?$/;
/** Six 3-digit groups hold every safe integer (2^53 - 1 has 16 digits). */
const MAX_INDEX_GROUPS = 6;

/** Parses a tile or entry-bundle path; throws INVALID_TILE_PATH for anything else. */
export function parseTilePath(path: string): TileResource {
  if (typeof path !== "string") throw badPath(String(path), "not a string");
  const m = PATH.exec(path);
  if (!m) throw badPath(path, "not tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]");
  const [, levelText, indexText, widthText] = m as unknown as [string, string, string, string | undefined];
  const groups = indexText.split("/");
  if (groups.length > MAX_INDEX_GROUPS) throw badPath(path, "index above 2^53 - 1");
  if (groups.length > 1 && groups[0] === "x000") throw badPath(path, "index has a leading x000 group");
  let index = 0;
  for (const g of groups) index = index * 1000 + Number(g.replace("x", ""));
  if (!Number.isSafeInteger(index)) throw badPath(path, "index above 2^53 - 1");
  let width = TILE_WIDTH;
  if (widthText !== undefined) {
    width = Number(widthText);
    // A full tile is written without the suffix, so ".p/256" is not a second spelling of it.
    if (width < 1 || width >= TILE_WIDTH) throw badPath(path, "partial width must be 1..255");
  }
  if (levelText === "entries") return { kind: "entries", index, width };
  const level = Number(levelText);
  if (level > MAX_TILE_LEVEL) throw badPath(path, `level above ${MAX_TILE_LEVEL}`);
  return { kind: "hash", level, index, width };
}

export function assertTileCoords(tile: TileCoords): void {
  if (typeof tile !== "object" || tile === null)
    throw new ChainError("INVALID_TILE", "tile must be an object");
  const { level } = tile;
  if (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL) {
    throw new ChainError("INVALID_TILE", `tile level must be 0..${MAX_TILE_LEVEL}, got ${String(level)}`);
  }
  assertTileIndex(tile.index);
  assertTileWidth(tile.width);
}

function assertTileIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new ChainError(
      "INVALID_TILE",
      `tile index must be a non-negative safe integer, got ${String(index)}`,
    );
  }
}

function assertTileWidth(width: number): void {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new ChainError("INVALID_TILE", `tile width must be 1..${TILE_WIDTH}, got ${String(width)}`);
  }
}

function widthSuffix(width: number): string {
  return width === TILE_WIDTH ? "" : `.p/${width}`;
}

function pad3(n: number): string {
  return String(n).padStart(3, "0");
}

function badPath(path: string, why: string): ChainError {
  // Paths arrive from the network: quote a bounded, escaped prefix only.
  return new ChainError(
    "INVALID_TILE_PATH",
    `malformed tile path ${JSON.stringify(path.slice(0, 80))}: ${why}`,
  );
}
