import { INTL } from "#chain";
import { auditChain, verifyOptions } from "../functions/audit/audit.js";
import { loadEvidence } from "../functions/audit/evidence.js";
import { StaticKeyDirectory } from "../functions/auth/key-directory.js";
import { DEFAULT_MAX_ENTRIES } from "../functions/ledger/sealer.js";
import { createLedgerTable } from "../functions/store/table.js";
import {
  type BlockEvidence,
  type BlocksReport,
  type VerifyBlocksOptions,
  verifyBlocks,
} from "../lib/chain/index.js";
import { trustFile } from "../lib/local-home.js";
import { type BenchModule, QUICK } from "./harness.js";
import { ed25519OnCores } from "./ledger/audit-baseline.js";
import {
  batchWriteItems,
  capturedSignatureBase,
  cpuTimed,
  ed25519Verifier,
  putItems,
} from "./ledger/baselines.js";
import { latency } from "./ledger/latency.js";
import { submitRoundTrips } from "./ledger/round-trips.js";
import { positionBefore, type Sealed, sealAll, tilesOverhead } from "./ledger/seal.js";
import {
  BATCH_RECORDS,
  CONCURRENCY,
  LATENCY_LOADS,
  RUNS,
  SEAL_INTERVAL_MS,
  SIZES,
} from "./ledger/settings.js";
import { type RunningNode, startNode, submitAll, type Writer } from "./ledger/workload.js";
import { fmt, median, out, rate, row } from "./support/report.js";

/**
 * The ledger benchmark (issue #3): submit, seal, audit and submit-to-sealed latency on
 * the local consortium, each printed beside a baseline measured in the same run on the
 * same machine. `npm run bench -- ledger` (add `--quick`, or BENCH_QUICK=1, for smaller
 * sizes). Targets:
 *   - 100-record batches submit at least 5x the records/s of single-record requests;
 *   - an audit checks at least 0.8 entries per raw Ed25519 verify, per core, when
 *     every entry carries its own signature;
 *   - median submit-to-sealed latency under load is at most 2 seal intervals.
 *
 * The consortium (dynalite + handlers + seal timer) runs in a child process, as
 * `npm start` does beside the CLI; clients, the direct sealer and the auditor run here.
 * Everything listens on 127.0.0.1 and every loop is bounded by a count or a deadline.
 *
 * Phases 1–4 are here; its parts are in ./ledger/: settings (sizes, loads, writers),
 * workload (the consortium process and the records submitted), baselines, seal, latency
 * (phase 5).
 */

interface Target {
  name: string;
  met: boolean;
}

export const bench: BenchModule = {
  name: "ledger",
  description:
    "submit, seal, audit and submit-to-sealed latency on the local consortium (issue #3)" +
    (QUICK ? " — quick sizes" : ""),
  run,
};

async function run(): Promise<void> {
  out("The consortium (dynalite, handlers, seal timer) runs in a child process, as `npm start` does;");
  out("clients, the direct sealer and the auditor run in this one.");
  const targets: Target[] = [];

  let node = await startNode(0);
  let figures: ThroughputFigures;
  try {
    figures = await throughput(node, targets);
  } finally {
    await node.stop();
  }
  node = await startNode(SEAL_INTERVAL_MS);
  try {
    out("");
    out(`5. Submit-to-sealed latency (seal timer every ${SEAL_INTERVAL_MS} ms in the consortium process)`);
    for (const [i, load] of LATENCY_LOADS.entries()) {
      const med = await latency(node, figures.batchedRecordsPerSecond * load, load);
      const name = `latency: median ${(med / SEAL_INTERVAL_MS).toFixed(2)} seal intervals at ${load} × batched throughput (target ≤ 2)`;
      if (i === 0) targets.push({ name, met: med <= 2 * SEAL_INTERVAL_MS });
    }
  } finally {
    await node.stop();
  }

  out("");
  out("Targets");
  for (const t of targets) out(`  ${t.met ? "met    " : "NOT met"}  ${t.name}`);
}

// ---- phases 1–4: baselines, submit, seal, audit ------------------------------------

interface ThroughputFigures {
  batchedRecordsPerSecond: number;
}

async function throughput(node: RunningNode, targets: Target[]): Promise<ThroughputFigures> {
  const { client, store, writers } = node;

  out("");
  out("1. Baselines");
  const rawTable = "bench-raw";
  await createLedgerTable(client, rawTable);
  await putItems(client, rawTable, "warm", 50, 1);
  const putSeq = await putItems(client, rawTable, "seq", SIZES.putSequential, 1);
  row("store PutItem, sequential", rate(putSeq, "items/s"), `${SIZES.putSequential} payload-sized items`);
  const putConc = await putItems(client, rawTable, "conc", SIZES.putConcurrent, CONCURRENCY);
  row(
    `store PutItem, concurrency ${CONCURRENCY}`,
    rate(putConc, "items/s"),
    `${SIZES.putConcurrent} payload-sized items`,
  );
  const batchPut = await batchWriteItems(client, rawTable, SIZES.putConcurrent, CONCURRENCY);
  row(
    `store BatchWriteItem ×25, concurrency ${CONCURRENCY}`,
    rate(batchPut, "items/s"),
    "how submit writes a batch's payloads",
  );
  const base = await capturedSignatureBase(writers[0] as Writer);
  const verifier = ed25519Verifier(base);
  const verifyRuns = Array.from({ length: RUNS }, () => verifier(SIZES.verifies));
  const rawVerify = {
    perSecond: median(verifyRuns.map((r) => r.perSecond)),
    perCpuSecond: median(verifyRuns.map((r) => r.perCpuSecond)),
  };
  row(
    "Ed25519 verify, node:crypto, 1 core",
    rate(rawVerify.perCpuSecond, "/CPU-s"),
    `${fmt(rawVerify.perSecond)}/s wall; ${base.length}-byte signature base, median of ${RUNS} × ${SIZES.verifies}`,
  );

  // Warm the server (JIT, connections, table files) before anything is timed.
  await submitAll(node, 40, 1);
  await submitAll(node, 2, BATCH_RECORDS);
  await sealAll(node);

  // Each kind of backlog is sealed on its own, so the audit can take them apart by height.
  const singles = await submitAll(node, SIZES.singles, 1);
  const sealedSingles = await sealAll(node);
  const batched = await submitAll(node, SIZES.batches, BATCH_RECORDS);
  const sealedBatched = await sealAll(node);

  out("");
  out(`2. Submit over HTTP (concurrency ${CONCURRENCY}, every request freshly signed)`);
  const singleRps = singles.records / singles.seconds;
  const batchedRps = batched.records / batched.seconds;
  row(
    "single-record requests",
    rate(singleRps, "records/s"),
    `${fmt(singleRps / putConc)} × raw PutItem c${CONCURRENCY}; ${singles.requests} requests`,
  );
  const submitTrips = await submitRoundTrips(node, 20);
  row(
    "  store round trips per request",
    fmt(submitTrips.perRequest),
    `${submitTrips.trips.join(" → ")}; handleApiRequest in this process, authentication included`,
  );
  targets.push({
    name: `submit: single-record c${CONCURRENCY} ${fmt(singleRps / putConc)} × raw PutItem c${CONCURRENCY} (target ≥ 0.5×)`,
    met: singleRps / putConc >= 0.5,
  });
  row(
    `${BATCH_RECORDS}-record batches`,
    rate(batchedRps, "records/s"),
    `${fmt(batched.requests / batched.seconds)} requests/s; ${batched.requests} requests`,
  );
  const ratio = batchedRps / singleRps;
  row("batched ÷ single", `${ratio.toFixed(1)}×`, "target ≥ 5×");
  targets.push({ name: `submit: batched ${ratio.toFixed(1)}× single-record (target ≥ 5×)`, met: ratio >= 5 });

  out("");
  out(
    `3. Seal (sealBlock called directly on a backlog, its default blocks of ≤ ${fmt(DEFAULT_MAX_ENTRIES)} entries)`,
  );
  for (const [name, s] of [
    [`backlog of ${BATCH_RECORDS}-record batches`, sealedBatched],
    ["backlog of single-record batches", sealedSingles],
  ] as const) {
    row(
      name,
      rate(s.entries / s.seconds, "entries/s"),
      `${fmt(s.blocks / s.seconds)} blocks/s; ${s.entries} entries in ${s.blocks} blocks`,
    );
    const shares = [...s.storeMs]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 3)
      .map(([method, ms]) => `${method} ${Math.round((100 * ms) / (s.seconds * 1000))}%`);
    row("  time waiting on the store", "", shares.join(", "));
  }

  const overhead = await tilesOverhead(node, RUNS);
  const perEntry = (runs: readonly Sealed[]) => median(runs.map((r) => r.seconds / r.entries));
  const [plainSpe, tilesSpe] = [perEntry(overhead.plain), perEntry(overhead.tiles)];
  const added = tilesSpe / plainSpe - 1;
  const blockSize = overhead.tiles[0]?.entries ?? 0;
  row(
    "  the same, publishing each block as C2SP tiles",
    rate(1 / tilesSpe, "entries/s"),
    `${added >= 0 ? "+" : ""}${(100 * added).toFixed(1)}% seal time per entry beside ${fmt(1 / plainSpe)} entries/s without, same run; median of ${RUNS} blocks of ${fmt(blockSize)} each (s3rver)`,
  );
  targets.push({
    name: `seal: tiles add ${(100 * added).toFixed(1)}% at ${fmt(blockSize)} entries per block (target ≤ 10%)`,
    met: added <= 0.1,
  });

  out("");
  out("4. Audit (per CPU-second of this process; raw verify re-measured beside each run)");
  const keys = StaticKeyDirectory.fromFile(trustFile(node.ready.home));
  const deps = { source: store, keys, log: node.ready.log, suite: INTL, keyRecords: store };
  const segments = [
    {
      name: `${BATCH_RECORDS}-record batches: 1 signature per ${BATCH_RECORDS} entries`,
      batchSize: BATCH_RECORDS,
      ...sealedBatched,
    },
    { name: "single-record batches: 1 signature per entry", batchSize: 1, ...sealedSingles },
  ];
  const perEntrySignature = { store: 0, memory: 0 };
  for (const s of segments) {
    out(`  ${s.name} (heights ${s.from}–${s.to}, ${s.entries} entries)`);
    const verifyBefore = verifier(SIZES.verifies);
    const onCores = await ed25519OnCores(base, SIZES.verifies);
    row(
      `  raw Ed25519 verify × ${onCores.threads} cores`,
      rate(onCores.perSecond, "verifies/s"),
      `wall clock, ${onCores.threads} worker threads (the audit's pool); ${fmt(onCores.perSecond / verifyBefore.perSecond)} × 1 core's`,
    );
    const t0 = performance.now();
    const report = await auditChain(deps, { from: s.from, to: s.to });
    const storeRate = s.entries / ((performance.now() - t0) / 1000);
    if (!report.ok || report.entriesChecked !== s.entries) {
      throw new Error(`audit of heights ${s.from}–${s.to} failed: ${JSON.stringify(report.findings[0])}`);
    }
    row(
      "  auditChain, through the store",
      rate(storeRate, "entries/s"),
      `wall clock; ${fmt(storeRate / onCores.perSecond)} × raw verify × cores, ${fmt(storeRate / verifyBefore.perSecond)} × 1 core's`,
    );
    const t2 = performance.now();
    await auditChain({ ...deps, signatureThreads: 1 }, { from: s.from, to: s.to });
    const oneThread = s.entries / ((performance.now() - t2) / 1000);
    row(
      "    the same, signatures on this thread",
      rate(oneThread, "entries/s"),
      "wall clock; no workers, as on one core",
    );
    const t1 = performance.now();
    const blocks = await store.listRawBlocks(s.from, s.to);
    const loaded = await Promise.all(blocks.map((b) => loadEvidence(store, b)));
    const loadRate = s.entries / ((performance.now() - t1) / 1000);
    row("    of which loading (listRawBlocks + loadEvidence)", rate(loadRate, "entries/s"), "wall clock");
    const evidence = loaded.map((l) => l.evidence);

    // Each run: raw verifies, then the audit, so both see the same machine; fresh
    // options each time, since they memoise batch signatures.
    const start = await positionBefore(node, s.from);
    const verify = s.batchSize === 1 ? verifySingleRecordChain : verifyBatchedChain;
    const audit = () => {
      const result = verify(evidence, { ...verifyOptions(deps), start });
      if (!result.ok || result.entriesChecked !== s.entries) {
        throw new Error(`verifyBlocks found ${result.findings[0]?.code}`);
      }
    };
    audit();
    const runs = Array.from({ length: RUNS }, () => {
      const raw = verifier(SIZES.verifies);
      const t = cpuTimed(audit);
      return { raw, perCpuSecond: (s.entries * 1000) / t.cpuMs, perSecond: (s.entries * 1000) / t.wallMs };
    });
    const memRate = median(runs.map((r) => r.perCpuSecond));
    const ratio = median(runs.map((r) => r.perCpuSecond / r.raw.perCpuSecond));
    const rawRate = median(runs.map((r) => r.raw.perCpuSecond));
    row(
      "  verifyBlocks, evidence in memory",
      rate(memRate, "entries/CPU-s"),
      `${fmt(ratio)} × raw verify/CPU-s (${fmt(rawRate)}); median of ${RUNS}`,
    );
    row(
      "    CPU per entry",
      `${fmt(1e6 / memRate)} µs`,
      `one raw verify is ${fmt(1e6 / rawRate)} µs; ${s.entries / s.batchSize} entry signatures checked`,
    );
    if (s.batchSize === 1) {
      perEntrySignature.store = storeRate / onCores.perSecond;
      perEntrySignature.memory = ratio;
    }
  }
  targets.push({
    name: `audit in memory: ${fmt(perEntrySignature.memory)} × raw verify per core, a signature per entry (target ≥ 0.8)`,
    met: perEntrySignature.memory >= 0.8,
  });
  targets.push({
    name: `audit through the store: ${fmt(perEntrySignature.store)} × (raw verify × cores), a signature per entry (target ≥ 0.8)`,
    met: perEntrySignature.store >= 0.8,
  });
  return { batchedRecordsPerSecond: batchedRps };
}

// Two names for verifyBlocks, so that a CPU profile tells the two audits apart
// (bench/support/profile-summary.ts --under verifySingleRecordChain).
function verifySingleRecordChain(
  evidence: readonly BlockEvidence[],
  options: VerifyBlocksOptions,
): BlocksReport {
  return verifyBlocks(evidence, options);
}

function verifyBatchedChain(evidence: readonly BlockEvidence[], options: VerifyBlocksOptions): BlocksReport {
  return verifyBlocks(evidence, options);
}
