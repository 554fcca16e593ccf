/**
 * What SHA-256 and SM3 share for RFC 6962's node hash (sha256-node.ts, sm3.ts): both are
 * Merkle–Damgård hashes over 64-byte blocks with big-endian words and length, so the
 * 65-byte input 0x01 || left || right fills the same two blocks, and the eight-word state
 * is written out the same way. Preconditions: left and right are 32 bytes.
 */

const be = (x: Uint8Array, i: number): number =>
  ((x[i] as number) << 24) |
  ((x[i + 1] as number) << 16) |
  ((x[i + 2] as number) << 8) |
  (x[i + 3] as number);

/** Block 1: 0x01 || left[0..32) || right[0..31), as 16 big-endian words into w[0..16). */
export function nodeFirstBlock(w: Int32Array, left: Uint8Array, right: Uint8Array): void {
  w[0] = (0x01 << 24) | ((left[0] as number) << 16) | ((left[1] as number) << 8) | (left[2] as number);
  for (let i = 1; i < 8; i++) w[i] = be(left, 4 * i - 1);
  w[8] =
    ((left[31] as number) << 24) |
    ((right[0] as number) << 16) |
    ((right[1] as number) << 8) |
    (right[2] as number);
  for (let i = 9; i < 16; i++) w[i] = be(right, 4 * (i - 8) - 1);
}

/**
 * Block 2 is right[31] || 0x80 || 0x00 × 54 || uint64be(520): its words hang on right[31]
 * alone, so each hash precomputes its expansion of this block for all 256 values.
 */
export function nodeSecondBlock(w: Int32Array, offset: number, last: number): void {
  w[offset] = (last << 24) | (0x80 << 16);
  w[offset + 15] = 65 * 8;
}

/** The 32-byte digest of an eight-word state, big-endian. */
export function digestOfState(state: Int32Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = state[i] as number;
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = (v >>> 16) & 255;
    out[4 * i + 2] = (v >>> 8) & 255;
    out[4 * i + 3] = v & 255;
  }
  return out;
}
