import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cosignatureMessage,
  cosignerKeyOf,
  formatCheckpoint,
  formatCosignature,
  formatSignedNote,
  MerkleTree,
  noteKeyHashOf,
  noteMessage,
  sha256Bytes,
  toHex,
  utf8,
} from "#chain";
import { readSignerFile } from "../../../functions/auth/signer-file.js";
import { cosignatureAlgorithmOf, witnessName } from "../../../lib/consortium/consortium.js";
import { formatEvidenceBundle, parseEvidenceBundle } from "../../../lib/evidence/index.js";
import { keyFile, witnessKeyFile } from "../../../lib/local-home.js";
import { startTestNode, type TestNode, testSuite } from "../../support/local-node.js";
import { readObject } from "../../support/s3.js";
import { evidenceCli, freePort, type Run, trustRootText } from "./node.js";

// S6 end to end (issue 13, docs/SCENARIOS.md): an internet court records the SHA-256 of
// an evidence file on a ledger started as `npm start` starts it (its departments' first
// keys introduced as key records); the block is sealed and published with the witnesses'
// cosignatures; `zhixin trust export` and `zhixin evidence` write the trust root and the
// bundle. Then the ledger is stopped and its home deleted, and a separate process — the
// court's — with nothing but those files and the evidence file, and ZHIXIN_URL aimed at a
// port nothing listens on, runs `zhixin verify --bundle`: the file is proven, a modified
// file is FILE_MISMATCH, a bundle from a fork of the log cosigned by fewer witnesses than
// the quorum is CHECKPOINT_UNWITNESSED, and a bundle whose key the court revoked, as
// compromised since before the entry, is KEY_REVOKED.

const EVIDENCE = utf8("Screenshot of the seller page, 2026-12-01 10:00, case 2026-ZJ0192-1234\n");

let t: TestNode;
let work: string;
/** ZHIXIN_URL for the court's process: a loopback port bound and released, so nothing listens. */
let closedUrl: string;
/** What the ledger said about the evidence entry while it ran. */
const recorded = { id: "", receivedAt: "", keyId: "", logIndex: -1, trustRoot: "" };

const { member, offline: court } = evidenceCli(() => ({ work, t, closedUrl }));

const ok = (run: Run, what: string) => expect(run.code, `${what}\n${run.stderr}`).toBe(0);

/**
 * The same bundle cut from a fork of the log: one entry the bundle does not show replaced,
 * so every proof and the root differ; signed by the sealer (the operator holds its key)
 * and cosigned by one witness — fewer than the quorum of two.
 */
async function forkedBundle(bundle: string): Promise<string> {
  const parts = parseEvidenceBundle(bundle);
  const { size } = parts.entry.inclusion;
  const tile = await readObject(t.node.s3.client, t.node.tilesBucket, `tile/0/000.p/${size}`);
  const leaves: Uint8Array[] = Array.from({ length: size }, (_, i) => tile.slice(i * 32, i * 32 + 32));
  const shown = new Set([parts.entry.inclusion.index, ...parts.keyRecords.map((r) => r.inclusion.index)]);
  const other = leaves.findIndex((_, i) => !shown.has(i));
  leaves[other] = testSuite.hash(utf8("an entry the log never held"));
  const tree = new MerkleTree(testSuite, leaves);
  const log = t.node.consortium.log;
  const text = formatCheckpoint({ origin: log, size, rootHash: tree.root() });

  // Signed with the sealer's and a witness's own key files, in the suite's algorithms.
  const sealerAlg = t.node.consortium.sealer.alg;
  const sealer = await readSignerFile(keyFile(t.node.home, "sealer"), "sealer", sealerAlg, testSuite.sm2Id);
  const logLine = {
    name: log,
    keyHash: noteKeyHashOf(log, sealerAlg, await sealer.publicKey()),
    signature: await sealer.sign(noteMessage(text)),
  };
  const witness = "hf-haikou";
  const alg = cosignatureAlgorithmOf(t.node.consortium);
  const witnessSigner = await readSignerFile(
    witnessKeyFile(t.node.home, witness),
    witness,
    alg,
    testSuite.sm2Id,
  );
  const cosigner = cosignerKeyOf(
    witnessName(t.node.consortium.consortium, witness),
    alg,
    await witnessSigner.publicKey(),
  );
  const timestamp = Math.floor(Date.now() / 1000);
  const cosignature = formatCosignature(
    cosigner,
    timestamp,
    await witnessSigner.sign(cosignatureMessage(text, timestamp)),
  );
  const note = formatSignedNote(text, [logLine, cosignature]);
  const reproof = <T extends { inclusion: { index: number; size: number } }>(item: T): T => ({
    ...item,
    inclusion: { ...item.inclusion, proof: tree.inclusionProof(item.inclusion.index) },
  });
  return formatEvidenceBundle({
    ...parts,
    checkpoint: note,
    entry: reproof(parts.entry),
    keyRecords: parts.keyRecords.map(reproof),
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "zhixin-s6-"));
  closedUrl = `http://127.0.0.1:${await freePort()}`;
  t = await startTestNode({ introduceKeys: true });
  await writeFile(join(work, "evidence.png"), EVIDENCE);
  await writeFile(
    join(work, "evidence.json"),
    JSON.stringify({
      sha256: toHex(sha256Bytes(EVIDENCE)),
      capturedAt: "2026-12-01T10:00:00Z",
      caseId: "2026-ZJ0192-1234",
      mediaType: "image/png",
    }),
  );

  // The court records the digest; the block is sealed and published, witnessed.
  const submitted = await member([
    "submit",
    "--as",
    "internet-court",
    "--type",
    "evidence.digest",
    "--file",
    "evidence.json",
  ]);
  ok(submitted, "zhixin submit");
  const receipt = JSON.parse(submitted.stdout);
  recorded.id = receipt.entries[0].id;
  recorded.receivedAt = receipt.receivedAt;
  recorded.keyId = await t.keyIdOf("internet-court");
  ok(await member(["seal"]), "zhixin seal");
  ok(await member(["trust", "export", "--out", "trust-root.json"]), "zhixin trust export");
  const fetched = await member([
    "evidence",
    recorded.id,
    "--as",
    "internet-court",
    "--out",
    "evidence.bundle.json",
  ]);
  ok(fetched, "zhixin evidence");
  const bundle = await readFile(join(work, "evidence.bundle.json"), "utf8");
  // Where the ledger itself says the entry is (GET /v1/entries/{id}), to hold the sentence to.
  const entry = await t.send({ method: "GET", path: `/v1/entries/${recorded.id}`, as: "internet-court" });
  recorded.logIndex = entry.body.sealed.logIndex;
  await writeFile(join(work, "forked.bundle.json"), await forkedBundle(bundle));

  // Later the court records a second file, then revokes its key as compromised since that
  // record was received: that record's bundle must not verify, the first one's still does.
  await writeFile(
    join(work, "second.json"),
    JSON.stringify({
      sha256: toHex(sha256Bytes(utf8("a second file"))),
      capturedAt: "2026-12-01T11:00:00Z",
      caseId: "2026-ZJ0192-1234",
    }),
  );
  const second = await member([
    "submit",
    "--as",
    "internet-court",
    "--type",
    "evidence.digest",
    "--file",
    "second.json",
  ]);
  ok(second, "zhixin submit (second)");
  const secondReceipt = JSON.parse(second.stdout);
  await writeFile(
    join(work, "revoke.json"),
    JSON.stringify({ keyId: recorded.keyId, compromisedSince: secondReceipt.receivedAt }),
  );
  ok(
    await member([
      "submit",
      "--as",
      "internet-court",
      "--type",
      "zhixin.key.revoke",
      "--file",
      "revoke.json",
    ]),
    "zhixin submit (revoke)",
  );
  ok(await member(["seal"]), "zhixin seal (revoke)");
  // The court's revoked key signs nothing now (KEY_NOT_VALID): the auditor fetches the bundles.
  ok(
    await member([
      "evidence",
      secondReceipt.entries[0].id,
      "--as",
      "auditor",
      "--out",
      "revoked.bundle.json",
    ]),
    "zhixin evidence (revoked)",
  );
  ok(
    await member(["evidence", recorded.id, "--as", "auditor", "--out", "after-revoke.bundle.json"]),
    "zhixin evidence (the first record, after the revoke)",
  );

  // The trust root from its parts, to hold `zhixin trust export` to; then the ledger is
  // gone, its home too: nothing the court's process could ask.
  recorded.trustRoot = await trustRootText(t.node);
  await t.stop();
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("S6: a court checks an evidence file offline, with the trust root and the bundle alone", () => {
  it("proves the file: who recorded it, when, with which key, where in the log, witnessed by whom", async () => {
    const run = await court([
      "--bundle",
      "evidence.bundle.json",
      "--trust-root",
      "trust-root.json",
      "--file",
      "evidence.png",
    ]);
    ok(run, "zhixin verify --bundle");
    expect(await readFile(join(work, "trust-root.json"), "utf8")).toBe(recorded.trustRoot);
    expect(run.stderr).toContain(
      `This file was recorded by internet-court at ${recorded.receivedAt}, signed with key ${recorded.keyId}, ` +
        `included in the log at position ${recorded.logIndex}, witnessed by 3 of 3 witnesses (2 needed).`,
    );
    const proven = JSON.parse(run.stdout);
    expect(proven).toMatchObject({
      ok: true,
      entry: {
        id: recorded.id,
        type: "evidence.digest",
        writer: "internet-court",
        receivedAt: recorded.receivedAt,
      },
      signingKey: { keyId: recorded.keyId, owner: "internet-court" },
      file: { field: "sha256", sha256: toHex(sha256Bytes(EVIDENCE)) },
      keyHistoryComplete: false,
    });
    // The court's key was introduced by npm start's genesis, the block before or with the record.
    expect(proven.keyRecords.map((r: { type: string; keyId: string }) => [r.type, r.keyId])).toEqual([
      ["zhixin.key.add", recorded.keyId],
    ]);
  });

  it("refuses a modified file: FILE_MISMATCH", async () => {
    await writeFile(join(work, "edited.png"), utf8("Screenshot of the seller page, edited\n"));
    const run = await court([
      "--bundle",
      "evidence.bundle.json",
      "--trust-root",
      "trust-root.json",
      "--file",
      "edited.png",
    ]);
    expect([run.code, JSON.parse(run.stdout).error.code]).toEqual([1, "FILE_MISMATCH"]);
  });

  it("refuses a bundle from a fork of the log cosigned by fewer witnesses than the quorum: CHECKPOINT_UNWITNESSED", async () => {
    const run = await court([
      "--bundle",
      "forked.bundle.json",
      "--trust-root",
      "trust-root.json",
      "--file",
      "evidence.png",
    ]);
    expect([run.code, JSON.parse(run.stdout).error.code]).toEqual([1, "CHECKPOINT_UNWITNESSED"]);
    // Only the quorum told the fork apart: its proofs, the sealer's and the one witness's signatures hold.
    const one = await court([
      "--bundle",
      "forked.bundle.json",
      "--trust-root",
      "trust-root.json",
      "--min-witnesses",
      "1",
    ]);
    ok(one, "the fork with --min-witnesses 1");
  });

  it("refuses a bundle whose key was revoked as compromised since before the entry: KEY_REVOKED", async () => {
    const run = await court(["--bundle", "revoked.bundle.json", "--trust-root", "trust-root.json"]);
    expect([run.code, JSON.parse(run.stdout).error.code]).toEqual([1, "KEY_REVOKED"]);
    // The record made before the compromise still stands, with the revoke in its bundle.
    // The auditor fetched it (the court's revoked key signs nothing) and may not read the
    // payload, so the court brings the record's data beside the file.
    const before = await court([
      "--bundle",
      "after-revoke.bundle.json",
      "--trust-root",
      "trust-root.json",
      "--payload",
      "evidence.json",
      "--file",
      "evidence.png",
    ]);
    ok(before, "the first record's bundle after the revoke");
    expect(JSON.parse(before.stdout).signingKey.compromisedSince).toBeDefined();
  });
});
