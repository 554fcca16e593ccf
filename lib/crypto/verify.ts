import { verify } from "node:crypto";
import { type CryptoSuite, type KeySignatureCheck, type SignatureAlgorithm, SM2_DEFAULT_ID } from "#chain";
import { sm2Verifier } from "../sm2/index.js";
import type { PublicKeyRecord } from "./key-directory.js";
import { asBuffer, importPublicKey, SIGNATURE_SIZE, sm2PointOfSpki } from "./keys.js";

/**
 * Signature checks. Parsing an SPKI costs more than verifying, so each (alg, key id, SPKI,
 * SM2 identifier) is prepared once — a node:crypto KeyObject, or for SM2 lib/sm2's verifier with the point
 * decoded and Z_A hashed — and kept; the directory holds a few hundred keys at most, and
 * the cache is dropped wholesale if it ever grows past CACHE_LIMIT (e.g. a verifier fed
 * many exported key sets).
 */

export type VerificationKey = Pick<PublicKeyRecord, "keyId" | "alg" | "spki">;

/** One key's check of a 64-byte signature over a message; may throw on malformed bytes. */
type PreparedCheck = (message: Uint8Array, signature: Uint8Array) => boolean;

/**
 * How each algorithm prepares a key and checks its signatures (message not pre-hashed):
 *   ed25519:           RFC 8032 Ed25519.
 *   ecdsa-p256-sha256: ECDSA P-256 over SHA-256(message), r||s (IEEE P1363, RFC 9421
 *                      §3.3.4). High-S signatures verify: KMS produces them and our
 *                      signatures are not malleability-sensitive (replay is keyed by nonce,
 *                      never by signature bytes).
 *   sm2-sm3:           SM2 (GB/T 32918.2 §7.1) with e = SM3(Z_A || message), Z_A with the
 *                      suite's identifier (1234567812345678 unless the consortium sets
 *                      one), r||s (docs/formats/sm2.md), by lib/sm2: node:crypto's SM2 is
 *                      not the standard's with an identifier.
 * Each throws CryptoError INVALID_KEY / KEY_ALGORITHM_MISMATCH for an SPKI it cannot use.
 */
const PREPARE: { readonly [A in SignatureAlgorithm]: (spki: Uint8Array, sm2Id: string) => PreparedCheck } = {
  ed25519: (spki) => {
    const key = importPublicKey("ed25519", spki);
    return (message, signature) => verify(null, message, key, signature);
  },
  "ecdsa-p256-sha256": (spki) => {
    const key = importPublicKey("ecdsa-p256-sha256", spki);
    return (message, signature) => verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, signature);
  },
  "sm2-sm3": (spki, sm2Id) => {
    importPublicKey("sm2-sm3", spki);
    return sm2Verifier(sm2PointOfSpki(spki), sm2Id);
  },
};

const CACHE_LIMIT = 4096;
const cache = new Map<string, PreparedCheck>();

/** What of the ledger's suite a signature check needs: the SM2 identifier, for sm2-sm3 keys. */
export type SignatureSuite = Pick<CryptoSuite, "sm2Id">;

/**
 * The cached check for a key record under `suite`. Throws CryptoError INVALID_KEY /
 * KEY_ALGORITHM_MISMATCH if the record's SPKI is not a key for its `alg`.
 */
export function preparedCheck(key: VerificationKey, suite: SignatureSuite): PreparedCheck {
  const sm2Id = suite.sm2Id ?? SM2_DEFAULT_ID;
  const cacheKey = `${key.alg}\n${key.keyId}\n${asBuffer(key.spki).toString("hex")}\n${sm2Id}`;
  let check = cache.get(cacheKey);
  if (check === undefined) {
    check = PREPARE[key.alg](key.spki, sm2Id);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(cacheKey, check);
  }
  return check;
}

/**
 * True iff `signature` is a valid signature by `key` over `message` (not pre-hashed) in a
 * ledger of `suite`, as PREPARE above states per algorithm; every signature is 64 bytes.
 * Returns false, never throws, for signature bytes of any length or content. Throws
 * CryptoError only if the key record itself is unusable (see preparedCheck).
 */
export function verifySignature(
  key: VerificationKey,
  message: Uint8Array,
  signature: Uint8Array,
  suite: SignatureSuite,
): boolean {
  const check = preparedCheck(key, suite);
  if (signature.length !== SIGNATURE_SIZE) return false;
  try {
    return check(message, signature);
  } catch {
    return false;
  }
}

/**
 * lib/chain's KeySignatureCheck for a ledger of `suite`, by node:crypto and lib/sm2: a
 * signature by a key held as (alg, spki) alone — a key record's, an evidence bundle's —
 * rather than by a directory's key id.
 */
export function keySignatureCheckOf(suite: SignatureSuite): KeySignatureCheck {
  return (alg, spki, message, signature) =>
    verifySignature({ keyId: "", alg, spki }, message, signature, suite);
}
