import { generateKeyPairSync, sign, verify } from "node:crypto";
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { auditChain, loadEvidence, verifyOptions } from "../functions/audit/audit.js";
import { LocalSigner } from "../functions/auth/crypto/local-signer.js";
import { signRequest } from "../functions/auth/http-signature/index.js";
import { StaticKeyDirectory } from "../functions/auth/key-directory.js";
import { DEFAULT_MAX_ENTRIES, sealBlock } from "../functions/ledger/sealer.js";
import { type LedgerStore, type Signer, type StoredBlock, systemClock } from "../functions/store/ports.js";
import { createLedgerTable, itemKeys } from "../functions/store/table.js";
import {
  type BlockEvidence,
  type BlocksReport,
  type ChainPosition,
  GENESIS_POSITION,
  type VerifyBlocksOptions,
  verifyBlocks,
} from "../lib/chain/index.js";
import { keyFile, localKeyId, trustFile } from "../local/keys.js";
import { type BenchModule, QUICK } from "./harness.js";
import {
  batchRootOf,
  type ConsortiumProcess,
  memberSigner,
  type SubmitRecord,
  startConsortiumProcess,
  submitRecords,
} from "./support/consortium-process.js";
import { pool } from "./support/pool.js";
import { fmt, median, out, percentile, rate, row } from "./support/report.js";
import { aroundStoreCalls } from "./support/store-calls.js";

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
 */

const SIZES = QUICK
  ? {
      putSequential: 300,
      putConcurrent: 1_200,
      verifies: 5_000,
      singles: 600,
      batches: 20,
      latencyWindowMs: 4_000,
    }
  : {
      putSequential: 1_000,
      putConcurrent: 4_000,
      verifies: 20_000,
      singles: 2_000,
      batches: 100,
      latencyWindowMs: 10_000,
    };

const CONCURRENCY = 8;
const BATCH_RECORDS = 100;
const SEAL_INTERVAL_MS = 500;
/**
 * Submit load of the latency runs, as fractions of the measured batched throughput: the
 * target is judged at the first; the second, lighter one shows what the timer alone costs.
 */
const LATENCY_LOADS = [0.5, 0.2] as const;
/** Seal-marker polls during the latency run: resolution, against load on the consortium process. */
const POLL_MS = 50;
const RUNS = 3;

/** Ed25519 writers of the example consortium (market-regulation signs with P-256, left out). */
const WRITERS = [
  { dept: "hf-haikou", type: "housing-fund.deposit-certificate" },
  { dept: "hf-sanya", type: "housing-fund.deposit-certificate" },
  { dept: "civil-affairs", type: "licence.marriage" },
  { dept: "service-centre", type: "audit.db-operation" },
  { dept: "internet-court", type: "evidence.digest" },
] as const;

interface Writer {
  dept: string;
  type: string;
  signer: Signer;
}

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

  out("");
  out("4. Audit (per CPU-second of this process; raw verify re-measured beside each run)");
  const keys = StaticKeyDirectory.fromFile(trustFile(node.ready.home));
  const deps = { source: store, keys, log: node.ready.log };
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
    const t0 = performance.now();
    const report = await auditChain(deps, { from: s.from, to: s.to });
    const storeRate = s.entries / ((performance.now() - t0) / 1000);
    if (!report.ok || report.entriesChecked !== s.entries) {
      throw new Error(`audit of heights ${s.from}–${s.to} failed: ${JSON.stringify(report.findings[0])}`);
    }
    row(
      "  auditChain, through the store",
      rate(storeRate, "entries/s"),
      `wall clock; ${fmt(storeRate / verifyBefore.perSecond)} × raw verify/s measured just before`,
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
      perEntrySignature.store = storeRate / verifyBefore.perSecond;
      perEntrySignature.memory = ratio;
    }
  }
  targets.push({
    name: `audit in memory: ${fmt(perEntrySignature.memory)} × raw verify per core, a signature per entry (target ≥ 0.8)`,
    met: perEntrySignature.memory >= 0.8,
  });
  targets.push({
    name: `audit through the store: ${fmt(perEntrySignature.store)} × raw verify, a signature per entry (target ≥ 0.8)`,
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

// ---- phase 5: submit-to-sealed latency under load ----------------------------------

/** Submits 100-record batches at `recordsPerSecond` for the window; returns the median latency (ms). */
async function latency(node: RunningNode, recordsPerSecond: number, load: number): Promise<number> {
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
      const keys = [...pending.keys()].slice(0, 100);
      if (keys.length > 0) {
        const res = await node.client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [node.ready.table]: {
                Keys: keys.map((k) => itemKeys.batch(k)),
                ConsistentRead: true,
                ProjectionExpression: "#pk, #sealed",
                ExpressionAttributeNames: { "#pk": "pk", "#sealed": "sealedHeight" },
              },
            },
          }),
        );
        const seenAt = performance.now();
        for (const item of res.Responses?.[node.ready.table] ?? []) {
          if (item.sealedHeight === undefined) continue;
          const key = (item.pk?.S ?? "").slice(2);
          const sentAt = pending.get(key);
          if (sentAt === undefined) continue;
          latencies.push(seenAt - sentAt);
          pending.delete(key);
        }
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

// ---- the consortium process --------------------------------------------------------

interface RunningNode extends ConsortiumProcess {
  writers: Writer[];
}

async function startNode(sealIntervalMs: number): Promise<RunningNode> {
  const node = await startConsortiumProcess(sealIntervalMs);
  const writers = await Promise.all(
    WRITERS.map(async (w) => ({ ...w, signer: await memberSigner(node.ready, w.dept) })),
  );
  return { ...node, writers };
}

// ---- submit ------------------------------------------------------------------------

let serial = 0;

/** A record of roughly a real certificate's size (~220 bytes of canonical JSON). */
/**
 * A valid record of each benchmarked type (consortium.example.json's schemas), each about
 * the same size (~300 bytes as canonical JSON) and distinct by its serial number.
 */
function makeRecord(type: string): SubmitRecord {
  const n = serial++;
  const id = `46010019900101${String(n % 10_000).padStart(4, "0")}`;
  const note = "deposits continuous since account opening; no arrears recorded";
  switch (type) {
    case "licence.marriage":
      return {
        type,
        data: {
          certificateNo: `J460100-2026-${String(n % 1_000_000).padStart(6, "0")}`,
          spouses: [`${id}`, `46010019920202${String(n % 10_000).padStart(4, "0")}`],
          registeredOn: "2026-01-15",
          office: "Haikou Civil Affairs Bureau, Longhua District marriage registry",
          serial: `BENCH-${String(n).padStart(9, "0")}`,
        },
      };
    case "audit.db-operation":
      return {
        type,
        data: {
          department: "service-centre",
          post: "window-clerk-07",
          operation: n % 5 === 0 ? "write" : "read",
          table: "citizen_licences",
          rows: n % 50,
          at: "2026-01-15T08:30:00.000Z",
          serial: `BENCH-${String(n).padStart(9, "0")}`,
          remarks: note,
        },
      };
    case "evidence.digest":
      return {
        type,
        data: {
          sha256: n.toString(16).padStart(64, "0"),
          capturedAt: "2026-01-15T08:30:00.000Z",
          caseId: `(2026)浙0192民初${n}号`,
          mediaType: "application/pdf",
          serial: `BENCH-${String(n).padStart(9, "0")}`,
        },
      };
    default:
      return {
        type,
        data: {
          citizen: id,
          months: n % 240,
          status: n % 7 === 0 ? "closed" : "active",
          issuedAt: "2026-01-15",
          issuer: "Haikou Housing Provident Fund Centre",
          serial: `BENCH-${String(n).padStart(9, "0")}`,
          remarks: note,
        },
      };
  }
}

/** Submits `size` records as one writer (by index); returns the batch key. */
async function submitBatch(node: RunningNode, index: number, size: number): Promise<string> {
  const writer = node.writers[index % node.writers.length] as Writer;
  const records = Array.from({ length: size }, () => makeRecord(writer.type));
  const { batchKey } = await submitRecords(node.ready.url, writer.signer, writer.dept, records);
  return batchKey;
}

async function submitAll(
  node: RunningNode,
  requests: number,
  size: number,
): Promise<{ requests: number; records: number; seconds: number }> {
  const t0 = performance.now();
  await pool(requests, CONCURRENCY, (i) => submitBatch(node, i, size));
  return { requests, records: requests * size, seconds: (performance.now() - t0) / 1000 };
}

// ---- seal --------------------------------------------------------------------------

interface Sealed {
  entries: number;
  blocks: number;
  seconds: number;
  /** Heights sealed, inclusive. */
  from: number;
  to: number;
  /** Wall time during which at least one call of each store method was in flight. */
  storeMs: Map<string, number>;
}

/** Seals every pending batch, with the sealer's default block size (as the timer does). */
async function sealAll(node: RunningNode): Promise<Sealed> {
  const signer = await LocalSigner.fromFile(
    keyFile(node.ready.home, "sealer"),
    localKeyId("sealer"),
    "ed25519",
  );
  const timed = timeStore(node.store);
  const deps = {
    store: timed.store,
    signer,
    clock: systemClock,
    log: node.ready.log,
  };
  let entries = 0;
  let blocks = 0;
  let from = 0;
  let to = 0;
  const t0 = performance.now();
  // While the backlog lasts, each block holds at least DEFAULT_MAX_ENTRIES - 99 entries.
  for (let i = 0; i < 1_000; i++) {
    const result = await sealBlock(deps);
    if (!result.sealed) {
      if (result.reason !== "nothing-pending") throw new Error(`seal: ${result.reason}`);
      const seconds = (performance.now() - t0) / 1000;
      return { entries, blocks, seconds, from, to, storeMs: timed.busyMs };
    }
    entries += result.entries;
    blocks++;
    if (from === 0) from = result.height;
    to = result.height;
  }
  throw new Error("sealing did not drain the backlog in 1,000 blocks");
}

/**
 * The store with each method's busy time recorded: the wall time during which at least
 * one call of that method was in flight (concurrent calls of one method count once).
 */
function timeStore(inner: LedgerStore): { store: LedgerStore; busyMs: Map<string, number> } {
  const busyMs = new Map<string, number>();
  const active = new Map<string, { calls: number; since: number }>();
  const store = aroundStoreCalls(inner, async (name, call) => {
    const a = active.get(name) ?? { calls: 0, since: 0 };
    active.set(name, a);
    if (a.calls++ === 0) a.since = performance.now();
    try {
      return await call();
    } finally {
      if (--a.calls === 0) busyMs.set(name, (busyMs.get(name) ?? 0) + performance.now() - a.since);
    }
  });
  return { store, busyMs };
}

async function positionBefore(node: RunningNode, height: number): Promise<ChainPosition> {
  if (height <= 1) return GENESIS_POSITION;
  const block = await node.store.getBlock(height - 1);
  if (!block) throw new Error(`block ${height - 1} is missing`);
  return { height: block.header.height, hash: block.hash, logRange: block.logRange };
}

// ---- baselines ---------------------------------------------------------------------

/** PutItem of payload-shaped items (the ledger table's layout, no condition): items/s. */
async function putItems(
  client: DynamoDBClient,
  table: string,
  prefix: string,
  count: number,
  concurrency: number,
): Promise<number> {
  const data = JSON.stringify(makeRecord(WRITERS[0].type).data);
  const t0 = performance.now();
  await pool(count, concurrency, async (i) => {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...itemKeys.payload(`${prefix}-${i}`),
          dept: { S: "hf-haikou" },
          type: { S: WRITERS[0].type },
          batch: { S: `hf-haikou/key-1#${prefix}-${i}` },
          data: { S: data },
        },
      }),
    );
  });
  return count / ((performance.now() - t0) / 1000);
}

/** BatchWriteItem of 25 payload-shaped items at a time (as putPayloads writes them): items/s. */
async function batchWriteItems(
  client: DynamoDBClient,
  table: string,
  count: number,
  concurrency: number,
): Promise<number> {
  const data = JSON.stringify(makeRecord(WRITERS[0].type).data);
  const calls = Math.ceil(count / 25);
  const t0 = performance.now();
  await pool(calls, concurrency, async (c) => {
    const requests = Array.from({ length: 25 }, (_, j) => ({
      PutRequest: {
        Item: {
          ...itemKeys.payload(`bw-${c}-${j}`),
          dept: { S: "hf-haikou" },
          type: { S: WRITERS[0].type },
          batch: { S: `hf-haikou/key-1#bw-${c}` },
          data: { S: data },
        },
      },
    }));
    const res = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
    if (Object.keys(res.UnprocessedItems ?? {}).length > 0)
      throw new Error("dynalite left items unprocessed");
  });
  return (calls * 25) / ((performance.now() - t0) / 1000);
}

/** The exact signature base a department signs for a 100-record submit. */
async function capturedSignatureBase(writer: Writer): Promise<Uint8Array> {
  let captured: Uint8Array | undefined;
  const capture: Signer = {
    keyId: writer.signer.keyId,
    alg: writer.signer.alg,
    sign: async (message) => {
      captured = message;
      return new Uint8Array(64);
    },
    publicKey: () => writer.signer.publicKey(),
  };
  const records = Array.from({ length: BATCH_RECORDS }, () => makeRecord(writer.type));
  await signRequest({
    method: "POST",
    path: "/v1/entries",
    body: new TextEncoder().encode(JSON.stringify({ records })),
    batchRoot: batchRootOf(records),
    signer: capture,
    department: writer.dept,
  });
  if (!captured) throw new Error("signRequest did not sign");
  return captured;
}

interface Rate {
  perSecond: number;
  /** Per CPU-second of this process: what one core does, whatever else the machine runs. */
  perCpuSecond: number;
}

/**
 * node:crypto Ed25519 verification of `message` with one cached KeyObject: returns a
 * function that verifies `count` times and gives the rate.
 */
function ed25519Verifier(message: Uint8Array): (count: number) => Rate {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const signature = sign(null, message, privateKey);
  const loop = (count: number) => {
    for (let i = 0; i < count; i++) {
      if (!verify(null, message, publicKey, signature))
        throw new Error("the baseline signature did not verify");
    }
  };
  loop(500);
  return (count) => {
    const t = cpuTimed(() => loop(count));
    return { perSecond: (count * 1000) / t.wallMs, perCpuSecond: (count * 1000) / t.cpuMs };
  };
}

function cpuTimed(fn: () => void): { wallMs: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

// ---- helpers -----------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
