import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deriveKeyId,
  formatCheckpoint,
  formatSignedNote,
  formatVerifierKey,
  fromBase64,
  INTL,
  NOTE_SIGNATURE_TYPE_ED25519,
  noteKeyHash,
  noteMessage,
  openCheckpoint,
} from "#chain";
import { StaticKeyDirectory } from "../../../functions/auth/key-directory.js";
import { readOwnerSignerFile } from "../../../functions/auth/signer-file.js";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import { keyFile, trustFile } from "../../../lib/local-home.js";
import { ensureLocalKeys } from "../../../local/keys.js";
import { verifierFor } from "../../support/note-vectors.js";

// An auditor given keys/trust.json alone must be able to check the node's checkpoints:
// that needs the log's origin (the checkpoint's key name) beside the sealer's key.

const consortium = loadConsortium("consortium.example.json");
let home = "";
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "zhixin-trust-"));
  await ensureLocalKeys(home, consortium, new Date("2026-11-21T08:00:00.000Z"));
});
afterAll(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

interface Bundle {
  log?: string;
  keys: Array<{ keyId: string; owner: string; role: string; spki: string; validFrom: string }>;
}

const readBundle = async () => JSON.parse(await readFile(trustFile(home), "utf8")) as Bundle;

describe("keys/trust.json", () => {
  it("names every key by the id derived from it, the id its key file signs under", async () => {
    const bundle = await readBundle();
    const members = [...consortium.departments, ...consortium.auditors].map((m) => m.id);
    expect(bundle.keys.map((k) => k.owner).sort()).toEqual([...members, "sealer"].sort());
    for (const k of bundle.keys) {
      expect(k.keyId).toBe(deriveKeyId(INTL, k.owner, fromBase64(k.spki)));
      expect((await readOwnerSignerFile(INTL, keyFile(home, k.owner), k.owner)).keyId).toBe(k.keyId);
    }
  });

  it("keeps a key's id and validFrom across restarts, and renames a bundle's older ids", async () => {
    const before = await readBundle();
    await ensureLocalKeys(home, consortium, new Date("2026-11-22T08:00:00.000Z"));
    expect(await readBundle()).toEqual(before);

    // A home written before key ids were derived: the same keys, under <member>/key-1.
    const old = { ...before, keys: before.keys.map((k) => ({ ...k, keyId: `${k.owner}/key-1` })) };
    await writeFile(trustFile(home), JSON.stringify(old));
    await ensureLocalKeys(home, consortium, new Date("2026-11-23T08:00:00.000Z"));
    const after = await readBundle();
    expect(after.keys.map((k) => k.keyId)).toEqual(before.keys.map((k) => k.keyId));
    expect(after.keys.map((k) => k.validFrom)).toEqual(before.keys.map(() => "2026-11-23T07:59:00.000Z"));
  });

  it("names the log's origin", async () => {
    const bundle = JSON.parse(await readFile(trustFile(home), "utf8")) as Bundle;
    expect(bundle.log).toBe(consortium.log);
  });

  it("is enough to derive the sealer's checkpoint verifier key and open a checkpoint the sealer signed", async () => {
    const bundle = JSON.parse(await readFile(trustFile(home), "utf8")) as Bundle;
    const sealer = bundle.keys.find((k) => k.role === "sealer");
    const raw = fromBase64(sealer?.spki ?? "").slice(12);
    const vkey = formatVerifierKey(bundle.log ?? "", NOTE_SIGNATURE_TYPE_ED25519, raw);

    // What the sealer does after each block (functions/ledger/sealer.ts signCheckpoint).
    const signer = await readOwnerSignerFile(INTL, keyFile(home, "sealer"), "sealer");
    const text = formatCheckpoint({ origin: consortium.log, size: 3, rootHash: new Uint8Array(32).fill(7) });
    const note = formatSignedNote(text, [
      {
        name: consortium.log,
        keyHash: noteKeyHash(consortium.log, NOTE_SIGNATURE_TYPE_ED25519, raw),
        signature: await signer.sign(noteMessage(text)),
      },
    ]);
    expect(openCheckpoint(note, [verifierFor(vkey)], bundle.log)).toMatchObject({
      origin: consortium.log,
      size: 3,
    });
  });

  it("still loads as a key directory, as does a bundle written before it named the log", async () => {
    const bundle = JSON.parse(await readFile(trustFile(home), "utf8")) as Bundle;
    const { log: _, ...old } = bundle;
    expect(StaticKeyDirectory.fromFile(trustFile(home)).listKeys()).toHaveLength(bundle.keys.length);
    expect(StaticKeyDirectory.fromJson(old).listKeys()).toHaveLength(bundle.keys.length);
  });
});
