import type { SignatureAlgorithm } from "#chain";

/** Signs with one key: a department's (request signatures) or the sealer's (headers, checkpoints). */
export interface Signer {
  readonly keyId: string;
  readonly alg: SignatureAlgorithm;
  /**
   * Signature over `message` (not pre-hashed). Ed25519: 64 bytes. ECDSA P-256 and SM2:
   * r||s, 64 bytes (IEEE P1363, as RFC 9421 §3.3.4 wants), whatever the key store returns;
   * SM2's with the ledger's identifier, 1234567812345678 unless the consortium sets one
   * (docs/formats/sm2.md §2).
   */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** DER SubjectPublicKeyInfo of the key. */
  publicKey(): Promise<Uint8Array>;
}
