import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { signRequest, verifyRequest } from "../functions/auth/http-signature/index.js";
import { StaticKeyDirectory } from "../functions/auth/key-directory.js";
import { type Consortium, loadConsortium } from "../functions/rules/consortium.js";
import { type ContractDocument, contractVersion } from "../functions/rules/contracts.js";
import { type MatchAnswer, type MatchDeps, matchRecord } from "../functions/sharing/match.js";
import { loadLocalSubjectKey } from "../functions/sharing/subject-key.js";
import { DynamoDbLedgerStore } from "../functions/store/dynamodb-store.js";
import { type LedgerStore, type Signer, systemClock } from "../functions/store/ports.js";
import type { JsonValue } from "../lib/chain/index.js";
import { localDynamoClient } from "../local/dynalite.js";
import { trustFile } from "../local/keys.js";
import { type BenchModule, QUICK } from "./harness.js";
import {
  type ConsortiumProcess,
  memberSigner,
  postSigned,
  type SubmitRecord,
  startConsortiumProcess,
  submitRecords,
} from "./support/consortium-process.js";
import { pool } from "./support/pool.js";
import { fmt, int, out, percentile, rate, row } from "./support/report.js";
import { aroundStoreCalls } from "./support/store-calls.js";

/**
 * The match benchmark: POST /v1/match (functions/sharing/match.ts) on the local
 * consortium, beside the raw store read rate measured in the same run on the same
 * machine. `npm run bench -- match` (add `--quick`, or BENCH_QUICK=1, for smaller sizes).
 *
 * Setup follows S1 (test/integration/sharing/s1-certificate.test.ts): hf-haikou proposes
 * the S1 contract (examples/contracts/s1-housing-fund-certificate.json, its rate limit
 * raised to 100,000 a minute so that it never refuses), hf-sanya approves that version,
 * and hf-haikou writes one deposit certificate for each of many distinct citizens — most
 * in 100-record batches, a few one per request — and seals them. Then:
 *   2. baseline: GetItem of the certificates' payload items (DynamoDbLedgerStore.getPayload),
 *      from this process to dynalite, with the same concurrency as the matches;
 *   3. matches through the HTTP API, as bench/ledger.ts submits: hf-sanya's requests,
 *      each freshly signed (new nonce) and verified by the handler (verifyRequest); the
 *      answers are checked against the certificates;
 *   4. control: the same on the certificates written one per request, whose batch items
 *      hold one envelope instead of 100 (a match projects the batch item's ids and
 *      receivedAt, but the store still reads the item whole before projecting);
 *   5. what one match asks of the store: matchRecord called in this process on a store
 *      whose DynamoDB client counts its requests (the caller from verifyRequest, as the
 *      API builds it), one match at a time, each store call timed.
 * Rates and latencies are wall clock; CPU is per operation, for this process
 * (process.cpuUsage) and the consortium's (/proc/<pid>/stat, Linux only).
 *
 * The consortium (dynalite + handlers) runs in a child process (bench/support/ledger-node.ts),
 * as `npm start` does; clients run here. Everything is on 127.0.0.1, every loop bounded.
 */

const SIZES = QUICK
  ? {
      certificates: 300,
      singles: 50,
      reads: 1_000,
      queries: 400,
      singleQueries: 150,
      sampled: 20,
      warmup: 40,
    }
  : {
      certificates: 1_000,
      singles: 100,
      reads: 2_000,
      queries: 1_000,
      singleQueries: 200,
      sampled: 30,
      warmup: 60,
    };

const CONCURRENCY = 8;
const BATCH_RECORDS = 100;
const PROVIDER = "hf-haikou";
const CONSUMER = "hf-sanya";
const CERTIFICATE = "housing-fund.deposit-certificate";
const CONTRACT_FILE = new URL("../examples/contracts/s1-housing-fund-certificate.json", import.meta.url);
const CONSORTIUM_FILE = new URL("../consortium.example.json", import.meta.url);
/** The subject's authorisation, which the conditional S1 contract requires. */
const AUTHORISATION = { ref: "sanya-mortgage-bench", digest: "a".repeat(64) };
/** The question S1 asks: a certificate of at least 12 months, still active. */
const MIN_MONTHS = 12;

interface Certificate {
  citizen: string;
  months: number;
  status: "active" | "closed";
  entryId: string;
  batchKey: string;
}

export const bench: BenchModule = {
  name: "match",
  description:
    "POST /v1/match under the S1 contract on the local consortium, beside raw store reads" +
    (QUICK ? " — quick sizes" : ""),
  run,
};

async function run(): Promise<void> {
  out("The consortium (dynalite, handlers) runs in a child process, as `npm start` does;");
  out("clients and the instrumented in-process matchRecord (section 5) run in this one.");
  const node = await startNode();
  try {
    await measureAll(node);
  } finally {
    await node.stop();
  }
}

async function measureAll(node: RunningNode): Promise<void> {
  const { store } = node;

  out("");
  out("1. Setup");
  const t0 = performance.now();
  const doc = benchContract();
  const version = await setUpContract(node, doc);
  const certificates = await writeCertificates(node, 0, SIZES.certificates, BATCH_RECORDS);
  const singles = await writeCertificates(node, SIZES.certificates, SIZES.singles, 1);
  const sealed = (await post(node, "/local/seal")) as { height?: number; entries?: number };
  row(
    "S1 contract, rate limit raised",
    doc.id,
    `version ${version.slice(0, 12)}…; rateLimit.perMinute ${fmt(doc.rateLimit.perMinute)} (the example's: 600)`,
  );
  row(
    "deposit certificates",
    `${int(certificates.length)} + ${int(singles.length)}`,
    `distinct citizens, by ${PROVIDER}: ${BATCH_RECORDS}-record batches + one per request (section 4); ` +
      `sealed in block ${sealed.height ?? "?"}; ${fmt((performance.now() - t0) / 1000)} s`,
  );
  const first = certificates[0] as Certificate;
  const batch = await store.getBatch(first.batchKey);
  const single = await store.getBatch((singles[0] as Certificate).batchKey);
  const payload = await store.getPayload(first.entryId);
  row(
    "  a certificate's payload item",
    `${fmt(payload?.data.length ?? 0)} B`,
    "its data (canonical JSON): what the baseline reads",
  );
  row(
    "  its batch item",
    `${fmt(JSON.stringify(batch?.envelopes).length / 1024)} KB`,
    `its ${batch?.envelopes.length ?? 0} envelopes; read (projected to ids, receivedAt) by every match, to see the entry is committed ` +
      `(${fmt(JSON.stringify(single?.envelopes).length / 1024)} KB written one per request)`,
  );

  // Warm both paths (JIT, sockets, LevelDB files) before anything is timed.
  await readPayloads(node, certificates, SIZES.warmup * 4);
  await matchOverHttp(node, certificates, doc.id, SIZES.warmup, 0);

  out("");
  out(`2. Baseline: raw store reads (concurrency ${CONCURRENCY}, from this process to dynalite)`);
  const base = await readPayloads(node, certificates, SIZES.reads);
  const baseRate = base.count / base.seconds;
  row(
    "GetItem of certificate payloads",
    rate(baseRate, "reads/s"),
    `DynamoDbLedgerStore.getPayload, ${int(base.count)} reads`,
  );
  latencyRow(base);
  cpuRows(base, "read");

  out("");
  out(
    `3. Match over the HTTP API (POST /v1/match as ${CONSUMER}, concurrency ${CONCURRENCY}, ` +
      "each request freshly signed, verified by the handler)",
  );
  const matched = await matchOverHttp(node, certificates, doc.id, SIZES.queries, 0xbeef);
  const matchRate = matched.count / matched.seconds;
  row(
    "match queries",
    rate(matchRate, "queries/s"),
    `${int(matched.count)} queries: ${int(matched.yes)} yes, ${int(matched.count - matched.yes)} no; every answer checked`,
  );
  row(
    "match ÷ raw GetItem",
    `${fmt(matchRate / baseRate)}×`,
    `wall clock: a match takes the time of ${fmt(baseRate / matchRate)} raw reads`,
  );
  latencyRow(matched, "from signing to the answer read");
  cpuRows(matched, "match");
  if (base.serverCpuMs !== undefined && matched.serverCpuMs !== undefined) {
    row(
      "  CPU, both processes: match ÷ raw read",
      `${fmt(cpuPerOp(matched) / cpuPerOp(base))}×`,
      "a raw read's SDK side runs in this process, a match's in the consortium",
    );
  }

  out("");
  out(
    `4. Control: the same matches on certificates written one per request (${int(singles.length)} of them)`,
  );
  const control = await matchOverHttp(node, singles, doc.id, SIZES.singleQueries, 0xcafe);
  row(
    "match queries",
    rate(control.count / control.seconds, "queries/s"),
    `${int(control.count)} queries; ${fmt(control.count / control.seconds / matchRate)} × section 3's rate`,
  );
  latencyRow(control);
  cpuRows(control, "match");
  if (matched.serverCpuMs !== undefined && control.serverCpuMs !== undefined) {
    row(
      "  consortium CPU saved per match",
      `${fmt(perOp(matched, "serverCpuMs") - perOp(control, "serverCpuMs"))} ms`,
      `by not reading a ${BATCH_RECORDS}-envelope batch item: ` +
        `${Math.round((100 * (perOp(matched, "serverCpuMs") - perOp(control, "serverCpuMs"))) / perOp(matched, "serverCpuMs"))}% of section 3's`,
    );
  }

  out("");
  out(
    `5. What one match asks of the store (matchRecord in this process, one at a time, ${SIZES.sampled} queries` +
      " on section 3's certificates; caller from verifyRequest)",
  );
  const probe = await probeMatches(node, certificates, doc.id, SIZES.sampled);
  const perMatch = (n: number) => n / probe.matches;
  const trips = [...probe.commands.values()].reduce((a, b) => a + b, 0);
  row(
    "store round trips per match",
    fmt(perMatch(trips)),
    [...probe.commands]
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c.replace(/Command$/, "")} ${fmt(perMatch(n))}`)
      .join(", "),
  );
  row(
    "  if store-bound",
    `${fmt(1 / perMatch(trips))}×`,
    "of the baseline, were each round trip as dear as one raw read",
  );
  row(
    "matchRecord, alone",
    `${fmt(probe.matchMs / probe.matches)} ms`,
    `mean; of which waiting on the store ${fmt(probe.storeMs / probe.matches)} ms`,
  );
  for (const [method, s] of [...probe.methods].sort((a, b) => b[1].ms - a[1].ms)) {
    row(
      `  ${method}`,
      `${fmt(s.ms / s.calls)} ms`,
      `${fmt(perMatch(s.calls))} per match; ${Math.round((100 * s.ms) / probe.storeMs)}% of the store time`,
    );
  }
}

function perOp(t: Timed, what: "serverCpuMs" | "clientCpuMs"): number {
  return (t[what] ?? Number.NaN) / t.count;
}

function latencyRow(t: Timed, note = ""): void {
  row(
    "  latency p50 / p95",
    `${fmt(percentile(t.latencies, 0.5))} / ${fmt(percentile(t.latencies, 0.95))} ms`,
    `max ${fmt(Math.max(...t.latencies))} ms${note ? `; ${note}` : ""}`,
  );
}

/** CPU of both processes per operation, ms. */
function cpuPerOp(t: Timed): number {
  return perOp(t, "serverCpuMs") + perOp(t, "clientCpuMs");
}

function cpuRows(t: Timed, op: string): void {
  const server = t.serverCpuMs === undefined ? "n/a" : fmt(perOp(t, "serverCpuMs"));
  row(
    `  CPU per ${op}: consortium + this process`,
    `${server} + ${fmt(perOp(t, "clientCpuMs"))} ms`,
    "user + system, all threads; the consortium's from /proc, in 10 ms ticks",
  );
}

// ---- setup ---------------------------------------------------------------------------

/** The S1 contract with a rate limit that never refuses (and in effect whenever the bench runs). */
function benchContract(): ContractDocument {
  const example = JSON.parse(readFileSync(CONTRACT_FILE, "utf8")) as ContractDocument;
  const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    ...example,
    rateLimit: { perMinute: 100_000 },
    validUntil: Date.parse(example.validUntil) > Date.parse(inAYear) ? example.validUntil : inAYear,
  };
}

/** The provider proposes the document; the consumer approves that version. */
async function setUpContract(node: RunningNode, doc: ContractDocument): Promise<string> {
  const version = contractVersion(doc);
  await submit(node, PROVIDER, [{ type: "zhixin.contract.propose", data: doc as unknown as JsonData }]);
  await submit(node, CONSUMER, [{ type: "zhixin.contract.approve", data: { contractId: doc.id, version } }]);
  return version;
}

/** Certificates for citizens from..from+count-1, in batches of `batchSize`, CONCURRENCY requests in flight. */
async function writeCertificates(
  node: RunningNode,
  from: number,
  count: number,
  batchSize: number,
): Promise<Certificate[]> {
  const all: Certificate[] = [];
  await pool(Math.ceil(count / batchSize), CONCURRENCY, async (b) => {
    const start = b * batchSize;
    const certs = Array.from({ length: Math.min(batchSize, count - start) }, (_, j) =>
      certificateOf(from + start + j),
    );
    const records = certs.map((c) => ({
      type: CERTIFICATE,
      data: {
        citizen: c.citizen,
        months: c.months,
        status: c.status,
        issuedAt: "2026-01-15",
        issuer: "Haikou Housing Provident Fund Centre",
        serial: `BENCH-${c.citizen.slice(-8)}`,
      },
    }));
    const { entries, batchKey } = await submit(node, PROVIDER, records);
    certs.forEach((c, j) => {
      all[start + j] = { ...c, entryId: (entries[j] as { id: string }).id, batchKey };
    });
  });
  return all;
}

/** The n-th citizen (distinct 18-digit resident ID numbers) and their certificate's fields. */
function certificateOf(n: number): Omit<Certificate, "entryId" | "batchKey"> {
  return {
    citizen: `4601001990${String(n).padStart(8, "0")}`,
    months: n % 240,
    status: n % 7 === 0 ? "closed" : "active",
  };
}

// ---- baseline -------------------------------------------------------------------------

interface Timed {
  count: number;
  seconds: number;
  latencies: number[];
  /** CPU time of the consortium process during the run (undefined where /proc is not there). */
  serverCpuMs: number | undefined;
  /** CPU time of this process during the run. */
  clientCpuMs: number;
}

/** Runs `count` tasks, CONCURRENCY in flight, timing each and both processes' CPU. */
async function timed(node: RunningNode, count: number, task: (i: number) => Promise<void>): Promise<Timed> {
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
function readPayloads(
  node: RunningNode,
  certificates: readonly Certificate[],
  count: number,
): Promise<Timed> {
  return timed(node, count, async (i) => {
    const c = certificates[(i * 7919) % certificates.length] as Certificate;
    if (!(await node.store.getPayload(c.entryId))) throw new Error(`payload ${c.entryId} is missing`);
  });
}

// ---- match over HTTP ------------------------------------------------------------------

function matchBody(contract: string, citizen: string): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      contract,
      subject: citizen,
      where: [
        { field: "months", op: ">=", value: MIN_MONTHS },
        { field: "status", op: "=", value: "active" },
      ],
      authorisation: AUTHORISATION,
    }),
  );
}

function expected(c: Certificate): boolean {
  return c.months >= MIN_MONTHS && c.status === "active";
}

/** `count` matches over HTTP, subjects spread over the certificates, CONCURRENCY in flight. */
async function matchOverHttp(
  node: RunningNode,
  certificates: readonly Certificate[],
  contract: string,
  count: number,
  seed: number,
): Promise<Timed & { yes: number }> {
  let yes = 0;
  const run = await timed(node, count, async (i) => {
    const c = certificates[(seed + i * 7919) % certificates.length] as Certificate;
    const body = matchBody(contract, c.citizen);
    const answer = await signedPost<MatchAnswer>(node, CONSUMER, "/v1/match", body, 200);
    if (answer.match !== expected(c)) {
      throw new Error(`match for citizen ${c.citizen} answered ${answer.match}, expected ${expected(c)}`);
    }
    if (answer.match) yes++;
  });
  return { ...run, yes };
}

// ---- one match's store work -------------------------------------------------------------

interface Probe {
  matches: number;
  /** DynamoDB requests sent, by command. */
  commands: Map<string, number>;
  /** Store calls and the time spent in them, by method. */
  methods: Map<string, { calls: number; ms: number }>;
  matchMs: number;
  storeMs: number;
}

/**
 * matchRecord in this process, one call at a time, on a store over its own client whose
 * requests are counted by an SDK middleware at the deserialize step (so once per HTTP
 * attempt, retries included), and whose methods are timed. Each request is signed by
 * the consumer and verified with verifyRequest, as the API's authenticate does.
 */
async function probeMatches(
  node: RunningNode,
  certificates: readonly Certificate[],
  contract: string,
  count: number,
): Promise<Probe> {
  const client = localDynamoClient(node.ready.dynamoEndpoint);
  const commands = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? "unknown";
      commands.set(name, (commands.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "deserialize", name: "benchCountRequests" },
  );
  const methods = new Map<string, { calls: number; ms: number }>();
  const store = timedStore(new DynamoDbLedgerStore(client, node.ready.table), methods);
  const keys = StaticKeyDirectory.fromFile(trustFile(node.ready.home));
  const deps: MatchDeps = {
    store,
    consortium: node.consortium,
    clock: systemClock,
    subjectKey: await loadLocalSubjectKey(join(node.ready.home, "keys", "subject.key")),
  };
  const signer = node.signers.get(CONSUMER) as Signer;
  let matchMs = 0;
  try {
    for (let i = 0; i < count; i++) {
      const c = certificates[(0x5eed + i * 7919) % certificates.length] as Certificate;
      const body = matchBody(contract, c.citizen);
      const headers = await signRequest({
        method: "POST",
        path: "/v1/match",
        body,
        signer,
        department: CONSUMER,
      });
      const caller = verifyRequest(
        {
          method: "POST",
          path: "/v1/match",
          headers: { "content-type": "application/json", ...headers },
          body,
        },
        { keys, now: new Date(), requireBatchRoot: false },
      );
      const start = performance.now();
      const answer = await matchRecord(caller, body, deps);
      matchMs += performance.now() - start;
      if (answer.match !== expected(c)) throw new Error(`in-process match for ${c.citizen} answered wrongly`);
    }
  } finally {
    client.destroy();
  }
  const storeMs = [...methods.values()].reduce((a, s) => a + s.ms, 0);
  return { matches: count, commands, methods, matchMs, storeMs };
}

/** The store with each method's calls counted and timed (calls here are never concurrent). */
function timedStore(inner: LedgerStore, methods: Map<string, { calls: number; ms: number }>): LedgerStore {
  return aroundStoreCalls(inner, async (name, call) => {
    const start = performance.now();
    try {
      return await call();
    } finally {
      const s = methods.get(name) ?? { calls: 0, ms: 0 };
      s.calls++;
      s.ms += performance.now() - start;
      methods.set(name, s);
    }
  });
}

// ---- the consortium process and its API --------------------------------------------------

interface RunningNode extends ConsortiumProcess {
  consortium: Consortium;
  signers: Map<string, Signer>;
}

/** The consortium process without a seal timer (the bench seals through POST /local/seal). */
async function startNode(): Promise<RunningNode> {
  const node = await startConsortiumProcess(0);
  const signers = new Map<string, Signer>();
  for (const dept of [PROVIDER, CONSUMER]) signers.set(dept, await memberSigner(node.ready, dept));
  return { ...node, consortium: loadConsortium(fileURLToPath(CONSORTIUM_FILE)), signers };
}

type JsonData = Record<string, JsonValue>;

/** POST /v1/entries as `dept`; returns the new entries' ids and the batch key. */
async function submit(
  node: RunningNode,
  dept: string,
  records: SubmitRecord[],
): Promise<{ entries: Array<{ id: string }>; batchKey: string }> {
  const signer = node.signers.get(dept) as Signer;
  const { text, batchKey } = await submitRecords(node.ready.url, signer, dept, records);
  const { entries } = JSON.parse(text) as { entries: Array<{ id: string }> };
  return { entries, batchKey };
}

/** A signed POST (fresh nonce) by `dept`; throws unless it answers `status`. */
async function signedPost<T>(
  node: RunningNode,
  dept: string,
  path: string,
  body: Uint8Array,
  status: number,
): Promise<T> {
  const signer = node.signers.get(dept) as Signer;
  return JSON.parse(await postSigned(node.ready.url, { path, body, signer, department: dept }, status)) as T;
}

/** A local-only administration route of the consortium (POST /local/seal). */
async function post(node: RunningNode, path: string): Promise<unknown> {
  const res = await fetch(`${node.ready.url}${path}`, { method: "POST", body: "{}" });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
