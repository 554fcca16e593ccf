import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  hashLeaf,
  MerkleTree,
  parseCheckpoint,
  parseCosignatureVerifierKey,
  parseEntryBundle,
  parseSignedNote,
  toHex,
} from "#chain";
import { checkWitnessQuorum } from "../../../lib/witness/index.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";
import { writeObject } from "../../support/s3.js";
import { ed25519Verify } from "../../support/witness-keys.js";

// npm start publishes the log as C2SP tiles to its embedded S3 (local/s3.ts): after a
// seal, the bucket's checkpoint is the sealer's, cosigned by every witnessing department's
// in-process witness (local/witnesses.ts), the one GET /v1/log/checkpoint serves; its tiles
// and bundle hold the sealed entries — readable with plain HTTP GETs, as a tlog-tiles
// client reads a log.

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t?.stop();
});

const record = (months: number) => ({
  type: "housing-fund.deposit-certificate",
  data: { citizen: "460100199001011234", months, status: "active" },
});

async function object(path: string): Promise<{ status: number; bytes: Uint8Array }> {
  const res = await fetch(`${t.node.s3.endpoint}/${t.node.tilesBucket}/${path}`);
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
}

describe("npm start publishes the log as tiles", () => {
  it("has no checkpoint in the bucket before the first block", async () => {
    expect((await object("checkpoint")).status).toBe(404);
    const health = await t.send({ method: "GET", path: "/v1/health", unsigned: true });
    expect(health.body.published).toEqual({ size: 0, cosignatures: 0, behind: 0 });
    const served = await t.send({ method: "GET", path: "/v1/log/checkpoint", as: "auditor" });
    expect([served.status, served.body?.error?.code]).toEqual([404, "NOT_FOUND"]);
  });

  it("publishes each sealed block's tiles, bundle and checkpoint", async () => {
    const submitted = await t.submit("hf-haikou", [record(1), record(2), record(3)]);
    expect(submitted.status).toBe(202);
    expect(await t.seal()).toMatchObject({ sealed: true, tiles: { published: 3 } });

    const sealers = await t.send({ method: "GET", path: "/v1/checkpoint", as: "auditor" });
    const served = await t.send({ method: "GET", path: "/v1/log/checkpoint", as: "auditor" });
    expect([sealers.status, served.status]).toEqual([200, 200]);
    const published = await object("checkpoint");
    expect(published.status).toBe(200);
    expect(new TextDecoder().decode(published.bytes)).toBe(served.text);
    // The sealer's checkpoint, cosigned by each witnessing department's witness.
    const note = parseSignedNote(published.bytes);
    expect(note.text).toBe(parseSignedNote(sealers.text).text);
    expect(note.signatures.map((s) => s.name)).toEqual([
      t.node.consortium.log,
      ...t.node.witnesses.map((w) => w.name),
    ]);
    const policy = {
      witnesses: t.node.witnesses.map((w) => parseCosignatureVerifierKey(w.vkey)),
      threshold: 3,
    };
    expect(checkWitnessQuorum(note, policy, ed25519Verify).ok).toBe(true);
    // The health route says how far the witnessed checkpoint lags the log: not at all.
    const health = await t.send({ method: "GET", path: "/v1/health", unsigned: true });
    expect(health.body.published).toEqual({ size: 3, cosignatures: 3, behind: 0 });
    // A bucket whose checkpoint is not one publishes nothing: the whole log is behind.
    await writeObject(t.node.s3.client, t.node.tilesBucket, "checkpoint", "x\n");
    const broken = await t.send({ method: "GET", path: "/v1/health", unsigned: true });
    expect(broken.body.published).toEqual({ size: 0, cosignatures: 0, behind: 3 });
    await writeObject(t.node.s3.client, t.node.tilesBucket, "checkpoint", published.bytes);

    const checkpoint = parseCheckpoint(parseSignedNote(published.bytes).text);
    expect(checkpoint.size).toBe(3);
    const tile = await object("tile/0/000.p/3");
    const bundle = await object("tile/entries/000.p/3");
    expect([tile.status, bundle.status]).toEqual([200, 200]);
    const leaves = Array.from({ length: 3 }, (_, i) => tile.bytes.slice(i * 32, i * 32 + 32));
    expect(toHex(new MerkleTree(leaves).root())).toBe(toHex(checkpoint.rootHash));
    const ids = (submitted.body.entries as Array<{ leafHash: string }>).map((e) => e.leafHash);
    expect(leaves.map(toHex)).toEqual(ids);
    expect(parseEntryBundle(bundle.bytes, 3).map((entry) => toHex(hashLeaf(entry)))).toEqual(ids);

    // The proofs the API builds from the tiles are the in-memory tree's.
    const tree = new MerkleTree(leaves);
    const inclusion = await t.send({
      method: "GET",
      path: "/v1/log/proof/inclusion",
      query: "index=1&size=3",
      as: "auditor",
    });
    expect(inclusion.body).toEqual({ index: 1, size: 3, proof: tree.inclusionProof(1).map(toHex) });
    const consistency = await t.send({
      method: "GET",
      path: "/v1/log/proof/consistency",
      query: "from=1&to=3",
      as: "auditor",
    });
    expect(consistency.body).toEqual({ from: 1, to: 3, proof: tree.consistencyProof(1).map(toHex) });
    expect(
      (
        await t.send({
          method: "GET",
          path: "/v1/log/proof/consistency",
          query: "from=3&to=3",
          as: "auditor",
        })
      ).body.proof,
    ).toEqual([]);
    // Past the published size, an index not below the size, a missing or malformed parameter: 400, nothing read.
    for (const [path, query] of [
      ["/v1/log/proof/inclusion", "index=0&size=4"],
      ["/v1/log/proof/inclusion", "index=3&size=3"],
      ["/v1/log/proof/inclusion", "index=0"],
      ["/v1/log/proof/inclusion", "index=01&size=3"],
      ["/v1/log/proof/consistency", "from=0&to=3"],
      ["/v1/log/proof/consistency", "from=3&to=2"],
      ["/v1/log/proof/consistency", "from=1&to=3&x=1"],
    ] as const) {
      const refused = await t.send({ method: "GET", path, query, as: "auditor" });
      expect([refused.status, refused.body?.error?.code], `${path}?${query}`).toEqual([
        400,
        "INVALID_PARAMETER",
      ]);
    }
  });
});
