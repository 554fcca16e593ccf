import {
  type ChainPosition,
  type Finding,
  fromHex,
  GENESIS_POSITION,
  MerkleTree,
  verifyBlocks,
  verifyInclusion,
} from "../../lib/chain/index.js";
import { type AuditDeps, loadEvidence, verifyOptions } from "./audit.js";

/**
 * The entry check of ARCHITECTURE §8: one entry, its proof, its block — the entry's
 * envelope, batch proof, department signature and payload; its inclusion proof in
 * the block root; the block's header hash, link, signature and checkpoint.
 */
export interface EntryAuditReport {
  ok: boolean;
  entryId: string;
  status: "missing" | "pending" | "sealed";
  height?: number;
  logIndex?: number;
  findings: Finding[];
}

export async function auditEntry(deps: AuditDeps, entryId: string): Promise<EntryAuditReport> {
  const { store } = deps;
  const payload = await store.getPayload(entryId);
  const batch = payload && (await store.getBatch(payload.batchKey));
  const envelope = batch?.envelopes.find((e) => e.id === entryId);
  if (!payload || !batch || !envelope) {
    return {
      ok: false,
      entryId,
      status: "missing",
      findings: [{ code: "ENTRY_MISSING", entryId, message: "no such entry in the store" }],
    };
  }
  const options = verifyOptions(deps);
  if (!batch.sealed) {
    // Not in a block yet: check the envelope on its own, as a one-leaf pseudo-block would.
    const findings: Finding[] = [];
    const sig = options.verifyEntrySignature?.(
      envelope,
      new TextEncoder().encode(envelope.signatureBase),
      Buffer.from(envelope.signature, "base64"),
    );
    if (sig && sig !== "ok")
      findings.push({
        code:
          sig === "unknown-key"
            ? "KEY_UNKNOWN"
            : sig === "not-valid"
              ? "KEY_NOT_VALID"
              : "ENTRY_SIGNATURE_INVALID",
        entryId,
        message: "department signature check failed",
      });
    return { ok: findings.length === 0, entryId, status: "pending", findings };
  }

  const height = batch.sealed.height;
  const block = await store.getBlock(height);
  if (!block) {
    return {
      ok: false,
      entryId,
      status: "sealed",
      height,
      findings: [{ code: "HEIGHT_MISMATCH", height, entryId, message: `block ${height} is missing` }],
    };
  }
  let start: ChainPosition = GENESIS_POSITION;
  if (height > 1) {
    const prev = await store.getBlock(height - 1);
    if (prev) start = { height: height - 1, hash: prev.hash, logRange: prev.logRange };
  }
  const evidence = await loadEvidence(store, block);
  const index = batch.sealed.offset + envelope.batch.index;
  // Only this entry's findings, and the block-level ones: other entries are not asked about.
  const keep = evidence.entryIds?.map((id) => id === entryId) ?? [];
  const onlyThis = { ...evidence, entries: evidence.entries.map((e, i) => (keep[i] ? e : undefined)) };
  const result = verifyBlocks([onlyThis], { ...options, start });
  const findings = result.findings.filter(
    (f) => f.entryId === entryId || (f.entryId === undefined && f.entryIndex === undefined),
  );
  try {
    const leaves = evidence.leafHashes;
    const proof = new MerkleTree(leaves).inclusionProof(index);
    verifyInclusion(leaves[index] as Uint8Array, index, leaves.length, proof, fromHex(block.header.root));
    if (evidence.entryIds?.[index] !== entryId)
      throw new Error(`leaf ${index} of block ${height} is not this entry`);
  } catch (e) {
    findings.push({
      code: "BLOCK_ROOT_MISMATCH",
      height,
      entryId,
      message: `inclusion proof: ${(e as Error).message}`,
    });
  }
  return {
    ok: findings.length === 0,
    entryId,
    status: "sealed",
    height,
    logIndex: block.header.first + index,
    findings,
  };
}
