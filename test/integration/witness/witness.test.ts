import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cosignatureKeyHash,
  INTL,
  MerkleTree,
  type NoteSignature,
  noteKeyOf,
  parseSignedNote,
  utf8,
  verifyCosignature,
} from "#chain";
import {
  createWitnessTable,
  DynamoDbWitnessState,
  initializeWitnessTable,
  WitnessStateLostError,
} from "../../../functions/witness/state-store.js";
import { addCheckpoint, type WitnessDeps } from "../../../functions/witness/witness.js";
import { LocalSigner } from "../../../lib/crypto/local-signer.js";
import {
  formatAddCheckpointRequest,
  parseConflictResponse,
  parseCosignatureResponse,
} from "../../../lib/witness/index.js";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { ed25519Verify, leaves, signedCheckpoint, testLog } from "../../support/witness-keys.js";

// A department's witness (functions/witness/witness.ts) over its DynamoDB state on
// dynalite: it cosigns only checkpoints consistent with the last one it cosigned, refuses
// a rolled-back or forked log, never cosigns two checkpoints decided on the same stored
// state, keeps its state across restarts and refuses to start over when it was lost.

const LOG = testLog("zhixin.test/witnessed-log");
const OTHER_LOG_KEY = testLog("zhixin.test/witnessed-log", "an operator's second key");
const NAME = "zhixin-witness/test/hf-haikou";
const CLOCK = { now: () => new Date("2026-12-04T08:00:00Z") };

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.stop();
});

let tables = 0;
async function freshWitness(options: { genesis?: boolean } = {}) {
  const table = `witness-${++tables}-${Date.now()}`;
  await createWitnessTable(dynamo.client, table);
  if (options.genesis !== false) await initializeWitnessTable(dynamo.client, table, CLOCK.now());
  const signer = new LocalSigner("witness/key-1", generateKeyPairSync("ed25519").privateKey);
  const publicKey = noteKeyOf("ed25519", await signer.publicKey()).publicKey;
  const deps: WitnessDeps & { evidence: string[] } = {
    state: new DynamoDbWitnessState(dynamo.client, table),
    key: { name: NAME, signer },
    logs: [{ suite: INTL, origin: LOG.origin, verifiers: [LOG.verifier] }],
    clock: CLOCK,
    evidence: [],
    onEvidence: (refusal) => deps.evidence.push(refusal.code),
  };
  return { table, deps, publicKey };
}

/** The log at `size` entries of the main history, or of a fork that differs from entry `forkAt` on. */
function treeAt(size: number, forkAt = Number.POSITIVE_INFINITY): MerkleTree {
  const common = Math.min(size, forkAt);
  return new MerkleTree(INTL, [...leaves("entry-", common), ...leaves("forked-", size - common, common)]);
}

function request(oldSize: number, tree: MerkleTree, signer = LOG): Uint8Array {
  const proof = oldSize === 0 || oldSize === tree.size ? [] : tree.consistencyProof(oldSize);
  return utf8(formatAddCheckpointRequest(oldSize, proof, signedCheckpoint(signer, tree)));
}

async function expectCosigned(
  response: { status: number; body: string },
  tree: MerkleTree,
  publicKey: Uint8Array,
): Promise<void> {
  expect(response.status, response.body).toBe(200);
  const note = signedCheckpoint(LOG, tree);
  const [line] = parseCosignatureResponse(note, response.body);
  expect(line?.name).toBe(NAME);
  const verifier = {
    name: NAME,
    keyHash: cosignatureKeyHash(NAME, "ed25519", publicKey),
    verify: (m: Uint8Array, sig: Uint8Array) => ed25519Verify(publicKey, m, sig),
  };
  const cosignature = verifyCosignature(parseSignedNote(note).text, line as NoteSignature, verifier);
  expect(cosignature.timestamp).toBe(Math.floor(CLOCK.now().getTime() / 1000));
}

describe("a department's witness", () => {
  it("cosigns the first checkpoint, then each that grows consistently from the one it stored", async () => {
    const { deps, publicKey } = await freshWitness();
    await expectCosigned(await addCheckpoint(request(0, treeAt(5)), deps), treeAt(5), publicKey);
    await expectCosigned(await addCheckpoint(request(5, treeAt(300)), deps), treeAt(300), publicKey);
    // The same checkpoint again (a sealer retrying after a crash): cosigned again.
    await expectCosigned(await addCheckpoint(request(300, treeAt(300)), deps), treeAt(300), publicKey);
    expect(await deps.state.get(LOG.origin)).toMatchObject({ size: 300 });
  });

  it("refuses a rolled-back log with 409 and the size it holds, and changes nothing", async () => {
    const { deps } = await freshWitness();
    expect((await addCheckpoint(request(0, treeAt(10)), deps)).status).toBe(200);
    const older = await addCheckpoint(request(0, treeAt(4)), deps);
    expect(older.status).toBe(409);
    expect(parseConflictResponse(older.body)).toBe(10);
    const stale = await addCheckpoint(request(4, treeAt(12)), deps);
    expect([stale.status, parseConflictResponse(stale.body)]).toEqual([409, 10]);
    expect(await deps.state.get(LOG.origin)).toMatchObject({ size: 10 });
  });

  it("refuses a fork — same size, another root — with 422, and keeps it as evidence", async () => {
    const { deps } = await freshWitness();
    expect((await addCheckpoint(request(0, treeAt(10)), deps)).status).toBe(200);
    const fork = await addCheckpoint(request(10, treeAt(10, 7)), deps);
    expect(fork.status).toBe(422);
    expect(fork.body).toMatch(/^ROOT_MISMATCH/);
    // A longer fork with a proof from the stored size cannot verify either.
    const longer = treeAt(20, 7);
    const forged = utf8(
      formatAddCheckpointRequest(10, longer.consistencyProof(10), signedCheckpoint(LOG, longer)),
    );
    expect((await addCheckpoint(forged, deps)).status).toBe(422);
    expect(deps.evidence).toEqual(["ROOT_MISMATCH", "CONSISTENCY_PROOF_INVALID"]);
    expect(await deps.state.get(LOG.origin)).toMatchObject({ size: 10 });
  });

  it("refuses checkpoints its log did not sign (403), of logs it does not follow (404), and bodies that are not requests (400)", async () => {
    const { deps } = await freshWitness();
    expect((await addCheckpoint(request(0, treeAt(3), OTHER_LOG_KEY), deps)).status).toBe(403);
    const stranger = testLog("zhixin.test/another-log");
    expect((await addCheckpoint(request(0, treeAt(3), stranger), deps)).status).toBe(404);
    expect((await addCheckpoint(utf8("old 0\n"), deps)).status).toBe(400);
    expect(await deps.state.get(LOG.origin)).toBeNull();
    expect(deps.evidence).toEqual([]);
  });

  it("cosigns only one of two checkpoints decided on the same stored state: the other gets 409", async () => {
    const { deps, publicKey } = await freshWitness();
    expect((await addCheckpoint(request(0, treeAt(8)), deps)).status).toBe(200);
    // Two branches of a forked log, both growing from the stored size 8, arrive at once.
    const [a, b] = await Promise.all([
      addCheckpoint(request(8, treeAt(12)), deps),
      addCheckpoint(request(8, treeAt(12, 9)), deps),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses[0]).toBe(200);
    expect([409, 422]).toContain(statuses[1]);
    const winner = a.status === 200 ? treeAt(12) : treeAt(12, 9);
    await expectCosigned(a.status === 200 ? a : b, winner, publicKey);
    expect(await deps.state.get(LOG.origin)).toMatchObject({ size: 12 });
  });

  it("keeps its state across a restart, and refuses to start over when its state was lost", async () => {
    const { table, deps } = await freshWitness();
    expect((await addCheckpoint(request(0, treeAt(6)), deps)).status).toBe(200);
    const restarted = { ...deps, state: new DynamoDbWitnessState(dynamo.client, table) };
    expect((await addCheckpoint(request(0, treeAt(6, 2)), restarted)).status).toBe(409);

    const { deps: lost } = await freshWitness({ genesis: false });
    await expect(addCheckpoint(request(0, treeAt(6)), lost)).rejects.toBeInstanceOf(WitnessStateLostError);
  });

  it("stores before it signs: a witness killed between the two cosigns the same checkpoint when asked again", async () => {
    const { deps, publicKey } = await freshWitness();
    const dying: WitnessDeps = {
      ...deps,
      key: {
        name: NAME,
        signer: {
          ...deps.key.signer,
          keyId: deps.key.signer.keyId,
          alg: deps.key.signer.alg,
          publicKey: () => deps.key.signer.publicKey(),
          sign: () => Promise.reject(new Error("killed")),
        },
      },
    };
    await expect(addCheckpoint(request(0, treeAt(7)), dying)).rejects.toThrow("killed");
    expect(await deps.state.get(LOG.origin)).toMatchObject({ size: 7 });
    await expectCosigned(await addCheckpoint(request(7, treeAt(7)), deps), treeAt(7), publicKey);
  });
});
