/**
 * How the consortium benches (bench/ledger.ts, bench/match.ts) print: a section's rows
 * as label, figure and note in fixed columns, figures to three significant digits or so,
 * and the nearest-rank percentiles of their latencies.
 */

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** `  label (40 wide)   value (20 wide, right-aligned)   note`. */
export function row(label: string, value: string, note = ""): void {
  out(`  ${label.padEnd(40)} ${value.padStart(20)}   ${note}`);
}

/** 1,234 from 100 up; 12.3 from 10; 1.23 below. */
export function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString("en-US");
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** A count, with thousands separators. */
export function int(n: number): string {
  return n.toLocaleString("en-US");
}

export function rate(n: number, unit: string): string {
  return `${fmt(n)} ${unit}`;
}

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** Nearest-rank percentile; requires a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) throw new RangeError("percentile of nothing");
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}
