import {
  type BlockEvidence,
  type ChainPosition,
  type EntryEnvelope,
  type Finding,
  fromBase64,
  GENESIS_POSITION,
  type HeaderSignature,
  NOTE_SIGNATURE_TYPE_ED25519,
  noteKeyHash,
  openCheckpoint,
  type SignatureCheck,
  toHex,
  type VerifyBlocksOptions,
  verifyBlocks,
} from "../../lib/chain/index.js";
import { verifySignature } from "./crypto/verify.js";
import { keyValidAt } from "./key-directory.js";
import type { KeyDirectory, LedgerStore, StoredBlock } from "./ports.js";
import { ed25519RawPublicKey } from "./sealer.js";

/**
 * The chain audit of ARCHITECTURE §8 over a LedgerStore: loads blocks, their pages,
 * envelopes and payloads in chunks, and runs lib/chain verifyBlocks with signature
 * checks done by node:crypto against the trust bundle. Used by the verify function,
 * `zhixin verify` and the export bundle checker.
 */

export interface AuditReport {
  ok: boolean;
  blocksChecked: number;
  entriesChecked: number;
  findings: Finding[];
  /** Heights audited (inclusive); from > to when the chain is empty. */
  from: number;
  to: number;
}

export interface AuditDeps {
  store: LedgerStore;
  keys: KeyDirectory;
  log: string;
}

export interface AuditOptions {
  from?: number;
  to?: number;
  /** Called after each chunk of blocks. */
  onProgress?: (progress: { height: number; to: number; entriesChecked: number }) => void;
}

const CHUNK = 32;

export async function auditChain(deps: AuditDeps, options: AuditOptions = {}): Promise<AuditReport> {
  const latest = await deps.store.getLatestBlock();
  const from = options.from ?? 1;
  const to = Math.min(options.to ?? Number.MAX_SAFE_INTEGER, latest?.header.height ?? 0);
  const report: AuditReport = { ok: true, blocksChecked: 0, entriesChecked: 0, findings: [], from, to };
  if (from > to) return report;

  let position: ChainPosition = GENESIS_POSITION;
  if (from > 1) {
    // A partial audit trusts the stored state of the block before it; auditing from
    // height 1 trusts nothing but the keys.
    const before = await deps.store.getBlock(from - 1);
    if (!before) {
      report.findings.push({
        code: "HEIGHT_MISMATCH",
        height: from - 1,
        message: `block ${from - 1}, where the audit starts, is missing`,
      });
      report.ok = false;
      return report;
    }
    position = { height: from - 1, hash: before.hash, logRange: before.logRange };
  }
  const options_ = verifyOptions(deps);
  for (let h = from; h <= to; h += CHUNK) {
    const blocks = await deps.store.listBlocks(h, Math.min(h + CHUNK - 1, to));
    const evidence = await Promise.all(blocks.map((b) => loadEvidence(deps.store, b)));
    const result = verifyBlocks(evidence, { ...options_, start: position });
    report.blocksChecked += result.blocksChecked;
    report.entriesChecked += result.entriesChecked;
    report.findings.push(...result.findings);
    // A block deleted from the store shows up as a gap in heights.
    const expectedLast = Math.min(h + CHUNK - 1, to);
    if (blocks.length === 0 || (blocks[blocks.length - 1] as StoredBlock).header.height !== expectedLast) {
      if (!result.findings.some((f) => f.code === "HEIGHT_MISMATCH")) {
        report.findings.push({
          code: "HEIGHT_MISMATCH",
          height: expectedLast,
          expected: String(expectedLast),
          found: blocks.length ? String((blocks[blocks.length - 1] as StoredBlock).header.height) : "none",
          message: `block ${expectedLast} is missing from the store`,
        });
      }
    }
    position = result.end;
    options.onProgress?.({ height: expectedLast, to, entriesChecked: report.entriesChecked });
  }
  report.ok = report.findings.length === 0;
  return report;
}

/** Everything the auditor needs for one block, read from the store. */
export async function loadEvidence(store: LedgerStore, block: StoredBlock): Promise<BlockEvidence> {
  const pages = await store.getBlockPages(block.hash, block.pageCount);
  const leafHashes = pages.flatMap((p) => p.leafHashes);
  const entryIds = pages.flatMap((p) => p.entryIds);
  const batchKeys = [...new Set(pages.flatMap((p) => p.batchKeys))];
  const [batches, payloads] = await Promise.all([store.getBatches(batchKeys), store.getPayloads(entryIds)]);
  const envelopes = new Map<string, EntryEnvelope>();
  for (const b of batches) for (const e of b.envelopes) envelopes.set(e.id, e);
  const payloadText = new Map(payloads.map((p) => [p.entryId, p.data]));
  return {
    header: block.header,
    hash: block.hash,
    signature: block.signature,
    leafHashes,
    entryIds,
    entries: entryIds.map((id) => ({ envelope: envelopes.get(id), payload: payloadText.get(id) ?? null })),
    logRange: block.logRange,
    checkpoint: block.checkpoint,
  };
}

export function verifyOptions(deps: { keys: KeyDirectory; log: string }): VerifyBlocksOptions {
  // Every entry of a batch carries the same signature over the same base: check it once.
  const checked = new Map<string, SignatureCheck>();
  return {
    log: deps.log,
    verifyHeaderSignature: (message: Uint8Array, sig: HeaderSignature): SignatureCheck => {
      const key = deps.keys.getKey(sig.keyId);
      if (!key || key.role !== "sealer") return "unknown-key";
      return verifySignature(key, message, safeBase64(sig.value)) ? "ok" : "invalid";
    },
    verifyEntrySignature: (
      envelope: EntryEnvelope,
      message: Uint8Array,
      signature: Uint8Array,
    ): SignatureCheck => {
      const memo = `${envelope.keyId}\n${envelope.signature}\n${envelope.receivedAt}\n${envelope.signatureBase}`;
      const hit = checked.get(memo);
      if (hit) return hit;
      const key = deps.keys.getKey(envelope.keyId);
      let result: SignatureCheck;
      if (!key) result = "unknown-key";
      else if (key.owner !== envelope.dept || key.role !== "department" || key.alg !== envelope.alg)
        result = "invalid";
      else if (!keyValidAt(key, envelope.receivedAt)) result = "not-valid";
      else result = verifySignature(key, message, signature) ? "ok" : "invalid";
      if (checked.size > 100_000) checked.clear();
      checked.set(memo, result);
      return result;
    },
    checkCheckpoint: (note, header) => {
      const sealer = deps.keys.getKey(header.sealer);
      if (!sealer || sealer.role !== "sealer") return `sealer key ${header.sealer} is unknown`;
      try {
        const raw = ed25519RawPublicKey(sealer.spki);
        const checkpoint = openCheckpoint(
          note,
          [
            {
              name: header.log,
              keyHash: noteKeyHash(header.log, NOTE_SIGNATURE_TYPE_ED25519, raw),
              verify: (message, signature) => verifySignature(sealer, message, signature),
            },
          ],
          header.log,
        );
        if (checkpoint.size !== header.logSize || toHex(checkpoint.rootHash) !== header.logRoot) {
          return `checkpoint is for size ${checkpoint.size} root ${toHex(checkpoint.rootHash)}, not this block's log`;
        }
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  };
}

function safeBase64(text: string): Uint8Array {
  try {
    return fromBase64(text);
  } catch {
    return new Uint8Array(0);
  }
}
