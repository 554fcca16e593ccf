import { readFileSync } from "node:fs";
import { INTL, ledgerKeys } from "#chain";
import { keySignatureCheckOf } from "../lib/crypto/verify.js";
import {
  type EvidenceChecks,
  ExportAudit,
  exportKeyRecordEntries,
  parseTrustBundle,
  parseTrustRoot,
  verifyEvidenceBundle,
} from "../lib/evidence/index.js";
import {
  haikou,
  keysText,
  manifestOf,
  sealBlocks,
  trust,
  witnesses,
} from "../test/unit/lib/evidence/export-fixture.js";
import type { VectorCase } from "../test/vectors/evidence/cases.js";
import { keyAdd, record, type Stored, t } from "../test/vectors/evidence/ledger.js";
import { type BenchModule, measure, printTable, QUICK, type Row } from "./harness.js";

/**
 * `zhixin verify --bundle` offline: lib/evidence's verifyEvidenceBundle on a real bundle
 * (the first verifying case of test/vectors/evidence/cases.json: one entry, its key
 * records, a checkpoint cosigned by its witnesses), with the node:crypto checks the CLI
 * passes (cli/commands/evidence.ts), beside the raw cost of just the signature checks
 * that verification makes, replayed in the same run. The difference is what the bundle
 * costs beyond its signatures: JSON, canonical forms, hashes and the Merkle proofs.
 */

const BUNDLES = QUICK ? 200 : 1_000;
const exportChecks: EvidenceChecks = { verifySignature: keySignatureCheckOf(INTL) };

/** One signature check a verification made: its arguments, replayed as the baseline. */
type Call = Parameters<EvidenceChecks["verifySignature"]>;

/** "7 ed25519, 1 ecdsa-p256-sha256": the checks by algorithm. */
function countByAlgorithm(calls: readonly Call[]): string {
  const counts = new Map<string, number>();
  for (const [alg] of calls) counts.set(alg, (counts.get(alg) ?? 0) + 1);
  return [...counts].map(([alg, n]) => `${n} ${alg}`).join(", ");
}

function run(): void {
  const file = JSON.parse(
    readFileSync(new URL("../test/vectors/evidence/cases.json", import.meta.url), "utf8"),
  ) as { trustRoot: string; cases: VectorCase[] };
  const root = parseTrustRoot(file.trustRoot);
  const ok = file.cases.find((c) => c.expect === "ok" && c.file === undefined) ?? file.cases[0];
  if (ok === undefined) throw new Error("no verifying case in test/vectors/evidence/cases.json");
  const bundle = ok.bundle;

  const checks: EvidenceChecks = { verifySignature: keySignatureCheckOf(root.suite) };
  // The signature checks one verification makes, recorded once, to replay as the baseline.
  const calls: Call[] = [];
  verifyEvidenceBundle(bundle, root, {
    verifySignature: (...args) => {
      calls.push(args);
      return checks.verifySignature(...args);
    },
  });

  let sink = 0;
  const rows: Row[] = [];
  const raw = measure(
    () => {
      for (let i = 0; i < BUNDLES; i++) {
        for (const c of calls) if (checks.verifySignature(...c)) sink++;
      }
    },
    { warmup: 1, reps: 5 },
  );
  rows.push({
    name: `baseline: the ${calls.length} signature checks of one bundle, raw (node:crypto)`,
    timing: raw,
    ops: BUNDLES,
    opName: "bundle",
  });
  const full = measure(
    () => {
      for (let i = 0; i < BUNDLES; i++) sink += verifyEvidenceBundle(bundle, root, checks).entry.logIndex;
    },
    { warmup: 1, reps: 5 },
  );
  rows.push({
    name: "verifyEvidenceBundle (zhixin verify --bundle, no network)",
    timing: full,
    ops: BUNDLES,
    opName: "bundle",
    note: `${(full.median / raw.median).toFixed(2)}× the raw signature checks`,
  });
  printTable(rows);
  console.log(
    `bundle: ${bundle.length} bytes, ${calls.length} signature checks ` +
      `(${countByAlgorithm(calls)}: checkpoint, cosignatures, request, pops) (sink ${sink > 0 ? "ok" : "0"})`,
  );
  runExport();
}

/**
 * `zhixin verify --export` offline: lib/evidence's ExportAudit over a whole-log export of
 * single-record requests (S5's worst case: a department signature per entry), its key
 * history folded first as the CLI does, beside the raw cost of the signature checks that
 * audit makes, replayed in the same run.
 */
function runExport(): void {
  const ENTRIES = QUICK ? 300 : 3_000;
  const PER_BLOCK = 100;
  const batches: Stored[][] = [[keyAdd(haikou, haikou, { receivedAt: t(1) })]];
  for (let i = 0; i < ENTRIES; i += PER_BLOCK) {
    batches.push(
      Array.from({ length: Math.min(PER_BLOCK, ENTRIES - i) }, (_, j) =>
        record(
          haikou,
          "housing-fund.deposit-certificate",
          { citizen: String(i + j), months: 1 },
          {
            receivedAt: t(10 + Math.floor((i + j) / 1000), (i + j) % 1000),
          },
        ),
      ),
    );
  }
  const { blocks, ledger } = sealBlocks(batches);
  const manifest = manifestOf(blocks);
  const note = ledger.checkpoint(witnesses.slice(0, 2), 1_800_000_000);
  const bundleKeys = parseTrustBundle(keysText());
  const audit = (c: EvidenceChecks) => {
    const keys = ledgerKeys(INTL, exportKeyRecordEntries(INTL, blocks), c.verifySignature);
    const a = new ExportAudit(trust.root, bundleKeys, c, { ledger: keys });
    a.add(blocks);
    return a.finish(manifest, note);
  };
  const calls: Call[] = [];
  const first = audit({
    verifySignature: (...args) => {
      calls.push(args);
      return exportChecks.verifySignature(...args);
    },
  });
  if (!first.ok)
    throw new Error(`the bench's export does not audit clean: ${JSON.stringify(first.findings[0])}`);
  const entries = first.entriesChecked;
  let sink = 0;
  const raw = measure(
    () => {
      for (const c of calls) if (exportChecks.verifySignature(...c)) sink++;
    },
    { warmup: 1, reps: 5 },
  );
  const full = measure(
    () => {
      sink += audit(exportChecks).entriesChecked;
    },
    { warmup: 1, reps: 5 },
  );
  printTable([
    {
      name: `baseline: the ${calls.length} signature checks of the export's audit, raw (node:crypto)`,
      timing: raw,
      ops: entries,
      opName: "entry",
    },
    {
      name: "ExportAudit (zhixin verify --export, no network), key history folded first",
      timing: full,
      ops: entries,
      opName: "entry",
      note: `${(full.median / raw.median).toFixed(2)}× the raw signature checks`,
    },
  ]);
  console.log(
    `export: ${blocks.length} blocks, ${entries} entries, one request signature per record (sink ${sink > 0 ? "ok" : "0"})`,
  );
}

export const bench: BenchModule = {
  name: "evidence",
  description:
    "an evidence bundle and a whole-log export verified offline, each beside its raw signature checks (issue 13)",
  run,
};
