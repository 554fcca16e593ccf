import { sha256 } from "@noble/hashes/sha2.js";

/**
 * A test-only transcription of RFC 9162 §2.1, written from the RFC text and sharing no
 * code with lib/chain: the recursive definitions MTH (§2.1.1), PATH (§2.1.3.1) and
 * PROOF/SUBPROOF (§2.1.4.1), and the step-by-step verification algorithms of §2.1.3.2
 * and §2.1.4.2 over BigInt, so that sizes up to 2^64 are handled without bit tricks.
 * It is slow on purpose; lib/chain is checked against it, never the other way round.
 */

/** HASH(0x00 || d): the leaf hash. */
export function refLeafHash(d: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + d.length);
  input[0] = 0x00;
  input.set(d, 1);
  return sha256(input);
}

/** HASH(0x01 || left || right): the interior node hash. */
export function refNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/** The largest power of two smaller than n (RFC 9162 §2.1.1 "k"). Requires n > 1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The RFC's functions over one fixed list of entries D. D[lo:hi] is written (lo, hi).
 * MTH is memoised on (lo, hi): D never changes, so this only saves recomputation.
 */
export class RfcTree {
  private readonly memo = new Map<string, Uint8Array>();

  constructor(readonly entries: readonly Uint8Array[]) {}

  /** MTH(D[lo:hi]). */
  mth(lo: number, hi: number): Uint8Array {
    const key = `${lo}:${hi}`;
    const known = this.memo.get(key);
    if (known) return known;
    const n = hi - lo;
    let out: Uint8Array;
    if (n === 0) out = sha256(new Uint8Array(0));
    else if (n === 1) out = refLeafHash(this.entries[lo] as Uint8Array);
    else {
      const k = splitPoint(n);
      out = refNodeHash(this.mth(lo, lo + k), this.mth(lo + k, hi));
    }
    this.memo.set(key, out);
    return out;
  }

  /** PATH(m, D[lo:hi]); m is relative to lo. */
  path(m: number, lo: number, hi: number): Uint8Array[] {
    const n = hi - lo;
    if (n === 1) return [];
    const k = splitPoint(n);
    if (m < k) return [...this.path(m, lo, lo + k), this.mth(lo + k, hi)];
    return [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }

  /** PROOF(m, D[n]) = SUBPROOF(m, D[n], true). */
  proof(m: number, n: number): Uint8Array[] {
    return this.subproof(m, 0, n, true);
  }

  /** SUBPROOF(m, D[lo:hi], b). */
  private subproof(m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    const k = splitPoint(n);
    if (m <= k) return [...this.subproof(m, lo, lo + k, b), this.mth(lo + k, hi)];
    return [...this.subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * RFC 9162 §2.1.3.2, steps 1–5. Returns the recomputed root `r`, or why the path was
 * refused before any comparison with a root: "index" (leaf_index >= tree_size) or
 * "shape" (sn reached 0 early, or was not 0 at the end: the path has the wrong length).
 */
export function rfcInclusionRoot(
  leafIndex: bigint,
  treeSize: bigint,
  hash: Uint8Array,
  inclusionPath: readonly Uint8Array[],
): { root: Uint8Array } | { fail: "index" | "shape" } {
  if (leafIndex >= treeSize) return { fail: "index" };
  let fn = leafIndex;
  let sn = treeSize - 1n;
  let r = hash;
  for (const p of inclusionPath) {
    if (sn === 0n) return { fail: "shape" };
    if ((fn & 1n) === 1n || fn === sn) {
      r = refNodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = refNodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return { fail: "shape" };
  return { root: r };
}

/** Number of hashes in every valid inclusion path for (leafIndex, treeSize), by the same walk. */
export function rfcInclusionPathLength(leafIndex: bigint, treeSize: bigint): number {
  let fn = leafIndex;
  let sn = treeSize - 1n;
  let length = 0;
  while (sn !== 0n) {
    if ((fn & 1n) === 0n && fn === sn) {
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    }
    fn >>= 1n;
    sn >>= 1n;
    length++;
  }
  return length;
}

/**
 * RFC 9162 §2.1.4.2 for 0 < first < second. Returns the recomputed (fr, sr), or "shape"
 * when the path is empty, runs past sn = 0, or leaves sn non-zero.
 */
export function rfcConsistencyRoots(
  first: bigint,
  second: bigint,
  firstHash: Uint8Array,
  consistencyPath: readonly Uint8Array[],
): { fr: Uint8Array; sr: Uint8Array } | { fail: "range" | "shape" } {
  if (first <= 0n || first >= second) return { fail: "range" };
  if (consistencyPath.length === 0) return { fail: "shape" };
  const path = isPowerOfTwo(first) ? [firstHash, ...consistencyPath] : [...consistencyPath];
  let fn = first - 1n;
  let sn = second - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0n) return { fail: "shape" };
    if ((fn & 1n) === 1n || fn === sn) {
      fr = refNodeHash(c, fr);
      sr = refNodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = refNodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return { fail: "shape" };
  return { fr, sr };
}

/** Number of hashes in every valid consistency proof for 0 < first < second. */
export function rfcConsistencyPathLength(first: bigint, second: bigint): number {
  let fn = first - 1n;
  let sn = second - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let steps = 0;
  while (sn !== 0n) {
    if ((fn & 1n) === 0n && fn === sn) {
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    }
    fn >>= 1n;
    sn >>= 1n;
    steps++;
  }
  // The walk consumes every element after the first; the first is supplied by the
  // prover unless `first` is a power of two, in which case it is first_hash itself.
  return steps + (isPowerOfTwo(first) ? 0 : 1);
}

/**
 * The whole §2.1.4.2 check, with the equal-size case the RFC leaves to the caller
 * (same size: the proof must be empty and the roots equal).
 */
export function rfcVerifyConsistency(
  first: bigint,
  second: bigint,
  firstHash: Uint8Array,
  secondHash: Uint8Array,
  consistencyPath: readonly Uint8Array[],
): boolean {
  if (first <= 0n || first > second) return false;
  if (first === second) return consistencyPath.length === 0 && equal(firstHash, secondHash);
  const res = rfcConsistencyRoots(first, second, firstHash, consistencyPath);
  return "fr" in res && equal(res.fr, firstHash) && equal(res.sr, secondHash);
}

export function rfcVerifyInclusion(
  leafIndex: bigint,
  treeSize: bigint,
  hash: Uint8Array,
  inclusionPath: readonly Uint8Array[],
  rootHash: Uint8Array,
): boolean {
  const res = rfcInclusionRoot(leafIndex, treeSize, hash, inclusionPath);
  return "root" in res && equal(res.root, rootHash);
}

function isPowerOfTwo(x: bigint): boolean {
  return x > 0n && (x & (x - 1n)) === 0n;
}

/**
 * The sequence of hashing steps §2.1.3.2 takes for (leafIndex, treeSize): "L" where the
 * path element is the left input (HASH(p || r)), "R" where it is the right one. Two
 * statements with the same walk make the verifier compute the same root from the same
 * path, so no verifier can tell them apart: the tree size is bound by the signed tree
 * head, not by the proof.
 */
export function rfcInclusionWalk(leafIndex: bigint, treeSize: bigint): string {
  let fn = leafIndex;
  let sn = treeSize - 1n;
  let walk = "";
  while (sn !== 0n) {
    if ((fn & 1n) === 1n || fn === sn) {
      walk += "L";
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      walk += "R";
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return walk;
}

/**
 * The same for §2.1.4.2 with 0 < first < second: "P" first if first_hash is prepended,
 * then per element "B" (both fr and sr absorb it on the left) or "S" (only sr, on the right).
 */
export function rfcConsistencyWalk(first: bigint, second: bigint): string {
  let fn = first - 1n;
  let sn = second - 1n;
  let walk = isPowerOfTwo(first) ? "P" : "";
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  while (sn !== 0n) {
    if ((fn & 1n) === 1n || fn === sn) {
      walk += "B";
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      walk += "S";
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return walk;
}
