import {
  type ChainPosition,
  CompactRange,
  type CompactRangeState,
  type Finding,
  fromHex,
  GENESIS_POSITION,
  MerkleTree,
  parseEntryEnvelope,
  verifyBlocks,
  verifyEnvelope,
  verifyInclusion,
} from "#chain";
import { type AuditDeps, loadEvidence, verifyOptions } from "./audit.js";

/**
 * The entry check of ARCHITECTURE §8: one entry, its proof, its block — the entry's
 * envelope, batch proof, department signature and payload; its inclusion proof in the
 * block root; the block's header hash, link, signature and checkpoint; and that its
 * batch records the seal where the entry is. Reads raw items, like the chain audit.
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
  const { source } = deps;
  const missing = (message: string): EntryAuditReport => ({
    ok: false,
    entryId,
    status: "missing",
    findings: [{ code: "ENTRY_MISSING", entryId, message }],
  });
  // The payload item is the only index from an entry id to its batch.
  const payload = (await source.getRawPayloads([entryId]))[0];
  if (!payload?.batchKey) {
    return missing(
      "no payload item for this id: the entry does not exist, or its payload item was deleted (a chain audit tells which)",
    );
  }
  const batch = (await source.getRawBatches([payload.batchKey]))[0];
  if (!batch) return missing(`its batch item ${payload.batchKey} is missing`);
  const rawEnvelopes = Array.isArray(batch.envelopes) ? batch.envelopes : [];
  const position = rawEnvelopes.findIndex((e) => (e as { id?: unknown })?.id === entryId);
  if (position < 0) {
    return {
      ok: false,
      entryId,
      status: "missing",
      findings: [
        {
          code: "ENVELOPE_INVALID",
          entryId,
          message: `batch ${batch.key} holds no readable envelope with this id`,
        },
      ],
    };
  }
  const options = verifyOptions(deps);

  if (batch.sealedHeight === undefined) {
    let findings: Finding[];
    try {
      findings = verifyEnvelope(parseEntryEnvelope(rawEnvelopes[position]), payload.data ?? null, options);
    } catch (e) {
      findings = [{ code: "ENVELOPE_INVALID", entryId, message: (e as Error).message }];
    }
    return { ok: findings.length === 0, entryId, status: "pending", findings };
  }

  const height = batch.sealedHeight;
  const [block] = await source.listRawBlocks(height, height);
  if (!block) {
    return {
      ok: false,
      entryId,
      status: "sealed",
      height,
      findings: [
        {
          code: "HEIGHT_MISMATCH",
          height,
          entryId,
          message: `its batch says block ${height}, which is missing`,
        },
      ],
    };
  }
  let start: ChainPosition = GENESIS_POSITION;
  if (height > 1) {
    const [prev] = await source.listRawBlocks(height - 1, height - 1);
    try {
      if (prev && typeof prev.hash === "string")
        start = {
          height: height - 1,
          hash: prev.hash,
          logRange: CompactRange.fromState(prev.logRange as CompactRangeState).state(),
        };
    } catch {
      // An unreadable previous block: the link check below reports it.
    }
  }
  const { evidence, findings: storeFindings } = await loadEvidence(source, block);
  const index = evidence.entryIds?.indexOf(entryId) ?? -1;
  // Only this entry's findings, and the block's own: other entries are not asked about.
  const onlyThis = { ...evidence, entries: evidence.entries.map((e, i) => (i === index ? e : undefined)) };
  const result = verifyBlocks([onlyThis], { ...options, start });
  const findings = result.findings.filter(
    (f) => f.entryId === entryId || (f.entryId === undefined && f.entryIndex === undefined),
  );
  findings.push(...storeFindings.filter((f) => f.message.includes(batch.key)));
  if (index < 0) {
    findings.push({
      code: "ENTRY_MISSING",
      height,
      entryId,
      message: `block ${height} does not list this entry`,
    });
  } else {
    if (index !== (batch.sealedOffset ?? -1) + position) {
      findings.push({
        code: "BATCH_SEAL_MISMATCH",
        height,
        entryId,
        expected: String(index),
        found: String((batch.sealedOffset ?? -1) + position),
        message: "its batch records another position in the block",
      });
    }
    try {
      const leaves = evidence.leafHashes.filter((h) => h.length === 32);
      const proof = new MerkleTree(leaves).inclusionProof(index);
      verifyInclusion(
        leaves[index] as Uint8Array,
        index,
        leaves.length,
        proof,
        fromHex((block.header as { root: string }).root),
      );
    } catch (e) {
      if (
        !findings.some(
          (f) =>
            f.code === "BLOCK_ROOT_MISMATCH" ||
            f.code === "HEADER_INVALID" ||
            f.code === "ENTRY_COUNT_MISMATCH",
        )
      ) {
        findings.push({
          code: "BLOCK_ROOT_MISMATCH",
          height,
          entryId,
          message: `inclusion proof: ${(e as Error).message}`,
        });
      }
    }
  }
  const first = (block.header as { first?: unknown } | undefined)?.first;
  return {
    ok: findings.length === 0,
    entryId,
    status: "sealed",
    height,
    ...(typeof first === "number" && index >= 0 ? { logIndex: first + index } : {}),
    findings,
  };
}
