import {
  type BlockHeader,
  blockHeaderBytes,
  GENESIS_PREV,
  hashBlockHeader,
  parseBlockHeader,
} from "./block.js";
import { fromBase64, toHex, utf8 } from "./bytes.js";
import { CompactRange, type CompactRangeState } from "./compact.js";
import {
  batchIndexOf,
  batchKeyOf,
  checkEnvelopeBinding,
  entryLeafHash,
  type LedgerEnvelope,
  parseEntryEnvelope,
  type SignatureAlgorithm,
} from "./envelope.js";
import { ChainError } from "./errors.js";
import { timestampSeconds } from "./fields.js";
import { sha256Bytes } from "./rfc6962.js";
import { parseSignatureBase } from "./signature-base.js";
import { rootFromLeafHashes } from "./tree.js";

/**
 * Verification of a run of blocks (ARCHITECTURE §8 "chain audit"): header links and
 * signatures, per-block Merkle roots, every entry's leaf recomputed from its envelope,
 * each envelope's batch proof and signature base, department signatures (through a
 * passed-in check), payload digests, and the cumulative log root carried in a compact
 * range. It does not stop at the first problem: it returns a finding per problem so an
 * auditor sees everything that is wrong, and where.
 *
 * Past 400 lines because it holds the closed set of findings, each explained, beside the
 * checks that produce them; the per-entry checks serve both verifyBlocks and
 * verifyEnvelope (one entry, sealed or not).
 */

/**
 * The closed set of audit findings. docs/ERRORS.md and docs/FORMATS.md §6 explain each;
 * their tests compare those tables with this list, both ways.
 */
export const FINDING_CODES = [
  /** Header does not parse (fields missing, wrong form, logSize != first + count). */
  "HEADER_INVALID",
  /** Header's log origin is not the log being audited. */
  "LOG_MISMATCH",
  /** Heights do not run on by one: a block is missing, repeated or out of order. */
  "HEIGHT_MISMATCH",
  /** header.prev is not the hash of the previous block's header. */
  "PREV_HASH_MISMATCH",
  /** The stored block hash is not the hash of the stored header. */
  "BLOCK_HASH_MISMATCH",
  /** The sealer's header signature does not verify, or names another key than header.sealer. */
  "HEADER_SIGNATURE_INVALID",
  /** header.first is not the log size before this block. */
  "FIRST_INDEX_MISMATCH",
  /** The block's stored leaves (or entries) are not header.count in number. */
  "ENTRY_COUNT_MISMATCH",
  /** RFC 6962 root of the stored leaves differs from header.root. */
  "BLOCK_ROOT_MISMATCH",
  /** Cumulative log root after this block differs from header.logRoot. */
  "LOG_ROOT_MISMATCH",
  /** The stored compact range after this block is not the recomputed one. */
  "LOG_RANGE_MISMATCH",
  /** A leaf has no stored envelope. */
  "ENTRY_MISSING",
  /** An entry id occurs twice in the audited range, or two entries are the same signed request's (keyId, nonce, batch index). */
  "ENTRY_DUPLICATE",
  /** A stored envelope does not parse. */
  "ENVELOPE_INVALID",
  /** The leaf hash recomputed from the envelope differs from the block's leaf. */
  "LEAF_HASH_MISMATCH",
  /** The page's entry id for a leaf differs from the envelope's id. */
  "ENTRY_ID_MISMATCH",
  /** The page files a leaf under another batch key than its envelope's signed request, `<keyId>#<nonce>`. */
  "BATCH_KEY_MISMATCH",
  /** A page's `ids` or `batches` is not an array with one string per leaf of the page. */
  "PAGE_INVALID",
  /** The record's path to the signed batch root does not verify. */
  "BATCH_PROOF_INVALID",
  /** The stored signature base is not a submit request by this department, key and batch root. */
  "SIGNATURE_BASE_INVALID",
  /** The department's request signature does not verify. */
  "ENTRY_SIGNATURE_INVALID",
  /** A signature names a key the auditor does not know. */
  "KEY_UNKNOWN",
  /** The department key was not valid at the entry's receive time. */
  "KEY_NOT_VALID",
  /** The entry's receivedAt is outside [created − MAX_CLOCK_SKEW_SECONDS, created + MAX_CLOCK_SKEW_SECONDS + MAX_RECEIVE_DELAY_SECONDS]. */
  "RECEIVED_AT_INVALID",
  /** The stored payload does not hash to the envelope's contentDigest. */
  "PAYLOAD_DIGEST_MISMATCH",
  /** The payload is missing (when payload checks are on). */
  "PAYLOAD_MISSING",
  /** The block's checkpoint is malformed, unsigned, or not for this block's log size and root. */
  "CHECKPOINT_INVALID",
  /** A batch's stored seal position (height, offset) is not where its entries are sealed. */
  "BATCH_SEAL_MISMATCH",
  /** A zhixin.cosign entry names an entry that is not stored, or that has another contentDigest. */
  "COSIGN_TARGET_MISMATCH",
  /** An answered access entry names a contract version not in effect for its consumer, provider and type when it was received. */
  "ACCESS_CONTRACT_MISMATCH",
  /** The log is shorter than a checkpoint the auditor already trusts: blocks were removed. */
  "LOG_TRUNCATED",
  /** At a checkpoint the auditor trusts, the log has another root (or no block ends there): history was rewritten. */
  "LOG_REWRITTEN",
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

/**
 * The API refuses a request whose signature `created` is more than this many seconds
 * from its receive time (ARCHITECTURE §5), so no honest entry is further apart: an entry
 * that is was moved in time after it was signed.
 */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/**
 * The API checks `created` against its clock first and reads `receivedAt` from the clock
 * later, once the request's own reads are done (a match reads the contract first, so
 * that every record its decision rests on was received before it). No request runs
 * longer than the HTTP API's 30 s integration limit, so an honest receivedAt is at most
 * this much later than the time `created` was checked against.
 */
export const MAX_RECEIVE_DELAY_SECONDS = 30;

export interface Finding {
  code: FindingCode;
  height?: number;
  /** Global log index of the entry concerned. */
  entryIndex?: number;
  entryId?: string;
  expected?: string;
  found?: string;
  message: string;
}

export interface HeaderSignature {
  keyId: string;
  alg: SignatureAlgorithm;
  /** Base64 signature over blockHeaderBytes(header). */
  value: string;
}

/** What the auditor holds for one block, however it was obtained (store, export bundle). */
export interface BlockEvidence {
  header: unknown;
  /** Hex block hash as stored. */
  hash: string;
  signature: HeaderSignature;
  /** The block's leaf hashes in order, as stored in its pages. */
  leafHashes: readonly Uint8Array[];
  /** Entry id of each leaf, as stored in its pages (optional; undefined where a page does not say). */
  entryIds?: ReadonlyArray<string | undefined>;
  /** Batch key of each leaf, as stored in its pages (optional; undefined where a page does not say). */
  batchKeys?: ReadonlyArray<string | undefined>;
  /** Per leaf: the stored envelope (undefined if missing) and payload text (undefined if not checked, null if missing). */
  entries: ReadonlyArray<{ envelope?: unknown; payload?: string | null } | undefined>;
  /** Compact range stored with the block (optional). */
  logRange?: CompactRangeState;
  /** Checkpoint note stored with the block (optional; checked by options.checkCheckpoint). */
  checkpoint?: string;
}

/** The chain state just before the first audited block. */
export interface ChainPosition {
  height: number;
  /** Hex hash of the block at `height` (GENESIS_PREV at height 0). */
  hash: string;
  logRange: CompactRangeState;
}

export type SignatureCheck = "ok" | "unknown-key" | "not-valid" | "invalid";

export interface VerifyBlocksOptions {
  /** Expected log origin; when unset, the first block's is taken. */
  log?: string;
  /** Where the audited range starts; genesis when unset. */
  start?: ChainPosition;
  verifyHeaderSignature(message: Uint8Array, signature: HeaderSignature, header: BlockHeader): SignatureCheck;
  /** Department request-signature check at the entry's receive time; skipped when unset. */
  verifyEntrySignature?(envelope: LedgerEnvelope, message: Uint8Array, signature: Uint8Array): SignatureCheck;
  /** Checkpoint check; returns a problem description, or undefined when the checkpoint is right. */
  checkCheckpoint?(note: string, header: BlockHeader): string | undefined;
}

export interface BlocksReport {
  ok: boolean;
  blocksChecked: number;
  entriesChecked: number;
  findings: Finding[];
  /** Chain position after the last audited block, to continue an audit from. */
  end: ChainPosition;
}

export const GENESIS_POSITION: ChainPosition = {
  height: 0,
  hash: GENESIS_PREV,
  logRange: { size: 0, hashes: [] },
};

export function verifyBlocks(blocks: readonly BlockEvidence[], options: VerifyBlocksOptions): BlocksReport {
  const findings: Finding[] = [];
  const start = options.start ?? GENESIS_POSITION;
  const range = CompactRange.fromState(start.logRange);
  let prevHeight = start.height;
  let prevHash = start.hash;
  let log = options.log;
  let entriesChecked = 0;
  const seen = new Map<string, number>();
  // Entries by the signed request and place in it they cite: "<keyId>#<nonce>\n<batch index>" → log index.
  const requests = new Map<string, number>();

  for (const block of blocks) {
    const expectedHeight = prevHeight + 1;
    let header: BlockHeader;
    try {
      header = parseBlockHeader(block.header);
    } catch (e) {
      findings.push({ code: "HEADER_INVALID", height: expectedHeight, message: (e as Error).message });
      // Keep going with what can still be checked: later blocks link to the stored hash.
      range.appendAll(block.leafHashes.filter((h) => h instanceof Uint8Array && h.length === 32));
      prevHeight = expectedHeight;
      prevHash = block.hash;
      continue;
    }
    const at = { height: header.height };
    log ??= header.log;
    if (header.log !== log) {
      findings.push({
        code: "LOG_MISMATCH",
        ...at,
        expected: log,
        found: header.log,
        message: "block belongs to another log",
      });
    }
    if (header.height !== expectedHeight) {
      findings.push({
        code: "HEIGHT_MISMATCH",
        ...at,
        expected: String(expectedHeight),
        found: String(header.height),
        message: "heights must run on by one: a block is missing, repeated or out of order",
      });
    }
    if (header.prev !== prevHash) {
      findings.push({
        code: "PREV_HASH_MISMATCH",
        ...at,
        expected: prevHash,
        found: header.prev,
        message: "header.prev is not the previous block's hash",
      });
    }
    const hash = toHex(hashBlockHeader(header));
    if (block.hash !== hash) {
      findings.push({
        code: "BLOCK_HASH_MISMATCH",
        ...at,
        expected: hash,
        found: block.hash,
        message: "stored block hash is not the hash of the stored header",
      });
    }
    checkHeaderSignature(block, header, options, findings);
    if (header.first !== range.size) {
      findings.push({
        code: "FIRST_INDEX_MISMATCH",
        ...at,
        expected: String(range.size),
        found: String(header.first),
        message: "header.first is not the log size before this block",
      });
    }
    const leaves = block.leafHashes.filter((h) => h instanceof Uint8Array && h.length === 32);
    if (leaves.length !== header.count || block.leafHashes.length !== header.count) {
      findings.push({
        code: "ENTRY_COUNT_MISMATCH",
        ...at,
        expected: String(header.count),
        found: String(block.leafHashes.length),
        message: "stored leaves are not header.count in number",
      });
    }
    const root = toHex(rootFromLeafHashes(leaves));
    if (root !== header.root) {
      findings.push({
        code: "BLOCK_ROOT_MISMATCH",
        ...at,
        expected: header.root,
        found: root,
        message: "RFC 6962 root of the stored leaves differs from header.root",
      });
    }
    const firstIndex = range.size;
    range.appendAll(leaves);
    const logRoot = toHex(range.root());
    if (logRoot !== header.logRoot) {
      findings.push({
        code: "LOG_ROOT_MISMATCH",
        ...at,
        expected: header.logRoot,
        found: logRoot,
        message: "cumulative log root after this block differs from header.logRoot",
      });
    }
    if (block.logRange && !sameRange(block.logRange, range.state())) {
      findings.push({
        code: "LOG_RANGE_MISMATCH",
        ...at,
        message: "stored compact range is not the log's state after this block",
      });
    }
    if (block.checkpoint !== undefined && options.checkCheckpoint) {
      const problem = options.checkCheckpoint(block.checkpoint, header);
      if (problem) findings.push({ code: "CHECKPOINT_INVALID", ...at, message: problem });
    }
    if (block.entries.length > block.leafHashes.length) {
      findings.push({
        code: "ENTRY_COUNT_MISMATCH",
        ...at,
        expected: String(block.leafHashes.length),
        found: String(block.entries.length),
        message: "more entries than leaves",
      });
    }
    for (let i = 0; i < block.leafHashes.length; i++) {
      entriesChecked++;
      checkEntry(block, i, header, firstIndex + i, options, { ids: seen, requests }, findings);
    }
    prevHeight = header.height;
    prevHash = hash;
  }

  return {
    ok: findings.length === 0,
    blocksChecked: blocks.length,
    entriesChecked,
    findings,
    end: { height: prevHeight, hash: prevHash, logRange: range.state() },
  };
}

function checkHeaderSignature(
  block: BlockEvidence,
  header: BlockHeader,
  options: VerifyBlocksOptions,
  findings: Finding[],
): void {
  const at = { height: header.height };
  const sig = block.signature;
  if (!sig || sig.keyId !== header.sealer) {
    findings.push({
      code: "HEADER_SIGNATURE_INVALID",
      ...at,
      expected: header.sealer,
      found: sig?.keyId,
      message: "header signature is not by header.sealer",
    });
    return;
  }
  const result = options.verifyHeaderSignature(blockHeaderBytes(header), sig, header);
  if (result === "unknown-key") {
    findings.push({
      code: "KEY_UNKNOWN",
      ...at,
      found: sig.keyId,
      message: "sealer key is unknown to the auditor",
    });
  } else if (result !== "ok") {
    findings.push({
      code: "HEADER_SIGNATURE_INVALID",
      ...at,
      found: sig.keyId,
      message: "sealer signature over the header does not verify",
    });
  }
}

function checkEntry(
  block: BlockEvidence,
  i: number,
  header: BlockHeader,
  entryIndex: number,
  options: VerifyBlocksOptions,
  seen: { ids: Map<string, number>; requests: Map<string, number> },
  findings: Finding[],
): void {
  const at = { height: header.height, entryIndex };
  const pageId = block.entryIds?.[i];
  const stored = block.entries[i];
  if (!stored || stored.envelope === undefined) {
    findings.push({ code: "ENTRY_MISSING", ...at, entryId: pageId, message: "leaf has no stored envelope" });
    return;
  }
  let envelope: LedgerEnvelope;
  try {
    envelope = parseEntryEnvelope(stored.envelope);
  } catch (e) {
    findings.push({ code: "ENVELOPE_INVALID", ...at, entryId: pageId, message: (e as Error).message });
    return;
  }
  const here = { ...at, entryId: envelope.id };
  const leaf = toHex(entryLeafHash(envelope));
  const storedLeaf = toHex(block.leafHashes[i] as Uint8Array);
  if (leaf !== storedLeaf) {
    findings.push({
      code: "LEAF_HASH_MISMATCH",
      ...here,
      expected: storedLeaf,
      found: leaf,
      message: "envelope does not hash to the block's leaf",
    });
  }
  if (pageId !== undefined && pageId !== envelope.id) {
    findings.push({
      code: "ENTRY_ID_MISMATCH",
      ...here,
      expected: pageId,
      found: envelope.id,
      message: "page lists another entry id for this leaf",
    });
  }
  checkBatchKey(envelope, block.batchKeys?.[i], here, findings);
  const firstSeen = seen.ids.get(envelope.id);
  if (firstSeen !== undefined) {
    findings.push({
      code: "ENTRY_DUPLICATE",
      ...here,
      expected: String(firstSeen),
      found: String(entryIndex),
      message: "entry id already sealed at another log index",
    });
  } else {
    seen.ids.set(envelope.id, entryIndex);
    checkRequestOnce(envelope, entryIndex, seen.requests, here, findings);
  }
  findings.push(...verifyEnvelope(envelope, stored.payload, options, here));
}

/**
 * The store keeps a request's entries in one batch item, keyed `<keyId>#<nonce>`, and
 * lets only one request have that key (docs/STORAGE.md): a page that files a leaf under
 * another key has it in a batch no replay guard ever saw.
 */
function checkBatchKey(
  envelope: LedgerEnvelope,
  pageKey: string | undefined,
  at: { height: number; entryIndex: number; entryId: string },
  findings: Finding[],
): void {
  if (pageKey === undefined) return;
  let key: string;
  try {
    key = batchKeyOf(envelope);
  } catch {
    return; // SIGNATURE_BASE_INVALID, reported by verifyEnvelope
  }
  if (key !== pageKey) {
    findings.push({
      code: "BATCH_KEY_MISMATCH",
      ...at,
      expected: key,
      found: pageKey,
      message: "the page files this leaf under another batch key than its signed request's keyId#nonce",
    });
  }
}

/**
 * One signed request makes one batch: each of its places (a record's batch index; 0 for
 * an access entry, alone in its batch) is sealed once. A record's id is derived from its
 * place (SIGNATURE_BASE_INVALID otherwise), but an access entry's id hashes what the
 * ledger recorded, which the consumer's signature does not cover; so this is what stops
 * one real request from backing several entries, under any ids.
 */
function checkRequestOnce(
  envelope: LedgerEnvelope,
  entryIndex: number,
  requests: Map<string, number>,
  at: { height: number; entryIndex: number; entryId: string },
  findings: Finding[],
): void {
  let key: string;
  try {
    key = `${batchKeyOf(envelope)}\n${batchIndexOf(envelope)}`;
  } catch {
    return; // SIGNATURE_BASE_INVALID, reported by verifyEnvelope
  }
  const first = requests.get(key);
  if (first === undefined) {
    requests.set(key, entryIndex);
    return;
  }
  findings.push({
    code: "ENTRY_DUPLICATE",
    ...at,
    expected: String(first),
    found: String(entryIndex),
    message: "another entry is already this signed request's (keyid, nonce) at this batch index",
  });
}

/**
 * The checks one entry passes on its own, sealed or not: its record's path to the signed
 * batch root and its signature base (checkEnvelopeBinding), the department signature
 * (through options.verifyEntrySignature), and the payload against its contentDigest
 * (`payload`: the stored text; null if missing; undefined to skip). `at` is copied into
 * every finding.
 */
export function verifyEnvelope(
  envelope: LedgerEnvelope,
  payload: string | null | undefined,
  options: Pick<VerifyBlocksOptions, "verifyEntrySignature">,
  at: { height?: number; entryIndex?: number; entryId?: string } = { entryId: envelope.id },
): Finding[] {
  const findings: Finding[] = [];
  try {
    checkEnvelopeBinding(envelope);
  } catch (e) {
    const code =
      e instanceof ChainError && e.code === "INVALID_FORMAT"
        ? "SIGNATURE_BASE_INVALID"
        : "BATCH_PROOF_INVALID";
    findings.push({ code, ...at, message: (e as Error).message });
  }
  checkReceivedAt(envelope, at, findings);
  const result = options.verifyEntrySignature?.(
    envelope,
    utf8(envelope.signatureBase),
    fromBase64(envelope.signature),
  );
  if (result === "unknown-key") {
    findings.push({
      code: "KEY_UNKNOWN",
      ...at,
      found: envelope.keyId,
      message: "department key is unknown to the auditor",
    });
  } else if (result === "not-valid") {
    findings.push({
      code: "KEY_NOT_VALID",
      ...at,
      found: envelope.keyId,
      message: `key was not valid at ${envelope.receivedAt}`,
    });
  } else if (result === "invalid") {
    findings.push({
      code: "ENTRY_SIGNATURE_INVALID",
      ...at,
      found: envelope.keyId,
      message: "department request signature does not verify",
    });
  }
  if (payload === null) {
    findings.push({ code: "PAYLOAD_MISSING", ...at, message: "payload is missing" });
  } else if (payload !== undefined) {
    const digest = toHex(sha256Bytes(utf8(payload)));
    if (digest !== envelope.contentDigest) {
      findings.push({
        code: "PAYLOAD_DIGEST_MISMATCH",
        ...at,
        expected: envelope.contentDigest,
        found: digest,
        message: "stored payload does not match the envelope's contentDigest",
      });
    }
  }
  return findings;
}

function checkReceivedAt(
  envelope: LedgerEnvelope,
  at: { height?: number; entryIndex?: number; entryId?: string },
  findings: Finding[],
): void {
  let created: number | undefined;
  try {
    created = parseSignatureBase(envelope.signatureBase).params.created;
  } catch {
    return; // SIGNATURE_BASE_INVALID, reported above
  }
  if (created === undefined) return;
  // Milliseconds count: receivedAt is compared as a fraction of a second, not truncated.
  const late = timestampSeconds(envelope.receivedAt) - created;
  if (late < -MAX_CLOCK_SKEW_SECONDS || late > MAX_CLOCK_SKEW_SECONDS + MAX_RECEIVE_DELAY_SECONDS) {
    findings.push({
      code: "RECEIVED_AT_INVALID",
      ...at,
      expected:
        `from ${MAX_CLOCK_SKEW_SECONDS} s before to ${MAX_CLOCK_SKEW_SECONDS + MAX_RECEIVE_DELAY_SECONDS} s after ` +
        `created=${created} (Unix seconds)`,
      found: envelope.receivedAt,
      message: "receivedAt is further from the signature's created time than the API accepts",
    });
  }
}

function sameRange(a: CompactRangeState, b: CompactRangeState): boolean {
  return (
    a.size === b.size && a.hashes.length === b.hashes.length && a.hashes.every((h, i) => h === b.hashes[i])
  );
}
