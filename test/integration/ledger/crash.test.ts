import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { CrashError, type CrashPoint, FaultyStore, type StoreCall } from "../../support/faulty-store.js";
import {
  checkLedger,
  drain,
  type Ledger,
  type LedgerSnapshot,
  makeMembers,
  openLedger,
  restoreLedger,
  seal,
  snapshotLedger,
  submit,
} from "./harness.js";

// ARCHITECTURE §7: a sealer that dies before the commit point leaves nothing behind; one
// that dies after it leaves work the next run finishes. Proved by crashing one seal at
// every store call it makes, before and after the call reaches dynalite, then running a
// clean sealer to the end and checking that nothing was lost, duplicated or forked.

let dynamo: LocalDynamo;
/** Built once through the real services; every case starts from an exact copy. */
let midChain: LedgerSnapshot;
let unfinished: LedgerSnapshot;
beforeAll(async () => {
  dynamo = await startDynalite();
  midChain = await snapshotLedger(await buildMidChain());
  unfinished = await snapshotLedger(await buildUnfinishedBlock3(await restoreLedger(midChain)));
});
afterAll(async () => {
  await dynamo?.stop();
});

/**
 * Blocks 1 and 2 sealed, three batches (5 entries, both departments) pending for block 3.
 */
async function buildMidChain(): Promise<Ledger> {
  const ledger = await openLedger(await makeMembers(), dynamo.client);
  await submit(ledger, "hf-haikou", 2, "block1-haikou-batch-a");
  expect(await seal(ledger)).toMatchObject({ sealed: true, height: 1 });
  await submit(ledger, "hf-sanya", 1, "block2-sanya-batch-b");
  await submit(ledger, "hf-haikou", 3, "block2-haikou-batch-c");
  expect(await seal(ledger)).toMatchObject({ sealed: true, height: 2 });
  await submit(ledger, "hf-haikou", 2, "block3-haikou-batch-d");
  await submit(ledger, "hf-sanya", 1, "block3-sanya-batch-e");
  await submit(ledger, "hf-sanya", 2, "block3-sanya-batch-f");
  return ledger;
}

/** Block 3 committed but none of its batches marked sealed: its sealer died right after commitBlock. */
async function buildUnfinishedBlock3(ledger: Ledger): Promise<Ledger> {
  const dying = new FaultyStore(ledger.store, { crash: { when: "after", method: "commitBlock", nth: 1 } });
  await expect(seal(ledger, dying)).rejects.toBeInstanceOf(CrashError);
  await dying.idle();
  expect(await ledger.store.getBatch("hf-haikou/key-1#block3-haikou-batch-d")).not.toHaveProperty("sealed");
  await submit(ledger, "hf-haikou", 2, "block4-haikou-batch-g");
  return ledger;
}

/** The calls one clean seal makes on a copy of `snapshot`. */
async function dryRun(snapshot: LedgerSnapshot): Promise<StoreCall[]> {
  const ledger = await restoreLedger(snapshot);
  const counting = new FaultyStore(ledger.store);
  expect(await seal(ledger, counting)).toMatchObject({ sealed: true });
  return counting.calls;
}

/** Crash one seal at `point`, then recover with a clean sealer; returns what the crash left. */
async function crashThenRecover(ledger: Ledger, point: CrashPoint, expected: StoreCall) {
  const dying = new FaultyStore(ledger.store, { crash: point });
  const error = await seal(ledger, dying).then(
    (r) => r,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CrashError);
  expect((error as CrashError).call).toEqual(expected);
  // Requests the dead process had already sent (Promise.all siblings) land before recovery starts.
  await dying.idle();
  const committed = (await ledger.store.getLatestBlock())?.header.height ?? 0;
  const recovery = await drain(ledger);
  return { committed, recovery };
}

// Block 2 is marked finished, so this seal does not re-read its batches.
const SEAL_CALLS_WITH_MARKS = [
  "getLatestBlock",
  "listPendingBatches",
  "getBatches",
  "putBlockPages",
  "commitBlock",
  "markBatchSealed",
  "markBatchSealed",
  "markBatchSealed",
  "markBlockFinished",
];

describe("a sealer crashing at any store call of a seal loses, duplicates and forks nothing", () => {
  // The call list is data, checked against a clean dry run, and every case also checks
  // that its crash hit the call the list names: a change to sealBlock's steps fails here
  // first, instead of silently leaving a step uncovered.
  const cases = SEAL_CALLS_WITH_MARKS.flatMap((method, i) =>
    (["before", "after"] as const).map((when) => ({ index: i + 1, method, when })),
  );

  it("a clean seal of block 3 makes exactly these store calls", async () => {
    const calls = await dryRun(midChain);
    expect(calls.map((c) => c.method)).toEqual(SEAL_CALLS_WITH_MARKS);
  });

  it.each(cases)("crash $when call $index ($method) of block 3's seal, then recover", async (c) => {
    const ledger = await restoreLedger(midChain);
    const nth = SEAL_CALLS_WITH_MARKS.slice(0, c.index).filter((m) => m === c.method).length;
    const { committed, recovery } = await crashThenRecover(
      ledger,
      { when: c.when, call: c.index },
      { index: c.index, method: c.method as StoreCall["method"], nth },
    );
    const commitIndex = SEAL_CALLS_WITH_MARKS.indexOf("commitBlock") + 1;
    const pastCommit = c.index > commitIndex || (c.index === commitIndex && c.when === "after");
    // Before the commit point nothing was committed; from it on block 3 is in the store.
    expect(committed).toBe(pastCommit ? 3 : 2);
    // The recovering sealer seals block 3 itself, or only finishes the crashed one's.
    expect(recovery.filter((r) => r.sealed).map((r) => r.height)).toEqual(pastCommit ? [] : [3]);
    const facts = await checkLedger(ledger, 3);
    expect(facts.sealedAt.get(ledger.submitted[ledger.submitted.length - 1] as string)).toBe(3);
    // A crash between writing pages and committing leaves them under a hash no block has.
    const pagesLeft =
      c.index === commitIndex - 1 ? c.when === "after" : c.index === commitIndex && c.when === "before";
    expect(facts.orphanPages).toBe(pagesLeft ? 1 : 0);
  });
});

describe("the next sealer crashing while it finishes a crashed sealer's block", () => {
  // Block 3 is committed, unmarked; batch g (2 entries) waits for block 4. The next
  // seal's first steps are finishing block 3: crash it there (and everywhere else).
  const NEXT_SEAL_CALLS = [
    "getLatestBlock",
    "getBlockPages",
    "getBatches",
    "markBatchSealed",
    "markBatchSealed",
    "markBatchSealed",
    "markBlockFinished",
    "listPendingBatches",
    "getBatches",
    "putBlockPages",
    "commitBlock",
    "markBatchSealed",
    "markBlockFinished",
  ];
  const cases = NEXT_SEAL_CALLS.flatMap((method, i) =>
    (["before", "after"] as const).map((when) => ({ index: i + 1, method, when })),
  );

  it("a clean seal after the crash finishes block 3 first, then seals block 4", async () => {
    const calls = await dryRun(unfinished);
    expect(calls.map((c) => c.method)).toEqual(NEXT_SEAL_CALLS);
  });

  it.each(cases)("crash $when call $index ($method) of the next seal, then recover", async (c) => {
    const ledger = await restoreLedger(unfinished);
    const nth = NEXT_SEAL_CALLS.slice(0, c.index).filter((m) => m === c.method).length;
    const { committed, recovery } = await crashThenRecover(
      ledger,
      { when: c.when, call: c.index },
      { index: c.index, method: c.method as StoreCall["method"], nth },
    );
    const commitIndex = NEXT_SEAL_CALLS.indexOf("commitBlock") + 1;
    const pastCommit = c.index > commitIndex || (c.index === commitIndex && c.when === "after");
    expect(committed).toBe(pastCommit ? 4 : 3);
    expect(recovery.filter((r) => r.sealed).map((r) => r.height)).toEqual(pastCommit ? [] : [4]);
    const facts = await checkLedger(ledger, 4);
    const pagesLeft =
      c.index === commitIndex - 1 ? c.when === "after" : c.index === commitIndex && c.when === "before";
    expect(facts.orphanPages).toBe(pagesLeft ? 1 : 0);
  });

  it("two crashes in a row while finishing the same block, then a clean run", async () => {
    const ledger = await restoreLedger(unfinished);
    // The first dies with batch d marked; the second with e marked too; f is left to the third.
    for (const point of [
      { when: "before", method: "markBatchSealed", nth: 2 },
      { when: "before", method: "markBatchSealed", nth: 2 },
    ] as const) {
      const dying = new FaultyStore(ledger.store, { crash: point });
      await expect(seal(ledger, dying)).rejects.toBeInstanceOf(CrashError);
      await dying.idle();
    }
    expect((await drain(ledger)).map((r) => r.sealed)).toEqual([true, false]);
    await checkLedger(ledger, 4);
  });
});
