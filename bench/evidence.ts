import { readFileSync } from "node:fs";
import { verifyEd25519, verifyRecordedKeySignature } from "../lib/crypto/verify.js";
import { type EvidenceChecks, parseTrustRoot, verifyEvidenceBundle } from "../lib/evidence/index.js";
import type { VectorCase } from "../test/vectors/evidence/cases.js";
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

interface Call {
  kind: "ed25519" | "request";
  args: unknown[];
}

function run(): void {
  const file = JSON.parse(
    readFileSync(new URL("../test/vectors/evidence/cases.json", import.meta.url), "utf8"),
  ) as { trustRoot: string; cases: VectorCase[] };
  const root = parseTrustRoot(file.trustRoot);
  const ok = file.cases.find((c) => c.expect === "ok" && c.file === undefined) ?? file.cases[0];
  if (ok === undefined) throw new Error("no verifying case in test/vectors/evidence/cases.json");
  const bundle = ok.bundle;

  const checks: EvidenceChecks = {
    verifyEd25519,
    verifySignature: verifyRecordedKeySignature,
  };
  // The signature checks one verification makes, recorded once, to replay as the baseline.
  const calls: Call[] = [];
  verifyEvidenceBundle(bundle, root, {
    verifyEd25519: (...args) => {
      calls.push({ kind: "ed25519", args });
      return checks.verifyEd25519(...args);
    },
    verifySignature: (...args) => {
      calls.push({ kind: "request", args });
      return checks.verifySignature(...args);
    },
  });

  let sink = 0;
  const rows: Row[] = [];
  const raw = measure(
    () => {
      for (let i = 0; i < BUNDLES; i++) {
        for (const c of calls) {
          const ok =
            c.kind === "ed25519"
              ? checks.verifyEd25519(...(c.args as Parameters<EvidenceChecks["verifyEd25519"]>))
              : checks.verifySignature(...(c.args as Parameters<EvidenceChecks["verifySignature"]>));
          if (ok) sink++;
        }
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
    `bundle: ${bundle.length} bytes, ${calls.filter((c) => c.kind === "ed25519").length} Ed25519 note/cosignature checks, ` +
      `${calls.filter((c) => c.kind === "request").length} request/pop checks (sink ${sink > 0 ? "ok" : "0"})`,
  );
}

export const bench: BenchModule = {
  name: "evidence",
  description: "an evidence bundle verified offline, beside its raw signature checks (issue 13)",
  run,
};
