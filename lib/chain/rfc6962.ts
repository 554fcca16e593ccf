import { sha256 } from "@noble/hashes/sha2.js";
import { ChainError } from "./errors.js";

/**
 * RFC 6962 §2.1 / RFC 9162 §2.1.1 Merkle tree hashing over a suite's hash H (suite.ts):
 *   leaf hash = H(0x00 || data)
 *   node hash = H(0x01 || left || right)
 * The prefixes separate leaves from interior nodes, so a leaf can never be presented as
 * a node (second-preimage resistance of the tree). They are kept whatever H is: under the
 * gm suite H is SM3, the tree's shape and prefixes unchanged.
 */
export const LEAF_HASH_PREFIX = 0x00;
export const NODE_HASH_PREFIX = 0x01;
export const HASH_SIZE = 32;

/** The tree hashing of one hash function, as transparency-dev/merkle's LogHasher. */
export interface TreeHasher {
  /** MTH({}) = H() — the root of the empty tree (RFC 9162 §2.1.1). */
  emptyRoot(): Uint8Array;
  hashLeaf(data: Uint8Array): Uint8Array;
  /** Throws INVALID_HASH_SIZE unless both are 32 bytes. */
  hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array;
  /**
   * Precondition: both arguments are 32 bytes (callers inside lib/chain check once, up
   * front). Node hashing is the hot path of every root, proof and audit, so each suite
   * gives it an H specialised to its fixed 65-byte input (sha256-node.ts, sm3.ts), about
   * twice as fast as a general-purpose call (`npm run bench -- merkle`).
   */
  hashChildrenUnchecked(left: Uint8Array, right: Uint8Array): Uint8Array;
}

/**
 * RFC 6962 hashing with `hash` (any 32-byte H) and `hashNode`, the same H of exactly
 * 0x01 || left || right for 32-byte left and right.
 */
export function rfc6962Hasher(
  hash: (data: Uint8Array) => Uint8Array,
  hashNode: (left: Uint8Array, right: Uint8Array) => Uint8Array,
): TreeHasher {
  const empty = hash(new Uint8Array(0));
  return {
    emptyRoot: () => empty.slice(),
    hashLeaf(data) {
      const input = new Uint8Array(data.length + 1);
      input[0] = LEAF_HASH_PREFIX;
      input.set(data, 1);
      return hash(input);
    },
    hashChildren(left, right) {
      assertHash(left, "left");
      assertHash(right, "right");
      return hashNode(left, right);
    },
    hashChildrenUnchecked: hashNode,
  };
}

export function assertHash(hash: Uint8Array, what: string): void {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    const got = hash instanceof Uint8Array ? `${hash.length} bytes` : typeof hash;
    throw new ChainError("INVALID_HASH_SIZE", `${what}: want a ${HASH_SIZE}-byte hash, got ${got}`);
  }
}

/**
 * SHA-256 where a specification fixes it whatever the ledger's suite: the key IDs of C2SP
 * signed notes and cosignatures (c2sp.org/signed-note, c2sp.org/tlog-cosignature), which
 * other implementations compute. Everything the ledger itself defines hashes with its
 * suite's H (suite.ts).
 */
export function sha256Bytes(data: Uint8Array): Uint8Array {
  return sha256(data);
}
