import { createPublicKey, verify } from "node:crypto";
import { fileURLToPath } from "node:url";
import {
  type BlockEvidence,
  type BlocksReport,
  type CryptoSuite,
  fromBase64,
  type SignatureAlgorithm,
  suiteNamed,
  utf8,
  type VerifyBlocksOptions,
  verifyBlocks,
} from "#chain";
import { auditChain, verifyOptions } from "../functions/audit/audit.js";
import { loadEvidence } from "../functions/audit/evidence.js";
import { StaticKeyDirectory } from "../functions/auth/key-directory.js";
import { trustFile } from "../lib/local-home.js";
import { sm2PublicKeyFromSpki, sm2Verifier } from "../lib/sm2/index.js";
import { type BenchModule, QUICK } from "./harness.js";
import { cpuTimed, type Rate } from "./ledger/baselines.js";
import { makeRecord } from "./ledger/workload.js";
import {
  type ConsortiumProcess,
  memberSigner,
  startConsortiumProcess,
  submitRecords,
} from "./support/consortium-process.js";
import { pool } from "./support/pool.js";
import { fmt, median, out, rate, row } from "./support/report.js";

/**
 * The audit under both suites (issue 17): the same workload submitted to, sealed in and
 * audited on an intl ledger (consortium.example.json: Ed25519, SHA-256) and a gm one
 * (examples/consortium.gm.json: SM2, SM3), each audit beside the same run's raw verify
 * rate of its suite's department signature — node:crypto's Ed25519, lib/sm2's SM2 (a
 * prepared verifier, as lib/crypto verifySignature caches one per key; bench/sm2.ts) —
 * measured on the signature base and key of an entry of that ledger.
 * `npm run bench -- audit-gm` (add `--quick` for smaller sizes). Target (issue #3, here
 * judged per suite): an audit checks at least 0.8 entries per raw verify, per core, when
 * every entry carries its own signature.
 *
 * Each consortium runs in a child process (bench/support/ledger-node.ts, as `npm start`
 * does) and seals through POST /local/seal; the clients and the auditor run here.
 * Ledger sizes are modest (the ledger bench, bench/ledger.ts, has intl's full-size run):
 * the figure is the audit's rate against its suite's signature check.
 */

/**
 * Departments and record types that both files have, with the same schemas: the two
 * ledgers get records of the same types and sizes (ledger/workload.ts makeRecord).
 */
const LEDGERS = [
  {
    file: "consortium.example.json",
    writers: [
      { dept: "hf-haikou", type: "housing-fund.deposit-certificate" },
      { dept: "hf-sanya", type: "housing-fund.deposit-certificate" },
      { dept: "civil-affairs", type: "audit.db-operation" },
      { dept: "service-centre", type: "audit.db-operation" },
    ],
  },
  {
    file: "examples/consortium.gm.json",
    writers: [
      { dept: "hf-yinchuan", type: "housing-fund.deposit-certificate" },
      { dept: "hf-wuzhong", type: "housing-fund.deposit-certificate" },
      { dept: "civil-affairs", type: "audit.db-operation" },
      { dept: "service-centre", type: "audit.db-operation" },
    ],
  },
] as const;

const SIZES = QUICK ? { singles: 100, batches: 2 } : { singles: 1_000, batches: 10 };
const BATCH_RECORDS = 100;
const CONCURRENCY = 8;
/** Raw verifies per repetition: about a second of each algorithm on this machine. */
const VERIFIES: Partial<Record<SignatureAlgorithm, number>> = QUICK
  ? { ed25519: 2_000, "sm2-sm3": 200 }
  : { ed25519: 10_000, "sm2-sm3": 1_000 };
const RUNS = 3;
/** Single-record submits before the measured ones: 20 per department key. */
const WARM_UP = 80;

export const bench: BenchModule = {
  name: "audit-gm",
  description:
    "the audit of an intl and a gm ledger, each beside its suite's raw signature verify (issue 17)" +
    (QUICK ? " — quick sizes" : ""),
  run,
};

interface Writer {
  dept: string;
  type: string;
  signer: Awaited<ReturnType<typeof memberSigner>>;
}

interface Segment {
  name: string;
  batchSize: number;
  from: number;
  to: number;
  entries: number;
}

interface SuiteFigures {
  suite: string;
  alg: SignatureAlgorithm;
  rawPerCpuSecond: number;
  /** A signature per entry: in memory per CPU-second, and its ratio to the paired raw verifies. */
  memoryRate: number;
  memoryRatio: number;
  /** A signature per entry: auditChain through the store, wall clock, and its ratio to 1 core's raw verify/s. */
  storeRate: number;
  storeRatio: number;
}

async function run(): Promise<void> {
  out("Each consortium (dynalite, handlers) runs in a child process, as `npm start` does; the clients");
  out("and the auditor run in this one. Per-core figures are per CPU-second of this process.");
  const figures: SuiteFigures[] = [];
  for (const ledger of LEDGERS) {
    const file = fileURLToPath(new URL(`../${ledger.file}`, import.meta.url));
    const node = await startConsortiumProcess(0, file);
    try {
      figures.push(await measureSuite(node, ledger.file, ledger.writers));
    } finally {
      await node.stop();
    }
  }

  const [intl, gm] = figures as [SuiteFigures, SuiteFigures];
  out("");
  out("Both suites, a signature per entry (this run)");
  for (const f of figures) {
    row(
      `  ${f.suite}: raw ${f.alg} verify`,
      rate(f.rawPerCpuSecond, "/CPU-s"),
      `${fmt(1e6 / f.rawPerCpuSecond)} µs each`,
    );
    row(
      `  ${f.suite}: verifyBlocks, in memory`,
      rate(f.memoryRate, "entries/CPU-s"),
      `${fmt(f.memoryRatio)} × raw ${f.alg} verify/CPU-s`,
    );
    row(
      `  ${f.suite}: auditChain, through the store`,
      rate(f.storeRate, "entries/s"),
      `wall clock; ${fmt(f.storeRatio)} × 1 core's raw ${f.alg} verify/s`,
    );
  }
  row(
    "  SM2 verify ÷ Ed25519 verify, time",
    `${fmt(intl.rawPerCpuSecond / gm.rawPerCpuSecond)}×`,
    "per CPU-second, each measured beside its own audit",
  );
  row(
    "  gm audit ÷ intl audit, time per entry",
    `${fmt(intl.memoryRate / gm.memoryRate)}×`,
    "in memory, per CPU-second",
  );

  out("");
  out("Targets (issue #3's, per suite: audit in memory ≥ 0.8 × raw verify per core, a signature per entry)");
  for (const f of figures) {
    const met = f.memoryRatio >= 0.8;
    out(
      `  ${met ? "met    " : "NOT met"}  audit under ${f.suite}: ${fmt(f.memoryRatio)} × raw ${f.alg} verify per core (target ≥ 0.8)`,
    );
  }
}

async function measureSuite(
  node: ConsortiumProcess,
  file: string,
  writerList: ReadonlyArray<{ dept: string; type: string }>,
): Promise<SuiteFigures> {
  const suite = suiteNamed(node.ready.suite);
  const writers: Writer[] = await Promise.all(
    writerList.map(async (w) => ({ ...w, signer: await memberSigner(node.ready, w.dept) })),
  );
  const alg = writers[0]?.signer.alg as SignatureAlgorithm;
  out("");
  out(`${suite.name}: ${file} (department signatures ${alg})`);

  // Warm the server (JIT, connections, table files) before the measured backlogs.
  await submitAll(node, suite, writers, WARM_UP, 1);
  const warm = await sealAll(node);
  const t0 = performance.now();
  await submitAll(node, suite, writers, SIZES.singles, 1);
  const singles = await sealAll(node);
  await submitAll(node, suite, writers, SIZES.batches, BATCH_RECORDS);
  const batched = await sealAll(node);
  row(
    "ledger built",
    `${fmt((performance.now() - t0) / 1000)} s`,
    `${SIZES.singles} single-record submits and ${SIZES.batches} of ${BATCH_RECORDS} records, ` +
      `concurrency ${CONCURRENCY}, sealed (POST /local/seal)`,
  );

  const keys = StaticKeyDirectory.fromFile(trustFile(node.ready.home));
  const deps = { source: node.store, keys, log: node.ready.log, suite, keyRecords: node.store };
  // And the auditor: JIT, and each department key's prepared check (lib/sm2 builds an SM2
  // key's table at its 16th check), so the timed audits see what a long audit sees.
  for (const threads of [undefined, 1]) {
    const report = await auditChain({ ...deps, signatureThreads: threads }, { from: warm.from, to: warm.to });
    if (!report.ok) throw new Error(`the warm-up audit failed: ${JSON.stringify(report.findings[0])}`);
  }
  const segments: Segment[] = [
    { name: "single-record batches: 1 signature per entry", batchSize: 1, ...singles },
    {
      name: `${BATCH_RECORDS}-record batches: 1 signature per ${BATCH_RECORDS} entries`,
      batchSize: BATCH_RECORDS,
      ...batched,
    },
  ];

  let figures: SuiteFigures | undefined;
  for (const s of segments) {
    out(`  ${s.name} (heights ${s.from}–${s.to}, ${s.entries} entries)`);
    const blocks = await node.store.listRawBlocks(s.from, s.to);
    const evidence = (await Promise.all(blocks.map((b) => loadEvidence(node.store, b)))).map(
      (l) => l.evidence,
    );
    const raw = rawVerifier(firstSignature(evidence, keys), VERIFIES[alg] ?? 1_000);
    const rawBefore = raw();

    const t1 = performance.now();
    const report = await auditChain(deps, { from: s.from, to: s.to });
    const storeRate = s.entries / ((performance.now() - t1) / 1000);
    if (!report.ok || report.entriesChecked !== s.entries) {
      throw new Error(`audit of heights ${s.from}–${s.to} failed: ${JSON.stringify(report.findings[0])}`);
    }
    row(
      `  raw ${alg} verify, 1 core`,
      rate(rawBefore.perSecond, "verifies/s"),
      `wall clock; the ${rawBefore.message}-byte signature base of an entry of this ledger`,
    );
    row(
      "  auditChain, through the store",
      rate(storeRate, "entries/s"),
      `wall clock, default signature threads; ${fmt(storeRate / rawBefore.perSecond)} × 1 core's raw verify/s`,
    );
    const t2 = performance.now();
    await auditChain({ ...deps, signatureThreads: 1 }, { from: s.from, to: s.to });
    const oneThread = s.entries / ((performance.now() - t2) / 1000);
    row("    the same, signatures on this thread", rate(oneThread, "entries/s"), "wall clock; no workers");

    // Each run: raw verifies, then the audit, so both see the same machine; fresh
    // options each time, since they memoise batch signatures.
    const start = await positionBefore(node, s.from);
    const verify = suite.name === "gm" ? verifyGmChain : verifyIntlChain;
    const audit = () => {
      const result = verify(evidence, { ...verifyOptions(deps), start });
      if (!result.ok || result.entriesChecked !== s.entries) {
        throw new Error(`verifyBlocks found ${result.findings[0]?.code}`);
      }
    };
    audit();
    const runs = Array.from({ length: RUNS }, () => {
      const r = raw();
      const t = cpuTimed(audit);
      return { raw: r, perCpuSecond: (s.entries * 1000) / t.cpuMs };
    });
    const memoryRate = median(runs.map((r) => r.perCpuSecond));
    const memoryRatio = median(runs.map((r) => r.perCpuSecond / r.raw.perCpuSecond));
    const rawRate = median(runs.map((r) => r.raw.perCpuSecond));
    row(
      "  verifyBlocks, evidence in memory",
      rate(memoryRate, "entries/CPU-s"),
      `${fmt(memoryRatio)} × raw ${alg} verify/CPU-s (${fmt(rawRate)}); median of ${RUNS}`,
    );
    row(
      "    CPU per entry",
      `${fmt(1e6 / memoryRate)} µs`,
      `one raw verify is ${fmt(1e6 / rawRate)} µs; ${s.entries / s.batchSize} entry signatures checked`,
    );
    if (s.batchSize === 1) {
      figures = {
        suite: suite.name,
        alg,
        rawPerCpuSecond: rawRate,
        memoryRate,
        memoryRatio,
        storeRate,
        storeRatio: storeRate / rawBefore.perSecond,
      };
    }
  }
  if (!figures) throw new Error("no single-record segment was measured");
  return figures;
}

// Two names for verifyBlocks, so that a CPU profile tells the two suites' audits apart
// (bench/support/profile-summary.ts --under verifyGmChain).
function verifyIntlChain(evidence: readonly BlockEvidence[], options: VerifyBlocksOptions): BlocksReport {
  return verifyBlocks(evidence, options);
}

function verifyGmChain(evidence: readonly BlockEvidence[], options: VerifyBlocksOptions): BlocksReport {
  return verifyBlocks(evidence, options);
}

// ---- the ledger ----------------------------------------------------------------------

/** `requests` submits of `size` records each, by the writers in turn, `CONCURRENCY` in flight. */
async function submitAll(
  node: ConsortiumProcess,
  suite: CryptoSuite,
  writers: readonly Writer[],
  requests: number,
  size: number,
): Promise<void> {
  await pool(requests, CONCURRENCY, async (i) => {
    const w = writers[i % writers.length] as Writer;
    const records = Array.from({ length: size }, () => makeRecord(w.type));
    await submitRecords(node.ready.url, w.signer, w.dept, records, suite);
  });
}

/**
 * Seals everything pending through the consortium process's POST /local/seal (one block
 * per call, as local mode's timer seals); returns the heights and entries sealed.
 */
async function sealAll(node: ConsortiumProcess): Promise<{ from: number; to: number; entries: number }> {
  let from = 0;
  let to = 0;
  let entries = 0;
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${node.ready.url}/local/seal`, { method: "POST", body: "{}" });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`/local/seal answered ${res.status}: ${text.slice(0, 300)}`);
    const result = JSON.parse(text) as { sealed: boolean; height: number; entries?: number; reason?: string };
    if (!result.sealed) {
      if (result.reason !== "nothing-pending" || from === 0) throw new Error(`seal: ${text.slice(0, 300)}`);
      return { from, to, entries };
    }
    if (from === 0) from = result.height;
    to = result.height;
    entries += result.entries ?? 0;
  }
  throw new Error("sealing did not drain the backlog in 100 blocks");
}

async function positionBefore(node: ConsortiumProcess, height: number) {
  const block = await node.store.getBlock(height - 1);
  if (!block) throw new Error(`block ${height - 1} is missing`);
  return { height: block.header.height, hash: block.hash, logRange: block.logRange };
}

// ---- the baseline --------------------------------------------------------------------

interface Signed {
  alg: SignatureAlgorithm;
  spki: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/** The first entry's department signature, its signature base, and its key from the trust bundle. */
function firstSignature(evidence: readonly BlockEvidence[], keys: StaticKeyDirectory): Signed {
  const envelope = evidence[0]?.entries[0]?.envelope as
    | { keyId: string; signatureBase: string; signature: string }
    | undefined;
  if (!envelope) throw new Error("the first block has no entry");
  const key = keys.getKey(envelope.keyId);
  if (!key) throw new Error(`the trust bundle has no key ${envelope.keyId}`);
  return {
    alg: key.alg,
    spki: key.spki,
    message: utf8(envelope.signatureBase),
    signature: fromBase64(envelope.signature),
  };
}

/**
 * `count` raw verifies of one signature per call, with the key prepared once: node:crypto
 * with a KeyObject (Ed25519), lib/sm2's prepared verifier (SM2; its key table is built at
 * the 16th check, here during the warm-up). Nothing else of the audit: no parsing, no hashing.
 */
function rawVerifier(signed: Signed, count: number): () => Rate & { message: number } {
  const { alg, spki, message, signature } = signed;
  let check: () => boolean;
  if (alg === "ed25519") {
    const key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
    check = () => verify(null, message, key, signature);
  } else if (alg === "sm2-sm3") {
    const prepared = sm2Verifier(sm2PublicKeyFromSpki(spki));
    check = () => prepared(message, signature);
  } else {
    throw new Error(`no raw baseline for ${alg}`);
  }
  const loop = (n: number) => {
    for (let i = 0; i < n; i++) if (!check()) throw new Error("the baseline signature did not verify");
  };
  loop(Math.max(50, count / 10));
  return () => {
    const t = cpuTimed(() => loop(count));
    return {
      perSecond: (count * 1000) / t.wallMs,
      perCpuSecond: (count * 1000) / t.cpuMs,
      message: message.length,
    };
  };
}
