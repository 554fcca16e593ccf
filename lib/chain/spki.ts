import { concatBytes, equalBytes, fromHex } from "./bytes.js";
import type { SignatureAlgorithm } from "./envelope.js";

// The one DER SubjectPublicKeyInfo each algorithm's key is recorded in, so that one key
// has one key id: Ed25519 (RFC 8410 §4), and P-256 with the named curve and the
// uncompressed point (RFC 5480 §2), as KMS GetPublicKey and node:crypto export them; SM2
// the same with the curve OID 1.2.156.10197.1.301 (GB/T 35276 §4; KMS and OpenSSL use
// id-ecPublicKey with it, not the id-sm2 algorithm OID).
const SPKI_PREFIX: Record<SignatureAlgorithm, Uint8Array> = {
  ed25519: fromHex("302a300506032b6570032100"),
  "ecdsa-p256-sha256": fromHex("3059301306072a8648ce3d020106082a8648ce3d03010703420004"),
  "sm2-sm3": fromHex("3059301306072a8648ce3d020106082a811ccf5501822d03420004"),
};
const SPKI_POINT_SIZE: Record<SignatureAlgorithm, number> = {
  ed25519: 32,
  "ecdsa-p256-sha256": 64,
  "sm2-sm3": 64,
};

/** Whether `spki` is an `alg` key in the one form the ledger records (the table above). */
export function isRecordedSpki(alg: SignatureAlgorithm, spki: Uint8Array): boolean {
  const prefix = SPKI_PREFIX[alg];
  return (
    spki.length === prefix.length + SPKI_POINT_SIZE[alg] &&
    equalBytes(spki.subarray(0, prefix.length), prefix)
  );
}

/** The bytes after the recorded form's prefix: Ed25519's 32-byte key, x || y of an EC point. */
export function keyOfRecordedSpki(alg: SignatureAlgorithm, spki: Uint8Array): Uint8Array {
  return spki.slice(SPKI_PREFIX[alg].length);
}

/** The recorded SPKI of a key given as keyOfRecordedSpki returns it. */
export function recordedSpki(alg: SignatureAlgorithm, key: Uint8Array): Uint8Array {
  return concatBytes(SPKI_PREFIX[alg], key);
}
