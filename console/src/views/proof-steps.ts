import {
  type BlockHeader,
  type CryptoSuite,
  contentDigest,
  entryLeafHash,
  fromHex,
  hashBlockHeader,
  type JsonValue,
  type LedgerEnvelope,
  rootFromInclusionProof,
  toHex,
} from "#chain";

/**
 * An entry's proof as the page draws it: every hash on the way from the entry to the
 * block's root and to the log's published root, recomputed here from what the API sent
 * (lib/chain's hashing; nothing is taken on the server's word but the siblings, which the
 * roots then check), each compared with the value the ledger committed to at that node.
 * Pure: signature checks are done by the caller (WebCrypto) and passed in as answers.
 *
 * The steps, in order (each holds, breaks, or is not reached past the first break):
 *   payload       contentDigest(payload) = the envelope's contentDigest (writer only)
 *   leaf          entryLeafHash(envelope) = the leaf the block's pages hold at its position
 *   node …        RFC 9162 §2.1.3.2 up the block's Merkle path; each node compared with the
 *                 same node hashed from the committed leaf
 *   block-root    the path's top = header.root
 *   block-hash    H of the header bytes = the block's hash (H: the ledger suite's hash)
 *   block-signature  the sealer's signature over the header, by a key of the trust root
 *   log-node …, log-root   the same leaf up the log's inclusion proof to the published
 *                 checkpoint's root
 *   checkpoint    the checkpoint's signature by the sealer and its witness quorum
 */

export type StepState = "holds" | "breaks" | "not-reached" | "not-checked";

export type StepKind =
  | "payload"
  | "leaf"
  | "node"
  | "block-root"
  | "block-hash"
  | "block-signature"
  | "log-node"
  | "log-root"
  | "checkpoint";

/** Why a step was not checked (a word the page translates). */
export type NotChecked = "withheld" | "no-trust-root" | "pending" | "unpublished" | "not-in-block";

export interface ProofStep {
  kind: StepKind;
  state: StepState;
  /** Hex hash recomputed in the browser (absent for signature steps and unchecked ones). */
  computed?: string;
  /** Hex hash the ledger committed to at this node, which `computed` must equal. */
  expected?: string;
  /** For a Merkle node: the level above the leaves (1 = the leaf's parent). */
  level?: number;
  /** For a Merkle node: the proof's hash it was combined with, and on which side that hash sits. */
  sibling?: { hash: string; side: "left" | "right" };
  /** Why it breaks (the lib/chain error) or why it was not checked. */
  reason?: NotChecked | string;
}

export interface ProofInput {
  /** The ledger's crypto suite: every hash is recomputed with its H. */
  suite: CryptoSuite;
  envelope: LedgerEnvelope;
  /** The record's data as the API returned it; undefined when the caller may not read it. */
  payload?: unknown;
  /** The hex leaf hash the API reports (GET /v1/entries/{id} leafHash): what a pending entry's leaf is compared with. */
  reportedLeaf: string;
  /** Once sealed: where the entry sits and what its block committed to. */
  block?: {
    header: BlockHeader;
    /** Hex block hash as served. */
    hash: string;
    /** Position in the block. */
    index: number;
    /** Hex inclusion proof of the leaf in header.root, deepest first. */
    proof: readonly string[];
    /** The hex leaf hash the block's pages hold at `index` (GET /v1/blocks/{h}/entries); undefined when they list none there. */
    committedLeaf?: string;
    /** The sealer's signature over the header: checked against the trust root, or undefined when none is held. */
    signatureValid?: boolean;
  };
  /** The log's published checkpoint, when it covers the entry. */
  log?: {
    /** Log index of the entry. */
    index: number;
    /** The checkpoint's size and hex root. */
    size: number;
    root: string;
    /** Hex inclusion proof of the leaf in the tree of `size` (GET /v1/log/proof/inclusion). */
    proof: readonly string[];
    /** The checkpoint's signatures (sealer and witness quorum) by the trust root; undefined when none is held. */
    checkpointValid?: boolean;
  };
  /** Why there is no `log`: the log's published checkpoint does not reach the entry yet. */
  logMissing?: "unpublished";
}

export function proofSteps(input: ProofInput): ProofStep[] {
  const steps: ProofStep[] = [];
  const { envelope, suite } = input;

  if (input.payload === undefined) steps.push({ kind: "payload", state: "not-checked", reason: "withheld" });
  else {
    steps.push(
      compare(
        "payload",
        safe(() => contentDigest(suite, input.payload as JsonValue)),
        envelope.contentDigest,
      ),
    );
  }

  const leaf = toHex(entryLeafHash(suite, envelope));
  const block = input.block;
  if (block === undefined) {
    steps.push(compare("leaf", leaf, input.reportedLeaf));
    steps.push({ kind: "block-root", state: "not-checked", reason: "pending" });
    return markUnreached(steps);
  }
  if (block.committedLeaf === undefined) {
    steps.push({ kind: "leaf", state: "breaks", computed: leaf, reason: "not-in-block" });
    return markUnreached(steps);
  }
  steps.push(compare("leaf", leaf, block.committedLeaf));

  const inBlock = pathSteps(
    suite,
    "node",
    leaf,
    block.committedLeaf,
    block.index,
    block.header.count,
    block.proof,
  );
  steps.push(...inBlock.nodes);
  steps.push(
    rootStep(
      suite,
      "block-root",
      leaf,
      block.index,
      block.header.count,
      block.proof,
      block.header.root,
      inBlock.top,
    ),
  );

  steps.push(compare("block-hash", toHex(hashBlockHeader(suite, block.header)), block.hash));
  steps.push(signatureStep("block-signature", block.signatureValid));

  if (input.log === undefined) {
    steps.push({ kind: "log-root", state: "not-checked", reason: input.logMissing ?? "unpublished" });
    return markUnreached(steps);
  }
  const log = input.log;
  const inLog = pathSteps(suite, "log-node", leaf, block.committedLeaf, log.index, log.size, log.proof);
  steps.push(...inLog.nodes);
  steps.push(rootStep(suite, "log-root", leaf, log.index, log.size, log.proof, log.root, inLog.top));
  steps.push(signatureStep("checkpoint", log.checkpointValid));
  return markUnreached(steps);
}

/** The first step that breaks, if any: where the page turns red. */
export function firstBreak(steps: readonly ProofStep[]): ProofStep | undefined {
  return steps.find((s) => s.state === "breaks");
}

function compare(kind: StepKind, computed: string | Error, expected: string): ProofStep {
  if (computed instanceof Error) return { kind, state: "breaks", expected, reason: computed.message };
  return { kind, state: computed === expected ? "holds" : "breaks", computed, expected };
}

function signatureStep(kind: StepKind, valid: boolean | undefined): ProofStep {
  if (valid === undefined) return { kind, state: "not-checked", reason: "no-trust-root" };
  return { kind, state: valid ? "holds" : "breaks" };
}

/**
 * An inclusion path by RFC 9162 §2.1.3.2's verification walk (fn, sn): a sibling is on the
 * left where the node is a right child or on the tree's right border, and levels where the
 * node is carried up alone take no sibling. Each node is hashed (lib/chain hashChildren)
 * from the recomputed leaf and, as its expected value, from the committed one. The last
 * node is the root: it is returned apart, for rootStep. A proof lib/chain refuses (wrong
 * size, a hash not 32 bytes) yields no nodes; rootStep reports why.
 */
function pathSteps(
  suite: CryptoSuite,
  kind: "node" | "log-node",
  leaf: string,
  committedLeaf: string,
  index: number,
  size: number,
  proof: readonly string[],
): { nodes: ProofStep[]; top?: Pick<ProofStep, "level" | "sibling"> } {
  let siblings: Uint8Array[];
  try {
    siblings = proof.map((h) => fromHex(h));
    // lib/chain checks index, size and the proof's length before anything is drawn.
    rootFromInclusionProof(suite, fromHex(leaf), index, size, siblings);
  } catch {
    return { nodes: [] };
  }
  const nodes: ProofStep[] = [];
  let fn = index;
  let sn = size - 1;
  let level = 0;
  let computed = fromHex(leaf);
  let expected = HEX_HASH.test(committedLeaf) ? fromHex(committedLeaf) : computed;
  let top: Pick<ProofStep, "level" | "sibling"> | undefined;
  siblings.forEach((p, i) => {
    const left = fn % 2 === 1 || fn === sn;
    computed = left ? suite.hashChildren(p, computed) : suite.hashChildren(computed, p);
    expected = left ? suite.hashChildren(p, expected) : suite.hashChildren(expected, p);
    if (left && fn % 2 === 0) {
      // On the right border: the node was carried up alone until it is a right child,
      // the levels the RFC's walk skips after hashing; its sibling sits at the top one.
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
        level++;
      }
    }
    const at = { level: level + 1, sibling: { hash: toHex(p), side: left ? "left" : "right" } as const };
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
    level++;
    if (i === siblings.length - 1) top = at;
    else nodes.push({ ...compare(kind, toHex(computed), toHex(expected)), ...at });
  });
  return top === undefined ? { nodes } : { nodes, top };
}

/** The path's top (lib/chain rootFromInclusionProof) against the root the ledger signed. */
function rootStep(
  suite: CryptoSuite,
  kind: "block-root" | "log-root",
  leaf: string,
  index: number,
  size: number,
  proof: readonly string[],
  root: string,
  top: Pick<ProofStep, "level" | "sibling"> | undefined,
): ProofStep {
  const step = compare(
    kind,
    safe(() =>
      toHex(
        rootFromInclusionProof(
          suite,
          fromHex(leaf),
          index,
          size,
          proof.map((h) => fromHex(h)),
        ),
      ),
    ),
    root,
  );
  return { ...step, ...top };
}

const HEX_HASH = /^[0-9a-f]{64}$/;

function safe<T>(f: () => T): T | Error {
  try {
    return f();
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** Past the first step that breaks, nothing above it was reached: it is marked so, whatever it computed. */
function markUnreached(steps: ProofStep[]): ProofStep[] {
  const at = steps.findIndex((s) => s.state === "breaks");
  if (at < 0) return steps;
  return steps.map((s, i) => (i > at ? { kind: s.kind, state: "not-reached", ...pick(s) } : s));
}

function pick(s: ProofStep): Partial<ProofStep> {
  return {
    ...(s.level === undefined ? {} : { level: s.level }),
    ...(s.sibling === undefined ? {} : { sibling: s.sibling }),
  };
}
