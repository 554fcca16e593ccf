import { createHash } from "node:crypto";
import { sha256 } from "@noble/hashes/sha2.js";
import { MerkleTree as MerkleTreeJs } from "merkletreejs";
import {
  CompactRange,
  type CryptoSuite,
  equalBytes,
  GM,
  INTL,
  MerkleTree,
  rootFromLeafHashes,
  sm3,
  verifyInclusion,
} from "#chain";
import { type BenchModule, measure, packageVersion, printTable, type Row, seededBytes } from "./harness.js";

/**
 * lib/chain's RFC 6962 tree against the raw cost of its hashing and against
 * merkletreejs, all on the same 100,000 seeded 32-byte leaves (issue #2 targets):
 *   root <= 1.3 × the SHA-256 floor; >= 50,000 proof verifications/s on one core;
 *   proof generation >= 100 × faster than merkletreejs.
 */

const LEAVES = 100_000;
const PROOFS = 1_000;
const SEED = 0x5a4849; // "ZHI"
const HEAVY = { warmup: 1, reps: 3 }; // passes over all 100k leaves
const LIGHT = { warmup: 3, reps: 15 }; // a few ms each
const WARM = { warmup: 0, reps: 3 }; // code already warmed by an earlier measurement

// The 1,000 leaves whose proofs are generated and checked: spread over the whole tree,
// with a stride that is not a power of two so that every tree level gets left and right children.
const indices = Array.from({ length: PROOFS }, (_, k) => Math.floor((k * LEAVES) / PROOFS) + ((k * 37) % 97));

// Results are summed into this so that no measured call can be optimised away.
let sink = 0;
const keep = (b: Uint8Array): void => {
  sink = (sink + (b[0] as number)) | 0;
};

function run(): void {
  const data = seededBytes(SEED, LEAVES, 32);
  const rows: Row[] = [];
  const add = (name: string, timing: Row["timing"], ops: number, opName: string, note?: string): Row => {
    const row = { name, timing, ops, opName, note };
    rows.push(row);
    return row;
  };

  // --- The floor: what 2n - 1 SHA-256 calls on 65-byte inputs cost by themselves.
  const input65 = new Uint8Array(65);
  const floor = add(
    "floor: 2n-1 sha256() on 65 B (@noble/hashes)",
    measure(() => {
      for (let i = 0; i < 2 * LEAVES - 1; i++) {
        input65[1] = i;
        keep(sha256(input65));
      }
    }, HEAVY),
    2 * LEAVES - 1,
    "hash",
  );

  // The floor above prices every hash at two compression blocks; a leaf hash (1 + 32
  // bytes) needs only one. This floor counts blocks exactly, with the same one-shot calls.
  const input33 = new Uint8Array(33);
  const exactFloor = add(
    "floor, block-exact: n sha256() on 33 B + n-1 on 65 B",
    measure(() => {
      for (let i = 0; i < LEAVES; i++) {
        input33[1] = i;
        keep(sha256(input33));
      }
      for (let i = 0; i < LEAVES - 1; i++) {
        input65[1] = i;
        keep(sha256(input65));
      }
    }, HEAVY),
    2 * LEAVES - 1,
    "hash",
  );

  // --- RFC 6962 root: n leaf hashes, then the n - 1 interior nodes.
  let leafHashes: Uint8Array[] = [];
  const root = add(
    "RFC 6962 root: n hashLeaf + rootFromLeafHashes",
    measure(() => {
      leafHashes = data.map((d) => INTL.hashLeaf(d));
      keep(rootFromLeafHashes(INTL, leafHashes));
    }, HEAVY),
    LEAVES,
    "leaf",
  );
  root.note = `${(root.timing.median / floor.timing.median).toFixed(2)}× floor (wall)`;
  const expectedRoot = rootFromLeafHashes(INTL, leafHashes);

  add(
    "  of which n hashLeaf (33 B inputs)",
    measure(() => {
      for (const d of data) keep(INTL.hashLeaf(d));
    }, WARM),
    LEAVES,
    "leaf",
  );
  add(
    "  of which rootFromLeafHashes (n-1 nodes)",
    measure(() => keep(rootFromLeafHashes(INTL, leafHashes)), WARM),
    LEAVES - 1,
    "node",
  );

  // --- Compact range: what the sealer keeps; appends precomputed leaf hashes.
  add(
    "CompactRange: append n leaf hashes + root()",
    measure(() => {
      const range = CompactRange.empty(INTL);
      for (const h of leafHashes) range.append(h);
      const r = range.root();
      if (!equalBytes(r, expectedRoot)) throw new Error("CompactRange root differs");
      keep(r);
    }, HEAVY),
    LEAVES,
    "leaf",
  );

  // --- Inclusion proofs with lib/chain: build once, then generate and verify.
  let tree = new MerkleTree(INTL, leafHashes);
  const build = add(
    "MerkleTree build (from leaf hashes)",
    measure(() => {
      tree = new MerkleTree(INTL, leafHashes);
    }, HEAVY),
    LEAVES - 1,
    "node",
  );
  const treeRoot = tree.root();
  if (!equalBytes(treeRoot, expectedRoot)) throw new Error("MerkleTree root differs");
  let proofs: Uint8Array[][] = [];
  const generate = add(
    `inclusionProof(i) × ${PROOFS}`,
    measure(() => {
      proofs = indices.map((i) => tree.inclusionProof(i));
    }, LIGHT),
    PROOFS,
    "proof",
  );
  const verify = add(
    `verifyInclusion × ${PROOFS}`,
    measure(() => {
      for (let k = 0; k < PROOFS; k++) {
        const i = indices[k] as number;
        verifyInclusion(INTL, leafHashes[i] as Uint8Array, i, LEAVES, proofs[k] as Uint8Array[], treeRoot);
      }
    }, LIGHT),
    PROOFS,
    "proof",
  );
  const meanPathLength = proofs.reduce((n, p) => n + p.length, 0) / PROOFS;
  verify.note = `${meanPathLength.toFixed(1)} node hashes per proof`;

  // --- The same work with merkletreejs: typical usage, sha256, the same leaves.
  // Its default tree (no options) hashes sha256(left || right), carries an odd node up
  // unchanged, and takes the leaves as given (no leaf hashing, no 0x00/0x01 prefixes),
  // so it does n - 1 hashes of 64-byte inputs: the same count as MerkleTree above.
  const jsLeaves = data.map((d) => Buffer.from(d));
  let jsTree = new MerkleTreeJs(jsLeaves, sha256);
  const jsBuild = add(
    "merkletreejs: new MerkleTree(leaves, sha256)",
    measure(() => {
      jsTree = new MerkleTreeJs(jsLeaves, sha256);
    }, HEAVY),
    LEAVES - 1,
    "node",
    "sha256 from @noble/hashes, as ours",
  );
  const nodeSha256 = (x: Buffer): Buffer => createHash("sha256").update(x).digest();
  add(
    "merkletreejs: same, sha256 from node:crypto",
    // Warm already: the same code just ran with the other hash function.
    measure(
      () => {
        keep(new MerkleTreeJs(jsLeaves, nodeSha256).getRoot());
      },
      { warmup: 0, reps: 3 },
    ),
    LEAVES - 1,
    "node",
    "for reference",
  );
  const jsRoot = jsTree.getRoot();

  // getProof(leaf) searches all leaves for the one given (and compares them all: it
  // keeps the last match), so it costs ~n buffer comparisons per proof. It is timed on
  // 3 × 100 of the 1,000 indices; per-proof cost does not depend on the index.
  let sample = 0;
  for (let k = 0; k < 10; k++) jsTree.getProof(jsLeaves[indices[k] as number] as Buffer); // warm-up
  const jsGetProofSearch = add(
    "merkletreejs: getProof(leaf) × 100",
    measure(() => {
      for (let k = sample; k < PROOFS; k += 10) {
        const i = indices[k] as number;
        if (jsTree.getProof(jsLeaves[i] as Buffer).length === 0) throw new Error("no proof");
      }
      sample++;
    }, WARM),
    PROOFS / 10,
    "proof",
    "typical usage: leaf is searched",
  );
  let jsProofs: ReturnType<MerkleTreeJs["getProof"]>[] = [];
  const jsGetProofIndexed = add(
    `merkletreejs: getProof(leaf, index) × ${PROOFS}`,
    measure(() => {
      jsProofs = indices.map((i) => jsTree.getProof(jsLeaves[i] as Buffer, i));
    }, LIGHT),
    PROOFS,
    "proof",
  );
  const jsVerify = add(
    `merkletreejs: verify(proof, leaf, root) × ${PROOFS}`,
    measure(() => {
      for (let k = 0; k < PROOFS; k++) {
        const i = indices[k] as number;
        if (!jsTree.verify(jsProofs[k] as never, jsLeaves[i] as Buffer, jsRoot))
          throw new Error("not verified");
      }
    }, LIGHT),
    PROOFS,
    "proof",
  );

  // --- Where a node hash goes: SHA-256 compression alone vs the calls above.
  const bulk = new Uint8Array(64 * 20_000);
  const compression = add(
    "SHA-256 compression only (bulk input)",
    measure(() => keep(sha256(bulk)), LIGHT),
    20_000 / 2,
    "2 blocks",
    "lower bound for any 65 B hash",
  );
  const left = sha256(Uint8Array.of(1));
  const right = sha256(Uint8Array.of(2));
  const fastPath = add(
    "hashChildrenUnchecked (sha256Node)",
    measure(() => {
      for (let i = 0; i < 20_000; i++) keep(INTL.hashChildrenUnchecked(left, right));
    }, LIGHT),
    20_000,
    "node",
  );
  const oneShot = add(
    "one-shot sha256(0x01 ‖ l ‖ r)",
    measure(() => {
      for (let i = 0; i < 20_000; i++) {
        input65.set(left, 1);
        input65.set(right, 33);
        keep(sha256(input65));
      }
    }, LIGHT),
    20_000,
    "node",
  );

  // --- The gm suite (issue 17): the same tree work with SM3, beside the raw SM3 rates of
  // ours and of OpenSSL's (node:crypto), in the same run.
  const suiteWork = (suite: CryptoSuite, label: string) => {
    let hashes: Uint8Array[] = [];
    const r = add(
      `${label}: n hashLeaf + rootFromLeafHashes`,
      measure(() => {
        hashes = data.map((d) => suite.hashLeaf(d));
        keep(rootFromLeafHashes(suite, hashes));
      }, HEAVY),
      LEAVES,
      "leaf",
    );
    const t = new MerkleTree(suite, hashes);
    const top = t.root();
    const ps = indices.map((i) => t.inclusionProof(i));
    const v = add(
      `${label}: verifyInclusion × ${PROOFS}`,
      measure(() => {
        for (let k = 0; k < PROOFS; k++) {
          const i = indices[k] as number;
          verifyInclusion(suite, hashes[i] as Uint8Array, i, LEAVES, ps[k] as Uint8Array[], top);
        }
      }, LIGHT),
      PROOFS,
      "proof",
    );
    return { r, v };
  };
  const gmWork = suiteWork(GM, "gm (SM3)");
  const gmNode = add(
    "gm: hashChildrenUnchecked (sm3Node)",
    measure(() => {
      for (let i = 0; i < 20_000; i++) keep(GM.hashChildrenUnchecked(left, right));
    }, LIGHT),
    20_000,
    "node",
  );
  const sm3OneShot = add(
    "one-shot sm3(0x01 ‖ l ‖ r), ours",
    measure(() => {
      for (let i = 0; i < 20_000; i++) keep(sm3(input65));
    }, LIGHT),
    20_000,
    "node",
  );
  const sm3Openssl = add(
    "node:crypto createHash('sm3') on 65 B (OpenSSL)",
    measure(() => {
      for (let i = 0; i < 20_000; i++) keep(createHash("sm3").update(input65).digest());
    }, LIGHT),
    20_000,
    "node",
  );
  const sha256Openssl = add(
    "node:crypto createHash('sha256') on 65 B (OpenSSL)",
    measure(() => {
      for (let i = 0; i < 20_000; i++) keep(createHash("sha256").update(input65).digest());
    }, LIGHT),
    20_000,
    "node",
  );
  const sm3Bulk = add(
    "SM3 bulk, ours (1.28 MB)",
    measure(() => keep(sm3(bulk)), LIGHT),
    20_000 / 2,
    "2 blocks",
  );
  const sm3BulkOpenssl = add(
    "SM3 bulk, node:crypto (1.28 MB)",
    measure(() => keep(createHash("sm3").update(bulk).digest()), LIGHT),
    20_000 / 2,
    "2 blocks",
  );

  printTable(rows);

  // Every figure below is given twice: from wall-clock medians (what the table shows)
  // and from CPU-time medians, which leave out time spent waiting for a core when the
  // machine is shared. On an idle machine the two agree.
  type Clock = "wall" | "cpu";
  const ms = (r: Row, c: Clock): number => (c === "wall" ? r.timing.median : r.timing.cpuMedian);
  const per = (r: Row, c: Clock): number => ms(r, c) / r.ops;
  const both = (f: (c: Clock) => number, digits: number, unit = ""): string =>
    `${f("wall").toFixed(digits)}${unit} wall, ${f("cpu").toFixed(digits)}${unit} CPU`;
  const verdict = (f: (c: Clock) => number, ok: (x: number) => boolean): string => {
    const [w, c] = [ok(f("wall")), ok(f("cpu"))];
    return w && c
      ? "met"
      : !w && !c
        ? "NOT met"
        : `${w ? "met" : "NOT met"} on wall time, ${c ? "met" : "NOT met"} on CPU time`;
  };

  const rootRatio = (c: Clock): number => ms(root, c) / ms(floor, c);
  const rootExactRatio = (c: Clock): number => ms(root, c) / ms(exactFloor, c);
  const verifyRate = (c: Clock): number => (PROOFS * 1000) / ms(verify, c);
  const genSearch = (c: Clock): number => per(jsGetProofSearch, c) / per(generate, c);
  const genIndexed = (c: Clock): number => per(jsGetProofIndexed, c) / per(generate, c);
  const verifySpeedup = (c: Clock): number => per(jsVerify, c) / per(verify, c);
  const buildSpeedup = (c: Clock): number => ms(jsBuild, c) / ms(build, c);
  const microseconds = (r: Row) => (c: Clock) => per(r, c) * 1000;
  const compressionBound = (c: Clock): number => 1e3 / (meanPathLength * per(compression, c) * 1000);

  console.log(`
Speed-ups over merkletreejs ${packageVersion("merkletreejs")} (its time / ours, per proof or per tree):
  proof generation vs getProof(leaf)          ${both(genSearch, 0, "×")}
  proof generation vs getProof(leaf, index)   ${both(genIndexed, 1, "×")}
  proof verification vs verify()              ${both(verifySpeedup, 2, "×")}
  tree build                                  ${both(buildSpeedup, 2, "×")}

Where a node hash goes (µs per 65-byte node):
  SHA-256 compression alone (2 blocks)        ${both(microseconds(compression), 2)}
  hashChildrenUnchecked (sha256Node)       ${both(microseconds(fastPath), 2)}
  one-shot sha256()                           ${both(microseconds(oneShot), 2)}
A proof here needs ${meanPathLength.toFixed(1)} node hashes, so compression alone caps verification at
  ${both(compressionBound, 1, "k")} proofs/s with @noble/hashes on this machine.

The gm suite (SM3) beside intl (SHA-256), same run (µs per 65-byte node; ratios gm / intl):
  sm3Node                                     ${both(microseconds(gmNode), 2)} (sha256Node ${both(microseconds(fastPath), 2)})
  one-shot sm3, ours / node:crypto sm3        ${both(microseconds(sm3OneShot), 2)} / ${both(microseconds(sm3Openssl), 2)}
  node:crypto sha256                          ${both(microseconds(sha256Openssl), 2)}
  SM3 bulk MB/s, ours / node:crypto           ${both((c) => 1.28 / (ms(sm3Bulk, c) / 1000), 0)} / ${both((c) => 1.28 / (ms(sm3BulkOpenssl, c) / 1000), 0)}
  root of 100k leaves, gm / intl              ${both((c) => ms(gmWork.r, c) / ms(root, c), 2, "×")}
  proof verification, gm / intl               ${both((c) => per(gmWork.v, c) / per(verify, c), 2, "×")}

Targets (issue #2), @noble/hashes ${packageVersion("@noble/hashes")}:
  root <= 1.3× floor                              ${both(rootRatio, 2, "×")}: ${verdict(rootRatio, (x) => x <= 1.3)} (block-exact floor: ${both(rootExactRatio, 2, "×")})
  verification >= 50,000 proofs/s                 ${both(verifyRate, 0, "/s")}: ${verdict(verifyRate, (x) => x >= 50_000)}
  generation >= 100× getProof(leaf)               ${both(genSearch, 0, "×")}: ${verdict(genSearch, (x) => x >= 100)}
  generation >= 100× getProof(leaf, index)        ${both(genIndexed, 1, "×")}: ${verdict(genIndexed, (x) => x >= 100)}
(checksum ${sink})`);
}

export const bench: BenchModule = {
  name: "merkle",
  description: `RFC 6962 tree over ${LEAVES.toLocaleString("en")} seeded 32-byte leaves vs the SHA-256 floor and merkletreejs`,
  run,
};
