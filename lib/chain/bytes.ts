import { ChainError } from "./errors.js";

/**
 * Byte helpers that work the same in Node and in browsers (no Buffer).
 * Hex is lowercase on output and accepted in either case on input.
 */

const HEX_DIGITS = "0123456789abcdef";
const HEX_TABLE: string[] = Array.from(
  { length: 256 },
  (_, i) => HEX_DIGITS.charAt(i >> 4) + HEX_DIGITS.charAt(i & 15),
);

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX_TABLE[bytes[i] as number];
  return out;
}

// -1 marks a character that is not a hex digit.
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE[HEX_DIGITS.charCodeAt(i)] = i;
  HEX_VALUE[HEX_DIGITS.toUpperCase().charCodeAt(i)] = i;
}

export function fromHex(hex: string): Uint8Array {
  const bad = () =>
    new ChainError("INVALID_ENCODING", `not an even-length hex string: ${JSON.stringify(hex.slice(0, 80))}`);
  if (hex.length % 2 !== 0) throw bad();
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const c1 = hex.charCodeAt(2 * i);
    const c2 = hex.charCodeAt(2 * i + 1);
    const hi = c1 < 128 ? (HEX_VALUE[c1] as number) : -1;
    const lo = c2 < 128 ? (HEX_VALUE[c2] as number) : -1;
    if (hi < 0 || lo < 0) throw bad();
    out[i] = (hi << 4) | lo;
  }
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Standard base64 with padding (RFC 4648 §4), as C2SP notes and RFC 9421 byte sequences use. */
export function toBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      B64.charAt((n >> 18) & 63) +
      B64.charAt((n >> 12) & 63) +
      B64.charAt((n >> 6) & 63) +
      B64.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += `${B64.charAt((n >> 18) & 63)}${B64.charAt((n >> 12) & 63)}==`;
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += `${B64.charAt((n >> 18) & 63)}${B64.charAt((n >> 12) & 63)}${B64.charAt((n >> 6) & 63)}=`;
  }
  return out;
}

const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/** Strict decoder: canonical padding required, no whitespace, no URL alphabet. */
export function fromBase64(text: string): Uint8Array {
  const bad = (why: string) => new ChainError("INVALID_ENCODING", why);
  if (text.length % 4 !== 0) throw bad("not canonical padded base64");
  const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  const last = text.length - pad;
  let o = 0;
  let n = 0;
  for (let i = 0; i < last; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (B64_VALUE[c] as number) : -1;
    if (v < 0) throw bad("not canonical padded base64");
    n = (n << 6) | v;
    if ((i & 3) === 3) {
      out[o++] = (n >> 16) & 255;
      out[o++] = (n >> 8) & 255;
      out[o++] = n & 255;
      n = 0;
    }
  }
  // The tail group: 2 characters carry 1 byte (4 bits unused), 3 carry 2 (2 bits unused).
  // Unused bits must be zero, so that one byte string has exactly one text form and
  // signed text cannot be malleated.
  if (pad === 2) {
    if ((n & 0xf) !== 0) throw bad("non-canonical base64");
    out[o++] = (n >> 4) & 255;
  } else if (pad === 1) {
    if ((n & 0x3) !== 0) throw bad("non-canonical base64");
    out[o++] = (n >> 10) & 255;
    out[o++] = (n >> 2) & 255;
  }
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function fromUtf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ChainError("INVALID_ENCODING", "bytes are not valid UTF-8");
  }
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
