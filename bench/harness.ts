import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";

/**
 * Shared pieces of `npm run bench`: the module contract, timing, seeded inputs and the
 * table printer. bench/index.ts runs every bench/*.ts that exports `bench`; files that
 * do not are helpers.
 */
export interface BenchModule {
  /** Shown in the output; by convention the file name (`npm run bench -- <filter>` matches file names). */
  name: string;
  description: string;
  run(): void | Promise<void>;
}

/** `--quick` among the arguments, or BENCH_QUICK=1: benches that have smaller sizes run those. */
export const QUICK = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";

export interface Timing {
  /** Wall-clock milliseconds of each measured repetition, in run order. */
  samples: number[];
  median: number;
  min: number;
  max: number;
  /**
   * Median process CPU time (user + system, all threads) of the repetitions, in ms. On a
   * machine shared with other work, wall time also counts the time this process waited
   * for a core; CPU time does not (but does include V8's background GC threads).
   */
  cpuMedian: number;
}

function medianOf(xs: readonly number[]): number {
  const sorted = xs.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Runs `fn` `warmup` times unmeasured (JIT, inline caches, lazily built tables), then
 * `reps` times measured; reports the median so that one GC pause or scheduler hiccup
 * does not move the figure.
 */
export function measure(
  fn: () => void,
  { warmup = 1, reps = 5 }: { warmup?: number; reps?: number } = {},
): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return {
    samples,
    median: medianOf(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    cpuMedian: medianOf(cpu),
  };
}

/** splitmix32: a tiny seeded generator, so every run hashes the same bytes. */
export function seededBytes(seed: number, count: number, size: number): Uint8Array[] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return Array.from({ length: count }, () => {
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i += 4) {
      const word = next();
      for (let j = 0; j < 4 && i + j < size; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
    }
    return out;
  });
}

export function packageVersion(name: string): string {
  try {
    const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function machineSummary(): string[] {
  const cpu = cpus();
  return [
    `Node ${process.version} (V8 ${process.versions.v8}), ${process.platform}/${process.arch}`,
    `CPU: ${cpu[0]?.model ?? "unknown"} × ${cpu.length} logical cores`,
    `Load average at start (1/5/15 min): ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" / ")}`,
  ];
}

export interface Row {
  name: string;
  timing: Timing;
  /** Operations done by one repetition, for the per-op and per-second columns. */
  ops: number;
  opName: string;
  note?: string;
}

function formatMs(ms: number): string {
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

function formatPerOp(ms: number): string {
  const us = ms * 1000;
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  if (us >= 10) return `${us.toFixed(1)} µs`;
  return `${us.toFixed(2)} µs`;
}

function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k`;
  return perSecond.toFixed(1);
}

export function printTable(rows: readonly Row[]): void {
  const header = ["measurement", "median", "min … max", "CPU median", "per op", "ops/s", "note"];
  const body = rows.map((r) => [
    r.name,
    formatMs(r.timing.median),
    `${formatMs(r.timing.min)} … ${formatMs(r.timing.max)}`,
    formatMs(r.timing.cpuMedian),
    `${formatPerOp(r.timing.median / r.ops)}/${r.opName}`,
    formatRate((r.ops * 1000) / r.timing.median),
    r.note ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of body) console.log(line(row));
}
