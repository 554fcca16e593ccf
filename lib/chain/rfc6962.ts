import { sha256 } from "@noble/hashes/sha2.js";
import { ChainError } from "./errors.js";
import { sha256Node } from "./sha256-node.js";

/**
 * RFC 6962 §2.1 / RFC 9162 §2.1.1 Merkle tree hashing with SHA-256.
 *   leaf hash = SHA-256(0x00 || data)
 *   node hash = SHA-256(0x01 || left || right)
 * The prefixes separate leaves from interior nodes, so a leaf can never be
 * presented as a node (second-preimage resistance of the tree).
 */
export const LEAF_HASH_PREFIX = 0x00;
export const NODE_HASH_PREFIX = 0x01;
export const HASH_SIZE = 32;

export function sha256Bytes(data: Uint8Array): Uint8Array {
  return sha256(data);
}

/** MTH({}) = SHA-256() — the root of the empty tree (RFC 9162 §2.1.1). */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

export function hashLeaf(data: Uint8Array): Uint8Array {
  const input = new Uint8Array(data.length + 1);
  input[0] = LEAF_HASH_PREFIX;
  input.set(data, 1);
  return sha256(input);
}

export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  assertHash(left, "left");
  assertHash(right, "right");
  return hashChildrenUnchecked(left, right);
}

/**
 * Precondition: both arguments are 32 bytes (callers inside lib/chain check once, up
 * front). Node hashing is the hot path of every root, proof and audit, so it uses a
 * SHA-256 specialised to its fixed 65-byte input (sha256-node.ts), about twice as fast
 * as a general-purpose call (`npm run bench -- merkle`).
 */
export function hashChildrenUnchecked(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256Node(left, right);
}

export function assertHash(hash: Uint8Array, what: string): void {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    const got = hash instanceof Uint8Array ? `${hash.length} bytes` : typeof hash;
    throw new ChainError("INVALID_HASH_SIZE", `${what}: want a ${HASH_SIZE}-byte hash, got ${got}`);
  }
}
