import { ChainError } from "./errors.js";
import { TILE_WIDTH } from "./tile-path.js";

/**
 * Entry bundles, c2sp.org/tlog-tiles §"Log entries": the entries of one level-0 tile,
 * in log order, each "big-endian uint16 length-prefixed". Entry i of bundle n is the
 * leaf data of log entry n·256 + i: its RFC 6962 leaf hash (SHA-256(0x00 || entry)) is
 * hash i of level-0 tile n. Format: docs/formats/tiles.md.
 */

/** Longest entry a uint16 length prefix can state. */
export const MAX_ENTRY_SIZE = 0xffff;

/** The bundle bytes for 1..256 entries. Throws ENTRY_TOO_LARGE for an entry over 65,535 bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > TILE_WIDTH) {
    // §Partial Tiles: "Empty tiles MUST NOT be served"; a bundle holds at most one tile's entries.
    throw new ChainError("INVALID_ENTRY_BUNDLE", `a bundle holds 1..${TILE_WIDTH} entries`);
  }
  let total = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (!(e instanceof Uint8Array)) throw new ChainError("INVALID_ENTRY_BUNDLE", `entry ${i} is not bytes`);
    if (e.length > MAX_ENTRY_SIZE) {
      throw new ChainError(
        "ENTRY_TOO_LARGE",
        `entry ${i} is ${e.length} bytes; a bundle entry is at most ${MAX_ENTRY_SIZE}`,
      );
    }
    total += 2 + e.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const e of entries as readonly Uint8Array[]) {
    out[at] = e.length >>> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

// Wire format (tlog-tiles §Log entries):
//   bundle = width * ( length entry )   ; width = the bundle's width, 1..256
//   length = 2OCTET                     ; big-endian uint16: the entry's byte count
//   entry  = length OCTET
// Exactly `width` entries and no byte after the last: a truncated prefix, a missing entry
// or trailing bytes are INVALID_ENTRY_BUNDLE.
/** Splits bundle bytes into exactly `width` entries (copies, not views). */
export function parseEntryBundle(data: Uint8Array, width: number): Uint8Array[] {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new ChainError("INVALID_TILE", `bundle width must be 1..${TILE_WIDTH}, got ${String(width)}`);
  }
  if (!(data instanceof Uint8Array)) throw new ChainError("INVALID_ENTRY_BUNDLE", "bundle is not bytes");
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < data.length) {
    if (entries.length === width) {
      throw new ChainError(
        "INVALID_ENTRY_BUNDLE",
        `bytes after entry ${width - 1} of a bundle of width ${width}`,
      );
    }
    if (at + 2 > data.length) {
      throw new ChainError("INVALID_ENTRY_BUNDLE", `entry ${entries.length}: length prefix cut short`);
    }
    const length = ((data[at] as number) << 8) | (data[at + 1] as number);
    if (at + 2 + length > data.length) {
      throw new ChainError(
        "INVALID_ENTRY_BUNDLE",
        `entry ${entries.length}: ${length} bytes announced, ${data.length - at - 2} left`,
      );
    }
    entries.push(data.slice(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (entries.length !== width) {
    throw new ChainError("INVALID_ENTRY_BUNDLE", `bundle has ${entries.length} entries, want ${width}`);
  }
  return entries;
}
