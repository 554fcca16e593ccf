import type { SignatureAlgorithm } from "./envelope.js";

/**
 * Crypto suites (docs/formats/suites.md): the one choice a consortium makes for all of its
 * cryptography, recorded in its genesis block so that no verifier guesses.
 *
 *   intl  SHA-256 (FIPS 180-4) everywhere; Ed25519 or ECDSA P-256 signatures; the sealer Ed25519
 *   gm    SM3 (GB/T 32905) everywhere; SM2 signatures with SM3 (GB/T 32918.2), the sealer too
 *
 * "Everywhere" is every hash the ledger defines: RFC 6962 leaves and nodes, entry and
 * payload digests, block hashes, key ids, subject and uniqueness HMACs.
 */

export const SUITE_NAMES = ["intl", "gm"] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

export function isSuiteName(name: unknown): name is SuiteName {
  return (SUITE_NAMES as readonly unknown[]).includes(name);
}

/** The signature algorithms each suite allows, the first being a member's default. */
export const SUITE_SIGNATURE_ALGORITHMS: Readonly<Record<SuiteName, readonly SignatureAlgorithm[]>> = {
  intl: ["ed25519", "ecdsa-p256-sha256"],
  gm: ["sm2-sm3"],
};

/** What the sealer signs block headers and checkpoints with under each suite. */
export const SUITE_SEALER_ALGORITHM: Readonly<Record<SuiteName, SignatureAlgorithm>> = {
  intl: "ed25519",
  gm: "sm2-sm3",
};
