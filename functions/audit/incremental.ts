import { type ChainPosition, type Finding, GENESIS_POSITION } from "#chain";
import type { AuditReport } from "../../lib/protocol/audit.js";
import { type AuditDeps, type AuditOptions, auditChainRun, sortFindings } from "./audit.js";
import {
  AUDIT_STATE_FORMAT,
  type AuditState,
  type AuditStateStore,
  parseAuditState,
  positionOf,
  STATE_KEY,
} from "./audit-state.js";

/**
 * The incremental audit (issue 15): each run audits only the blocks sealed since the last
 * run, from the audit's own state (./audit-state.ts), so no run outgrows one invocation.
 *
 *   1. Load the state: the last block a run verified with everything before it (its
 *      height, hash, compact range and sealer-signed checkpoint), and the contract records
 *      seen so far. No state: start at genesis — a full audit, spread over as many runs as
 *      it takes. A state that does not hold together: AUDIT_STATE_INVALID, no audit.
 *   2. Hold the log to it: the log must still reach its height (else LOG_TRUNCATED) and
 *      have the same block there (else LOG_REWRITTEN) — the removal of the newest blocks
 *      that a chain audit without a trusted checkpoint cannot see.
 *   3. Audit from height+1 to the latest block, starting from the state's own hash and
 *      compact range (not the stored block's): the new blocks must link to the block the
 *      state verified, and their log roots grow from its range — the new log extends the
 *      trusted checkpoint.
 *   4. Save the new state only when the run has no findings; with findings the old state
 *      stays, so the next run meets them again until someone acts.
 *
 * Resumable: with `stop` (the verify function's remaining time), a run ends at a block
 * boundary, saves its progress (when clean) and answers `complete: false`; the next run
 * goes on from there (the audit's state machine invokes again at once, cdk/lib/audit.ts).
 */

export interface IncrementalReport extends AuditReport {
  mode: "incremental";
  /** The state's height the run started after (0: no state, from genesis). */
  resumedFrom: number;
  /** The log's latest height when the run started. */
  latestHeight: number;
  /** The run reached the latest block; false: it stopped in time, run again to go on. */
  complete: boolean;
  /** The height of the state the run saved; absent when it kept the old one (findings, or nothing new). */
  stateSaved?: number;
}

export interface IncrementalOptions {
  /** The published checkpoint to check when the run reaches the latest block (as auditChain's). */
  published?: AuditOptions["published"];
  /** Asked between chunks of blocks: true ends the run there (./incremental.ts stopInTime). */
  stop?: () => boolean;
  now: () => Date;
}

export async function auditIncrementally(
  deps: AuditDeps,
  store: AuditStateStore,
  options: IncrementalOptions,
): Promise<IncrementalReport> {
  const bytes = await store.get(STATE_KEY);
  const state = bytes === undefined ? undefined : parseAuditState(deps.suite, bytes, deps.keys, deps.log);
  const latest = await deps.source.latestHeight();
  const position: ChainPosition = state ? positionOf(state) : GENESIS_POSITION;
  const held = state ? await holdToState(deps, state, latest) : [];
  const run = await auditChainRun(deps, {
    start: { position, access: state?.access ?? { contracts: [], deferred: [] } },
    ...(options.published ? { published: options.published } : {}),
    ...(options.stop ? { stop: options.stop } : {}),
  });
  const findings = sortFindings([...held, ...run.report.findings]);
  const report: IncrementalReport = {
    ...run.report,
    ok: findings.length === 0,
    findings,
    mode: "incremental",
    resumedFrom: position.height,
    latestHeight: latest,
    complete: !run.stopped,
  };
  if (report.ok && run.end.height > position.height) {
    if (report.checkpoint === undefined) {
      // Every sealed block carries its checkpoint (functions/ledger/sealer.ts); without one
      // the state would hold nothing the sealer signed.
      report.findings.push({
        code: "CHECKPOINT_INVALID",
        height: run.end.height,
        message: `block ${run.end.height} has no checkpoint, so the audit cannot keep it as its trusted state`,
      });
      report.ok = false;
      return report;
    }
    const next: AuditState = {
      format: AUDIT_STATE_FORMAT,
      log: deps.log,
      height: run.end.height,
      hash: run.end.hash,
      logRange: run.end.logRange,
      checkpoint: report.checkpoint,
      access: run.access?.state() ?? { contracts: [], deferred: [] },
      caughtUp: !run.stopped,
      savedAt: options.now().toISOString(),
    };
    await store.put(STATE_KEY, new TextEncoder().encode(JSON.stringify(next)));
    report.stateSaved = next.height;
  }
  return report;
}

/** LOG_TRUNCATED or LOG_REWRITTEN when the log no longer holds the block the state verified. */
async function holdToState(deps: AuditDeps, state: AuditState, latest: number): Promise<Finding[]> {
  if (latest < state.height) {
    return [
      {
        code: "LOG_TRUNCATED",
        height: state.height,
        expected: String(state.height),
        found: String(latest),
        message:
          `the log's latest block is ${latest}, but the audit verified blocks up to ${state.height} ` +
          `(log size ${state.logRange.size}) before: newest blocks were removed`,
      },
    ];
  }
  const stored = (await deps.source.listRawBlocks(state.height, state.height))[0];
  if (stored?.hash !== state.hash) {
    return [
      {
        code: "LOG_REWRITTEN",
        height: state.height,
        expected: state.hash,
        found: typeof stored?.hash === "string" ? stored.hash : "(no block)",
        message: `block ${state.height}, where the last audit ended, is not the block it verified`,
      },
    ];
  }
  return [];
}

/**
 * A `stop` for a run with a deadline: true once the time left is less than twice the
 * longest chunk so far plus `reserveMs` (for saving the state and answering), so a run
 * stops at a block boundary before Lambda's timeout rather than being cut off without a
 * word. `remainingMs` is the invocation's (context.getRemainingTimeInMillis); `nowMs` a clock.
 */
export function stopInTime(
  remainingMs: () => number,
  nowMs: () => number,
  reserveMs = 30_000,
): () => boolean {
  let last = nowMs();
  let longest = 0;
  return () => {
    const now = nowMs();
    longest = Math.max(longest, now - last);
    last = now;
    return remainingMs() < reserveMs + 2 * longest;
  };
}
