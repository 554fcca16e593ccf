import { type KeyObject, verify } from "node:crypto";
import type { KeySignatureCheck } from "#chain";
import type { PublicKeyRecord } from "./key-directory.js";
import { asBuffer, ed25519Spki, importPublicKey, SIGNATURE_SIZE } from "./keys.js";

/**
 * Signature checks with node:crypto. Parsing an SPKI costs more than verifying, so the
 * KeyObject for each (alg, key id, SPKI) is made once and kept; the directory holds a
 * few hundred keys at most, and the cache is dropped wholesale if it ever grows past
 * CACHE_LIMIT (e.g. a verifier fed many exported key sets).
 */

export type VerificationKey = Pick<PublicKeyRecord, "keyId" | "alg" | "spki">;

const CACHE_LIMIT = 4096;
const keyCache = new Map<string, KeyObject>();

/**
 * The cached KeyObject for a key record. Throws CryptoError INVALID_KEY /
 * KEY_ALGORITHM_MISMATCH if the record's SPKI is not a key for its `alg`.
 */
export function publicKeyObject(key: VerificationKey): KeyObject {
  const cacheKey = `${key.alg}\n${key.keyId}\n${asBuffer(key.spki).toString("hex")}`;
  let object = keyCache.get(cacheKey);
  if (object === undefined) {
    object = importPublicKey(key.alg, key.spki);
    if (keyCache.size >= CACHE_LIMIT) keyCache.clear();
    keyCache.set(cacheKey, object);
  }
  return object;
}

/**
 * True iff `signature` is a valid signature by `key` over `message` (not pre-hashed).
 *   ed25519:           RFC 8032 Ed25519, 64-byte signature.
 *   ecdsa-p256-sha256: ECDSA P-256 over SHA-256(message), 64-byte r||s (IEEE P1363,
 *                      RFC 9421 §3.3.4). High-S signatures verify: KMS produces them and
 *                      our signatures are not malleability-sensitive (replay is keyed by
 *                      nonce, never by signature bytes).
 * Returns false, never throws, for signature bytes of any length or content. Throws
 * CryptoError only if the key record itself is unusable (see publicKeyObject).
 */
/**
 * An Ed25519 signature by a raw 32-byte public key — the form C2SP vkeys carry (a log's
 * checkpoint key, a witness's cosigning key) — checked as verifySignature checks it.
 */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return verifySignature(
    { keyId: "ed25519", alg: "ed25519", spki: ed25519Spki(publicKey) },
    message,
    signature,
  );
}

export function verifySignature(key: VerificationKey, message: Uint8Array, signature: Uint8Array): boolean {
  const object = publicKeyObject(key);
  if (signature.length !== SIGNATURE_SIZE) return false;
  try {
    if (key.alg === "ed25519") return verify(null, message, object, signature);
    return verify("sha256", message, { key: object, dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    return false;
  }
}

/**
 * lib/chain's KeySignatureCheck by node:crypto: a signature by a key held as (alg, spki)
 * alone — a key record's, an evidence bundle's — rather than by a directory's key id.
 */
export const verifyRecordedKeySignature: KeySignatureCheck = (alg, spki, message, signature) =>
  verifySignature({ keyId: "", alg, spki }, message, signature);
