import { checkEntry } from "./audit-entry.js";
import type { BlockEvidence, ChainPosition, VerifyBlocksOptions } from "./audit-evidence.js";
import {
  type BlockHeader,
  blockHeaderBytes,
  GENESIS_PREV,
  genesisCryptoSuite,
  hashBlockHeader,
  parseBlockHeader,
} from "./block.js";
import { toHex } from "./bytes.js";
import { CompactRange, type CompactRangeState } from "./compact.js";
import type { Finding } from "./findings.js";
import { sameSuite, suiteLabel } from "./suite.js";
import { rootFromLeafHashes } from "./tree.js";

/**
 * Verification of a run of blocks (ARCHITECTURE §8 "chain audit"): header links and
 * signatures, per-block Merkle roots, every entry's leaf recomputed from its envelope,
 * each envelope's batch proof and signature base, department signatures (through a
 * passed-in check), payload digests, and the cumulative log root carried in a compact
 * range. It does not stop at the first problem: it returns a finding per problem so an
 * auditor sees everything that is wrong, and where.
 *
 * What it is given is in audit-evidence.ts, the findings it returns in findings.ts, and
 * the checks on each entry in audit-entry.ts (verifyEnvelope checks one entry alone).
 */

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
  const range = CompactRange.fromState(options.suite, start.logRange);
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
    if (header.height === 1 && !sameSuite(genesisCryptoSuite(header), options.suite)) {
      findings.push({
        code: "SUITE_MISMATCH",
        ...at,
        expected: suiteLabel(options.suite),
        found: suiteLabel(genesisCryptoSuite(header)),
        message: "the genesis block records another crypto suite than the one audited with",
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
    const hash = toHex(hashBlockHeader(options.suite, header));
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
    const root = toHex(rootFromLeafHashes(options.suite, leaves));
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

function sameRange(a: CompactRangeState, b: CompactRangeState): boolean {
  return (
    a.size === b.size && a.hashes.length === b.hashes.length && a.hashes.every((h, i) => h === b.hashes[i])
  );
}
