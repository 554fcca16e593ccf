import {
  type ChainPosition,
  type CompactRangeState,
  checkCompactRangeState,
  type Finding,
  fromHex,
  GENESIS_POSITION,
  MerkleTree,
  parseEntryEnvelope,
  verifyBlocks,
  verifyEnvelope,
  verifyInclusion,
} from "#chain";
import type { EntryAuditReport } from "../../lib/protocol/audit.js";
import type { BatchStore } from "../store/ports.js";
import { type AuditDeps, loadEvidence, memberOwners, verifyOptions } from "./audit.js";
import { loadAuditKeyHistory, unlistedKeyCosigns } from "./key-history.js";

/**
 * The entry check of ARCHITECTURE §8: one entry, its proof, its block — the entry's
 * envelope, batch proof, department signature and payload; its inclusion proof in the
 * block root; the block's header hash, link, signature and checkpoint; and that its
 * batch records the seal where the entry is. Reads raw items, like the chain audit.
 */

/**
 * An id the ledger never had: no block page or pending batch names it.
 * Not a finding (nothing shows that an entry was there); the verify function answers
 * NOT_FOUND.
 */
export class EntryNotFoundError extends Error {
  override readonly name = "EntryNotFoundError";
  readonly code = "NOT_FOUND";
}

export interface EntryAuditDeps extends AuditDeps {
  /**
   * The pending batches, where an unsealed entry whose payload item is gone is still
   * named. Without it, such an entry is not found.
   */
  pending?: Pick<BatchStore, "listPendingBatches" | "getBatchHeads">;
}

/** At most this many pending batches are searched for an id whose payload item is gone. */
const PENDING_SEARCH = 10_000;
/** Blocks read at a time while searching their pages for an id. */
const SEARCH_CHUNK = 32;

/**
 * Throws EntryNotFoundError for an id the ledger never had. An entry the ledger names —
 * in a block's page or a pending batch — but whose items are gone is reported as
 * findings (ENTRY_MISSING, PAYLOAD_MISSING).
 */
export async function auditEntry(deps: EntryAuditDeps, entryId: string): Promise<EntryAuditReport> {
  const { source } = deps;
  const missing = (message: string): EntryAuditReport => ({
    ok: false,
    entryId,
    status: "missing",
    findings: [{ code: "ENTRY_MISSING", entryId, message }],
  });
  // The payload item is the index from an entry id to its batch. Without it, or when
  // its batch does not exist (a submit that crashed or was refused leaves such payload
  // items: no entry), the pending batches and the blocks' pages are searched.
  const payload = (await source.getRawPayloads([entryId]))[0];
  let batch =
    payload?.batchKey === undefined ? undefined : (await source.getRawBatches([payload.batchKey]))[0];
  if (!batch) {
    const named = await findBatchKey(deps, entryId);
    if (named === undefined) {
      throw new EntryNotFoundError(`no entry ${entryId}: no block or pending batch holds it (check the id)`);
    }
    batch = (await source.getRawBatches([named]))[0];
    if (!batch) return missing(`a block lists it in batch ${named}, whose item is missing`);
  }
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
  // One entry is judged by every committed key record, sealed or not: a pending entry
  // may be signed by a key whose add is pending too, and a later revoke reaches back.
  const keyHistory = await loadAuditKeyHistory(
    deps.suite,
    deps.keyRecords,
    source,
    memberOwners(deps),
    "committed",
    deps.keyGovernance,
  );
  const options = verifyOptions(deps, keyHistory.ledger);

  if (batch.sealedHeight === undefined) {
    let findings: Finding[];
    try {
      findings = verifyEnvelope(parseEntryEnvelope(rawEnvelopes[position]), payload?.data ?? null, options);
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
          logRange: checkCompactRangeState(prev.logRange as CompactRangeState),
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
  findings.push(
    ...storeFindings.filter((f) => f.message.includes(batch.key)),
    ...unlistedKeyCosigns(keyHistory, height, onlyThis),
  );
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
      const proof = new MerkleTree(deps.suite, leaves).inclusionProof(index);
      verifyInclusion(
        deps.suite,
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

/**
 * The batch key of an entry whose payload item is gone, from the batch that holds it:
 * a pending batch (searched first: a batch sealed meanwhile is in a block by the time
 * the blocks are read), else the page of a block that lists it (newest blocks first).
 */
async function findBatchKey(deps: EntryAuditDeps, entryId: string): Promise<string | undefined> {
  if (deps.pending) {
    const refs = await deps.pending.listPendingBatches(PENDING_SEARCH);
    const heads = await deps.pending.getBatchHeads(refs.map((r) => r.key));
    const head = heads.find((h) => h.entryIds.includes(entryId));
    if (head) return head.key;
  }
  const { source } = deps;
  for (let top = await source.latestHeight(); top >= 1; top -= SEARCH_CHUNK) {
    const blocks = await source.listRawBlocks(Math.max(1, top - SEARCH_CHUNK + 1), top);
    const pages = await Promise.all(
      blocks.map((b) =>
        typeof b.hash === "string" && b.pageCount ? source.getRawPages(b.hash, b.pageCount) : [],
      ),
    );
    for (const page of pages.flat()) {
      const at = Array.isArray(page.entryIds) ? page.entryIds.indexOf(entryId) : -1;
      const key = at >= 0 && Array.isArray(page.batchKeys) ? page.batchKeys[at] : undefined;
      if (typeof key === "string") return key;
    }
  }
  return undefined;
}
