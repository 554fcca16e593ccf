/**
 * lib/sm2 — SM2 signatures with SM3 (GB/T 32918.2-2016 / GM/T 0003.2-2012) on the
 * recommended curve (GB/T 32918.5-2017), over @noble/curves's arithmetic, and SM2 keys in
 * SPKI and PKCS#8 form. Pure and synchronous: it runs in browsers (README.md).
 */

export { curvePoints, SM2_CURVE, type Sm2CurveParams, type Sm2Point, type Sm2PointCons } from "./curve.js";
export { Sm2Error, type Sm2ErrorCode } from "./errors.js";
export {
  SM2_SPKI_PREFIX,
  SM2_SPKI_SIZE,
  sm2PrivateKeyFromPkcs8,
  sm2PublicKeyFromSpki,
  sm2PublicKeyToSpki,
} from "./keys.js";
export {
  SM2_DEFAULT_ID,
  type Sm2Id,
  type Sm2Scheme,
  type Sm2Signer,
  type Sm2SignOptions,
  type Sm2Verifier,
  sm2Scheme,
} from "./scheme.js";
export { sm2, sm2PublicKey, sm2Sign, sm2SignDigest, sm2Signer, sm2Verifier, sm2Verify, sm2Z } from "./sm2.js";
