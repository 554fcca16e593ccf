import { describe, expect, it } from "vitest";
import { INTL, KEY_COSIGN_TYPE, KEY_REVOKE_TYPE, type KeyGovernance, sha256Bytes, utf8 } from "#chain";
import {
  ExportAudit,
  type ExportReport,
  exportKeyHistory,
  exportKeyRecordEntries,
  formatBlockLine,
  formatManifest,
  NO_KEY_GOVERNANCE,
  parseBlockLine,
  parseManifest,
  parseTrustBundle,
  type TrustRoot,
} from "../../../../lib/evidence/index.js";
import {
  checks,
  ed25519Key,
  keyAdd,
  type MemberKey,
  record,
  type Stored,
  t,
  trustRootFor,
} from "../../../vectors/evidence/ledger.js";
import {
  type Fixture,
  haikou,
  keysText,
  manifestOf,
  sanya,
  sealBlocks,
  sealer,
  trust,
  witnesses,
} from "./export-fixture.js";

// The export audit under the trust root's key governance (docs/formats/export.md §2, §4;
// design/key-history.md §3 rule 4): hf-sanya's key is stolen and recovered by hf-haikou,
// each recovery completed by tax-haikou's cosign — whose payload the exporter (hf-haikou)
// may not read, so the cosign is known by its contentDigest. The audit names exactly what
// the stolen key signed after compromisedSince; the manifest indexes the cosigns; a root
// without keyGovernance reports the recovery and says why.

const tax = ed25519Key("tax-haikou", sha256Bytes(utf8("export governance: tax-haikou")));
const sanya2 = ed25519Key("hf-sanya", sha256Bytes(utf8("export governance: hf-sanya's new key")));
const governance: KeyGovernance = { departments: ["hf-haikou", "hf-sanya", "tax-haikou"], ownerCosigns: 0 };
const root = trustRootFor(sealer, witnesses, 2, governance).root;

function cosign(of: Stored, by: MemberKey, receivedAt: string): Stored {
  const data = { contentDigest: of.envelope.contentDigest, entryId: of.envelope.id };
  return record(by, KEY_COSIGN_TYPE, data, { receivedAt });
}

const deposit = (by: MemberKey, citizen: string, receivedAt: string) =>
  record(by, "housing-fund.deposit-certificate", { citizen, months: 1 }, { receivedAt });

const revoke = record(
  haikou,
  KEY_REVOKE_TYPE,
  { compromisedSince: t(9), keyId: sanya.keyId },
  { receivedAt: t(12) },
);
const addSanya2 = keyAdd(sanya2, haikou, { receivedAt: t(20) });
const named = {
  before: deposit(sanya, "1", t(8)),
  stolen: deposit(sanya, "2", t(11)),
  revoke,
  revokeCosign: cosign(revoke, tax, t(13)),
  addSanya2,
  addCosign: cosign(addSanya2, tax, t(21)),
  after: deposit(sanya2, "3", t(22)),
};
const batches: Stored[][] = [
  [
    keyAdd(haikou, haikou, { receivedAt: t(1) }),
    keyAdd(sanya, sanya, { receivedAt: t(2) }),
    keyAdd(tax, tax, { receivedAt: t(3) }),
  ],
  [named.before, named.stolen, named.revoke, named.revokeCosign],
  [named.addSanya2, named.addCosign, named.after],
];

function recovered(): Fixture {
  const { blocks, ledger } = sealBlocks(batches);
  return {
    blocks,
    manifest: manifestOf(blocks),
    checkpoint: ledger.checkpoint(witnesses.slice(0, 2), 1_800_000_000),
    ledger,
  };
}

function audit(f: Fixture, r: TrustRoot = root): ExportReport {
  const a = new ExportAudit(r, parseTrustBundle(keysText([haikou, sanya, tax])), checks, {
    ledger: exportKeyHistory(f.blocks, r, checks.verifySignature),
  });
  a.add(f.blocks.map((b, i) => parseBlockLine(formatBlockLine(b), `line ${i + 1}`)));
  return a.finish(parseManifest(formatManifest(f.manifest)), f.checkpoint);
}

describe("an export of a recovered key", () => {
  it("indexes the cosigns of key records in the manifest, known by their digest though their payload is withheld", () => {
    const f = recovered();
    const cosigns = f.blocks.flatMap((b) => b.entries).filter((e) => e.envelope?.type === KEY_COSIGN_TYPE);
    expect(cosigns.map((e) => e.payloadStatus)).toEqual(["withheld", "withheld"]);
    expect(f.manifest.keyRecords.map((r) => [r.type, r.height])).toEqual([
      ["zhixin.key.add", 1],
      ["zhixin.key.add", 1],
      ["zhixin.key.add", 1],
      [KEY_REVOKE_TYPE, 2],
      [KEY_COSIGN_TYPE, 2],
      ["zhixin.key.add", 3],
      [KEY_COSIGN_TYPE, 3],
    ]);
    const entries = exportKeyRecordEntries(INTL, f.blocks).filter((e) => e.type === KEY_COSIGN_TYPE);
    expect(entries.map((e) => [e.writer, e.data])).toEqual([
      ["tax-haikou", { contentDigest: revoke.envelope.contentDigest, entryId: revoke.envelope.id }],
      ["tax-haikou", { contentDigest: addSanya2.envelope.contentDigest, entryId: addSanya2.envelope.id }],
    ]);
  });

  it("is audited under the root's governance: only what the stolen key signed after compromisedSince is a finding", () => {
    const r = audit(recovered());
    expect(r.findings.map((f) => [f.code, f.entryId])).toEqual([["KEY_REVOKED", named.stolen.envelope.id]]);
    expect(r).toMatchObject({ keyRecords: 7, keyGovernance: governance });
    expect(r.notChecked).not.toContain(NO_KEY_GOVERNANCE);
  });

  it("leaves a recovery pending when its completing cosign is not a cosign of it: the recovered key is unknown", () => {
    // tax-haikou cosigns another digest: not a cosign of the add, so the add awaits a cosign.
    const stray = record(
      tax,
      KEY_COSIGN_TYPE,
      { contentDigest: "ab".repeat(32), entryId: addSanya2.envelope.id },
      { receivedAt: t(21) },
    );
    const { blocks, ledger } = sealBlocks([
      batches[0] as Stored[],
      batches[1] as Stored[],
      [named.addSanya2, stray, named.after],
    ]);
    const f = {
      blocks,
      manifest: manifestOf(blocks),
      checkpoint: ledger.checkpoint(witnesses.slice(0, 2), 1_800_000_000),
      ledger,
    };
    expect(f.manifest.keyRecords.map((r) => r.type)).not.toContain(undefined);
    expect(f.manifest.keyRecords).toHaveLength(6);
    const r = audit(f);
    expect(r.findings.map((x) => [x.code, x.entryId])).toEqual([
      ["KEY_REVOKED", named.stolen.envelope.id],
      ["KEY_UNKNOWN", named.after.envelope.id],
    ]);
  });

  it("holds the manifest to the cosigns the blocks hold: one left out is MANIFEST_MISMATCH", () => {
    const f = recovered();
    f.manifest.keyRecords = f.manifest.keyRecords.filter((k) => k.type !== KEY_COSIGN_TYPE || k.height !== 3);
    expect(audit(f).findings.map((x) => x.code)).toEqual(["MANIFEST_MISMATCH", "KEY_REVOKED"]);
  });

  it("against a root without keyGovernance, reports the recovery's records as refused and says why", () => {
    const r = audit(recovered(), trust.root);
    expect(r.keyGovernance).toBeNull();
    expect(r.notChecked).toContain(NO_KEY_GOVERNANCE);
    expect(new Set(r.findings.map((x) => x.code))).toContain("KEY_RECORD_REFUSED");
    expect(r.ok).toBe(false);
  });
});
