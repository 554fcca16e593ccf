import { describe, expect, it } from "vitest";
import {
  type BlockHeader,
  contentDigest,
  type EntryEnvelope,
  entryLeafHash,
  hashBlockHeader,
  INTL,
  MerkleTree,
  rootFromLeafHashes,
  toHex,
  utf8,
} from "#chain";
import { firstBreak, type ProofInput, proofSteps } from "../../../console/src/views/proof-steps.js";

// The entry view's proof (console/src/views/proof-steps.ts): every node of the drawn path
// is the node of the real tree it claims to be, an untouched entry holds at every step,
// and a change shows first at the node it changes.

const DATA = { citizen: "460100199001011234", months: 36, status: "active" };

function envelope(i: number, data: unknown = DATA): EntryEnvelope {
  return {
    v: 1,
    id: i.toString(16).padStart(32, "0"),
    dept: "hf-haikou",
    type: "housing-fund.deposit-certificate",
    contentDigest: contentDigest(INTL, data as never),
    keyId: "hf-haikou/0123456789abcdef",
    alg: "ed25519",
    signatureBase: "base",
    signature: "c2ln",
    batch: { size: 1, index: 0, root: "00".repeat(32), path: [] },
    receivedAt: "2026-01-15T08:30:00.000Z",
  };
}

/** A block of `count` entries ending the log of `logSize`, the entry at block position `index`. */
function sealedInput(count: number, index: number, logBefore = 5): ProofInput {
  const envelopes = Array.from({ length: count }, (_, i) => envelope(i));
  const leaves = envelopes.map((e) => entryLeafHash(INTL, e));
  const tree = new MerkleTree(INTL, leaves);
  const earlier = Array.from({ length: logBefore }, (_, i) => INTL.hashLeaf(utf8(`earlier ${i}`)));
  const log = new MerkleTree(INTL, [...earlier, ...leaves]);
  const header: BlockHeader = {
    v: 1,
    log: "zhixin.example/demo",
    height: 2,
    prev: "11".repeat(32),
    root: toHex(tree.root()),
    first: logBefore,
    count,
    logSize: logBefore + count,
    logRoot: toHex(log.root()),
    sealedAt: "2026-01-15T08:30:02.000Z",
    sealer: "sealer/0123456789abcdef",
  };
  const e = envelopes[index] as EntryEnvelope;
  return {
    suite: INTL,
    envelope: e,
    payload: DATA,
    reportedLeaf: toHex(entryLeafHash(INTL, e)),
    block: {
      header,
      hash: toHex(hashBlockHeader(INTL, header)),
      index,
      proof: tree.inclusionProof(index).map(toHex),
      committedLeaf: toHex(leaves[index] as Uint8Array),
      signatureValid: true,
    },
    log: {
      index: logBefore + index,
      size: log.size,
      root: toHex(log.root()),
      proof: log.inclusionProof(logBefore + index).map(toHex),
      checkpointValid: true,
    },
  };
}

/** The leaves a node at `level` above leaf `index` covers, in a tree of `size`. */
function subtree(leaves: Uint8Array[], index: number, level: number): Uint8Array {
  const start = Math.floor(index / 2 ** level) * 2 ** level;
  return rootFromLeafHashes(INTL, leaves.slice(start, start + 2 ** level));
}

describe("proofSteps", () => {
  it("draws every node of the path as the real tree's node, and every step holds", () => {
    for (let count = 1; count <= 13; count++) {
      for (let index = 0; index < count; index++) {
        const input = sealedInput(count, index);
        const steps = proofSteps(input);
        expect(firstBreak(steps)).toBeUndefined();
        expect(steps.every((s) => s.state === "holds")).toBe(true);
        const leaves = Array.from({ length: count }, (_, i) => entryLeafHash(INTL, envelope(i)));
        const nodes = steps.filter((s) => s.kind === "node");
        // One node per proof hash, the last of which is the root.
        expect(nodes.length).toBe(Math.max(0, (input.block?.proof.length ?? 0) - 1));
        for (const n of nodes) expect(n.computed).toBe(toHex(subtree(leaves, index, n.level ?? 0)));
        const root = steps.find((s) => s.kind === "block-root");
        expect(root).toMatchObject({ state: "holds", computed: input.block?.header.root });
        if (count > 1) expect(root?.level).toBe(Math.ceil(Math.log2(count)));
      }
    }
  });

  it("puts each proof hash on the side it is hashed from", () => {
    // Block of 5, entry 4: carried up alone twice, then the left subtree of 4 beside it.
    const steps = proofSteps(sealedInput(5, 4));
    expect(steps.find((s) => s.kind === "block-root")).toMatchObject({ level: 3, sibling: { side: "left" } });
    // Entry 0 of 3: its right neighbour, then the lone leaf 2 on the right.
    const first = proofSteps(sealedInput(3, 0));
    expect(first.filter((s) => s.kind === "node")).toMatchObject([{ level: 1, sibling: { side: "right" } }]);
    expect(first.find((s) => s.kind === "block-root")).toMatchObject({
      level: 2,
      sibling: { side: "right" },
    });
  });

  it("lists the steps in order, from the payload to the checkpoint", () => {
    // Entry 2 of a block of 4 after 5 earlier entries: log index 7 of 9, a path of four hashes.
    expect(proofSteps(sealedInput(4, 2)).map((s) => s.kind)).toEqual([
      "payload",
      "leaf",
      "node",
      "block-root",
      "block-hash",
      "block-signature",
      "log-node",
      "log-node",
      "log-node",
      "log-root",
      "checkpoint",
    ]);
  });

  it("breaks at the leaf when the envelope was edited, and reaches nothing above it", () => {
    const input = sealedInput(4, 1);
    input.envelope = { ...input.envelope, receivedAt: "2026-01-15T08:30:01.000Z" } as EntryEnvelope;
    const steps = proofSteps(input);
    expect(firstBreak(steps)).toMatchObject({ kind: "leaf", expected: input.block?.committedLeaf });
    expect(steps[0]?.state).toBe("holds");
    expect(steps.slice(2).every((s) => s.state === "not-reached")).toBe(true);
  });

  it("breaks at the payload when the payload was edited", () => {
    const input = sealedInput(2, 0);
    input.payload = { ...DATA, months: 37 };
    const steps = proofSteps(input);
    expect(firstBreak(steps)?.kind).toBe("payload");
    expect(steps.slice(1).every((s) => s.state === "not-reached")).toBe(true);
  });

  it("breaks at the root when a proof hash is wrong, and at the block hash when the header is", () => {
    const input = sealedInput(6, 3);
    const proof = [...(input.block?.proof ?? [])];
    proof[1] = "ab".repeat(32);
    if (input.block) input.block.proof = proof;
    expect(firstBreak(proofSteps(input))?.kind).toBe("block-root");

    const short = sealedInput(6, 3);
    if (short.block) short.block.proof = short.block.proof.slice(1);
    expect(firstBreak(proofSteps(short))).toMatchObject({
      kind: "block-root",
      reason: expect.stringContaining("wrong proof size"),
    });

    const header = sealedInput(6, 3);
    if (header.block) header.block.hash = "cd".repeat(32);
    expect(firstBreak(proofSteps(header))?.kind).toBe("block-hash");
  });

  it("breaks at the log root for a proof against another checkpoint, and at a failed signature", () => {
    const input = sealedInput(3, 2);
    if (input.log) input.log.root = "ef".repeat(32);
    expect(firstBreak(proofSteps(input))?.kind).toBe("log-root");

    const forged = sealedInput(3, 2);
    if (forged.block) forged.block.signatureValid = false;
    expect(firstBreak(proofSteps(forged))?.kind).toBe("block-signature");

    const unwitnessed = sealedInput(3, 2);
    if (unwitnessed.log) unwitnessed.log.checkpointValid = false;
    expect(firstBreak(proofSteps(unwitnessed))?.kind).toBe("checkpoint");
  });

  it("breaks at the leaf when the block lists no leaf at the entry's position", () => {
    const input = sealedInput(3, 1);
    if (input.block) delete input.block.committedLeaf;
    expect(firstBreak(proofSteps(input))).toMatchObject({ kind: "leaf", reason: "not-in-block" });
  });

  it("says what it did not check: a withheld payload, signatures without a trust root, an unpublished entry", () => {
    const input = sealedInput(3, 1);
    delete input.payload;
    if (input.block) delete input.block.signatureValid;
    delete input.log;
    const steps = proofSteps(input);
    expect(firstBreak(steps)).toBeUndefined();
    expect(steps.filter((s) => s.state === "not-checked")).toEqual([
      { kind: "payload", state: "not-checked", reason: "withheld" },
      { kind: "block-signature", state: "not-checked", reason: "no-trust-root" },
      { kind: "log-root", state: "not-checked", reason: "unpublished" },
    ]);
  });

  it("checks a pending entry's leaf against the one the ledger reports", () => {
    const e = envelope(0);
    const steps = proofSteps({
      suite: INTL,
      envelope: e,
      payload: DATA,
      reportedLeaf: toHex(entryLeafHash(INTL, e)),
    });
    expect(steps.map((s) => [s.kind, s.state])).toEqual([
      ["payload", "holds"],
      ["leaf", "holds"],
      ["block-root", "not-checked"],
    ]);
    expect(
      firstBreak(proofSteps({ suite: INTL, envelope: e, payload: DATA, reportedLeaf: "00".repeat(32) }))
        ?.kind,
    ).toBe("leaf");
  });
});
