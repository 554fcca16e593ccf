import {
  type ChainPosition,
  checkCompactRangeState,
  type Finding,
  GENESIS_POSITION,
  type KeySignatureCheck,
} from "#chain";
import type { AuditReport } from "../../lib/protocol/audit.js";
import type { WitnessPolicy } from "../../lib/witness/index.js";
import type { AuditSource } from "../store/ports.js";
import {
  type AuditDeps,
  type AuditRun,
  auditChainRun,
  checkPublished,
  openSealerCheckpoint,
  sortFindings,
} from "./audit.js";
import { AccessAudit, type AccessItem } from "./audit-access.js";
import type { AuditStateStore } from "./audit-state.js";

/**
 * The full re-audit, fanned out (issue 15): the chain split into height ranges, each
 * audited on its own (in parallel: a Step Functions Distributed Map, cdk/lib/audit.ts),
 * then joined into the report the one-run audit (auditChain from height 1, ./audit.ts)
 * gives — finding for finding — however long the chain.
 *
 *   plan   `planFanOut`: the latest height (`through`), the published checkpoint, and
 *          ranges of at most `chunkBlocks` blocks and about `chunkEntries` entries, each
 *          starting on the one-run audit's 32-block grid (so an ENTRY_DUPLICATE, checked
 *          within each 32 blocks read together, is judged over the same blocks).
 *   chunk  `auditFanOutChunk`: one range, from the stored state of the block before it,
 *          with the key history up to `through`; its findings, the chain state it started
 *          from and ended at, and what the answers' check saw, kept in the store.
 *   join   `joinFanOut`: the ranges must run on from 1 to `through`; each chunk's start
 *          must be the state the chunk before it computed (its last block's hash, its
 *          compact range) — where it is not, the stored block between them was tampered
 *          with, and the chunk is audited again from the computed state, as the one-run
 *          audit would have; then the answers' check over every chunk's items in chain
 *          order, and the published checkpoint.
 *
 * The plan and the chunks' results are kept in the audit's own store (./audit-state.ts),
 * under fan-out/<run>/, so each step passes only small payloads.
 */

export const CHUNK_GRID = 32;

export interface FanOutLimits {
  /** Most blocks in one range (rounded down to the grid, at least 32). */
  chunkBlocks: number;
  /** About this many entries in one range (a range holds at least 32 blocks whatever their size). */
  chunkEntries: number;
}

/**
 * Defaults sized for the verify function's 15 minutes at the measured 1.5–3.6k entries/s:
 * 600,000 entries take 3–7 minutes.
 */
export const FAN_OUT_LIMITS: FanOutLimits = { chunkBlocks: 10_240, chunkEntries: 600_000 };

export interface FanOutPlan {
  format: "zhixin-audit-plan/1";
  run: string;
  through: number;
  /** The published checkpoint read when the plan was made, checked by the join. */
  published?: string;
  /** The log size of the published checkpoint: each chunk keeps the root at it. */
  sizes: number[];
  chunks: Array<{ from: number; to: number }>;
}

export interface FanOutChunk {
  format: "zhixin-audit-chunk/1";
  from: number;
  to: number;
  start: ChainPosition;
  end: ChainPosition;
  blocksChecked: number;
  entriesChecked: number;
  /** Without the key index's own findings, which the join takes once. */
  findings: Finding[];
  keyIndexFindings: Finding[];
  checkpoint?: string;
  /** logSize → logRoot at the plan's sizes, and at the chunk's start and end. */
  roots: Array<[number, string]>;
  access: AccessItem[];
}

const planKey = (run: string) => `fan-out/${run}/plan.json`;
const chunkKey = (run: string, from: number) => `fan-out/${run}/chunk-${from}.json`;

/** A Step Functions execution name, or any id of the same alphabet. */
const RUN_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** Splits heights 1..latest into ranges and keeps the plan under fan-out/<run>/. */
export async function planFanOut(
  deps: {
    source: Pick<AuditSource, "latestHeight" | "listRawBlocks">;
    keys: AuditDeps["keys"];
    log: string;
    suite: AuditDeps["suite"];
  },
  store: AuditStateStore,
  run: string,
  limits: FanOutLimits,
  published: string | undefined,
): Promise<FanOutPlan> {
  if (!RUN_ID.test(run)) throw new Error(`fan-out run id ${JSON.stringify(run)}: 1–80 of A-Z a-z 0-9 _ -`);
  const through = await deps.source.latestHeight();
  const maxBlocks = Math.max(CHUNK_GRID, limits.chunkBlocks - (limits.chunkBlocks % CHUNK_GRID));
  const sizeAt = async (height: number): Promise<number | undefined> => {
    if (height === 0) return 0;
    const header = (await deps.source.listRawBlocks(height, height))[0]?.header as { logSize?: unknown };
    return typeof header?.logSize === "number" ? header.logSize : undefined;
  };
  const chunks: FanOutPlan["chunks"] = [];
  for (let from = 1; from <= through; ) {
    const base = await sizeAt(from - 1);
    const fits = async (to: number) => {
      const size = await sizeAt(to);
      // An unreadable header is the chunk's finding to report; here it only sizes ranges.
      return base === undefined || size === undefined || size - base <= limits.chunkEntries;
    };
    // The most grid steps (of 32 blocks) that fit, by bisection: ranges grow with the log.
    let lo = 1;
    let hi = Math.ceil(Math.min(maxBlocks, through - from + 1) / CHUNK_GRID);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (await fits(Math.min(from + mid * CHUNK_GRID - 1, through))) lo = mid;
      else hi = mid - 1;
    }
    const to = Math.min(from + lo * CHUNK_GRID - 1, through);
    chunks.push({ from, to });
    from = to + 1;
  }
  let sizes: number[] = [];
  if (published !== undefined) {
    try {
      sizes = [openSealerCheckpoint(deps.suite, deps.keys, published, deps.log).size];
    } catch {
      // CHECKPOINT_INVALID, which the join reports.
    }
  }
  const plan: FanOutPlan = {
    format: "zhixin-audit-plan/1",
    run,
    through,
    ...(published !== undefined ? { published } : {}),
    sizes,
    chunks,
  };
  await putJson(store, planKey(run), plan);
  return plan;
}

/** Audits one range of the plan and keeps its result; answers a summary for the state machine. */
export async function auditFanOutChunk(
  deps: AuditDeps,
  store: AuditStateStore,
  run: string,
  range: { from: number; to: number },
): Promise<{ from: number; to: number; findings: number }> {
  const plan = await loadPlan(store, run);
  if (!plan.chunks.some((c) => c.from === range.from && c.to === range.to)) {
    throw new Error(`fan-out ${run} has no range ${range.from}–${range.to}: take the ranges its plan lists`);
  }
  const result = chunkOf(
    await auditChainRun(deps, {
      from: range.from,
      to: range.to,
      keyHistoryTo: plan.through,
      recordAccess: true,
    }),
    plan.sizes,
  );
  await putJson(store, chunkKey(run, range.from), result);
  return { from: range.from, to: range.to, findings: result.findings.length };
}

export interface FanOutReport extends AuditReport {
  mode: "fan-out";
  run: string;
  chunks: number;
  /** First heights of the chunks audited again by the join, from the state the chunk before computed. */
  relinked: number[];
}

/** Joins the chunks' results into the one-run audit's report (see above). */
export async function joinFanOut(
  deps: AuditDeps,
  store: AuditStateStore,
  run: string,
  quorum?: { policy: WitnessPolicy; verify: KeySignatureCheck },
): Promise<FanOutReport> {
  const plan = await loadPlan(store, run);
  const chunks: FanOutChunk[] = [];
  for (const c of plan.chunks) {
    const got = await getJson<FanOutChunk>(store, chunkKey(run, c.from));
    if (got?.format !== "zhixin-audit-chunk/1" || got.from !== c.from || got.to !== c.to) {
      throw new Error(
        `fan-out ${run}: the result of range ${c.from}–${c.to} is missing; audit that range again`,
      );
    }
    chunks.push(got);
  }
  const relinked: number[] = [];
  let previous: ChainPosition = GENESIS_POSITION;
  for (const [i, chunk] of chunks.entries()) {
    if (!samePosition(chunk.start, previous)) {
      // The stored block before this range is not the one the range before computed: audit
      // the range again from the computed state, as the one-run audit goes on.
      chunks[i] = chunkOf(
        await auditChainRun(deps, {
          start: { position: previous },
          to: chunk.to,
          keyHistoryTo: plan.through,
          recordAccess: true,
        }),
        plan.sizes,
      );
      relinked.push(chunk.from);
    }
    previous = (chunks[i] as FanOutChunk).end;
  }
  const findings = chunks.flatMap((c) => c.findings);
  findings.push(...(chunks[0]?.keyIndexFindings ?? []));
  const access = new AccessAudit(deps.suite);
  for (const c of chunks) for (const item of c.access) access.take(item);
  findings.push(...access.finish());
  const ends = new Map(chunks.flatMap((c) => c.roots));
  const report: FanOutReport = {
    ok: true,
    blocksChecked: chunks.reduce((n, c) => n + c.blocksChecked, 0),
    entriesChecked: chunks.reduce((n, c) => n + c.entriesChecked, 0),
    findings,
    from: 1,
    to: plan.through,
    mode: "fan-out",
    run,
    chunks: chunks.length,
    relinked,
  };
  const checkpoint = chunks[chunks.length - 1]?.checkpoint;
  if (checkpoint !== undefined) report.checkpoint = checkpoint;
  if (plan.published !== undefined) {
    const published = checkPublished(
      deps,
      { note: plan.published, ...(quorum ? { quorum } : {}) },
      ends,
      previous,
      true,
      findings,
    );
    if (published) report.published = published;
  }
  sortFindings(findings);
  report.ok = findings.length === 0;
  return report;
}

function chunkOf(run: AuditRun, sizes: readonly number[]): FanOutChunk {
  const keyIndex = new Set(run.keyIndexFindings);
  const wanted = new Set([...sizes, run.start.logRange.size, run.end.logRange.size]);
  const chunk: FanOutChunk = {
    format: "zhixin-audit-chunk/1",
    from: run.report.from,
    to: run.report.to,
    start: run.start,
    end: run.end,
    blocksChecked: run.report.blocksChecked,
    entriesChecked: run.report.entriesChecked,
    findings: run.report.findings.filter((f) => !keyIndex.has(f)),
    keyIndexFindings: [...run.keyIndexFindings],
    roots: [...run.ends].filter(([size]) => wanted.has(size)),
    access: run.access?.items() ?? [],
  };
  if (run.report.checkpoint !== undefined) chunk.checkpoint = run.report.checkpoint;
  return chunk;
}

function samePosition(a: ChainPosition, b: ChainPosition): boolean {
  return (
    a.height === b.height &&
    a.hash === b.hash &&
    a.logRange.size === b.logRange.size &&
    a.logRange.hashes.length === b.logRange.hashes.length &&
    a.logRange.hashes.every((h, i) => h === b.logRange.hashes[i]) &&
    // A range that does not rebuild is never the state a chunk computed.
    wellFormed(a)
  );
}

function wellFormed(p: ChainPosition): boolean {
  try {
    checkCompactRangeState(p.logRange);
    return true;
  } catch {
    return false;
  }
}

async function loadPlan(store: AuditStateStore, run: string): Promise<FanOutPlan> {
  if (!RUN_ID.test(run)) throw new Error(`fan-out run id ${JSON.stringify(run)}: 1–80 of A-Z a-z 0-9 _ -`);
  const plan = await getJson<FanOutPlan>(store, planKey(run));
  if (plan?.format !== "zhixin-audit-plan/1")
    throw new Error(`fan-out ${run} has no plan: start it with a plan step`);
  return plan;
}

async function putJson(store: AuditStateStore, key: string, value: unknown): Promise<void> {
  await store.put(key, new TextEncoder().encode(JSON.stringify(value)));
}

async function getJson<T>(store: AuditStateStore, key: string): Promise<T | undefined> {
  const bytes = await store.get(key);
  return bytes === undefined ? undefined : (JSON.parse(new TextDecoder().decode(bytes)) as T);
}
