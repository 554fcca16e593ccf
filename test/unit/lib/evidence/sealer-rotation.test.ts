import { describe, expect, it } from "vitest";
import {
  formatCosignatureVerifierKey,
  formatVerifierKey,
  INTL,
  ledgerKeys,
  NOTE_SIGNATURE_TYPE_ED25519,
} from "#chain";
import {
  type EvidenceError,
  ExportAudit,
  type ExportBlock,
  type ExportReport,
  exportKeyRecordEntries,
  formatBlockLine,
  formatManifest,
  formatTrustRoot,
  openTrustedCheckpoint,
  parseBlockLine,
  parseManifest,
  parseTrustBundle,
  parseTrustRoot,
} from "../../../../lib/evidence/index.js";
import {
  type BlockSealer,
  checkpointBy,
  sealChain,
  sealerOfTestLog,
} from "../../../support/sealer-rotation.js";
import { testLog, testWitness } from "../../../support/witness-keys.js";
import { checks, ed25519Key, keyAdd, record, t } from "../../../vectors/evidence/ledger.js";
import { keysText, manifestOf } from "./export-fixture.js";

// The sealer's key rotated halfway through a log (docs/DEPLOY.md, "Rotating the sealer's
// key"): blocks 1 and 2 sealed with the old key, block 3 with the new one, the published
// checkpoint signed by the new one. A trust root listing both sealer keys (docs/formats/
// trust-root.md §1: "several while the sealer's key is rotated") audits the whole export
// clean; one listing only the new key does not, so the old key must stay in it.

const LOG = "zhixin.example/export";
const oldSealer = sealerOfTestLog(testLog(LOG, "sealer before rotation"));
const newSealer = sealerOfTestLog(testLog(LOG, "sealer after rotation"));
const witnesses = ["a", "b", "c"].map((w) => testWitness(`zhixin-witness/export/${w}`));
const haikou = ed25519Key("hf-haikou", new Uint8Array(32).fill(1));
const sanya = ed25519Key("hf-sanya", new Uint8Array(32).fill(2));

const vkey = (s: BlockSealer) => formatVerifierKey(LOG, NOTE_SIGNATURE_TYPE_ED25519, s.publicKey);
const rootOf = (sealers: readonly BlockSealer[]) =>
  parseTrustRoot(
    formatTrustRoot({
      suite: INTL,
      log: LOG,
      sealers: sealers.map(vkey),
      witnesses: witnesses.map((w) => formatCosignatureVerifierKey(w.key)),
      quorum: 2,
    }),
  );

function rotatedLog() {
  const { blocks, entries } = sealChain(
    LOG,
    [
      [keyAdd(haikou, haikou, { receivedAt: t(1) }), keyAdd(sanya, sanya, { receivedAt: t(2) })],
      [record(haikou, "housing-fund.deposit-certificate", { citizen: "1" }, { receivedAt: t(10) })],
      [record(sanya, "housing-fund.deposit-certificate", { citizen: "2" }, { receivedAt: t(20) })],
    ],
    [oldSealer, oldSealer, newSealer],
    (i) => t(100 + i),
  );
  return { blocks, entries, published: checkpointBy(LOG, entries, newSealer, witnesses.slice(0, 2)) };
}

function audit(
  root: ReturnType<typeof rootOf>,
  blocks: readonly ExportBlock[],
  published: string,
): ExportReport {
  const a = new ExportAudit(root, parseTrustBundle(keysText([haikou, sanya])), checks, {
    ledger: ledgerKeys(INTL, exportKeyRecordEntries(INTL, blocks), checks.verifySignature),
  });
  a.add(blocks.map((b, i) => parseBlockLine(formatBlockLine(b), `line ${i + 1}`)));
  return a.finish(parseManifest(formatManifest(manifestOf(blocks))), published);
}

describe("a log sealed partly with the old sealer key and partly with the new", () => {
  it("names each block's key in its header: the old one for blocks 1–2, the new one for block 3", () => {
    const { blocks } = rotatedLog();
    expect(blocks.map((b) => (b.header as { sealer: string }).sealer)).toEqual([
      oldSealer.keyId,
      oldSealer.keyId,
      newSealer.keyId,
    ]);
    expect(oldSealer.keyId).not.toBe(newSealer.keyId);
  });

  it("audits clean against a trust root holding both sealer keys", () => {
    const { blocks, published } = rotatedLog();
    const report = audit(rootOf([oldSealer, newSealer]), blocks, published);
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.blocksChecked).toBe(3);
  });

  it("finds the old key's blocks against a trust root holding only the new key", () => {
    const { blocks, published } = rotatedLog();
    const report = audit(rootOf([newSealer]), blocks, published);
    expect(report.ok).toBe(false);
    const heights = (code: string) => report.findings.filter((f) => f.code === code).map((f) => f.height);
    expect(heights("KEY_UNKNOWN")).toEqual([1, 2]);
    expect(heights("CHECKPOINT_INVALID")).toEqual([1, 2]);
    expect(report.findings.every((f) => f.height === 1 || f.height === 2)).toBe(true);
  });

  it("opens a checkpoint of either key under a root holding both, and the old one's under the new key alone not at all", () => {
    const { entries } = rotatedLog();
    const before = checkpointBy(LOG, entries.slice(0, 3), oldSealer, witnesses.slice(0, 2));
    const after = checkpointBy(LOG, entries, newSealer, witnesses.slice(1));
    const both = rootOf([oldSealer, newSealer]);
    expect(openTrustedCheckpoint(before, both, checks).checkpoint.size).toBe(3);
    expect(openTrustedCheckpoint(after, both, checks).checkpoint.size).toBe(4);
    expect(openTrustedCheckpoint(after, both, checks).quorum.findings).toEqual([]);
    let code: string | undefined;
    try {
      openTrustedCheckpoint(before, rootOf([newSealer]), checks);
    } catch (e) {
      code = (e as EvidenceError).code;
    }
    expect(code).toBe("CHECKPOINT_UNTRUSTED");
  });
});
