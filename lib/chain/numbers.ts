import { ChainError } from "./errors.js";

/**
 * Tree indices and sizes arrive from storage and from the network, so they are
 * checked before any arithmetic. Sizes go up to 2^53 - 1, beyond the 32 bits that
 * JavaScript's bitwise operators handle, so bit helpers split into high and low words.
 */

export function assertIndex(value: number, what = "index"): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new ChainError(
      "INVALID_INDEX",
      `${what} must be a non-negative safe integer, got ${String(value)}`,
    );
  }
}

export function assertSize(value: number, what = "size"): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new ChainError("INVALID_SIZE", `${what} must be a non-negative safe integer, got ${String(value)}`);
  }
}

const TWO_32 = 2 ** 32;

function split(x: number): [hi: number, lo: number] {
  return [Math.floor(x / TWO_32), x >>> 0];
}

/** Number of bits needed to write x (bits.Len64). Requires x a non-negative safe integer. */
export function bitLength(x: number): number {
  const [hi, lo] = split(x);
  return hi !== 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(lo);
}

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export function onesCount(x: number): number {
  const [hi, lo] = split(x);
  return popcount32(hi) + popcount32(lo);
}

export function trailingZeros(x: number): number {
  if (x === 0) return 64;
  const [hi, lo] = split(x);
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  return 32 + 31 - Math.clz32(hi & -hi);
}

export function xor(a: number, b: number): number {
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return ((ah ^ bh) >>> 0) * TWO_32 + ((al ^ bl) >>> 0);
}

/** x >> n for safe integers (n < 64). */
export function shiftRight(x: number, n: number): number {
  return Math.floor(x / 2 ** n);
}

/** Bit n of x (0 = least significant). */
export function bit(x: number, n: number): number {
  // Most indices fit in 31 bits, where the bitwise form is exact and far cheaper.
  if (x <= 0x7fffffff && n < 31) return (x >> n) & 1;
  return shiftRight(x, n) % 2;
}
