import {
  type ChainPosition,
  CompactRange,
  type CompactRangeState,
  type CryptoSuite,
  checkCompactRangeState,
  type EntryEnvelope,
  type EntrySignatureCheck,
  type Finding,
  fromBase64,
  GENESIS_POSITION,
  type HeaderSignature,
  isKeyRecordType,
  type KeyGovernance,
  type KeySignatureCheck,
  type LedgerKeys,
  noLedgerKeys,
  noteKeyHashOf,
  openCheckpoint,
  type SignatureCheck,
  signatureCheckKey,
  toHex,
  type VerifyBlocksOptions,
  verifyBlocks,
} from "#chain";
import type { KeyDirectory } from "../../lib/crypto/key-directory.js";
import { checkEntrySignature } from "../../lib/crypto/ledger-keys.js";
import { keySignatureCheckOf, type SignatureSuite, verifySignature } from "../../lib/crypto/verify.js";
import type { AuditReport } from "../../lib/protocol/audit.js";
import { checkWitnessQuorum, type WitnessPolicy } from "../../lib/witness/index.js";
import type { KeyRecordStore } from "../store/key-records.js";
import type { AuditSource, RawBlock } from "../store/ports.js";
import { AccessAudit, type AccessAuditState } from "./audit-access.js";
import { type KeyLookup, SignatureAnswers } from "./audit-signatures.js";
import { loadEvidence } from "./evidence.js";
import { loadAuditKeyHistory, unlistedKeyCosigns, unmetKeyRecords } from "./key-history.js";
import { defaultThreads, SignaturePool } from "./signature-pool.js";

// ./audit-entry.ts reads loadEvidence from here, where it lived before ./evidence.ts.
export { loadEvidence };

/**
 * The chain audit of ARCHITECTURE §8 over stored items: loads blocks, pages, batches
 * and payloads a chunk at a time through the lenient AuditSource — so a corrupt or
 * tampered item becomes a finding, never an error that hides the rest — and runs
 * lib/chain verifyBlocks with signatures checked by node:crypto against the trust
 * bundle. On top of verifyBlocks it checks what only the store knows: that each
 * batch's seal position is where its entries are, and (given a checkpoint the auditor
 * already trusts) that the log was neither cut short nor rewritten.
 *
 * On every core (issue 14): while a chunk of blocks is verified, the next chunk is read
 * from the store, and each chunk's department signatures are checked first on worker
 * threads (./audit-signatures.ts, ./signature-pool.ts), one per core; the report is the
 * one the audit gives on one thread, finding for finding.
 */

export interface AuditDeps {
  source: AuditSource;
  keys: KeyDirectory;
  log: string;
  /** The ledger's crypto suite (the consortium file's): every hash is recomputed with it. */
  suite: CryptoSuite;
  /** Where the key records are indexed (`K#<owner>`): the key history the audit is given (./key-history.ts). */
  keyRecords: KeyRecordStore;
  /**
   * The consortium's members, whose key records the audit reads (the consortium file's
   * departments and auditors); when unset, the owners of the trust bundle's keys — which
   * leaves out a member whose keys the bundle does not hold (a disabled KMS key).
   */
  members?: readonly string[];
  /**
   * The consortium file's rule for key records (lib/consortium keyGovernanceOf): the key
   * history is folded under it. Unset: OWNER_ALONE (owners decide alone, no recovery).
   */
  keyGovernance?: KeyGovernance;
  /**
   * Worker threads that check department signatures: default one per core
   * (os.availableParallelism()); 1 checks them on this thread, as a one-core machine does.
   */
  signatureThreads?: number;
  /** Workers the caller started and will close (tests, benches); signatureThreads is then unused. */
  signaturePool?: SignaturePool;
}

/** A checkpoint the auditor holds from an earlier audit or a witness: the log must extend it. */
export interface TrustedState {
  size: number;
  /** Hex RFC 6962 root at `size`. */
  root: string;
}

export interface AuditOptions {
  from?: number;
  to?: number;
  trusted?: TrustedState;
  /**
   * The checkpoint published with the log's tiles (GET /v1/log/checkpoint): it must carry
   * the sealer's signature, name a size and root the log has, and, with `quorum`, carry
   * enough valid witness cosignatures (docs/formats/witness.md §4).
   */
  published?: { note: string; quorum?: { policy: WitnessPolicy; verify: KeySignatureCheck } };
  /** Called after each chunk of blocks. */
  onProgress?: (progress: { height: number; to: number; entriesChecked: number }) => void;
  /**
   * Where the audit starts: the chain state after a block the auditor verified itself (an
   * incremental audit's own state, ./audit-state.ts) instead of the stored block before
   * `from`, which a range audit trusts; `from` is then position.height + 1. With `access`,
   * the contract records seen up to there, so answers are checked as in a full audit.
   */
  start?: { position: ChainPosition; access?: AccessAuditState };
  /** The key history is the records sealed up to this height (default `to`): a fan-out's chunks take the run's. */
  keyHistoryTo?: number;
  /** Asked before each chunk of blocks after the first: true ends the audit there, at a block boundary. */
  stop?: () => boolean;
  /** Keep what the answers' check saw (AuditRun.access.items()) and leave the check to the caller (a fan-out). */
  recordAccess?: boolean;
}

/**
 * A range that names heights the log does not have: backwards, below 1, or past the
 * latest block. Not a finding — the log is not at fault — but the caller's mistake,
 * which the verify function answers as RANGE_INVALID (functions/audit/verify-request.ts).
 */
export class AuditRangeError extends Error {
  override readonly name = "AuditRangeError";
  readonly code = "RANGE_INVALID";
  constructor(
    message: string,
    readonly details: { from: number; to: number; latestHeight: number },
  ) {
    super(message);
  }
}

const CHUNK = 32;
/**
 * The next chunk is read while one is verified only when this one holds at most this many
 * entries: two chunks of full blocks (32 × 10,000 entries) would not fit the verify
 * function's memory.
 */
const READ_AHEAD_ENTRIES = 40_000;

/**
 * Audits heights `from` to `to` (default: 1 to the latest block). Throws AuditRangeError
 * unless 1 <= from <= to <= the latest height; with neither given, a log with no blocks
 * is audited as the empty range 1..0.
 */
export async function auditChain(deps: AuditDeps, options: AuditOptions = {}): Promise<AuditReport> {
  return (await auditChainRun(deps, options)).report;
}

/** What auditChainRun leaves besides the report, for an incremental run and a fan-out's chunk. */
export interface AuditRun {
  /** report.to is the last height audited: below the `to` asked when the audit stopped. */
  report: AuditReport;
  /** The chain state before the first audited block (trusted, not checked) and after the last. */
  start: ChainPosition;
  end: ChainPosition;
  /** logSize → logRoot of the start and of every audited block. */
  ends: ReadonlyMap<number, string>;
  /** The answers' check (with a `start` carrying access, or `recordAccess`); absent when skipped. */
  access?: AccessAudit;
  /** True when options.stop ended the audit before `to`. */
  stopped: boolean;
  /** The findings about the key index itself (the same objects as in the report): a chunk's join takes them once. */
  keyIndexFindings: readonly Finding[];
}

/**
 * The chain audit, with what auditChain's report leaves out. Stopped (options.stop) or
 * recording access items (options.recordAccess), it leaves the answers' final check, and
 * a stopped one the trusted and published checkpoints, to its caller: they are about
 * the whole log, which the caller joins or resumes.
 */
export async function auditChainRun(deps: AuditDeps, options: AuditOptions = {}): Promise<AuditRun> {
  const latest = await deps.source.latestHeight();
  const resumed = options.start;
  const from = resumed ? resumed.position.height + 1 : (options.from ?? 1);
  const to = options.to ?? latest;
  if (!resumed && (options.from !== undefined || options.to !== undefined)) checkRange(from, to, latest);
  const report: AuditReport = { ok: true, blocksChecked: 0, entriesChecked: 0, findings: [], from, to };
  const none = (start: ChainPosition): AuditRun => ({
    report: { ...report, ok: false },
    start,
    end: start,
    ends: new Map(),
    stopped: false,
    keyIndexFindings: [],
  });

  let position: ChainPosition = resumed?.position ?? GENESIS_POSITION;
  if (from > 1 && !resumed) {
    // A partial audit trusts the stored state of the block before it; auditing from
    // height 1 trusts nothing but the keys; a resumed one trusts its own state.
    const before = (await deps.source.listRawBlocks(from - 1, from - 1))[0];
    const start = before && startPosition(before);
    if (!start) {
      report.findings.push({
        code: "HEADER_INVALID",
        height: from - 1,
        message: `block ${from - 1}, where a partial audit starts, is missing or unreadable; audit from 1`,
      });
      return none(position);
    }
    position = start;
  }
  const start = position;
  // logSize → logRoot of every audited block, and of the block before a partial audit
  // (its compact range is what the first audited block's logRoot is checked against).
  const ends = new Map<number, string>();
  if (from > 1) ends.set(position.logRange.size, rangeRoot(deps.suite, position.logRange));
  const keyHistory = await loadAuditKeyHistory(
    deps.suite,
    deps.keyRecords,
    deps.source,
    memberOwners(deps),
    options.keyHistoryTo ?? to,
    deps.keyGovernance,
  );
  const met = new Set<string>();
  // Each chunk's signatures, checked ahead: verifyBlocks asks them through this.
  const here = keySignatureCheckOf(deps.suite);
  let answers = SignatureAnswers.NONE.verifyOr(here);
  const options_ = verifyOptions(deps, keyHistory.ledger, met, (alg, spki, message, signature) =>
    answers(alg, spki, message, signature),
  );
  const keyOf: KeyLookup = (keyId) => keyHistory.ledger.history.keys.get(keyId) ?? deps.keys.getKey(keyId);
  // Answers are checked against contract records only when every record is in view.
  const access =
    from === 1 || resumed?.access || options.recordAccess
      ? new AccessAudit(deps.suite, {
          ...(resumed?.access ? { state: resumed.access } : {}),
          record: options.recordAccess === true,
        })
      : undefined;
  if (!access && from <= to) {
    report.skipped = [
      "ACCESS_CONTRACT_MISMATCH: a partial audit does not see the contract records before height " +
        `${from}, so answers are not checked against contracts; audit from height 1 for that`,
    ];
  }
  const threads = deps.signatureThreads ?? defaultThreads();
  const pool = deps.signaturePool ?? (threads > 1 && from <= to ? new SignaturePool(threads) : undefined);
  // A chunk's blocks and evidence, and its signatures checked on the pool's workers.
  const read = async (h: number) => {
    const blocks = await deps.source.listRawBlocks(h, Math.min(h + CHUNK - 1, to));
    const loaded = await Promise.all(blocks.map((b) => loadEvidence(deps.source, b)));
    const evidence = loaded.map((l) => l.evidence);
    const checked = pool ? await SignatureAnswers.prefetch(pool, evidence, keyOf) : SignatureAnswers.NONE;
    return { blocks, loaded, evidence, checked };
  };
  // Read (and check the signatures of) one chunk ahead, while this thread verifies one; a
  // failed read or worker surfaces when its chunk's turn comes.
  let next = from <= to ? read(from) : undefined;
  next?.catch(() => {});
  let last = from - 1;
  let stopped = false;
  try {
    for (let h = from; h <= to; h += CHUNK) {
      if (h > from && options.stop?.()) {
        stopped = true;
        break;
      }
      const { blocks, loaded, evidence, checked } = await (next as ReturnType<typeof read>);
      const readNext = () => {
        next = h + CHUNK <= to ? read(h + CHUNK) : undefined;
        next?.catch(() => {});
      };
      const small = evidence.reduce((n, e) => n + e.leafHashes.length, 0) <= READ_AHEAD_ENTRIES;
      if (small) readNext();
      answers = checked.verifyOr(here);
      const result = verifyBlocks(evidence, { ...options_, start: position });
      if (!small) readNext();
      report.blocksChecked += result.blocksChecked;
      report.entriesChecked += result.entriesChecked;
      report.findings.push(
        ...result.findings,
        ...loaded.flatMap((l, i) => [
          ...l.findings,
          ...unlistedKeyCosigns(keyHistory, blocks[i]?.height ?? 0, l.evidence),
        ]),
      );
      if (access) {
        for (const [i, l] of loaded.entries()) {
          const first = (blocks[i]?.header as { first?: unknown } | undefined)?.first;
          access.observe(blocks[i]?.height ?? 0, typeof first === "number" ? first : 0, l.evidence.entries);
        }
      }
      if (blocks.length > 0) {
        const newest = blocks[blocks.length - 1] as RawBlock;
        if (newest.checkpoint !== undefined) report.checkpoint = newest.checkpoint;
        else delete report.checkpoint;
      }
      for (const b of blocks) {
        const header = b.header as { logSize?: unknown; logRoot?: unknown } | undefined;
        if (typeof header?.logSize === "number" && typeof header.logRoot === "string")
          ends.set(header.logSize, header.logRoot);
      }
      position = result.end;
      last = Math.min(h + CHUNK - 1, to);
      options.onProgress?.({ height: last, to, entriesChecked: report.entriesChecked });
    }
  } finally {
    answers = SignatureAnswers.NONE.verifyOr(here);
    if (!deps.signaturePool) await pool?.close();
  }
  report.to = Math.max(last, from - 1);
  if (access && !stopped && !options.recordAccess) report.findings.push(...access.finish());
  report.findings.push(...keyHistory.findings, ...unmetKeyRecords(keyHistory, from, met, report.to));
  // `position` is the whole log's state after block `to` (a partial audit starts from
  // the stored state before it), so its size is comparable with a checkpoint's.
  if (!stopped) {
    const reachedLatest = report.to === latest;
    if (options.trusted) checkTrusted(options.trusted, ends, position, reachedLatest, report.findings);
    if (options.published) {
      const published = checkPublished(
        deps,
        options.published,
        ends,
        position,
        reachedLatest,
        report.findings,
      );
      if (published) report.published = published;
    }
  }
  sortFindings(report.findings);
  report.ok = report.findings.length === 0;
  return {
    report,
    start,
    end: position,
    ends,
    ...(access ? { access } : {}),
    stopped,
    keyIndexFindings: keyHistory.findings,
  };
}

/**
 * By height, then entry index (findings of the whole block first), then code and entry id:
 * a total order, so a fan-out's joined findings are the one-run audit's, in its order.
 */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      (a.height ?? 0) - (b.height ?? 0) ||
      (a.entryIndex ?? -1) - (b.entryIndex ?? -1) ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
      ((a.entryId ?? "") < (b.entryId ?? "") ? -1 : (a.entryId ?? "") > (b.entryId ?? "") ? 1 : 0),
  );
}

function checkRange(from: number, to: number, latest: number): void {
  const details = { from, to, latestHeight: latest };
  const whole = 'leave out "from" and "to" to audit the whole chain';
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 1 || to < 1) {
    throw new AuditRangeError(`heights start at 1: from ${from} to ${to} is no range of the log`, details);
  }
  if (latest === 0) {
    throw new AuditRangeError(`the log has no blocks yet, so no height ${from}–${to} (${whole})`, details);
  }
  if (from > latest || to > latest) {
    const past = from > latest ? `from ${from}` : `to ${to}`;
    throw new AuditRangeError(
      `${past} is past the latest block: the log's height is ${latest}. Audit heights 1 to ` +
        `${latest} (leave out "to" to audit up to the latest block; ${whole})`,
      details,
    );
  }
  if (from > to) {
    throw new AuditRangeError(
      `from ${from} is after to ${to}: give from <= to (the log's height is ${latest})`,
      details,
    );
  }
}

/** Whose key records the audit reads: the members given, else every owner of a bundle key but the sealer. */
export function memberOwners(deps: Pick<AuditDeps, "keys" | "members">): string[] {
  const owners = deps.members ?? deps.keys.listKeys().flatMap((k) => (k.role === "sealer" ? [] : [k.owner]));
  return [...new Set(owners)].sort();
}

/** Hex root of a compact range known to be well formed (it came from CompactRange). */
function rangeRoot(suite: CryptoSuite, state: CompactRangeState): string {
  return toHex(CompactRange.fromState(suite, state).root());
}

/**
 * The published checkpoint: signed by the sealer, for a size and root the log has (as a
 * trusted checkpoint is: a published one the log no longer reaches is LOG_TRUNCATED, one
 * with another root LOG_REWRITTEN), and cosigned by the quorum of witnesses.
 */
export function checkPublished(
  deps: AuditDeps,
  published: NonNullable<AuditOptions["published"]>,
  ends: Map<number, string>,
  end: ChainPosition,
  reachedLatest: boolean,
  findings: Finding[],
): AuditReport["published"] {
  let state: TrustedState;
  try {
    state = openSealerCheckpoint(deps.suite, deps.keys, published.note, deps.log);
  } catch (e) {
    findings.push({
      code: "CHECKPOINT_INVALID",
      message: `the published checkpoint: ${(e as Error).message}`,
    });
    return undefined;
  }
  checkTrusted(state, ends, end, reachedLatest, findings, "the published checkpoint");
  if (!published.quorum) return { size: state.size, witnesses: 0, threshold: 0 };
  const quorum = checkWitnessQuorum(published.note, published.quorum.policy, published.quorum.verify);
  for (const f of quorum.findings) {
    findings.push({ code: f.code, message: `the published checkpoint: ${f.message}` });
  }
  return { size: state.size, witnesses: quorum.witnessed.length, threshold: quorum.threshold };
}

/**
 * A checkpoint the auditor already trusted (signed by the sealer, kept from an earlier
 * audit or co-signed by a witness) pins the log's past: the log now must reach its size,
 * and have its root there. This is what catches removal of the newest blocks, which
 * the chain alone cannot show.
 */
export function checkTrusted(
  trusted: TrustedState,
  ends: Map<number, string>,
  end: ChainPosition,
  reachedLatest: boolean,
  findings: Finding[],
  which = "a trusted checkpoint",
): void {
  const root = ends.get(trusted.size);
  if (root !== undefined) {
    if (root !== trusted.root) {
      findings.push({
        code: "LOG_REWRITTEN",
        expected: trusted.root,
        found: root,
        message: `at the size ${trusted.size} of ${which} the log has another root`,
      });
    }
    return;
  }
  if (reachedLatest && end.logRange.size < trusted.size) {
    findings.push({
      code: "LOG_TRUNCATED",
      expected: String(trusted.size),
      found: String(end.logRange.size),
      message: `the log has ${end.logRange.size} entries, fewer than the ${trusted.size} of ${which}`,
    });
  } else if (
    ends.size > 0 &&
    Math.min(...ends.keys()) < trusted.size &&
    trusted.size < Math.max(...ends.keys())
  ) {
    findings.push({
      code: "LOG_REWRITTEN",
      expected: String(trusted.size),
      message: `no block ends at the size ${trusted.size} of ${which}`,
    });
  }
}

export function startPosition(block: RawBlock): ChainPosition | undefined {
  try {
    if (typeof block.hash !== "string") return undefined;
    return {
      height: block.height,
      hash: block.hash,
      logRange: checkCompactRangeState(block.logRange as CompactRangeState),
    };
  } catch {
    return undefined;
  }
}

/**
 * The signature checks of an audit: the sealer's by the trust bundle, each department's
 * by the ledger's key history `ledger` (lib/crypto ledger-keys.ts; none given: the
 * bundle decides, and any key record met is KEY_HISTORY_MISMATCH). The ids of the key
 * records met are added to `met`. `verify` makes the cryptographic check of the key the
 * judge picks (default: node:crypto, on this thread).
 */
export function verifyOptions(
  deps: { keys: KeyDirectory; log: string; suite: CryptoSuite },
  ledger: LedgerKeys = noLedgerKeys(deps.suite),
  met?: Set<string>,
  verify?: KeySignatureCheck,
): VerifyBlocksOptions {
  const checked = new Map<string, EntrySignatureCheck>();
  return {
    suite: deps.suite,
    log: deps.log,
    verifyHeaderSignature: (message: Uint8Array, sig: HeaderSignature): SignatureCheck => {
      const key = deps.keys.getKey(sig.keyId);
      if (key?.role !== "sealer") return "unknown-key";
      return verifySignature(key, message, safeBase64(sig.value), deps.suite) ? "ok" : "invalid";
    },
    verifyEntrySignature: (envelope: EntryEnvelope, message: Uint8Array, signature: Uint8Array) => {
      // Key records, and the cosigns of key records the history was given.
      if (isKeyRecordType(envelope.type) || ledger.records.has(envelope.id)) met?.add(envelope.id);
      const memo = signatureCheckKey(envelope);
      const hit = checked.get(memo);
      if (hit) return hit;
      const result = checkEntrySignature(ledger, deps.keys, envelope, message, signature, verify);
      if (checked.size > 100_000) checked.clear();
      checked.set(memo, result);
      return result;
    },
    checkCheckpoint: (note, header) => {
      try {
        return checkpointProblem(deps.suite, deps.keys, note, header.log, header.logSize, header.logRoot);
      } catch (e) {
        return (e as Error).message;
      }
    },
  };
}

/**
 * Verifies a sealer-signed checkpoint note of a ledger of `suite`; returns its size and hex
 * root. Throws on any problem.
 */
export function openSealerCheckpoint(
  suite: SignatureSuite,
  keys: KeyDirectory,
  note: string,
  log: string,
): TrustedState {
  const sealers = keys.listKeys().filter((k) => k.role === "sealer");
  const checkpoint = openCheckpoint(
    note,
    sealers.map((sealer) => ({
      name: log,
      keyHash: noteKeyHashOf(log, sealer.alg, sealer.spki),
      verify: (message: Uint8Array, signature: Uint8Array) =>
        verifySignature(sealer, message, signature, suite),
    })),
    log,
  );
  return { size: checkpoint.size, root: toHex(checkpoint.rootHash) };
}

function checkpointProblem(
  suite: SignatureSuite,
  keys: KeyDirectory,
  note: string,
  log: string,
  size: number,
  root: string,
): string | undefined {
  const checkpoint = openSealerCheckpoint(suite, keys, note, log);
  if (checkpoint.size !== size || checkpoint.root !== root) {
    return `checkpoint is for size ${checkpoint.size} root ${checkpoint.root}, not this block's log`;
  }
  return undefined;
}

function safeBase64(text: string): Uint8Array {
  try {
    return fromBase64(text);
  } catch {
    return new Uint8Array(0);
  }
}
