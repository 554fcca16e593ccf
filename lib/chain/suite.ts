import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { CHash } from "@noble/hashes/utils.js";
import type { CosignatureAlgorithm } from "./cosignature.js";
import type { SignatureAlgorithm } from "./envelope.js";
import { ChainError } from "./errors.js";
import { rfc6962Hasher, type TreeHasher } from "./rfc6962.js";
import { sha256Node } from "./sha256-node.js";
import { sm3, sm3Node } from "./sm3.js";

/**
 * Crypto suites (docs/formats/suites.md): the one choice a consortium makes for all of its
 * cryptography, recorded in its genesis block so that no verifier guesses.
 *
 *   intl  SHA-256 (FIPS 180-4) everywhere; Ed25519 or ECDSA P-256 signatures; the sealer Ed25519
 *   gm    SM3 (GB/T 32905) everywhere; SM2 signatures with SM3 (GB/T 32918.2), the sealer too
 *
 * "Everywhere" is every hash the ledger defines: RFC 6962 leaves and nodes, entry and
 * payload digests, entry ids, block hashes, key ids, subject and uniqueness HMACs. Code
 * that hashes takes the suite as an argument and calls its methods, so no rule of the
 * ledger names an algorithm: the suite object is the only place the two differ.
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

/**
 * What witnesses cosign checkpoints with under each suite (docs/formats/witness.md §1.7):
 * the spec's Ed25519 cosignature, or Zhixin's SM2 one.
 */
export const SUITE_COSIGNATURE_ALGORITHM: Readonly<Record<SuiteName, CosignatureAlgorithm>> = {
  intl: "ed25519",
  gm: "sm2-sm3",
};

/**
 * GM/T 0009-2012's default SM2 distinguishing identifier, the ASCII digits "1234567812345678":
 * the gm suite's unless the consortium file sets another (docs/formats/sm2.md §2).
 */
export const SM2_DEFAULT_ID = "1234567812345678";

/**
 * What a consortium may set as its SM2 identifier: 1 to 128 printable ASCII characters.
 * ASCII because Z_A hashes the identifier's bytes, and text with Chinese characters has
 * more than one byte form (NFC, NFD, GBK) that would give two Z_A for what reads the same.
 */
export const SM2_ID_PATTERN = /^[\x20-\x7e]{1,128}$/;

export function isSm2Id(id: unknown): id is string {
  return typeof id === "string" && SM2_ID_PATTERN.test(id);
}

export interface CryptoSuite extends TreeHasher {
  readonly name: SuiteName;
  /**
   * The gm suite's SM2 distinguishing identifier ID_A (GB/T 32918.2 §5.5), which every SM2
   * signature of the ledger binds through Z_A: SM2_DEFAULT_ID unless the consortium sets
   * one. Undefined under intl, which has no SM2.
   */
  readonly sm2Id: string | undefined;
  /** H's name as people write it, for messages: "SHA-256" or "SM3". */
  readonly hashName: string;
  /** H, the suite's 32-byte hash: SHA-256 or SM3. */
  hash(data: Uint8Array): Uint8Array;
  /** HMAC-H(key, data), RFC 2104 (GB/T 15852.2 names the same construction over SM3). */
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
}

/** A suite of H (a @noble/hashes hash: callable, with create() for HMAC) and H's RFC 6962 node form. */
function makeSuite(
  name: SuiteName,
  hashName: string,
  hash: CHash,
  hashNode: (left: Uint8Array, right: Uint8Array) => Uint8Array,
  sm2Id: string | undefined,
): CryptoSuite {
  return Object.freeze({
    name,
    sm2Id,
    hashName,
    hash: (data: Uint8Array) => hash(data),
    hmac: (key: Uint8Array, data: Uint8Array) => hmac(hash, key, data),
    ...rfc6962Hasher(hash, hashNode),
  });
}

/** The international suite: SHA-256. */
export const INTL: CryptoSuite = makeSuite("intl", "SHA-256", sha256, sha256Node, undefined);

/** The national suite (国密): SM3, SM2 with the default identifier. */
export const GM: CryptoSuite = makeSuite("gm", "SM3", sm3, sm3Node, SM2_DEFAULT_ID);

const SUITES: Readonly<Record<SuiteName, CryptoSuite>> = { intl: INTL, gm: GM };

/**
 * The gm suite with SM2 identifier `sm2Id` (GM itself for the default). ChainError
 * INVALID_FORMAT for an identifier SM2_ID_PATTERN refuses.
 */
export function gmSuite(sm2Id: string = SM2_DEFAULT_ID): CryptoSuite {
  if (sm2Id === SM2_DEFAULT_ID) return GM;
  if (!isSm2Id(sm2Id))
    throw new ChainError("INVALID_FORMAT", "an SM2 identifier is 1 to 128 printable ASCII characters");
  return makeSuite("gm", "SM3", sm3, sm3Node, sm2Id);
}

/**
 * The SM2 identifier the consortium set, or undefined for the default (and under intl):
 * what a genesis header or a trust root writes as `sm2Id`, the default never being written.
 */
export function ownSm2Id(suite: Pick<CryptoSuite, "sm2Id">): string | undefined {
  return suite.sm2Id === SM2_DEFAULT_ID ? undefined : suite.sm2Id;
}

/**
 * What is wrong with a recorded `sm2Id` (a genesis header's, a trust root's) beside the
 * recorded `suite`, or undefined when nothing is: it belongs to gm, is an identifier, and
 * is never the default, which is written by leaving it out.
 */
export function recordedSm2IdProblem(suite: unknown, sm2Id: unknown): string | undefined {
  if (sm2Id === undefined) return undefined;
  if (suite !== "gm") return "sm2Id is the gm suite's only";
  if (!isSm2Id(sm2Id) || sm2Id === SM2_DEFAULT_ID)
    return "sm2Id must be 1 to 128 printable ASCII characters, and is left out for the default";
  return undefined;
}

/** A suite as people read it in findings and errors: "intl", "gm", or gm with its identifier. */
export function suiteLabel(suite: CryptoSuite): string {
  const own = ownSm2Id(suite);
  return own === undefined ? suite.name : `${suite.name} (SM2 identifier ${JSON.stringify(own)})`;
}

/** True iff the two are the same suite: the same name and, under gm, the same SM2 identifier. */
export function sameSuite(a: CryptoSuite, b: CryptoSuite): boolean {
  return a.name === b.name && a.sm2Id === b.sm2Id;
}

/**
 * The suite whose signatures `alg` makes: each algorithm is one suite's
 * (SUITE_SIGNATURE_ALGORITHMS), so a key's algorithm names the H its key id is derived with.
 */
export function suiteOfAlgorithm(alg: SignatureAlgorithm): CryptoSuite {
  const name = SUITE_NAMES.find((s) => SUITE_SIGNATURE_ALGORITHMS[s].includes(alg));
  if (name === undefined) throw new ChainError("INVALID_FORMAT", `no suite signs with ${String(alg)}`);
  return SUITES[name];
}

/**
 * The suite of a name, and for gm of an SM2 identifier (the default if undefined);
 * ChainError INVALID_FORMAT for a name that is none, an identifier under intl, or one
 * SM2_ID_PATTERN refuses.
 */
export function suiteNamed(name: string, sm2Id?: string): CryptoSuite {
  if (!isSuiteName(name))
    throw new ChainError(
      "INVALID_FORMAT",
      `suite ${JSON.stringify(name)} is not one of ${SUITE_NAMES.join(", ")}`,
    );
  if (sm2Id === undefined) return SUITES[name];
  if (name !== "gm") throw new ChainError("INVALID_FORMAT", "an SM2 identifier is the gm suite's only");
  return gmSuite(sm2Id);
}
