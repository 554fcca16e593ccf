import { existsSync } from "node:fs";
import { mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BlockEvidence, INTL, ledgerKeys, verifyBlocks } from "#chain";
import { openSealerCheckpoint, verifyOptions } from "../../../functions/audit/audit.js";
import { StaticKeyDirectory } from "../../../functions/auth/key-directory.js";
import { generateKeyFile, readOwnerSignerFile } from "../../../functions/auth/signer-file.js";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import { keySignatureCheckOf } from "../../../lib/crypto/verify.js";
import { blockEvidenceOf, exportKeyRecordEntries } from "../../../lib/evidence/index.js";
import { keyFile, trustFile } from "../../../lib/local-home.js";
import { ensureLocalKeys, rotateLocalSealerKey } from "../../../local/keys.js";
import { checkpointBy, sealChain, sealerOfPem } from "../../support/sealer-rotation.js";
import { ed25519Key, keyAdd, record, t } from "../../vectors/evidence/ledger.js";

// Local mode's sealer key rotation (local/keys.ts rotateLocalSealerKey, which `zhixin keys
// rotate --sealer` calls): a new keys/sealer.pem, the old one kept aside, keys/trust.json
// listing both — the old with validUntil — across restarts; and a chain sealed partly with
// the old key and partly with the new audits clean with that trust.json, as the audit's own
// checks (functions/audit verifyOptions, openSealerCheckpoint) judge it.

const consortium = loadConsortium("consortium.example.json");
const STARTED = new Date("2026-11-21T07:00:00.000Z");
const ROTATED = new Date("2026-11-21T08:01:00.000Z");
let home = "";

interface BundleKey {
  keyId: string;
  owner: string;
  role: string;
  validFrom: string;
  validUntil?: string;
}
const readBundle = async () =>
  JSON.parse(await readFile(trustFile(home), "utf8")) as { log?: string; keys: BundleKey[] };
const sealerKeys = async () => (await readBundle()).keys.filter((k) => k.role === "sealer");
const sealerIdOf = async (path: string) => (await readOwnerSignerFile(INTL, path, "sealer")).keyId;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "zhixin-sealer-rotation-"));
  await ensureLocalKeys(home, consortium, STARTED);
});
afterEach(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

describe("rotateLocalSealerKey", () => {
  it("makes a new sealer.pem, keeps the old as sealer.<hash>.retired.pem, and lists both in trust.json", async () => {
    const before = await sealerIdOf(keyFile(home, "sealer"));
    const [original] = await sealerKeys();
    const rotation = await rotateLocalSealerKey(home, consortium, ROTATED);

    expect(rotation.retired).toBe(before);
    expect(rotation.active).not.toBe(before);
    expect(rotation.oldKeyFile).toBe(`sealer.${before.slice("sealer/".length)}.retired.pem`);
    expect(await sealerIdOf(keyFile(home, "sealer"))).toBe(rotation.active);
    expect(await sealerIdOf(join(home, "keys", rotation.oldKeyFile))).toBe(before);
    expect(existsSync(join(home, "keys", "sealer.next.pem"))).toBe(false);
    expect(await sealerKeys()).toEqual([
      { ...original, validUntil: ROTATED.toISOString() },
      expect.objectContaining({ keyId: rotation.active, owner: "sealer", validFrom: ROTATED.toISOString() }),
    ]);
    expect((await sealerKeys())[1]?.validUntil).toBeUndefined();
    // The rest of the bundle is as it was, the log's origin included.
    const bundle = await readBundle();
    expect(bundle.log).toBe(consortium.log);
    expect(bundle.keys.filter((k) => k.role !== "sealer")).toHaveLength(
      consortium.departments.length + consortium.auditors.length,
    );
  });

  it("keeps the old sealer key in trust.json when the node starts again, and rotates again from the new one", async () => {
    const first = await rotateLocalSealerKey(home, consortium, ROTATED);
    const after = await sealerKeys();
    await ensureLocalKeys(home, consortium, new Date("2026-11-22T08:00:00.000Z"));
    expect(await sealerKeys()).toEqual(after);

    const second = await rotateLocalSealerKey(home, consortium, new Date("2026-11-23T08:00:00.000Z"));
    expect(second.retired).toBe(first.active);
    expect((await sealerKeys()).map((k) => [k.keyId, k.validUntil])).toEqual([
      [first.retired, ROTATED.toISOString()],
      [first.active, "2026-11-23T08:00:00.000Z"],
      [second.active, undefined],
    ]);
  });

  it("keeps a sealer key replaced by other means (sealer.pem deleted), valid until that start", async () => {
    const old = await sealerIdOf(keyFile(home, "sealer"));
    await rm(keyFile(home, "sealer"));
    const restart = new Date("2026-11-22T08:00:00.000Z");
    await ensureLocalKeys(home, consortium, restart);
    const keys = await sealerKeys();
    expect(keys).toHaveLength(2);
    expect(keys.find((k) => k.keyId === old)?.validUntil).toBe(restart.toISOString());
  });

  it("finishes a rotation cut short between its two renames, rather than starting another", async () => {
    const rotation = await rotateLocalSealerKey(home, consortium, ROTATED);
    // As if the run had stopped after keeping the old key aside, before sealer.next.pem became sealer.pem.
    await rename(keyFile(home, "sealer"), join(home, "keys", "sealer.next.pem"));
    const bundle = await readBundle();
    expect(await rotateLocalSealerKey(home, consortium, new Date("2026-11-21T09:00:00.000Z"))).toEqual(
      rotation,
    );
    expect(await sealerIdOf(keyFile(home, "sealer"))).toBe(rotation.active);
    expect(await readBundle()).toEqual(bundle);
  });

  it("takes up a new key written by a run cut short before trust.json, and writes trust.json once", async () => {
    await rotateLocalSealerKey(home, consortium, ROTATED);
    const before = await readBundle();
    // A second rotation cut short after writing its new key, before trust.json: run again.
    const pending = join(home, "keys", "sealer.next.pem");
    await generateKeyFile(pending, "ed25519");
    const pendingId = await sealerIdOf(pending);
    const at = new Date("2026-11-24T08:00:00.000Z");
    const rotation = await rotateLocalSealerKey(home, consortium, at);
    expect(rotation.active).toBe(pendingId);
    expect((await sealerKeys()).map((k) => k.keyId)).toEqual([
      ...before.keys.filter((k) => k.role === "sealer").map((k) => k.keyId),
      pendingId,
    ]);
  });

  it("says what to do on a home npm start has not made", async () => {
    const empty = await mkdtemp(join(tmpdir(), "zhixin-sealer-rotation-empty-"));
    try {
      await expect(rotateLocalSealerKey(empty, consortium, ROTATED)).rejects.toThrow(/npm start/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe("a chain sealed partly with the old sealer key and partly with the new, audited with trust.json", () => {
  const haikou = ed25519Key("hf-haikou", new Uint8Array(32).fill(7));

  async function rotatedChain() {
    const oldPem = await readFile(keyFile(home, "sealer"), "utf8");
    const rotation = await rotateLocalSealerKey(home, consortium, ROTATED);
    const oldSealer = sealerOfPem(oldPem, consortium.log);
    const newSealer = sealerOfPem(await readFile(keyFile(home, "sealer"), "utf8"), consortium.log);
    expect([oldSealer.keyId, newSealer.keyId]).toEqual([rotation.retired, rotation.active]);
    const chain = sealChain(
      consortium.log,
      [
        [keyAdd(haikou, haikou, { receivedAt: t(1) })],
        [record(haikou, "housing-fund.deposit-certificate", { citizen: "1" }, { receivedAt: t(10) })],
        // Sealed after the rotation, with the new key.
        [record(haikou, "housing-fund.deposit-certificate", { citizen: "2" }, { receivedAt: t(120) })],
      ],
      [oldSealer, oldSealer, newSealer],
      (i) => t(30 + i * 60),
    );
    return { ...chain, oldSealer, newSealer };
  }

  function auditWith(keys: StaticKeyDirectory, blocks: BlockEvidence[]) {
    const ledger = ledgerKeys(INTL, exportKeyRecordEntries(INTL, blocks as never), keySignatureCheckOf(INTL));
    return verifyBlocks(blocks, verifyOptions({ keys, log: consortium.log, suite: INTL }, ledger));
  }

  it("audits clean: every header and checkpoint checked against the sealer key its header names", async () => {
    const { blocks, entries, newSealer, oldSealer } = await rotatedChain();
    const keys = StaticKeyDirectory.fromFile(trustFile(home));
    const report = auditWith(keys, blocks.map(blockEvidenceOf));
    expect(report.findings).toEqual([]);
    // The published checkpoint after the rotation, and one the old key signed before it.
    expect(
      openSealerCheckpoint(INTL, keys, checkpointBy(consortium.log, entries, newSealer), consortium.log).size,
    ).toBe(3);
    expect(
      openSealerCheckpoint(
        INTL,
        keys,
        checkpointBy(consortium.log, entries.slice(0, 2), oldSealer),
        consortium.log,
      ).size,
    ).toBe(2);
  });

  it("finds the old key's blocks if trust.json lost the old sealer key", async () => {
    const { blocks } = await rotatedChain();
    const all = StaticKeyDirectory.fromFile(trustFile(home)).listKeys();
    const retired = all.find((k) => k.role === "sealer" && k.validUntil !== undefined)?.keyId;
    const keys = new StaticKeyDirectory(all.filter((k) => k.keyId !== retired));
    const report = auditWith(keys, blocks.map(blockEvidenceOf));
    const heights = (code: string) => report.findings.filter((f) => f.code === code).map((f) => f.height);
    expect(heights("KEY_UNKNOWN")).toEqual([1, 2]);
    expect(heights("CHECKPOINT_INVALID")).toEqual([1, 2]);
    expect(report.findings.every((f) => f.height === 1 || f.height === 2)).toBe(true);
  });
});
