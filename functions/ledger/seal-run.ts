import type { Clock } from "../../lib/clock.js";
import { METRICS } from "../../lib/metrics.js";
import type { SealResult } from "../../lib/protocol/entries.js";
import type { BatchStore } from "../store/ports.js";
import { log } from "../telemetry/log.js";
import { emitMetrics, type MetricValue, metricsEnabled, metricValue } from "../telemetry/metrics.js";

/**
 * One invocation of the seal-block function. EventBridge's finest rate is one minute,
 * so to cut the time from submit to sealed the function may keep sealing on a shorter
 * interval within one invocation (ZHIXIN_SEAL_LOOP_SECONDS) — fixed rate: each seal is
 * due one interval after the previous one started, or at once after a seal that left
 * more pending than its block could hold. A seal starts only if, expecting it
 * to take as long as the longest seal so far,
 *   - at least `spareMs` (10 s) of the invocation's time remains after it, and
 *   - it ends within `budgetMs` (50 s) of the first seal's start,
 * so an invocation on a one-minute schedule is over before the next one is due
 * (reserved concurrency 1 would throttle the overlap).
 *
 * The loop also stops at the first seal that finds nothing pending: an idle ledger costs
 * one short invocation per schedule tick, not a Lambda sleeping through every minute
 * (issue 15; docs/COST.md). What arrives later wakes the sealer again: on AWS the
 * table's stream invokes it on every committed batch (cdk/lib/seal-trigger.ts), and the
 * schedule remains the backstop. Under load every seal finds something, so the loop
 * runs as before and submit→sealed stays within about one interval.
 */

export interface SealLoopOptions {
  /** Milliseconds between seal starts; > 0. */
  intervalMs: number;
  /** Milliseconds left in the invocation (Lambda's context.getRemainingTimeInMillis). */
  remainingMs: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds on a clock shared with `sleep` (Date.now). */
  now: () => number;
  /** Default 10 000. */
  spareMs?: number;
  /** Default 50 000. */
  budgetMs?: number;
}

export const SEAL_LOOP_SPARE_MS = 10_000;
export const SEAL_LOOP_BUDGET_MS = 50_000;

/**
 * Calls `seal` once, then again every `intervalMs` while the limits above allow and
 * each seal found something pending.
 * `onSeal` sees each result as it comes, so a seal that throws after others still
 * leaves them reported; the error propagates (the invocation counts as an error).
 */
export async function sealRepeatedly(
  seal: () => Promise<SealResult>,
  options: SealLoopOptions,
  onSeal: (result: SealResult) => void = () => {},
): Promise<SealResult[]> {
  const { intervalMs, remainingMs, sleep, now } = options;
  const spareMs = options.spareMs ?? SEAL_LOOP_SPARE_MS;
  const budgetMs = options.budgetMs ?? SEAL_LOOP_BUDGET_MS;
  if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${intervalMs}`);
  const results: SealResult[] = [];
  const first = now();
  let started = first;
  let longest = 0;
  for (;;) {
    const result = await seal();
    const ended = now();
    longest = Math.max(longest, ended - started);
    results.push(result);
    onSeal(result);
    if (!result.sealed && result.reason === "nothing-pending") return results;
    // A full block (`more`) means a backlog: the next seal starts at once, so the loop's
    // capacity is blocks per second of sealing, not one block per interval.
    const next = result.sealed && result.more ? ended : Math.max(started + intervalMs, ended);
    const wait = next - ended;
    if (next + longest - first > budgetMs || remainingMs() - wait - longest < spareMs) return results;
    if (wait > 0) await sleep(wait);
    started = now();
  }
}

export interface SealRunDeps {
  seal: () => Promise<SealResult>;
  /** Given: seal repeatedly (sealRepeatedly). Absent: seal once. */
  loop?: SealLoopOptions;
  /** Sees each result as it comes. */
  onSeal?: (result: SealResult) => void;
  /** Runs once after sealing, also after a failed seal, with the seals that completed. */
  after?: (seals: readonly SealResult[]) => Promise<void>;
}

/**
 * Seals once — returning that SealResult, the shape local mode and `zhixin seal` show —
 * or, with `loop`, repeatedly, returning a SealRunSummary.
 */
export async function runSealer(deps: SealRunDeps): Promise<SealResult | SealRunSummary> {
  const seals: SealResult[] = [];
  const onSeal = (result: SealResult) => {
    seals.push(result);
    deps.onSeal?.(result);
  };
  try {
    if (deps.loop) await sealRepeatedly(deps.seal, deps.loop, onSeal);
    else onSeal(await deps.seal());
  } finally {
    await deps.after?.(seals);
  }
  return deps.loop ? summarizeSeals(seals) : (seals[0] as SealResult);
}

/** What a looping invocation returns. */
export interface SealRunSummary {
  /** Blocks committed by this invocation. */
  blocks: number;
  /** Entries in them. */
  entries: number;
  /** Height of the latest block seen. */
  height: number;
  seals: SealResult[];
}

export function summarizeSeals(seals: readonly SealResult[]): SealRunSummary {
  const committed = seals.filter((s) => s.sealed);
  return {
    blocks: committed.length,
    entries: sealedEntries(seals),
    height: Math.max(0, ...seals.map((s) => s.height)),
    seals: [...seals],
  };
}

export function sealedEntries(seals: readonly SealResult[]): number {
  return seals.reduce((n, s) => n + (s.sealed ? s.entries : 0), 0);
}

/**
 * Whole seconds since the oldest batch still listed as pending was received; 0 when none.
 * The pending index may be stale by a moment (a batch just sealed may still be listed),
 * which only makes the figure err towards older — the safe side for an alarm.
 */
export async function oldestPendingAgeSeconds(store: Pick<BatchStore, "listPendingBatches">, clock: Clock) {
  const [oldest] = await store.listPendingBatches(1);
  if (!oldest) return 0;
  return Math.max(0, Math.floor((clock.now().getTime() - Date.parse(oldest.receivedAt)) / 1000));
}

/** `oldestPendingAge` undefined: unknown (the query failed), and left out. */
export function sealMetrics(
  seals: readonly SealResult[],
  oldestPendingAge: number | undefined,
): MetricValue[] {
  const witnessed = lastWitnessed(seals);
  return [
    metricValue(METRICS.entriesSealed, sealedEntries(seals)),
    ...(oldestPendingAge === undefined ? [] : [metricValue(METRICS.oldestPendingAge, oldestPendingAge)]),
    ...(witnessed === undefined ? [] : [metricValue(METRICS.checkpointWitnesses, witnessed)]),
  ];
}

/** How many witnesses cosigned the last checkpoint these seals published; undefined when none were asked. */
function lastWitnessed(seals: readonly SealResult[]): number | undefined {
  for (let i = seals.length - 1; i >= 0; i--) {
    const tiles = seals[i]?.tiles;
    if (tiles && "witnesses" in tiles && tiles.witnesses)
      return tiles.witnesses.filter((w) => w.cosigned).length;
  }
  return undefined;
}

/**
 * Emits seal-block's metrics (lib/metrics.ts) when metrics are enabled; the pending-age
 * query runs only then. Never throws: a failure is logged, so that it cannot hide the
 * outcome of the seals themselves.
 */
export async function publishSealMetrics(
  deps: { store: Pick<BatchStore, "listPendingBatches">; clock: Clock; consortium: string },
  seals: readonly SealResult[],
): Promise<void> {
  if (!metricsEnabled()) return;
  let age: number | undefined;
  try {
    age = await oldestPendingAgeSeconds(deps.store, deps.clock);
  } catch (e) {
    log("ERROR", "cannot read the oldest pending batch", { error: errorFields(e) });
  }
  try {
    emitMetrics(deps.consortium, sealMetrics(seals, age));
  } catch (e) {
    log("ERROR", "cannot emit seal metrics", { error: errorFields(e) });
  }
}

const errorFields = (e: unknown) =>
  e instanceof Error ? { name: e.name, message: e.message } : { message: String(e) };
