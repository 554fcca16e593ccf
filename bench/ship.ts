import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { INTL } from "#chain";
import { newNonce, ZhixinClient } from "../cli/client.js";
import { DEFAULT_LIMITS } from "../cli/ship/batcher.js";
import { DEFAULT_RETRY } from "../cli/ship/deliver.js";
import { Journal } from "../cli/ship/journal.js";
import { type ShipInput, type ShipSummary, ship } from "../cli/ship/shipper.js";
import { batchKeyFor } from "../lib/chain/index.js";
import type { LocalSigner } from "../lib/crypto/local-signer.js";
import { type BenchModule, QUICK } from "./harness.js";
import {
  type ConsortiumProcess,
  memberSigner,
  type SubmitRecord,
  startConsortiumProcess,
  submitRecords,
} from "./support/consortium-process.js";
import { pool } from "./support/pool.js";
import { fmt, int, median, out, percentile, rate, row } from "./support/report.js";
import { sealedBatchKeys } from "./support/seal-markers.js";

/**
 * `npm run bench -- ship` (issue 14): the S5 stream (examples/s5/db-operations.mjs) through
 * `zhixin ship`'s code, in this process, against the local consortium in its own process
 * (as `npm start` runs beside the CLI), beside the same records sent directly as
 * 100-record batches (POST /v1/entries, freshly signed, as bench/ledger.ts measures
 * them) in the same run. Targets:
 *   - ship ≥ 0.7 × the direct 100-record-batch submit rate, at the same concurrency;
 *   - submit → sealed p95 ≤ 2 seal intervals, the stream paced at half the rate ship
 *     reached, timed from the moment each batch's oldest line entered the stream.
 * The shipper journals every batch in its offset file (fdatasync) before sending it, as
 * the CLI does: that cost is part of its figure.
 */

const SIZES = QUICK
  ? { records: 3_000, runs: 1, latencyWindowMs: 4_000 }
  : { records: 20_000, runs: 3, latencyWindowMs: 10_000 };
/** The ledger bench's concurrency for its 100-record batches; ship runs with the same. */
const CONCURRENCY = 8;
const SEAL_INTERVAL_MS = 500;
const POLL_MS = 50;
const DEPT = "hf-haikou";
const TYPE = "audit.db-operation";
const GENERATOR = fileURLToPath(new URL("../examples/s5/db-operations.mjs", import.meta.url));

export const bench: BenchModule = {
  name: "ship",
  description: `the S5 stream through zhixin ship beside direct 100-record batches (issue 14)${QUICK ? " — quick sizes" : ""}`,
  run,
};

interface Target {
  name: string;
  met: boolean;
}

async function run(): Promise<void> {
  out("The consortium runs in a child process, as `npm start` does; the shipper and the direct");
  out(`submits run in this one. Records: examples/s5/db-operations.mjs (audit.db-operation, as ${DEPT}).`);
  const targets: Target[] = [];
  const work = await mkdtemp(join(tmpdir(), "zhixin-bench-ship-"));
  let next = 0;
  const lines = (count: number) => {
    const text = execFileSync(
      process.execPath,
      [GENERATOR, "--from", String(next), "--count", String(count)],
      {
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    next += count;
    return text;
  };
  try {
    let node = await startConsortiumProcess(0);
    let shipRate: number;
    try {
      shipRate = await throughput(node, work, lines, targets);
    } finally {
      await node.stop();
    }
    node = await startConsortiumProcess(SEAL_INTERVAL_MS);
    try {
      await latency(node, work, lines, shipRate / 2, targets);
    } finally {
      await node.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  out("");
  out("Targets");
  for (const t of targets) out(`  ${t.met ? "met    " : "NOT met"}  ${t.name}`);
}

// ---- throughput -------------------------------------------------------------------------

async function throughput(
  node: ConsortiumProcess,
  work: string,
  lines: (count: number) => string,
  targets: Target[],
): Promise<number> {
  const signer = await memberSigner(node.ready, DEPT);
  out("");
  out(
    `1. Throughput: ${int(SIZES.records)} records each, concurrency ${CONCURRENCY}; median of ${SIZES.runs}`,
  );
  // Warm the consortium (JIT, connections) and this process's code paths.
  await direct(node, signer, lines(1_000));
  await shipFile(node, signer, work, lines(1_000), CONCURRENCY);

  const directRates: number[] = [];
  const shipRates: number[] = [];
  const defaultRates: number[] = [];
  for (let i = 0; i < SIZES.runs; i++) {
    directRates.push(await direct(node, signer, lines(SIZES.records)));
    shipRates.push((await shipFile(node, signer, work, lines(SIZES.records), CONCURRENCY)).rate);
    defaultRates.push((await shipFile(node, signer, work, lines(SIZES.records), 4)).rate);
  }
  const [directRate, shipRate, defaultRate] = [median(directRates), median(shipRates), median(defaultRates)];
  row("direct: 100-record batches", rate(directRate, "records/s"), "POST /v1/entries, freshly signed each");
  row(
    `zhixin ship, concurrency ${CONCURRENCY}`,
    rate(shipRate, "records/s"),
    `${fmt(shipRate / directRate)} × direct; ${shipRates.map((r) => fmt(r)).join(", ")}`,
  );
  row(
    "zhixin ship, concurrency 4 (its default)",
    rate(defaultRate, "records/s"),
    `${fmt(defaultRate / directRate)} × direct`,
  );
  targets.push({
    name: `ship: ${fmt(shipRate / directRate)} × direct 100-record-batch submit at concurrency ${CONCURRENCY} (target ≥ 0.7)`,
    met: shipRate / directRate >= 0.7,
  });
  return shipRate;
}

/** Sends the lines' records as 100-record batches, CONCURRENCY at a time; returns records/s. */
async function direct(node: ConsortiumProcess, signer: LocalSigner, text: string): Promise<number> {
  const records: SubmitRecord[] = text
    .trim()
    .split("\n")
    .map((l) => ({ type: TYPE, data: JSON.parse(l) }));
  const batches = Math.ceil(records.length / 100);
  const t0 = performance.now();
  await pool(batches, CONCURRENCY, (i) =>
    submitRecords(node.ready.url, signer, DEPT, records.slice(i * 100, (i + 1) * 100)),
  );
  return records.length / ((performance.now() - t0) / 1000);
}

/** Ships the lines as a file with an offset file of its own; returns the summary and records/s. */
async function shipFile(
  node: ConsortiumProcess,
  signer: LocalSigner,
  work: string,
  text: string,
  concurrency: number,
): Promise<{ summary: ShipSummary; rate: number }> {
  const path = join(work, `ops-${newNonce()}.ndjson`);
  await writeFile(path, text);
  const t0 = performance.now();
  const summary = await shipWith(node, signer, { kind: "file", path }, `${path}.ship-offset`, concurrency);
  return { summary, rate: summary.records / ((performance.now() - t0) / 1000) };
}

async function shipWith(
  node: ConsortiumProcess,
  signer: LocalSigner,
  input: ShipInput,
  offsetFile: string,
  concurrency: number,
  onSent?: (nonce: string, firstSeq: number | undefined) => void,
): Promise<ShipSummary> {
  const client = new ZhixinClient({ url: node.ready.url, suite: INTL, signer, department: DEPT });
  const header = { input: input.kind === "file" ? input.path : "-", type: TYPE, as: DEPT };
  const { journal, state } = Journal.open(offsetFile, header);
  try {
    return await ship({
      api: client,
      type: TYPE,
      keyId: signer.keyId,
      input,
      journal,
      recovered: state,
      limits: DEFAULT_LIMITS,
      concurrency,
      retry: DEFAULT_RETRY,
      nonce: newNonce,
      events: {
        onSent: (b) => onSent?.(b.nonce, (b.recordList[0]?.data as { seq?: number } | undefined)?.seq),
      },
    });
  } finally {
    journal.close();
  }
}

// ---- latency ----------------------------------------------------------------------------

/**
 * The stream paced at `recordsPerSecond` on stdin-like input; for each batch, from the
 * moment its oldest line entered the stream to the first poll that sees it sealed.
 */
async function latency(
  node: ConsortiumProcess,
  work: string,
  lines: (count: number) => string,
  recordsPerSecond: number,
  targets: Target[],
): Promise<void> {
  const signer = await memberSigner(node.ready, DEPT);
  const count = Math.max(200, Math.round((recordsPerSecond * SIZES.latencyWindowMs) / 1000));
  const text = lines(count).trim().split("\n");
  const firstSeq = (JSON.parse(text[0] as string) as { seq: number }).seq;
  out("");
  out(
    `2. Submit → sealed (seal timer every ${SEAL_INTERVAL_MS} ms): the stream paced at ${fmt(recordsPerSecond)} records/s ` +
      `(half of ship's rate above), ${int(count)} records`,
  );
  const writtenAt = new Array<number>(count);
  /** Batch key → when its oldest line entered the stream, and when the shipper sent it. */
  const pending = new Map<string, { written: number; sent: number }>();
  const fromStream: number[] = [];
  const fromSend: number[] = [];

  // The producer: lines at the pace, in chunks of what is due every 10 ms, as a log grows.
  async function* paced(): AsyncGenerator<string> {
    const t0 = performance.now();
    let sent = 0;
    while (sent < count) {
      const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * recordsPerSecond) + 1);
      if (due > sent) {
        const now = performance.now();
        for (let i = sent; i < due; i++) writtenAt[i] = now;
        yield `${text.slice(sent, due).join("\n")}\n`;
        sent = due;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  let sending = true;
  const poller = (async () => {
    while (sending || pending.size > 0) {
      const sealed = await sealedBatchKeys(node.client, node.ready.table, [...pending.keys()].slice(0, 100));
      const seenAt = performance.now();
      for (const key of sealed) {
        const since = pending.get(key);
        if (since === undefined) continue;
        fromStream.push(seenAt - since.written);
        fromSend.push(seenAt - since.sent);
        pending.delete(key);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();

  const t0 = performance.now();
  try {
    await shipWith(
      node,
      signer,
      { kind: "stream", stream: Readable.from(paced()) },
      join(work, "latency.ship-offset"),
      CONCURRENCY,
      (nonce, seq) =>
        pending.set(batchKeyFor(signer.keyId, nonce), {
          written: writtenAt[(seq ?? firstSeq) - firstSeq] as number,
          sent: performance.now(),
        }),
    );
  } finally {
    sending = false;
  }
  const seconds = (performance.now() - t0) / 1000;
  const deadline = setTimeout(() => pending.clear(), 60_000);
  await poller;
  clearTimeout(deadline);
  if (fromSend.length === 0) throw new Error("no batch was seen sealed");
  const intervals = (ms: number) => `${(ms / SEAL_INTERVAL_MS).toFixed(2)} intervals`;
  row("    achieved", rate(count / seconds, "records/s"), `${fromSend.length} batches`);
  for (const [what, xs] of [
    ["submit → sealed", fromSend],
    ["line written → sealed", fromStream],
  ] as const) {
    row(`    ${what}, median`, `${fmt(median(xs))} ms`, intervals(median(xs)));
    row(`    ${what}, p95`, `${fmt(percentile(xs, 0.95))} ms`, intervals(percentile(xs, 0.95)));
  }
  row(
    "    max (line written → sealed)",
    `${fmt(Math.max(...fromStream))} ms`,
    `seal markers polled every ${POLL_MS} ms`,
  );
  out("    (submit: the shipper sends the batch; line written: its oldest line enters the stream, so its");
  out(
    `    wait for the batch to fill, at most ${DEFAULT_LIMITS.maxWaitMs} ms, and for a free sending slot count too)`,
  );
  const p95 = percentile(fromSend, 0.95);
  targets.push({
    name: `ship latency: submit → sealed p95 ${intervals(p95)} (target ≤ 2); from the stream ${intervals(percentile(fromStream, 0.95))}`,
    met: p95 <= 2 * SEAL_INTERVAL_MS,
  });
}
