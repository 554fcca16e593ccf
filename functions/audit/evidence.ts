import {
  type BlockEvidence,
  type CompactRangeState,
  type Finding,
  type HeaderSignature,
  isSignatureAlgorithm,
} from "#chain";
import { COSIGN_TYPE } from "../rules/cosign.js";
import type { AuditSource, RawBatch, RawBlock } from "../store/ports.js";

/**
 * The audit's evidence for one block, read from raw store items: leaves, entry ids and
 * batch keys from its pages, envelopes from its batches, payloads, and the findings only
 * the store can show (PAGE_INVALID, BATCH_SEAL_MISMATCH, COSIGN_TARGET_MISMATCH).
 */

/** What loading a block's evidence reads: its pages, its batches, payloads (cosign targets' too). */
export type EvidenceSource = Pick<AuditSource, "getRawPages" | "getRawBatches" | "getRawPayloads">;

/**
 * Everything the auditor needs for one block, from raw items (docs/FORMATS.md §6 "How a
 * leaf is found"). Leaves are cut from the stored bytes as they are (a short tail stays
 * short, so the count check names it). A page's `ids` and `batches` name each leaf's
 * entry id and batch key; a page whose arrays are not one string per leaf is
 * PAGE_INVALID, and its leaves have no page id or batch key. A leaf's envelope is the one
 * with the page's id among the envelopes of the block's batches, else the one at the
 * leaf's position in the batch the page names, so a batch whose envelopes no longer
 * parse yields ENVELOPE_INVALID for exactly its entries; a leaf whose batch is not
 * stored (or not named) has none: ENTRY_MISSING. Its payload is the one stored under
 * the page's id, or under the envelope's id where the page names none.
 */
export async function loadEvidence(
  source: EvidenceSource,
  block: RawBlock,
): Promise<{ evidence: BlockEvidence; findings: Finding[] }> {
  const pages =
    typeof block.hash === "string" && block.pageCount
      ? await source.getRawPages(block.hash, block.pageCount)
      : [];
  const findings: Finding[] = [];
  const leafHashes: Uint8Array[] = [];
  const entryIds: Array<string | undefined> = [];
  const batchKeys: Array<string | undefined> = [];
  for (const page of pages) {
    const bytes = page.leaves ?? new Uint8Array(0);
    const start = leafHashes.length;
    for (let o = 0; o < bytes.length; o += 32) leafHashes.push(bytes.slice(o, o + 32));
    const count = leafHashes.length - start;
    const ids = pageStrings(page.entryIds, count);
    const keys = pageStrings(page.batchKeys, count);
    if (!ids || !keys) {
      findings.push({
        code: "PAGE_INVALID",
        height: block.height,
        expected: `ids and batches: ${count} strings each`,
        message: `page ${page.page} of block ${block.height} does not name one entry id and one batch key per leaf`,
      });
    }
    for (let i = 0; i < count; i++) {
      entryIds.push(ids?.[i]);
      batchKeys.push(keys?.[i]);
    }
  }
  const firstPosition = new Map<string, number>();
  batchKeys.forEach((k, i) => {
    if (k !== undefined && !firstPosition.has(k)) firstPosition.set(k, i);
  });
  // The payloads of the ids the pages name are read beside the batches, not after them;
  // only a leaf whose page names no id waits for its envelope's.
  const pageIds = [...new Set(entryIds.filter((id): id is string => id !== undefined && ENTRY_ID.test(id)))];
  const [batches, pagePayloads] = await Promise.all([
    source.getRawBatches([...firstPosition.keys()]),
    pageIds.length > 0 ? source.getRawPayloads(pageIds) : [],
  ]);
  const batchByKey = new Map<string, RawBatch>(batches.map((b) => [b.key, b]));

  // Envelopes by id where ids are readable (precise blame when a page is reordered),
  // else by position in the batch; a batch whose envelopes text no longer parses gives
  // a value that fails envelope parsing, i.e. ENVELOPE_INVALID for exactly its entries.
  const envelopeById = new Map<string, unknown>();
  for (const b of batches) {
    if (!Array.isArray(b.envelopes)) continue;
    for (const e of b.envelopes) {
      const id = (e as { id?: unknown } | null)?.id;
      if (typeof id === "string") envelopeById.set(id, e);
    }
  }
  const found = leafHashes.map((_, i) => {
    const key = batchKeys[i];
    const batch = key === undefined ? undefined : batchByKey.get(key);
    if (!batch) return undefined;
    const pageId = entryIds[i];
    const position = i - (firstPosition.get(key as string) as number);
    const envelope =
      (pageId === undefined ? undefined : envelopeById.get(pageId)) ??
      (Array.isArray(batch.envelopes) ? batch.envelopes[position] : "unparseable batch item");
    const envelopeId = (envelope as { id?: unknown } | null | undefined)?.id;
    return { envelope, id: pageId ?? (typeof envelopeId === "string" ? envelopeId : undefined) };
  });
  const read = new Set(pageIds);
  const rest = found.flatMap((f) =>
    f?.id !== undefined && ENTRY_ID.test(f.id) && !read.has(f.id) ? [f.id] : [],
  );
  const payloads = rest.length > 0 ? [...pagePayloads, ...(await source.getRawPayloads(rest))] : pagePayloads;
  const payloadById = new Map(payloads.map((p) => [p.entryId, p.data]));
  const entries = found.map(
    (f) => f && { envelope: f.envelope, payload: payloadById.get(f.id ?? "") ?? null },
  );

  for (const [key, offset] of firstPosition) {
    const batch = batchByKey.get(key);
    if (batch && (batch.sealedHeight !== block.height || batch.sealedOffset !== offset)) {
      findings.push({
        code: "BATCH_SEAL_MISMATCH",
        height: block.height,
        expected: `${block.height}/${offset}`,
        found: `${batch.sealedHeight ?? "none"}/${batch.sealedOffset ?? "none"}`,
        message: `batch ${key} does not record its seal at height ${block.height}, offset ${offset}`,
      });
    }
  }

  findings.push(...(await checkCosignTargets(source, block.height, entryIds, entries)));

  const evidence: BlockEvidence = {
    header: block.header,
    hash: block.hash ?? "",
    signature: asHeaderSignature(block.signature),
    leafHashes,
    entryIds,
    batchKeys,
    entries,
    logRange: asRangeState(block.logRange),
    checkpoint: block.checkpoint ?? "",
  };
  return { evidence, findings };
}

/**
 * Each sealed zhixin.cosign entry with a payload must name a stored entry with the same
 * contentDigest (cosign.ts). Its own department signature is checked like any entry's.
 */
async function checkCosignTargets(
  source: EvidenceSource,
  height: number,
  entryIds: ReadonlyArray<string | undefined>,
  entries: ReadonlyArray<{ envelope: unknown; payload: string | null } | undefined>,
): Promise<Finding[]> {
  const cosigns: Array<{ id: string; target: string; digest: unknown }> = [];
  entries.forEach((e, i) => {
    if ((e?.envelope as { type?: unknown } | undefined)?.type !== COSIGN_TYPE || !e?.payload) return;
    let data: { entryId?: unknown; contentDigest?: unknown } | null = null;
    try {
      data = JSON.parse(e.payload);
    } catch {}
    const target = typeof data?.entryId === "string" ? data.entryId : "";
    cosigns.push({ id: entryIds[i] as string, target, digest: data?.contentDigest });
  });
  if (cosigns.length === 0) return [];
  const targets = await source.getRawPayloads(
    [...new Set(cosigns.map((c) => c.target))].filter((id) => ENTRY_ID.test(id)),
  );
  const batches = await source.getRawBatches([
    ...new Set(targets.flatMap((t) => (t.batchKey ? [t.batchKey] : []))),
  ]);
  const digestById = new Map<string, unknown>();
  for (const b of batches) {
    if (!Array.isArray(b.envelopes)) continue;
    for (const e of b.envelopes as Array<{ id?: unknown; contentDigest?: unknown } | null>)
      if (typeof e?.id === "string") digestById.set(e.id, e.contentDigest);
  }
  const stored = new Set(targets.map((t) => t.entryId));
  return cosigns
    .filter((c) => !stored.has(c.target) || digestById.get(c.target) !== c.digest)
    .map((c) => ({
      code: "COSIGN_TARGET_MISMATCH" as const,
      height,
      entryId: c.id,
      expected: String(c.digest),
      found: String(digestById.get(c.target) ?? "no such entry"),
      message: `cosign ${c.id} names entry ${c.target || "(unreadable)"}, which is not stored with that contentDigest`,
    }));
}

const ENTRY_ID = /^[0-9a-f]{32}$/;

/** A page's `ids` or `batches`: exactly `count` strings, else undefined (PAGE_INVALID). */
function pageStrings(value: unknown, count: number): string[] | undefined {
  return Array.isArray(value) && value.length === count && value.every((v) => typeof v === "string")
    ? value
    : undefined;
}

function asHeaderSignature(value: unknown): HeaderSignature {
  const s = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  return {
    keyId: typeof s.keyId === "string" ? s.keyId : "",
    // An unreadable algorithm reads as Ed25519, as before; an SM2 (gm) header keeps its own.
    alg: isSignatureAlgorithm(s.alg) ? s.alg : "ed25519",
    value: typeof s.value === "string" ? s.value : "",
  };
}

function asRangeState(value: unknown): CompactRangeState {
  const r = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const hashes = Array.isArray(r.hashes) ? r.hashes.filter((h): h is string => typeof h === "string") : [];
  // A malformed stored range compares unequal to every real one.
  return { size: typeof r.size === "number" ? r.size : -1, hashes };
}
