import { CryptoError } from "./errors.js";

/**
 * ECDSA and SM2 signature encodings on 256-bit curves (P-256, the SM2 curve). KMS (and
 * OpenSSL's default) return DER; RFC 9421 §3.3.4 and our envelopes use the fixed-size form
 * r||s (IEEE P1363), 32 bytes each. SM2's DER is the same structure (GM/T 0009-2012
 * SM2Signature, a SEQUENCE of the INTEGERs R and S).
 *
 *   ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }        (RFC 3279 §2.2.3)
 *
 *   30 <len>                          SEQUENCE, definite short-form length (< 0x80)
 *      02 <lenR> <r: 1..33 bytes>     INTEGER, big-endian two's complement, minimal
 *      02 <lenS> <s: 1..33 bytes>
 *
 * e.g. 30 45 02 21 00 c1…(32 bytes) 02 20 3f…(32 bytes). An integer with the top bit
 * set needs a leading 0x00 (else it would be negative); any other leading 0x00 is not
 * DER. On a 256-bit curve the whole value is at most 2 + 2·(2 + 33) = 72 bytes, so a
 * long-form length is never valid DER here.
 *
 * Pure (no node:crypto): the web console converts KMS's signatures with it.
 */

/** The order n of the P-256 base point (FIPS 186-5 / SEC 2 secp256r1). */
export const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** The order n of the SM2 recommended curve's base point (GB/T 32918.5-2017). */
export const SM2_ORDER = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const SCALAR_SIZE = 32;

/**
 * Strict DER → r||s. Rejects (CryptoError MALFORMED_SIGNATURE) anything that is not
 * exactly one minimal DER SEQUENCE of two INTEGERs in 1..n-1 with no trailing bytes, n
 * being `order` (P-256's unless given; SM2_ORDER for KMS's SM2DSA).
 * High-S values (s > n/2) are accepted: KMS does not normalise s.
 */
export function ecdsaSignatureFromDer(der: Uint8Array, order: bigint = P256_ORDER): Uint8Array {
  if (der.length < 2 || der[0] !== 0x30) throw malformed("does not start with a SEQUENCE (0x30)");
  const length = der[1] as number;
  if (length >= 0x80) throw malformed("SEQUENCE length is not in DER short form");
  if (length !== der.length - 2) {
    throw malformed(`SEQUENCE length ${length} but ${der.length - 2} content bytes follow`);
  }
  const r = readInteger(der, 2, "r", order);
  const s = readInteger(der, r.next, "s", order);
  if (s.next !== der.length) throw malformed("bytes follow the second INTEGER");
  const out = new Uint8Array(2 * SCALAR_SIZE);
  out.set(r.value, SCALAR_SIZE - r.value.length);
  out.set(s.value, 2 * SCALAR_SIZE - s.value.length);
  return out;
}

/** r||s → DER (what KMS returns); the inverse of ecdsaSignatureFromDer. */
export function ecdsaSignatureToDer(raw: Uint8Array): Uint8Array {
  if (raw.length !== 2 * SCALAR_SIZE)
    throw malformed(`r||s must be ${2 * SCALAR_SIZE} bytes, not ${raw.length}`);
  const r = derInteger(raw.subarray(0, SCALAR_SIZE));
  const s = derInteger(raw.subarray(SCALAR_SIZE));
  return Uint8Array.from([0x30, r.length + s.length, ...r, ...s]);
}

function readInteger(
  der: Uint8Array,
  at: number,
  name: string,
  order: bigint,
): { value: Uint8Array; next: number } {
  if (der[at] !== 0x02) throw malformed(`${name} is not an INTEGER (0x02)`);
  const length = der[at + 1];
  if (length === undefined) throw malformed(`${name} has no length`);
  if (length === 0 || length > SCALAR_SIZE + 1) throw malformed(`${name} is ${length} bytes long`);
  const start = at + 2;
  const end = start + length;
  if (end > der.length) throw malformed(`${name} runs past the end`);
  const first = der[start] as number;
  if (first & 0x80) throw malformed(`${name} is negative`);
  if (first === 0 && length > 1 && ((der[start + 1] as number) & 0x80) === 0) {
    throw malformed(`${name} has a non-minimal leading zero`);
  }
  const value = der.subarray(first === 0 && length > 1 ? start + 1 : start, end);
  if (value.length > SCALAR_SIZE) throw malformed(`${name} is wider than ${SCALAR_SIZE} bytes`);
  const n = toBigInt(value);
  if (n === 0n || n >= order) throw malformed(`${name} is not in 1..n-1`);
  return { value, next: end };
}

function derInteger(scalar: Uint8Array): number[] {
  let i = 0;
  while (i < scalar.length - 1 && scalar[i] === 0) i++;
  const body = Array.from(scalar.subarray(i));
  if ((body[0] as number) & 0x80) body.unshift(0);
  return [0x02, body.length, ...body];
}

function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function malformed(why: string): CryptoError {
  return new CryptoError("MALFORMED_SIGNATURE", `DER signature (SEQUENCE of r, s): ${why}`);
}
