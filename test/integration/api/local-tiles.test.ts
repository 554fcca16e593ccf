import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  INTL,
  MerkleTree,
  parseCheckpoint,
  parseCosignatureVerifierKey,
  parseEntryBundle,
  parseSignedNote,
  toHex,
} from "#chain";
import { MAX_SERVED_TILE_BYTES } from "../../../lib/protocol/limits.js";
import { checkWitnessQuorum } from "../../../lib/witness/index.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";
import { writeObject } from "../../support/s3.js";
import { ed25519Check } from "../../support/witness-keys.js";

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
    expect(checkWitnessQuorum(note, policy, ed25519Check).ok).toBe(true);
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
    expect(toHex(new MerkleTree(INTL, leaves).root())).toBe(toHex(checkpoint.rootHash));
    const ids = (submitted.body.entries as Array<{ leafHash: string }>).map((e) => e.leafHash);
    expect(leaves.map(toHex)).toEqual(ids);
    expect(parseEntryBundle(bundle.bytes, 3).map((entry) => toHex(INTL.hashLeaf(entry)))).toEqual(ids);

    // The proofs the API builds from the tiles are the in-memory tree's.
    const tree = new MerkleTree(INTL, leaves);
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

  it("serves the tiles and bundles through the API as the bucket holds them: /v1/log/ is a tlog-tiles prefix", async () => {
    const size = parseCheckpoint(parseSignedNote((await object("checkpoint")).bytes).text).size;
    expect(size).toBeGreaterThan(0);
    for (const path of [`tile/0/000.p/${size}`, `tile/entries/000.p/${size}`]) {
      const served = await t.send({ method: "GET", path: `/v1/log/${path}`, as: "auditor" });
      expect(served.status, path).toBe(200);
      expect(served.headers.get("content-type")).toBe("application/octet-stream");
      expect(served.headers.get("cache-control")).toBe("private, no-cache");
      expect(served.bytes).toEqual((await object(path)).bytes);
    }
    // A full tile (as a tlog-tiles client would ask for it) is immutable once written.
    await writeObject(t.node.s3.client, t.node.tilesBucket, "tile/1/x001/234", new Uint8Array(8192).fill(7));
    const full = await t.send({ method: "GET", path: "/v1/log/tile/1/x001/234", as: "auditor" });
    expect(full.status).toBe(200);
    expect(full.bytes).toEqual(new Uint8Array(8192).fill(7));
    expect(full.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    // HEAD answers as GET without the bytes.
    const head = await t.send({ method: "HEAD", path: "/v1/log/tile/1/x001/234", as: "auditor" });
    expect([head.status, head.bytes.length]).toEqual([200, 0]);
  });

  it("refuses what is not a tile path (400), names what was never published (404), asks for a signature (401)", async () => {
    const before = await t.snapshot();
    for (const path of [
      "/v1/log/tile/0/0",
      "/v1/log/tile/0/x000/001",
      "/v1/log/tile/0/000.p/256",
      "/v1/log/tile/64/000",
      "/v1/log/tile/0/%30%30%30",
      "/v1/log/tile/entries/000.p/0",
      "/v1/log/tile/0/000/",
    ]) {
      const refused = await t.send({ method: "GET", path, as: "auditor" });
      expect(
        [refused.status, refused.body?.error?.code, refused.body?.error?.details?.parameter],
        path,
      ).toEqual([400, "INVALID_PARAMETER", '"path"']);
    }
    const query = await t.send({ method: "GET", path: "/v1/log/tile/0/000", query: "x=1", as: "auditor" });
    expect([query.status, query.body?.error?.code]).toEqual([400, "INVALID_PARAMETER"]);
    const missing = await t.send({ method: "GET", path: "/v1/log/tile/0/x999/999", as: "auditor" });
    expect([missing.status, missing.body?.error?.code]).toEqual([404, "NOT_FOUND"]);
    const unsigned = await t.send({ method: "GET", path: "/v1/log/tile/0/000.p/1", unsigned: true });
    expect(unsigned.status).toBe(401);
    const post = await t.send({ method: "POST", path: "/v1/log/tile/0/000.p/1", as: "auditor" });
    expect([post.status, post.body?.error?.code]).toEqual([405, "METHOD_NOT_ALLOWED"]);
    expect(await t.snapshot()).toEqual(before);
  });

  it("an entry bundle larger than a Lambda response can carry is refused with TILE_TOO_LARGE and where to read it", async () => {
    await writeObject(
      t.node.s3.client,
      t.node.tilesBucket,
      "tile/entries/x002/000",
      new Uint8Array(MAX_SERVED_TILE_BYTES + 1),
    );
    const big = await t.send({ method: "GET", path: "/v1/log/tile/entries/x002/000", as: "auditor" });
    expect([big.status, big.body?.error?.code, big.body?.error?.details]).toEqual([
      501,
      "TILE_TOO_LARGE",
      { path: "tile/entries/x002/000", bytes: MAX_SERVED_TILE_BYTES + 1 },
    ]);
    await writeObject(
      t.node.s3.client,
      t.node.tilesBucket,
      "tile/entries/x002/001",
      new Uint8Array(MAX_SERVED_TILE_BYTES),
    );
    const largest = await t.send({ method: "GET", path: "/v1/log/tile/entries/x002/001", as: "auditor" });
    expect([largest.status, largest.bytes.length]).toEqual([200, MAX_SERVED_TILE_BYTES]);
  });
});
