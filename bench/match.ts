import { type BenchModule, QUICK } from "./harness.js";
import { post, type RunningNode, startNode } from "./match/node.js";
import { matchOverHttp } from "./match/over-http.js";
import { probeMatches } from "./match/probe.js";
import { BATCH_RECORDS, type Certificate, CONCURRENCY, CONSUMER, PROVIDER, SIZES } from "./match/settings.js";
import { benchContract, setUpContract, writeCertificates } from "./match/setup.js";
import { cpuPerOp, cpuRows, latencyRow, perOp, readPayloads } from "./match/timing.js";
import { fmt, int, out, rate, row } from "./support/report.js";

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
 *      whose DynamoDB client counts its requests (the caller from loadRequestKeys and
 *      verifyRequest, as the API builds it), one match at a time, each store call timed,
 *      and its round trips — store calls made one after another — counted, authentication's
 *      apart (target ≤ 4 for matchRecord).
 * Rates and latencies are wall clock; CPU is per operation, for this process
 * (process.cpuUsage) and the consortium's (/proc/<pid>/stat, Linux only).
 *
 * The consortium (dynalite + handlers) runs in a child process (bench/support/ledger-node.ts),
 * as `npm start` does; clients run here. Everything is on 127.0.0.1, every loop bounded.
 *
 * The run and its report are here; its parts are in ./match/: settings, node (the
 * consortium process and its API), setup, timing (with the baseline reads), over-http
 * (sections 3 and 4) and probe (section 5).
 */

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
  const sequential = perMatch(probe.roundTrips.match);
  row(
    "store round trips per match",
    fmt(sequential),
    `target ≤ 4; each the calls made together: ${probe.trips.join(" → ")}`,
  );
  row(
    "  and authenticating it",
    fmt(perMatch(probe.roundTrips.auth)),
    "loadRequestKeys, as the API runs it before matchRecord (the K# index, and batches of key records not yet seen committed)",
  );
  const trips = [...probe.commands.values()].reduce((a, b) => a + b, 0);
  row(
    "store requests per match",
    fmt(perMatch(trips)),
    [...probe.commands]
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c.replace(/Command$/, "")} ${fmt(perMatch(n))}`)
      .join(", "),
  );
  row(
    "  if store-bound",
    `${fmt(1 / perMatch(trips))}×`,
    "of the baseline, were each request as dear as one raw read",
  );
  row(
    "matchRecord, alone",
    `${fmt(probe.matchMs / probe.matches)} ms`,
    `mean; store calls took ${fmt(probe.storeMs / probe.matches)} ms, summed (those made together overlap)`,
  );
  for (const [method, s] of [...probe.methods].sort((a, b) => b[1].ms - a[1].ms)) {
    row(
      `  ${method}`,
      `${fmt(s.ms / s.calls)} ms`,
      `${fmt(perMatch(s.calls))} per match; ${Math.round((100 * s.ms) / probe.storeMs)}% of the store time`,
    );
  }

  out("");
  out("Targets");
  const targets = [
    {
      name: `match: ${fmt(matchRate / baseRate)} × raw GetItem c${CONCURRENCY}, same run (target ≥ 0.25×)`,
      met: matchRate / baseRate >= 0.25,
    },
    { name: `match: ${fmt(sequential)} store round trips (target ≤ 4)`, met: sequential <= 4 },
  ];
  for (const t of targets) out(`  ${t.met ? "met    " : "NOT met"}  ${t.name}`);
}
