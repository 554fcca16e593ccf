/**
 * Writes the derived Merkle vectors next to this file:
 *   inclusion-invalid.json, consistency-invalid.json  — every corruption that
 *     transparency-dev/merkle proof/verify_test.go applies to a known-good proof
 *     (corruptInclusionProof, corruptConsistencyProof, and the edge probes of
 *     TestVerifyInclusion / TestVerifyConsistency), applied to inclusion.json and
 *     consistency.json;
 *   large-sizes.json — proofs at sizes up to 2^53 - 1, built by the bit walk of
 *     RFC 9162 §2.1.3.2 / §2.1.4.2.
 *
 *   npx tsx test/vectors/merkle/generate.ts && npx biome check --write test/vectors/merkle
 *
 * The expected outcome of each case comes from the RFC transcription in
 * test/unit/lib/chain/rfc9162.ts (never from lib/chain) plus lib/chain's documented order
 * of input checks, which decides the code when a case is malformed rather than merely
 * wrong (see `inclusionOutcome` and `consistencyOutcome`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  refLeafHash,
  rfcConsistencyPathLength,
  rfcConsistencyRoots,
  rfcInclusionPathLength,
  rfcInclusionRoot,
  rfcVerifyConsistency,
  rfcVerifyInclusion,
} from "../../unit/lib/chain/rfc9162.js";
import type { ConsistencyCase, InclusionCase } from "./types.js";

const dir = new URL(".", import.meta.url);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

// Fixed hashes used by the upstream tests.
const EMPTY_TREE_HASH = unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
const SOME_HASH = unhex("abacaba000000000000000000000000000000000000000000060061e00123456");

const isCount = (x: number): boolean => Number.isSafeInteger(x) && x >= 0;

/**
 * lib/chain's verifyInclusion checks, in order: root is 32 bytes; index, then size, are
 * non-negative safe integers; index < size; leaf hash and every proof element are 32
 * bytes; the proof length is the one the RFC walk consumes; the recomputed root matches.
 */
function inclusionOutcome(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: Uint8Array[],
  root: Uint8Array,
): string {
  if (root.length !== 32) return "INVALID_HASH_SIZE";
  if (!isCount(index)) return "INVALID_INDEX";
  if (!isCount(size)) return "INVALID_SIZE";
  if (index >= size) return "INDEX_OUT_OF_RANGE";
  if (leaf.length !== 32 || proof.some((p) => p.length !== 32)) return "INVALID_HASH_SIZE";
  const res = rfcInclusionRoot(BigInt(index), BigInt(size), leaf, proof);
  const want = rfcInclusionPathLength(BigInt(index), BigInt(size));
  if ((proof.length !== want) !== "fail" in res) throw new Error("length walk disagrees with §2.1.3.2");
  if ("fail" in res) return "INVALID_PROOF_SIZE";
  return rfcVerifyInclusion(BigInt(index), BigInt(size), leaf, proof, root) ? "ok" : "ROOT_MISMATCH";
}

/**
 * lib/chain's verifyConsistency checks, in order: both sizes are non-negative safe
 * integers; both roots and every proof element are 32 bytes; 0 < oldSize <= newSize;
 * equal sizes need an empty proof and equal roots; the proof length is the one the RFC
 * walk consumes; both recomputed roots match.
 */
function consistencyOutcome(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: Uint8Array[],
): string {
  if (!isCount(oldSize) || !isCount(newSize)) return "INVALID_SIZE";
  if (oldRoot.length !== 32 || newRoot.length !== 32 || proof.some((p) => p.length !== 32)) {
    return "INVALID_HASH_SIZE";
  }
  if (oldSize === 0 || oldSize > newSize) return "INVALID_CONSISTENCY_RANGE";
  if (oldSize === newSize) {
    if (proof.length !== 0) return "INVALID_PROOF_SIZE";
    return hex(oldRoot) === hex(newRoot) ? "ok" : "ROOT_MISMATCH";
  }
  const want = rfcConsistencyPathLength(BigInt(oldSize), BigInt(newSize));
  const res = rfcConsistencyRoots(BigInt(oldSize), BigInt(newSize), oldRoot, proof);
  if ((proof.length !== want) !== "fail" in res) throw new Error("length walk disagrees with §2.1.4.2");
  if (proof.length !== want) return "INVALID_PROOF_SIZE";
  return rfcVerifyConsistency(BigInt(oldSize), BigInt(newSize), oldRoot, newRoot, proof)
    ? "ok"
    : "ROOT_MISMATCH";
}

function readCases<T>(name: string): T[] {
  return (JSON.parse(readFileSync(new URL(name, dir), "utf8")) as { cases: T[] }).cases;
}

function write(name: string, description: string, source: string, cases: unknown[]): void {
  writeFileSync(new URL(name, dir), `${JSON.stringify({ description, source, cases }, null, 2)}\n`);
}

function flipBit(h: Uint8Array, mask: number): Uint8Array {
  const out = h.slice();
  out[0] = (out[0] as number) ^ mask;
  return out;
}

// ---------------------------------------------------------------------------------
// Inclusion: corruptInclusionProof and the edge probes.

function inclusionNegatives(): InclusionCase[] {
  const out: InclusionCase[] = [];
  let context = "";
  const add = (
    wrong: string,
    index: number,
    size: number,
    leaf: Uint8Array,
    proof: Uint8Array[],
    root: Uint8Array,
  ): void => {
    const error = inclusionOutcome(index, size, leaf, proof, root);
    if (error === "ok") throw new Error(`inclusion probe unexpectedly verifies: ${wrong}`);
    out.push({
      description: context ? `${context}, presented with: ${wrong}` : wrong,
      leafIndex: index,
      treeSize: size,
      leafHash: hex(leaf),
      proof: proof.map(hex),
      root: hex(root),
      error,
      wrong,
    });
  };

  for (const c of readCases<InclusionCase>("inclusion.json")) {
    const i = c.leafIndex;
    const n = c.treeSize;
    const leaf = unhex(c.leafHash);
    const root = unhex(c.root);
    const proof = c.proof.map(unhex);
    context = `the known-good proof of leaf ${i} in a tree of ${n} (inclusion.json)`;
    add(`leaf index - 1`, i - 1, n, leaf, proof, root);
    add(`leaf index + 1`, i + 1, n, leaf, proof, root);
    add(`leaf index ^ 2`, i ^ 2, n, leaf, proof, root);
    add(`tree size * 2`, i, n * 2, leaf, proof, root);
    add(`tree size / 2`, i, Math.floor(n / 2), leaf, proof, root);
    add(`leaf hash is the 9 bytes "WrongLeaf"`, i, n, ascii("WrongLeaf"), proof, root);
    add(`leaf hash is a different 32-byte hash`, i, n, SOME_HASH, proof, root);
    add(`root is the empty-tree hash`, i, n, leaf, proof, EMPTY_TREE_HASH);
    add(`root is an unrelated hash`, i, n, leaf, proof, SOME_HASH);
    add(`trailing empty proof element`, i, n, leaf, [...proof, new Uint8Array(0)], root);
    add(`trailing root appended to the proof`, i, n, leaf, [...proof, root], root);
    add(`preceding empty proof element`, i, n, leaf, [new Uint8Array(0), ...proof], root);
    add(`root prepended to the proof`, i, n, leaf, [root, ...proof], root);
    proof.forEach((_, k) => {
      const bad = proof.slice();
      bad[k] = flipBit(proof[k] as Uint8Array, 8);
      add(`bit 3 of proof[${k}] flipped`, i, n, leaf, bad, root);
    });
    if (proof.length > 0) add(`last proof element removed`, i, n, leaf, proof.slice(0, -1), root);
    if (proof.length > 1) {
      add(
        `extra hash inserted after proof[0]`,
        i,
        n,
        leaf,
        [proof[0] as Uint8Array, SOME_HASH, ...proof.slice(1)],
        root,
      );
    }
  }

  context = "";
  // TestVerifyInclusion: impossible (index, size) pairs with an empty proof.
  for (const [i, n] of [
    [0, 0],
    [0, 1],
    [1, 0],
    [2, 1],
  ] as const) {
    add(`probe (${i}, ${n}): root is 0 bytes`, i, n, SOME_HASH, [], new Uint8Array(0));
    add(`probe (${i}, ${n}): leaf hash is 0 bytes`, i, n, new Uint8Array(0), [], EMPTY_TREE_HASH);
    add(`probe (${i}, ${n}): leaf is not the root of this size`, i, n, SOME_HASH, [], EMPTY_TREE_HASH);
  }
  // TestVerifyInclusionSingleEntry: in a one-entry tree the leaf hash is the root.
  const data = refLeafHash(ascii("data"));
  add("single entry: root is 0 bytes", 0, 1, data, [], new Uint8Array(0));
  add("single entry: leaf hash is 0 bytes", 0, 1, new Uint8Array(0), [], data);
  // Numbers that are not tree positions at all.
  add("leaf index is fractional", 1.5, 8, SOME_HASH, [], SOME_HASH);
  add("leaf index is 2^53, beyond safe integers", 2 ** 53, 2 ** 53, SOME_HASH, [], SOME_HASH);
  add("tree size is negative", 0, -1, SOME_HASH, [], SOME_HASH);
  add("tree size is 2^53, beyond safe integers", 0, 2 ** 53, SOME_HASH, [], SOME_HASH);
  return out;
}

// ---------------------------------------------------------------------------------
// Consistency: corruptConsistencyProof and the edge probes.

function consistencyNegatives(): ConsistencyCase[] {
  const out: ConsistencyCase[] = [];
  let context = "";
  const add = (
    wrong: string,
    m: number,
    n: number,
    r1: Uint8Array,
    r2: Uint8Array,
    proof: Uint8Array[],
    note?: string,
  ): void => {
    const error = consistencyOutcome(m, n, r1, r2, proof);
    if (error === "ok") throw new Error(`consistency probe unexpectedly verifies: ${wrong}`);
    const described = context ? `${context}, presented with: ${wrong}` : wrong;
    out.push({
      description: note ? `${described}; ${note}` : described,
      oldSize: m,
      newSize: n,
      oldRoot: hex(r1),
      newRoot: hex(r2),
      proof: proof.map(hex),
      error,
      wrong,
    });
  };

  for (const c of readCases<ConsistencyCase>("consistency.json")) {
    const proof = c.proof.map(unhex);
    if (proof.length === 0) continue; // upstream corrupts only non-trivial proofs
    const m = c.oldSize;
    const n = c.newSize;
    const r1 = unhex(c.oldRoot);
    const r2 = unhex(c.newRoot);
    context = `the known-good proof ${m} -> ${n} (consistency.json)`;
    add(`old size - 1`, m - 1, n, r1, r2, proof);
    add(`old size + 1`, m + 1, n, r1, r2, proof);
    add(`old size ^ 2`, m ^ 2, n, r1, r2, proof);
    add(`new size * 2`, m, n * 2, r1, r2, proof);
    add(`new size / 2`, m, Math.floor(n / 2), r1, r2, proof);
    add(`old root is the 9 bytes "WrongRoot"`, m, n, ascii("WrongRoot"), r2, proof);
    add(`new root is the 9 bytes "WrongRoot"`, m, n, r1, ascii("WrongRoot"), proof);
    add(`old root is an unrelated hash`, m, n, SOME_HASH, r2, proof);
    add(`new root is an unrelated hash`, m, n, r1, SOME_HASH, proof);
    add(`roots swapped`, m, n, r2, r1, proof);
    add(`empty proof`, m, n, r1, r2, []);
    add(`trailing empty proof element`, m, n, r1, r2, [...proof, new Uint8Array(0)]);
    add(`old root appended to the proof`, m, n, r1, r2, [...proof, r1]);
    add(`new root appended to the proof`, m, n, r1, r2, [...proof, r2]);
    add(`preceding empty proof element`, m, n, r1, r2, [new Uint8Array(0), ...proof]);
    add(`old root prepended to the proof`, m, n, r1, r2, [r1, ...proof]);
    add(`new root prepended to the proof`, m, n, r1, r2, [r2, ...proof]);
    add(`proof[0] repeated at the front`, m, n, r1, r2, [proof[0] as Uint8Array, ...proof]);
    add(`last proof element removed`, m, n, r1, r2, proof.slice(0, -1));
    proof.forEach((_, k) => {
      const bad = proof.slice();
      bad[k] = flipBit(proof[k] as Uint8Array, 16);
      add(`bit 4 of proof[${k}] flipped`, m, n, r1, r2, bad);
    });
  }

  context = "";
  // TestVerifyConsistency edge probes, with 32-byte roots so that only one thing is wrong.
  const upstreamAccepts =
    "transparency-dev/merkle accepts this as trivially consistent; RFC 9162 §2.1.4.1 defines proofs only for 0 < m, and lib/chain refuses it as a caller error";
  add("old size 0, new size 0", 0, 0, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [], upstreamAccepts);
  add("old size 0, new size 1", 0, 1, EMPTY_TREE_HASH, SOME_HASH, [], upstreamAccepts);
  add("equal sizes 1 with different roots", 1, 1, EMPTY_TREE_HASH, SOME_HASH, []);
  add("equal sizes 1, equal roots, non-empty proof", 1, 1, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [
    EMPTY_TREE_HASH,
  ]);
  add("old size 1 > new size 0 (time travel)", 1, 0, EMPTY_TREE_HASH, SOME_HASH, []);
  add("old size 2 > new size 1 (time travel)", 2, 1, EMPTY_TREE_HASH, SOME_HASH, []);
  add("1 -> 2 with an empty proof", 1, 2, EMPTY_TREE_HASH, SOME_HASH, []);
  add("old size is fractional", 1.5, 8, EMPTY_TREE_HASH, SOME_HASH, []);
  add("new size is 2^53, beyond safe integers", 1, 2 ** 53, EMPTY_TREE_HASH, SOME_HASH, []);
  return out;
}

// ---------------------------------------------------------------------------------
// Large sizes: the proof hashes are arbitrary (SHA-256 of "proof k"); what is tested is
// that the verifier walks 53-bit positions exactly as the RFC's BigInt walk does.

function proofHashes(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, k) => sha256(ascii(`proof ${k}`)));
}

function largeCases(): { inclusion: InclusionCase[]; consistency: ConsistencyCase[] } {
  const leaf = refLeafHash(ascii("large leaf"));
  const inclusion: InclusionCase[] = [];
  for (const [index, size, why] of [
    [2 ** 40 + 5, 2 ** 41, "a leaf in a perfect tree of 2^41: 41 siblings"],
    [2 ** 40 + 5, 2 ** 41 + 3, "the same leaf once three more are appended: 41 + the right subtree"],
    [2 ** 41 + 2, 2 ** 41 + 3, "the last of those leaves: only left siblings along the border"],
    [0, Number.MAX_SAFE_INTEGER, "the first leaf of the largest tree lib/chain accepts"],
    [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER, "the last leaf of the largest tree"],
    [2 ** 52 + 2 ** 31 + 7, Number.MAX_SAFE_INTEGER, "bits set in both 32-bit halves"],
    [2 ** 32 - 1, 2 ** 32 + 1, "the last index below 2^32"],
    [2 ** 32, 2 ** 32 + 1, "the first index at 2^32, carried up the right border"],
  ] as const) {
    const want = rfcInclusionPathLength(BigInt(index), BigInt(size));
    const proof = proofHashes(want);
    const res = rfcInclusionRoot(BigInt(index), BigInt(size), leaf, proof);
    if (!("root" in res)) throw new Error("bad large inclusion vector");
    const base = {
      leafIndex: index,
      treeSize: size,
      leafHash: hex(leaf),
      root: hex(res.root),
      expectedProofLength: want,
    };
    inclusion.push({ description: `index ${index}, size ${size}: ${why}`, ...base, proof: proof.map(hex) });
    inclusion.push({
      description: `index ${index}, size ${size}: proof one hash short`,
      ...base,
      proof: proof.slice(0, -1).map(hex),
      error: "INVALID_PROOF_SIZE",
      wrong: `${want - 1} hashes where the path needs ${want}`,
    });
    inclusion.push({
      description: `index ${index}, size ${size}: proof one hash long`,
      ...base,
      proof: [...proof, sha256(ascii("extra"))].map(hex),
      error: "INVALID_PROOF_SIZE",
      wrong: `${want + 1} hashes where the path needs ${want}`,
    });
    const check = inclusionOutcome(index, size, leaf, proof, res.root);
    if (check !== "ok") throw new Error(`large inclusion vector does not verify: ${check}`);
  }

  const consistency: ConsistencyCase[] = [];
  for (const [m, n, why] of [
    [2 ** 40 + 5, 2 ** 41 + 3, "old size with low bits set, new size just past a power of two"],
    [2 ** 41, Number.MAX_SAFE_INTEGER, "power-of-two old size: its root is not repeated in the proof"],
    [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER, "one leaf appended to the largest trees"],
    [2 ** 32 - 1, 2 ** 32 + 1, "across the 32-bit boundary"],
    [1, Number.MAX_SAFE_INTEGER, "from the first leaf to the largest tree"],
  ] as const) {
    const want = rfcConsistencyPathLength(BigInt(m), BigInt(n));
    const proof = proofHashes(want);
    const chosenOldRoot = sha256(ascii("old root"));
    const res = rfcConsistencyRoots(BigInt(m), BigInt(n), chosenOldRoot, proof);
    if (!("fr" in res)) throw new Error("bad large consistency vector");
    const base = {
      oldSize: m,
      newSize: n,
      oldRoot: hex(res.fr),
      newRoot: hex(res.sr),
      expectedProofLength: want,
    };
    consistency.push({ description: `${m} -> ${n}: ${why}`, ...base, proof: proof.map(hex) });
    consistency.push({
      description: `${m} -> ${n}: proof one hash short`,
      ...base,
      proof: proof.slice(0, -1).map(hex),
      error: "INVALID_PROOF_SIZE",
      wrong: `${want - 1} hashes where the proof needs ${want}`,
    });
    consistency.push({
      description: `${m} -> ${n}: proof one hash long`,
      ...base,
      proof: [...proof, sha256(ascii("extra"))].map(hex),
      error: "INVALID_PROOF_SIZE",
      wrong: `${want + 1} hashes where the proof needs ${want}`,
    });
    const check = consistencyOutcome(m, n, res.fr, res.sr, proof);
    if (check !== "ok") throw new Error(`large consistency vector does not verify: ${check}`);
  }
  return { inclusion, consistency };
}

const derived =
  "Derived by test/vectors/merkle/generate.ts (npx tsx test/vectors/merkle/generate.ts) from the known-good cases, applying the corruptions of transparency-dev/merkle proof/verify_test.go; expected codes from the RFC 9162 transcription in test/unit/lib/chain/rfc9162.ts and lib/chain's documented order of input checks.";

write(
  "inclusion-invalid.json",
  "Inclusion proofs that must be rejected. `error` is the ChainError code verifyInclusion must throw, `wrong` says what was changed from a known-good case of inclusion.json.",
  derived,
  inclusionNegatives(),
);
write(
  "consistency-invalid.json",
  "Consistency proofs that must be rejected. `error` is the ChainError code verifyConsistency must throw, `wrong` says what was changed from a known-good case of consistency.json.",
  derived,
  consistencyNegatives(),
);
const large = largeCases();
write(
  "large-sizes.json",
  "Proofs at tree sizes up to 2^53 - 1, where positions no longer fit JavaScript's 32-bit bitwise operators. Proof hashes are SHA-256 of 'proof k' (they need not come from a real tree); roots are what RFC 9162 §2.1.3.2 / §2.1.4.2 compute from them. Cases without `error` must verify; `expectedProofLength` is the only length the verifier may accept.",
  "Generated by test/vectors/merkle/generate.ts (npx tsx test/vectors/merkle/generate.ts) with the BigInt transcription of RFC 9162 §2.1.3.2 and §2.1.4.2 in test/unit/lib/chain/rfc9162.ts.",
  [
    ...large.inclusion.map((c) => ({ kind: "inclusion", ...c })),
    ...large.consistency.map((c) => ({ kind: "consistency", ...c })),
  ],
);
