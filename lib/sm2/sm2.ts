import { SM2_CURVE } from "./curve.js";
import {
  type Sm2Id,
  type Sm2Scheme,
  type Sm2Signer,
  type Sm2SignOptions,
  type Sm2Verifier,
  sm2Scheme,
} from "./scheme.js";

/** SM2 on the recommended curve (GB/T 32918.5-2017): the one Zhixin signs with. */
export const sm2: Sm2Scheme = sm2Scheme(SM2_CURVE);

/** Z_A of a 65-byte public key (GB/T 32918.2 §5.5). */
export const sm2Z = (publicKey: Uint8Array, id?: Sm2Id): Uint8Array => sm2.z(publicKey, id);

/** The 65-byte public key 04 || x || y of a 32-byte private key. */
export const sm2PublicKey = (privateKey: Uint8Array): Uint8Array => sm2.publicKey(privateKey);

/** r || s (64 bytes) over `message`, e = SM3(Z_A || M) (§6.1). */
export const sm2Sign = (privateKey: Uint8Array, message: Uint8Array, options?: Sm2SignOptions): Uint8Array =>
  sm2.sign(privateKey, message, options);

/** Whether `signature` (r || s) is by `publicKey` (65 bytes) over `message` (§7.1); never throws. */
export const sm2Verify = (
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  id?: Sm2Id,
): boolean => sm2.verify(publicKey, message, signature, id);

/** r || s over a caller-computed e = SM3(Z_A || M), 32 bytes (§6.1 from A3), as KMS signs a DIGEST. */
export const sm2SignDigest = (
  privateKey: Uint8Array,
  digest: Uint8Array,
  options?: Omit<Sm2SignOptions, "id">,
): Uint8Array => sm2.signDigest(privateKey, digest, options);

export const sm2Signer = (privateKey: Uint8Array, id?: Sm2Id): Sm2Signer => sm2.signer(privateKey, id);
export const sm2Verifier = (publicKey: Uint8Array, id?: Sm2Id): Sm2Verifier => sm2.verifier(publicKey, id);
