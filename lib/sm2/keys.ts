import { concatBytes, equalBytes, fromHex } from "#chain";
import { Sm2Error } from "./errors.js";
import { sm2 } from "./sm2.js";

/**
 * SM2 keys in the DER forms Node, OpenSSL and KMS exchange them in: a public key as a
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, with RFC 5480 §2's id-ecPublicKey and the
 * curve's OID as parameter), a private key as PKCS#8 (RFC 5958) around an RFC 5915
 * ECPrivateKey. OpenSSL 3.0 (`openssl genpkey -algorithm SM2`, or `-algorithm EC -pkeyopt
 * ec_paramgen_curve:SM2`) and Node's generateKeyPairSync("ec", { namedCurve: "SM2" }) both
 * write id-ecPublicKey with the SM2 curve, never the SM2 OID as the algorithm, so that is
 * the one form read here.
 */

/** 1.2.840.10045.2.1 id-ecPublicKey (RFC 5480 §2.1.1) then 1.2.156.10197.1.301 (the SM2 curve). */
const SM2_ALGORITHM = fromHex("301306072a8648ce3d020106082a811ccf5501822d");
const SM2_CURVE_OID = fromHex("06082a811ccf5501822d");

/**
 * The 26 bytes before the 65-byte point in every SM2 SPKI:
 *   30 59                SEQUENCE, 89 bytes
 *      30 13 …           AlgorithmIdentifier { id-ecPublicKey, sm2 curve }
 *      03 42 00          BIT STRING, 66 bytes, no unused bits: 04 || x || y
 */
export const SM2_SPKI_PREFIX = fromHex("3059301306072a8648ce3d020106082a811ccf5501822d034200");
export const SM2_SPKI_SIZE = SM2_SPKI_PREFIX.length + sm2.sizes.publicKey;

/** 04 || x || y → DER SPKI. Sm2Error INVALID_KEY for a point not on the curve. */
export function sm2PublicKeyToSpki(publicKey: Uint8Array): Uint8Array {
  sm2.verifier(publicKey); // decodes and checks the point
  return concatBytes(SM2_SPKI_PREFIX, publicKey);
}

/** DER SPKI → 04 || x || y. Sm2Error INVALID_KEY unless it is exactly an SM2 SPKI of a curve point. */
export function sm2PublicKeyFromSpki(spki: Uint8Array): Uint8Array {
  if (
    !(spki instanceof Uint8Array) ||
    spki.length !== SM2_SPKI_SIZE ||
    !equalBytes(spki.subarray(0, SM2_SPKI_PREFIX.length), SM2_SPKI_PREFIX)
  ) {
    throw new Sm2Error(
      "INVALID_KEY",
      "not the DER SubjectPublicKeyInfo of an SM2 key (id-ecPublicKey, SM2 curve)",
    );
  }
  const publicKey = spki.slice(SM2_SPKI_PREFIX.length);
  sm2.verifier(publicKey);
  return publicKey;
}

/**
 * The 32-byte private scalar d of a PKCS#8 DER SM2 key:
 *
 *   PrivateKeyInfo ::= SEQUENCE {                               RFC 5958 §2
 *     version              INTEGER (0 or 1),
 *     privateKeyAlgorithm  SEQUENCE { id-ecPublicKey, sm2 curve },
 *     privateKey           OCTET STRING containing
 *       ECPrivateKey ::= SEQUENCE {                             RFC 5915 §3
 *         version     INTEGER 1,
 *         privateKey  OCTET STRING (32 bytes, d big-endian),
 *         parameters  [0] EXPLICIT sm2 curve OID    OPTIONAL,
 *         publicKey   [1] EXPLICIT BIT STRING       OPTIONAL },
 *     attributes           [0] IMPLICIT …            OPTIONAL (ignored),
 *     publicKey            [1] IMPLICIT BIT STRING   OPTIONAL }
 *
 * Each public key in it must be d·G. Sm2Error INVALID_KEY for anything else.
 */
export function sm2PrivateKeyFromPkcs8(der: Uint8Array): Uint8Array {
  const fail = (why: string): never => {
    throw new Sm2Error("INVALID_KEY", `not a PKCS#8 SM2 private key: ${why}`);
  };
  if (!(der instanceof Uint8Array)) fail("not bytes");
  const outer = readTlv(der, 0, fail);
  if (outer.tag !== 0x30 || outer.end !== der.length) fail("not one DER SEQUENCE");
  const version = readTlv(der, outer.start, fail);
  if (version.tag !== 0x02 || version.end - version.start !== 1 || (der[version.start] as number) > 1) {
    fail("version is not 0 or 1");
  }
  const algorithm = readTlv(der, version.end, fail);
  if (!equalBytes(der.subarray(version.end, algorithm.end), SM2_ALGORITHM)) {
    fail("the algorithm is not id-ecPublicKey with the SM2 curve");
  }
  const octets = readTlv(der, algorithm.end, fail);
  if (octets.tag !== 0x04) fail("privateKey is not an OCTET STRING");
  const trailing: { tag: number; content: Uint8Array }[] = [];
  for (let at = octets.end; at < outer.end; ) {
    const field = readTlv(der, at, fail);
    trailing.push({ tag: field.tag, content: der.subarray(field.start, field.end) });
    at = field.end;
  }
  const inner = der.subarray(octets.start, octets.end);
  const ec = readTlv(inner, 0, fail);
  if (ec.tag !== 0x30 || ec.end !== inner.length) fail("ECPrivateKey is not one SEQUENCE");
  const ecVersion = readTlv(inner, ec.start, fail);
  if (ecVersion.tag !== 0x02 || ecVersion.end - ecVersion.start !== 1 || inner[ecVersion.start] !== 1) {
    fail("ECPrivateKey version is not 1");
  }
  const scalar = readTlv(inner, ecVersion.end, fail);
  if (scalar.tag !== 0x04 || scalar.end - scalar.start !== sm2.sizes.scalar) {
    fail(`ECPrivateKey privateKey is not ${sm2.sizes.scalar} bytes`);
  }
  const d = inner.slice(scalar.start, scalar.end);
  const publicKey = sm2.publicKey(d); // checks 1 ≤ d ≤ n-2
  const isPublicKey = (bits: Uint8Array) => bits[0] === 0 && equalBytes(bits.subarray(1), publicKey);
  for (let at = scalar.end; at < inner.length; ) {
    const field = readTlv(inner, at, fail);
    const content = inner.subarray(field.start, field.end);
    if (field.tag === 0xa0) {
      if (!equalBytes(content, SM2_CURVE_OID)) fail("ECPrivateKey parameters are not the SM2 curve");
    } else if (field.tag === 0xa1) {
      const bits = readTlv(content, 0, fail);
      if (bits.tag !== 0x03 || bits.end !== content.length || !isPublicKey(content.subarray(bits.start))) {
        fail("the public key in ECPrivateKey is not d·G");
      }
    } else {
      fail("unexpected field in ECPrivateKey");
    }
    at = field.end;
  }
  // attributes [0] are ignored; publicKey [1] IMPLICIT BIT STRING must be d·G too.
  for (const { tag, content } of trailing) {
    if (tag === 0x81) {
      if (!isPublicKey(content)) fail("the public key after privateKey is not d·G");
    } else if (tag !== 0xa0) {
      fail("unexpected field after privateKey");
    }
  }
  return d;
}

/**
 * One DER tag-length-value at `at`: its tag byte and where its content starts and ends.
 * Single-byte tags only; lengths in short form or minimal long form of 1 or 2 bytes.
 */
function readTlv(
  der: Uint8Array,
  at: number,
  fail: (why: string) => never,
): { tag: number; start: number; end: number } {
  const tag = der[at];
  const first = der[at + 1];
  if (tag === undefined || first === undefined) fail("truncated");
  let length = first;
  let start = at + 2;
  if (first === 0x81) {
    length = der[at + 2] ?? fail("truncated length");
    if (length < 0x80) fail("non-minimal length");
    start = at + 3;
  } else if (first === 0x82) {
    length = ((der[at + 2] ?? fail("truncated length")) << 8) | (der[at + 3] ?? fail("truncated length"));
    if (length < 0x100) fail("non-minimal length");
    start = at + 4;
  } else if (first >= 0x80) {
    fail("unsupported length form");
  }
  const end = start + length;
  if (end > der.length) fail("runs past the end");
  return { tag, start, end };
}
