import type { StoredBlock } from "../../functions/store/ports.js";
import { fmt, median, out, percentile, rate, row } from "../support/report.js";
import { sealedBatchKeys } from "../support/seal-markers.js";
import { BATCH_RECORDS, POLL_MS, SEAL_INTERVAL_MS, SIZES } from "./settings.js";
import { type RunningNode, submitBatch } from "./workload.js";

/** Phase 5 of the ledger benchmark: submit-to-sealed latency under load. */

/** Submits 100-record batches at `recordsPerSecond` for the window; returns the median latency (ms). */
export async function latency(node: RunningNode, recordsPerSecond: number, load: number): Promise<number> {
  const gapMs = (1000 * BATCH_RECORDS) / recordsPerSecond;
  const count = Math.max(1, Math.floor(SIZES.latencyWindowMs / gapMs));
  const firstHeight = ((await node.store.getLatestBlock())?.header.height ?? 0) + 1;
  out(
    `  ${load} × batched throughput: a ${BATCH_RECORDS}-record batch every ${fmt(gapMs)} ms ` +
      `(${fmt(recordsPerSecond)} records/s), ${count} batches`,
  );

  const pending = new Map<string, number>();
  const latencies: number[] = [];
  const submitTimes: number[] = [];
  let sending = true;
  const deadline = performance.now() + SIZES.latencyWindowMs + 60_000;

  // Polls the batch items (their seal marker only) until every submitted batch is sealed.
  const poller = (async () => {
    while ((sending || pending.size > 0) && performance.now() < deadline) {
      const sealed = await sealedBatchKeys(node.client, node.ready.table, [...pending.keys()].slice(0, 100));
      const seenAt = performance.now();
      for (const key of sealed) {
        const sentAt = pending.get(key);
        if (sentAt === undefined) continue;
        latencies.push(seenAt - sentAt);
        pending.delete(key);
      }
      await sleep(POLL_MS);
    }
  })();

  const t0 = performance.now();
  const sends: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const wait = t0 + i * gapMs - performance.now();
    if (wait > 0) await sleep(wait);
    sends.push(
      (async () => {
        const sentAt = performance.now();
        const key = await submitBatch(node, i, BATCH_RECORDS);
        submitTimes.push(performance.now() - sentAt);
        pending.set(key, sentAt);
      })(),
    );
  }
  await Promise.all(sends);
  const sendSeconds = (performance.now() - t0) / 1000;
  sending = false;
  await poller;
  if (pending.size > 0) throw new Error(`${pending.size} batches were not sealed within the deadline`);

  const blocks = await node.store.listBlocks(firstHeight, Number.MAX_SAFE_INTEGER);
  const gaps = blocks.slice(1).map((b, i) => sealedGap(blocks[i] as StoredBlock, b));
  const med = median(latencies);
  const p95 = percentile(latencies, 0.95);
  row(
    "    achieved load",
    rate((count * BATCH_RECORDS) / sendSeconds, "records/s"),
    `submit answered in ${fmt(median(submitTimes))} ms median, ${fmt(percentile(submitTimes, 0.95))} ms p95`,
  );
  row(
    "    blocks sealed",
    `${blocks.length}`,
    `median ${fmt(median(blocks.map((b) => b.header.count)))} entries, ` +
      (gaps.length > 0
        ? `${fmt(median(gaps))} ms between seals (≈ ${fmt(median(gaps) - SEAL_INTERVAL_MS)} ms of sealing each)`
        : ""),
  );
  row("    submit → sealed, median", `${fmt(med)} ms`, `${(med / SEAL_INTERVAL_MS).toFixed(2)} intervals`);
  row("    submit → sealed, p95", `${fmt(p95)} ms`, `${(p95 / SEAL_INTERVAL_MS).toFixed(2)} intervals`);
  row(
    "    submit → sealed, max",
    `${fmt(Math.max(...latencies))} ms`,
    `seal markers polled every ${POLL_MS} ms`,
  );
  return med;
}

function sealedGap(a: StoredBlock, b: StoredBlock): number {
  return Date.parse(b.header.sealedAt) - Date.parse(a.header.sealedAt);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
