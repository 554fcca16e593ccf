import type { BlockEvidence, VerifyBlocksOptions } from "./audit-evidence.js";
import type { BlockHeader } from "./block.js";
import { fromBase64, toHex, utf8 } from "./bytes.js";
import {
  batchIndexOf,
  batchKeyOf,
  checkEnvelopeBinding,
  entryLeafHash,
  type LedgerEnvelope,
  parseEntryEnvelope,
} from "./envelope.js";
import { ChainError } from "./errors.js";
import { timestampSeconds } from "./fields.js";
import { type Finding, MAX_CLOCK_SKEW_SECONDS, MAX_RECEIVE_DELAY_SECONDS } from "./findings.js";
import { parseSignatureBase } from "./signature-base.js";

/**
 * The checks on one entry (ARCHITECTURE §8): checkEntry, a block's leaf as verifyBlocks
 * (audit.ts) sees it — its stored envelope, page entry id and batch key, and whether the
 * audited range already sealed it — and verifyEnvelope, what one entry passes on its own,
 * sealed or not.
 */

export function checkEntry(
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
  const leaf = toHex(entryLeafHash(options.suite, envelope));
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
  options: Pick<VerifyBlocksOptions, "suite" | "verifyEntrySignature">,
  at: { height?: number; entryIndex?: number; entryId?: string } = { entryId: envelope.id },
): Finding[] {
  const findings: Finding[] = [];
  try {
    checkEnvelopeBinding(options.suite, envelope);
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
  if (typeof result === "object") {
    findings.push({ code: result.finding, ...at, found: envelope.keyId, message: result.message });
  } else if (result === "unknown-key") {
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
    const digest = toHex(options.suite.hash(utf8(payload)));
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
