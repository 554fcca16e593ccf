import { readFileSync } from "node:fs";
import { pool } from "../support/pool.js";
import { fmt, percentile, row } from "../support/report.js";
import type { RunningNode } from "./node.js";
import { type Certificate, CONCURRENCY } from "./settings.js";

/** Timing the match benchmark's runs: wall clock, latencies, and both processes' CPU. */

export interface Timed {
  count: number;
  seconds: number;
  latencies: number[];
  /** CPU time of the consortium process during the run (undefined where /proc is not there). */
  serverCpuMs: number | undefined;
  /** CPU time of this process during the run. */
  clientCpuMs: number;
}

/** Runs `count` tasks, CONCURRENCY in flight, timing each and both processes' CPU. */
export async function timed(
  node: RunningNode,
  count: number,
  task: (i: number) => Promise<void>,
): Promise<Timed> {
  const latencies: number[] = [];
  const server = processCpuMs(node.pid);
  const client = process.cpuUsage();
  const t0 = performance.now();
  await pool(count, CONCURRENCY, async (i) => {
    const start = performance.now();
    await task(i);
    latencies.push(performance.now() - start);
  });
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(client);
  const serverAfter = processCpuMs(node.pid);
  return {
    count,
    seconds,
    latencies,
    serverCpuMs: server === undefined || serverAfter === undefined ? undefined : serverAfter - server,
    clientCpuMs: (used.user + used.system) / 1000,
  };
}

/**
 * User + system CPU of a process, all its threads (LevelDB's work runs on libuv's pool),
 * from /proc/<pid>/stat in clock ticks of 10 ms (USER_HZ is 100 on Linux); undefined elsewhere.
 */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat(5), counted from the state (field 3) after the command name.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** getPayload of the certificates' payload items, spread over them, CONCURRENCY in flight. */
export function readPayloads(
  node: RunningNode,
  certificates: readonly Certificate[],
  count: number,
): Promise<Timed> {
  return timed(node, count, async (i) => {
    const c = certificates[(i * 7919) % certificates.length] as Certificate;
    if (!(await node.store.getPayload(c.entryId))) throw new Error(`payload ${c.entryId} is missing`);
  });
}

export function perOp(t: Timed, what: "serverCpuMs" | "clientCpuMs"): number {
  return (t[what] ?? Number.NaN) / t.count;
}

export function latencyRow(t: Timed, note = ""): void {
  row(
    "  latency p50 / p95",
    `${fmt(percentile(t.latencies, 0.5))} / ${fmt(percentile(t.latencies, 0.95))} ms`,
    `max ${fmt(Math.max(...t.latencies))} ms${note ? `; ${note}` : ""}`,
  );
}

/** CPU of both processes per operation, ms. */
export function cpuPerOp(t: Timed): number {
  return perOp(t, "serverCpuMs") + perOp(t, "clientCpuMs");
}

export function cpuRows(t: Timed, op: string): void {
  const server = t.serverCpuMs === undefined ? "n/a" : fmt(perOp(t, "serverCpuMs"));
  row(
    `  CPU per ${op}: consortium + this process`,
    `${server} + ${fmt(perOp(t, "clientCpuMs"))} ms`,
    "user + system, all threads; the consortium's from /proc, in 10 ms ticks",
  );
}
