import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealBlock } from "../../../functions/ledger/sealer.js";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { FaultyStore } from "../../support/faulty-store.js";
import { testSuite } from "../../support/test-suite.js";
import { checkLedger, type Ledger, LOG, makeMembers, openLedger, submit } from "./harness.js";

// A backlog larger than a block (functions/ledger/sealer.ts step 2): the sealer reads as
// many batches at once as the rest of the block needs at the batch size seen so far,
// takes the oldest, and says `more` so that the seal loop seals again at once.

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.stop();
});

async function backlog(sizes: readonly number[]): Promise<Ledger> {
  const ledger = await openLedger(await makeMembers(), dynamo.client);
  let n = 0;
  for (const size of sizes) {
    await submit(
      ledger,
      n % 2 === 0 ? "hf-haikou" : "hf-sanya",
      size,
      `backlog-batch-${String(n++).padStart(6, "0")}`,
    );
  }
  return ledger;
}

function sealWith(ledger: Ledger, store: FaultyStore, maxEntries: number) {
  return sealBlock({
    suite: testSuite,
    store,
    signer: ledger.members.sealer,
    clock: ledger.clock,
    log: LOG,
    maxEntries,
  });
}

describe("a backlog of single-record batches", () => {
  it("is read several chunks per call once the batch size is known, oldest first, and reports more", async () => {
    const ledger = await backlog(Array.from({ length: 260 }, () => 1));
    const counting = new FaultyStore(ledger.store);
    const first = await sealWith(ledger, counting, 250);
    expect(first).toMatchObject({ sealed: true, height: 1, entries: 250, more: true });
    // One chunk of 100 to learn the size, then the other 150 batches in one call.
    expect(counting.count("getBatches")).toBe(2);
    const second = await sealWith(ledger, new FaultyStore(ledger.store), 250);
    expect(second).toMatchObject({ sealed: true, height: 2, entries: 10 });
    expect(second).not.toHaveProperty("more");
    const facts = await checkLedger(ledger, 2);
    // The oldest 250 went into block 1: ledger.submitted is in submit (= receive) order.
    expect(ledger.submitted.slice(0, 250).every((id) => facts.sealedAt.get(id) === 1)).toBe(true);
    expect(ledger.submitted.slice(250).every((id) => facts.sealedAt.get(id) === 2)).toBe(true);
  });
});

describe("a backlog of larger batches", () => {
  it("is read one chunk at a time while the block needs no more than that", async () => {
    // 30 batches of 5 and a block of 60: the first chunk (all 30) already overfills it.
    const ledger = await backlog(Array.from({ length: 30 }, () => 5));
    const counting = new FaultyStore(ledger.store);
    expect(await sealWith(ledger, counting, 60)).toMatchObject({ sealed: true, entries: 60, more: true });
    expect(counting.count("getBatches")).toBe(1);
  });

  it("is not marked `more` when the last batch fills the block exactly and nothing else is pending", async () => {
    const ledger = await backlog([5, 5, 5]);
    const result = await sealWith(ledger, new FaultyStore(ledger.store), 15);
    expect(result).toMatchObject({ sealed: true, entries: 15 });
    expect(result).not.toHaveProperty("more");
    await checkLedger(ledger, 1);
  });
});
