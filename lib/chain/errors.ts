/**
 * Every failure in lib/chain is a ChainError with a code from this closed set.
 * Callers (and tests) branch on `code`, never on `message`, which is for people.
 */
export type ChainErrorCode =
  /** A hash argument is not exactly 32 bytes. */
  | "INVALID_HASH_SIZE"
  /** An index is negative, fractional or not a safe integer. */
  | "INVALID_INDEX"
  /** A tree size is negative, fractional or not a safe integer. */
  | "INVALID_SIZE"
  /** index >= size, or a proof was asked of an empty tree. */
  | "INDEX_OUT_OF_RANGE"
  /** The proof has the wrong number of hashes for (index, size) or (oldSize, newSize). */
  | "INVALID_PROOF_SIZE"
  /**
   * A consistency proof was asked from or to an impossible size (oldSize 0, oldSize > newSize),
   * or tiles for a tree that shrinks (oldSize > newSize).
   */
  | "INVALID_CONSISTENCY_RANGE"
  /** The root recomputed from the proof differs from the expected root. */
  | "ROOT_MISMATCH"
  /** A serialised compact range does not describe a valid tree state. */
  | "INVALID_COMPACT_RANGE"
  /** A value cannot be encoded as canonical JSON (RFC 8785), or bytes are not valid hex/base64. */
  | "INVALID_ENCODING"
  /** Text is not JSON (RFC 8259). */
  | "INVALID_JSON"
  /** An object names a member twice (RFC 7493 §2.3). */
  | "DUPLICATE_KEY"
  /** A string or member name holds a lone UTF-16 surrogate (RFC 7493 §2.1). */
  | "LONE_SURROGATE"
  /** A number whose value its canonical form would change (RFC 7493 §2.2, RFC 8785 §3.2.2.3). */
  | "NUMBER_NOT_EXACT"
  /** An entry envelope or block header is missing fields or has fields of the wrong form. */
  | "INVALID_FORMAT"
  /** A signed note or checkpoint does not follow C2SP signed-note / tlog-checkpoint. */
  | "INVALID_NOTE"
  /**
   * A witness cosignature (c2sp.org/tlog-cosignature) is not 8 + 64 bytes, its timestamp is
   * out of range, it is not the expected cosigner's, or it does not verify.
   */
  | "INVALID_COSIGNATURE"
  /** A tile or entry-bundle path is not in the one form c2sp.org/tlog-tiles allows. */
  | "INVALID_TILE_PATH"
  /** Tile coordinates out of range: level not 0..63, width not 1..256, index not a safe integer. */
  | "INVALID_TILE"
  /** Tile bytes are not whole 32-byte hashes, fewer than the tile's width, or more than a full tile. */
  | "INVALID_TILE_DATA"
  /** Entry-bundle bytes do not split into the expected number of length-prefixed entries. */
  | "INVALID_ENTRY_BUNDLE"
  /** An entry is longer than the 65,535 bytes a tlog-tiles uint16 length prefix can state. */
  | "ENTRY_TOO_LARGE";

export class ChainError extends Error {
  override readonly name = "ChainError";

  constructor(
    readonly code: ChainErrorCode,
    message: string,
  ) {
    super(message);
  }
}
