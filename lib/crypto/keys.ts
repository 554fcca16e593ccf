import { createPublicKey, type KeyObject } from "node:crypto";
import { equalBytes, fromHex, type SignatureAlgorithm } from "#chain";
import { Sm2Error, sm2PublicKeyFromSpki } from "../sm2/index.js";
import { CryptoError } from "./errors.js";

/** Every Zhixin signature (Ed25519, or ECDSA P-256 or SM2 as r||s) is 64 bytes. */
export const SIGNATURE_SIZE = 64;

/**
 * Which of our algorithms a Node key is for, or undefined if none (RSA, P-384, X25519, ...).
 * An SM2 key is "ec" on curve "SM2" as generateKeyPairSync makes it, but a key Node reads
 * from PEM or DER (Node 20, OpenSSL 3) has no asymmetricKeyType at all, since OpenSSL
 * decodes it as its own SM2 type: such a key is SM2 when its SPKI is.
 */
export function keyAlgorithm(key: KeyObject): SignatureAlgorithm | undefined {
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return "ecdsa-p256-sha256";
    if (curve === "SM2") return "sm2-sm3";
    return undefined;
  }
  if (key.type !== "secret" && key.asymmetricKeyType === undefined && isSm2Spki(spkiOf(key))) {
    return "sm2-sm3";
  }
  return undefined;
}

export function describeKey(key: KeyObject): string {
  if (keyAlgorithm(key) === "sm2-sm3") return "ec SM2";
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === undefined ? String(key.asymmetricKeyType) : `${key.asymmetricKeyType} ${curve}`;
}

/**
 * Parses a DER SubjectPublicKeyInfo and checks it is a key for `alg`. Throws CryptoError
 * INVALID_KEY (not SPKI; for SM2, not the 91-byte SPKI of a point on the curve) or
 * KEY_ALGORITHM_MISMATCH (another algorithm or curve).
 */
export function importPublicKey(alg: SignatureAlgorithm, spki: Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: asBuffer(spki), format: "der", type: "spki" });
  } catch (e) {
    throw new CryptoError("INVALID_KEY", `not a DER SubjectPublicKeyInfo: ${(e as Error).message}`);
  }
  const actual = keyAlgorithm(key);
  if (actual !== alg) {
    throw new CryptoError("KEY_ALGORITHM_MISMATCH", `public key is ${describeKey(key)}, not ${alg}`);
  }
  if (alg === "sm2-sm3") sm2PointOfSpki(spki);
  return key;
}

/**
 * The 65-byte point 04 || x || y of an SM2 SPKI, which lib/sm2 verifies with. CryptoError
 * INVALID_KEY unless it is exactly the uncompressed SPKI of a point on the curve.
 */
export function sm2PointOfSpki(spki: Uint8Array): Uint8Array {
  try {
    return sm2PublicKeyFromSpki(spki);
  } catch (e) {
    if (e instanceof Sm2Error) throw new CryptoError("INVALID_KEY", e.message);
    throw e;
  }
}

function spkiOf(key: KeyObject): Uint8Array {
  const publicKey = key.type === "public" ? key : createPublicKey(key);
  return asBytes(publicKey.export({ format: "der", type: "spki" }));
}

/**
 * Whether an SPKI names the SM2 curve, whatever form its point has:
 *   30 <short length> 30 13 06 07 2a8648ce3d0201 06 08 2a811ccf5501822d …
 * (SEQUENCE, then AlgorithmIdentifier { id-ecPublicKey, the SM2 curve }).
 */
function isSm2Spki(spki: Uint8Array): boolean {
  return spki[0] === 0x30 && (spki[1] as number) < 0x80 && equalBytes(spki.subarray(2, 23), SM2_ALGORITHM_ID);
}

const SM2_ALGORITHM_ID = fromHex("301306072a8648ce3d020106082a811ccf5501822d");

/** A Buffer view over the same bytes (no copy), for node:crypto APIs typed on Buffer. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A plain Uint8Array view over a Buffer, so results compare equal to other Uint8Arrays. */
export function asBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
