import { describe, expect, it } from "vitest";
import { type DynamoDbModel, ModelStore } from "../../../../bench/aws-model/model-store.js";
import { drain, kmsLikeSigner, makeBatches } from "../../../../bench/aws-model/workload.js";
import { StoreInvariantError } from "../../../../functions/store/ports.js";

// The model behind `npm run bench -- aws-model` keeps the conditions sealing relies on, so
// that the real sealer run against it seals every entry exactly once.

const FREE: DynamoDbModel = { singleMs: 0, batchMs: 0, maxInFlight: 1_000, shardWritesPerSecond: 1e9 };

describe("ModelStore", () => {
  it("lets the real sealer seal every committed entry exactly once, oldest first", async () => {
    const store = new ModelStore(FREE);
    const batches = makeBatches(30, 3, "unit");
    for (const p of batches) await store.commitBatch(p.batch, p.text);
    expect(await store.commitBatch(batches[0]?.batch as never)).toBe("replayed");
    const result = await drain(store, kmsLikeSigner(0));
    expect(result).toMatchObject({ entries: 90, blocks: 1 });
    expect(store.sealedEntries()).toBe(90);
    expect(store.pendingCount()).toBe(0);
  });

  it("refuses a double seal and a second block at one height", async () => {
    const store = new ModelStore(FREE);
    const [p] = makeBatches(1, 1, "unit-double");
    if (!p) throw new Error("no batch");
    await store.commitBatch(p.batch, p.text);
    await store.markBatchSealed(p.batch.key, 1, 0);
    await store.markBatchSealed(p.batch.key, 1, 0);
    await expect(store.markBatchSealed(p.batch.key, 2, 0)).rejects.toThrow(StoreInvariantError);
    await expect(store.markBatchSealed("nobody#none", 1, 0)).rejects.toThrow(/does not exist/);
    const block = { header: { height: 1 } } as never;
    expect(await store.commitBlock(block)).toBe("committed");
    expect(await store.commitBlock(block)).toBe("conflict");
  });

  it("makes writes beyond a pending shard's budget wait, and counts them as throttled", async () => {
    // 10 writes/s per shard with a burst of one second: the 11th write to one shard waits.
    const store = new ModelStore({ ...FREE, shardWritesPerSecond: 10 });
    const batches = makeBatches(200, 1, "unit-throttle");
    const t0 = performance.now();
    await Promise.all(batches.map((p) => store.commitBatch(p.batch, p.text)));
    expect(store.counts.throttled).toBeGreaterThan(0);
    // 200 batches over 8 shards is ~25 per shard: ~15 beyond the burst at 10/s.
    expect(performance.now() - t0).toBeGreaterThan(900);
  });

  it("holds each request for its modelled latency, at most maxInFlight at once", async () => {
    const store = new ModelStore({ ...FREE, singleMs: 20, maxInFlight: 2 });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 4 }, () => store.getLatestBlock()));
    // Four 20 ms requests, two at a time: two rounds.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(38);
    expect(store.counts.requests).toBe(4);
  });
});
