import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cosignatureKeyHash, noteKeyOf, parseSignedNote, toHex } from "#chain";
import { readSignerFile } from "../../../functions/auth/signer-file.js";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import { witnessName } from "../../../lib/consortium/consortium.js";
import { parseTrustRoot, verifyEvidenceBundle } from "../../../lib/evidence/index.js";
import { witnessKeyFile } from "../../../lib/local-home.js";
import { type NodeProcess, startNodeProcess } from "../../support/node-process.js";
import { memberGet, submitDeposit } from "../../support/node-requests.js";
import { zhixinInProcess } from "../../support/zhixin-in-process.js";
import { CHECKS } from "../evidence/node.js";

// ZHIXIN_ROTATE_KEYS=witness:hf-haikou npm start (issue 13), as a user runs it: npm start as
// a child process on one home, restarted with the rotation. The witness keeps its state and
// cosigns with its new key; the audit is clean; and a trust root exported after the rotation
// (listing the witness's old and new keys under its one name) verifies an evidence bundle
// whose checkpoint it cosigned with the old key as well as one cosigned with the new key —
// counting that witness once each time (docs/formats/trust-root.md §1, witness.md §4).

const CONSORTIUM = "consortium.example.json";
const WITNESS = "hf-haikou";
const NAME = witnessName(loadConsortium(CONSORTIUM).consortium, WITNESS);
const homes: string[] = [];
const nodes: NodeProcess[] = [];
afterAll(async () => {
  for (const n of nodes) await n.kill();
  for (const h of homes) await rm(h, { recursive: true, force: true });
});

/** The witness's cosignature key ID (hex) in its key file. */
async function witnessKeyId(home: string): Promise<string> {
  const signer = await readSignerFile(witnessKeyFile(home, WITNESS), `${WITNESS}/witness`, "ed25519");
  return toHex(cosignatureKeyHash(NAME, "ed25519", noteKeyOf("ed25519", await signer.publicKey()).publicKey));
}

const zhixin = (home: string, args: string[]) =>
  zhixinInProcess(args, { ZHIXIN_HOME: home, ZHIXIN_CONSORTIUM: CONSORTIUM });

/** A GET as `as` (its key file in the home), the response's status and text. */
const get = memberGet;

/** Submits one record as hf-haikou, waits for its seal, and returns its evidence bundle once published. */
async function submitSealed(node: NodeProcess, months: number): Promise<{ height: number; bundle: string }> {
  const id = await submitDeposit(node, months);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const entry = JSON.parse((await get(node, `/v1/entries/${id}`, "auditor")).text) as {
      status: string;
      sealed?: { height: number };
    };
    // The bundle waits for the published, witnessed checkpoint (409 EVIDENCE_NOT_READY).
    const evidence =
      entry.status === "sealed" ? await get(node, `/v1/entries/${id}/evidence`, "hf-haikou") : null;
    if (evidence?.status === 200) return { height: entry.sealed?.height as number, bundle: evidence.text };
    if (Date.now() > deadline) throw new Error(`entry ${id}: no evidence bundle (${JSON.stringify(entry)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The key IDs (hex) of the witness's cosignature lines on a checkpoint note. */
const witnessLines = (note: string) =>
  parseSignedNote(note)
    .signatures.filter((s) => s.name === NAME)
    .map((s) => toHex(s.keyHash));

describe("ZHIXIN_ROTATE_KEYS=witness:<department> npm start replaces a witness's key", () => {
  it("the witness cosigns with its new key from its kept state; the audit is clean; the new trust root verifies the bundles of before and after", async () => {
    const home = await mkdtemp(join(tmpdir(), "zhixin-witness-rotation-"));
    homes.push(home);

    const first = await startNodeProcess({ home, sealInterval: "200ms" });
    nodes.push(first);
    const before = await submitSealed(first, 1);
    // Not necessarily block 1: on a loaded machine what the node writes as it starts may be
    // sealed in a block of its own first (the fresh-clone CI run at 120aee7 saw 2).
    expect(before.height).toBeGreaterThanOrEqual(1);
    const oldKey = await witnessKeyId(home);
    const oldCheckpoint = JSON.parse(before.bundle).checkpoint as string;
    expect(witnessLines(oldCheckpoint)).toEqual([oldKey]);
    const oldRoot = (await zhixin(home, ["trust", "export"])).stdout;
    await first.stop();

    const second = await startNodeProcess({
      home,
      port: first.port,
      dynamoPort: first.dynamoPort,
      sealInterval: "200ms",
      env: { ZHIXIN_ROTATE_KEYS: `witness:${WITNESS}` },
    });
    nodes.push(second);
    const newKey = await witnessKeyId(home);
    expect(newKey).not.toBe(oldKey);
    expect(second.output()).toContain(
      `witness:${WITNESS} key rotated: ${NAME}+${oldKey} → ${NAME}+${newKey}`,
    );
    expect(second.output()).toContain(`keys/${WITNESS}.witness.${oldKey}.retired.pem`);
    expect(second.output()).toContain("run `zhixin trust export` again");

    const after = await submitSealed(second, 2);
    expect(after.height).toBeGreaterThan(before.height);
    // The published checkpoint: cosigned by the witness's new key only (its state moved on
    // from size 1 — a witness that had lost it would not have started).
    const published = await get(second, "/v1/log/checkpoint", "auditor");
    expect(published.status).toBe(200);
    expect(witnessLines(published.text)).toEqual([newKey]);
    expect(witnessLines(JSON.parse(after.bundle).checkpoint)).toEqual([newKey]);

    const audit = (await fetch(`${second.url}/local/verify`, { method: "POST", body: "{}" }).then((r) =>
      r.json(),
    )) as { ok: boolean; findings: unknown[]; published?: { witnesses: number; threshold: number } };
    expect(audit).toMatchObject({
      ok: true,
      blocksChecked: 2,
      findings: [],
      published: { witnesses: 3, threshold: 2 },
    });

    // The trust root exported now lists both keys of the witness, the old one first.
    const exported = await zhixin(home, ["trust", "export"]);
    expect(exported.code).toBe(0);
    const root = parseTrustRoot(exported.stdout);
    expect(root.witnesses.filter((k) => k.name === NAME).map((k) => toHex(k.keyHash))).toEqual([
      oldKey,
      newKey,
    ]);
    expect(root.quorum).toBe(parseTrustRoot(oldRoot).quorum);

    // It verifies both bundles, the witness counted once each time, by the key that cosigned.
    for (const [bundle, key] of [
      [before.bundle, oldKey],
      [after.bundle, newKey],
    ] as const) {
      const proven = verifyEvidenceBundle(bundle, root, CHECKS);
      expect(proven.checkpoint.witnesses).toHaveLength(3);
      expect(proven.checkpoint.witnesses.filter((w) => w.name === NAME).map((w) => w.keyHash)).toEqual([key]);
    }
    // And so does `zhixin verify --bundle`, saying 3 of 3 witnesses (not of 4 keys).
    const dir = await mkdtemp(join(tmpdir(), "zhixin-witness-rotation-files-"));
    homes.push(dir);
    await writeFile(join(dir, "root.json"), exported.stdout);
    for (const [file, bundle] of [
      ["before.json", before.bundle],
      ["after.json", after.bundle],
    ] as const) {
      await writeFile(join(dir, file), bundle);
      const cli = await zhixin(home, [
        "verify",
        "--bundle",
        join(dir, file),
        "--trust-root",
        join(dir, "root.json"),
      ]);
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stdout + cli.stderr).toContain("witnessed by 3 of 3 witnesses (2 needed)");
    }

    // The root of before the rotation does not know the new key: the new bundle's
    // checkpoint counts only the two other witnesses there.
    const stale = verifyEvidenceBundle(after.bundle, parseTrustRoot(oldRoot), CHECKS);
    expect(stale.checkpoint.witnesses.map((w) => w.name)).not.toContain(NAME);
    expect(stale.checkpoint.witnesses).toHaveLength(2);
    await second.stop();
  });
});
