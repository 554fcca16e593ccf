import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CosignatureKey,
  cosignatureKeyHash,
  INTL,
  NOTE_SIGNATURE_TYPE_ED25519,
  noteKeyHash,
  noteKeyOf,
  parseCheckpoint,
  parseSignedNote,
  utf8,
} from "#chain";
import type { Witness, WitnessingDeps, WitnessPost } from "../../../functions/ledger/witnessing.js";
import {
  createWitnessTable,
  DynamoDbWitnessState,
  initializeWitnessTable,
} from "../../../functions/witness/state-store.js";
import { addCheckpoint, type WitnessDeps } from "../../../functions/witness/witness.js";
import { LocalSigner } from "../../../lib/crypto/local-signer.js";
import {
  checkWitnessQuorum,
  formatAddCheckpointRequest,
  parseConflictResponse,
  type WitnessPolicy,
} from "../../../lib/witness/index.js";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { freshTileStore, type LocalS3, readObject, startS3 } from "../../support/s3.js";
import { ed25519Check, ed25519Verify } from "../../support/witness-keys.js";
import {
  type Ledger,
  type LedgerSnapshot,
  LOG,
  makeMembers,
  openLedger,
  restoreLedger,
  seal,
  snapshotLedger,
  submit,
} from "../ledger/harness.js";

// The point of witnesses (issue 12, docs/TRUST.md): an operator holding the sealer key
// forks the log — two different blocks at the same height, each properly signed — and
// shows one branch to some witnesses and the other to the rest. With a quorum of more
// than half, no two branches can both be witnessed: a witness asked to cosign both
// refuses the second, and its refusal, with the log's signed checkpoint, is the evidence.
// Also: a rolled-back log is refused with 409, a witness that restarts keeps its state,
// and a witness that is down costs its line, never the block.

let dynamo: LocalDynamo;
let s3: LocalS3;
let base: LedgerSnapshot;
const WITNESS_IDS = ["hf-haikou", "hf-sanya", "market-regulation"] as const;
type WitnessId = (typeof WITNESS_IDS)[number];

interface RunningWitness {
  id: WitnessId;
  table: string;
  key: CosignatureKey;
  deps: WitnessDeps;
  /** Codes of the log-signed checkpoints it refused (its evidence). */
  evidence: string[];
  down: boolean;
}
let witnesses: RunningWitness[];

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3()]);
  const ledger = await openLedger(await makeMembers(), dynamo.client);
  await submit(ledger, "hf-haikou", 3, "split-view-base-batch-a");
  expect(await seal(ledger)).toMatchObject({ sealed: true, height: 1 });
  base = await snapshotLedger(ledger);
}, 60_000);
afterAll(async () => {
  await Promise.all([dynamo?.stop(), s3?.stop()]);
});

/** Three fresh witnesses following the test log, each with its own table and key. */
async function startWitnesses(ledger: Ledger): Promise<RunningWitness[]> {
  const sealer = ledger.members.sealer;
  const sealerKey = noteKeyOf("ed25519", await sealer.publicKey()).publicKey;
  const logVerifier = {
    name: LOG,
    keyHash: noteKeyHash(LOG, NOTE_SIGNATURE_TYPE_ED25519, sealerKey),
    verify: (m: Uint8Array, s: Uint8Array) => ed25519Verify(sealerKey, m, s),
  };
  return Promise.all(
    WITNESS_IDS.map(async (id) => {
      const table = `witness-${id}-${Math.random().toString(36).slice(2, 8)}`;
      await createWitnessTable(dynamo.client, table);
      await initializeWitnessTable(dynamo.client, table, new Date());
      const signer = new LocalSigner(`${id}/witness`, generateKeyPairSync("ed25519").privateKey);
      const name = `zhixin-witness/test/${id}`;
      const publicKey = noteKeyOf("ed25519", await signer.publicKey()).publicKey;
      const w: RunningWitness = {
        id,
        table,
        key: { name, keyHash: cosignatureKeyHash(name, "ed25519", publicKey), alg: "ed25519", publicKey },
        deps: {
          state: new DynamoDbWitnessState(dynamo.client, table),
          key: { name, signer },
          logs: [{ suite: INTL, origin: LOG, verifiers: [logVerifier] }],
          clock: ledger.clock,
        },
        evidence: [],
        down: false,
      };
      w.deps.onEvidence = (refusal) => w.evidence.push(refusal.code);
      return w;
    }),
  );
}

/** The witnesses over HTTP in all but name: each request goes through addCheckpoint. */
function witnessing(only: readonly WitnessId[] = WITNESS_IDS): WitnessingDeps {
  const post: WitnessPost = async (url, body) => {
    const w = witnesses.find((x) => url === `https://${x.id}.witness.test/add-checkpoint`);
    if (!w) throw new Error(`no witness at ${url}`);
    if (w.down) throw new Error("connect ECONNREFUSED");
    const answer = await addCheckpoint(utf8(body), w.deps);
    return { status: answer.status, body: answer.body };
  };
  const asked: Witness[] = witnesses
    .filter((w) => only.includes(w.id))
    .map((w) => ({ key: w.key, url: `https://${w.id}.witness.test` }));
  return { witnesses: asked, post, verify: ed25519Check, timeoutMs: 1000 };
}

const POLICY = (): WitnessPolicy => ({ witnesses: witnesses.map((w) => w.key), threshold: 2 });

async function publishedCheckpoint(bucket: string): Promise<string> {
  return new TextDecoder().decode(await readObject(s3.client, bucket, "checkpoint"));
}

const tilesFor = () => freshTileStore(s3.client);

describe("witnessed checkpoints", () => {
  it("an honest log: every seal's checkpoint is published with all three cosignatures", async () => {
    const ledger = await restoreLedger(base);
    witnesses = await startWitnesses(ledger);
    const { bucket, tiles } = await tilesFor();
    const first = await seal(ledger, ledger.store, { tiles, witnessing: witnessing() });
    expect(first).toMatchObject({ sealed: false, tiles: { published: 3 } });
    await submit(ledger, "hf-sanya", 2, "split-view-honest-batch-b");
    const second = await seal(ledger, ledger.store, { tiles, witnessing: witnessing() });
    expect(second).toMatchObject({ sealed: true, height: 2, tiles: { published: 5 } });
    expect((second.tiles as { witnesses: unknown[] }).witnesses).toEqual(
      WITNESS_IDS.map((id) => ({ witness: `zhixin-witness/test/${id}`, cosigned: true })),
    );
    const note = await publishedCheckpoint(bucket);
    expect(parseSignedNote(note).signatures).toHaveLength(4);
    const quorum = checkWitnessQuorum(note, POLICY(), ed25519Check);
    expect([quorum.ok, quorum.witnessed.length]).toEqual([true, 3]);
  });

  it("a split view: one branch reaches a quorum, the other cannot, and the witness asked for both holds the evidence", async () => {
    // The operator restores the same chain twice and seals a different block 2 on each
    // (same height, same size, both signed by the sealer key).
    const honest = await restoreLedger(base);
    const forked = await restoreLedger(base);
    witnesses = await startWitnesses(honest);
    const a = await tilesFor();
    const b = await tilesFor();
    expect(await seal(honest, honest.store, { tiles: a.tiles, witnessing: witnessing() })).toMatchObject({
      tiles: { published: 3 },
    });
    expect(await seal(forked, forked.store, { tiles: b.tiles, witnessing: witnessing() })).toMatchObject({
      tiles: { published: 3 },
    });
    await submit(honest, "hf-sanya", 2, "split-view-branch-a-batch");
    await submit(forked, "hf-haikou", 2, "split-view-branch-b-batch");

    // Branch A to Haikou and Sanya, branch B to Sanya and Market Regulation.
    const sealedA = await seal(honest, honest.store, {
      tiles: a.tiles,
      witnessing: witnessing(["hf-haikou", "hf-sanya"]),
    });
    const sealedB = await seal(forked, forked.store, {
      tiles: b.tiles,
      witnessing: witnessing(["hf-sanya", "market-regulation"]),
    });
    expect(sealedA).toMatchObject({ sealed: true, height: 2 });
    expect(sealedB).toMatchObject({ sealed: true, height: 2 });
    expect((sealedA as { hash: string }).hash).not.toBe((sealedB as { hash: string }).hash);

    const noteA = await publishedCheckpoint(a.bucket);
    const noteB = await publishedCheckpoint(b.bucket);
    const [cpA, cpB] = [noteA, noteB].map((n) => parseCheckpoint(parseSignedNote(n).text));
    expect(cpA?.size).toBe(cpB?.size);
    expect(checkWitnessQuorum(noteA, POLICY(), ed25519Check).ok).toBe(true);
    const quorumB = checkWitnessQuorum(noteB, POLICY(), ed25519Check);
    expect(quorumB.ok).toBe(false);
    expect(quorumB.witnessed).toHaveLength(1);
    expect(quorumB.findings.map((f) => f.code)).toEqual(["CHECKPOINT_UNWITNESSED"]);
    // Sanya cosigned A and refused B, a log-signed checkpoint of the same size: a proven fork.
    expect(witnesses.find((w) => w.id === "hf-sanya")?.evidence).toEqual(["ROOT_MISMATCH"]);

    // Showing B to everyone does not help: Haikou and Sanya hold A.
    const again = await seal(forked, forked.store, { tiles: b.tiles, witnessing: witnessing() });
    expect(again).toMatchObject({ sealed: false });
    // Nothing new to publish: the published checkpoint stays B's one-witness checkpoint.
    expect(checkWitnessQuorum(await publishedCheckpoint(b.bucket), POLICY(), ed25519Check).ok).toBe(false);
  });

  it("refuses a rolled-back log (409), keeps state across a witness restart, and publishes without a witness that is down", async () => {
    const ledger = await restoreLedger(base);
    witnesses = await startWitnesses(ledger);
    const { bucket, tiles } = await tilesFor();
    await seal(ledger, ledger.store, { tiles, witnessing: witnessing() });
    const old = await publishedCheckpoint(bucket);
    await submit(ledger, "hf-sanya", 1, "split-view-rollback-batch-c");
    await seal(ledger, ledger.store, { tiles, witnessing: witnessing() });

    // The old checkpoint re-offered: each witness answers 409 with the size it holds.
    for (const w of witnesses) {
      const answer = await addCheckpoint(utf8(formatAddCheckpointRequest(3, [], old)), w.deps);
      expect([answer.status, parseConflictResponse(answer.body)]).toEqual([409, 4]);
    }

    // Sanya restarts (a new process over the same table); Market Regulation is down.
    const sanya = witnesses.find((w) => w.id === "hf-sanya") as RunningWitness;
    sanya.deps = { ...sanya.deps, state: new DynamoDbWitnessState(dynamo.client, sanya.table) };
    const down = witnesses.find((w) => w.id === "market-regulation") as RunningWitness;
    down.down = true;
    await submit(ledger, "hf-haikou", 1, "split-view-rollback-batch-d");
    const sealed = await seal(ledger, ledger.store, { tiles, witnessing: witnessing() });
    expect(sealed).toMatchObject({ sealed: true, height: 3, tiles: { published: 5 } });
    expect(
      (sealed.tiles as { witnesses: Array<{ cosigned: boolean }> }).witnesses.map((w) => w.cosigned),
    ).toEqual([true, true, false]);
    const quorum = checkWitnessQuorum(await publishedCheckpoint(bucket), POLICY(), ed25519Check);
    expect([quorum.ok, quorum.witnessed.length]).toEqual([true, 2]);

    // Back up, Market Regulation is asked from the published size it missed: 409, then the proof from 4.
    down.down = false;
    await submit(ledger, "hf-haikou", 1, "split-view-rollback-batch-e");
    const caughtUp = await seal(ledger, ledger.store, { tiles, witnessing: witnessing() });
    expect(
      (caughtUp.tiles as { witnesses: Array<{ cosigned: boolean }> }).witnesses.every((w) => w.cosigned),
    ).toBe(true);
    expect(await down.deps.state.get(LOG)).toMatchObject({ size: 6 });
  });
});
