import { generateKeyPairSync, type KeyObject } from "node:crypto";
import type { SignatureAlgorithm } from "#chain";

/**
 * A new key pair for `alg`, the one place local keys are made (local mode's members and
 * sealer, `zhixin keys rotate`): Ed25519; P-256; or an EC key on the SM2 curve
 * (GB/T 32918.5), whose PKCS#8 and SPKI node:crypto writes in the forms OpenSSL and KMS
 * use (id-ecPublicKey with the curve OID 1.2.156.10197.1.301).
 */
const GENERATE: Readonly<Record<SignatureAlgorithm, () => { privateKey: KeyObject; publicKey: KeyObject }>> =
  {
    ed25519: () => generateKeyPairSync("ed25519"),
    "ecdsa-p256-sha256": () => generateKeyPairSync("ec", { namedCurve: "P-256" }),
    "sm2-sm3": () => generateKeyPairSync("ec", { namedCurve: "SM2" }),
  };

export function generateKeyPair(alg: SignatureAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  return GENERATE[alg]();
}
