import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  entryLeafData,
  entryLeafHash,
  fromUtf8,
  inclusionProofFromTiles,
  type LedgerEnvelope,
  MerkleTree,
  parseCheckpoint,
  parseEntryBundle,
  parseSignedNote,
  rootFromTiles,
  TILE_WIDTH,
  type TileCoords,
  tilePath,
  toHex,
  utf8,
} from "#chain";
import { PublishError, publishLog } from "../../../functions/ledger/publish.js";
import type { LedgerStore } from "../../../functions/store/ports.js";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { FaultyTileStore, TileCrashError } from "../../support/faulty-tiles.js";
import { freshTileStore, type LocalS3, readObject, startS3, writeObject } from "../../support/s3.js";
import { testSuite } from "../../support/test-suite.js";
import {
  checkLedger,
  type LedgerSnapshot,
  makeMembers,
  openLedger,
  restoreLedger,
  seal,
  snapshotLedger,
  submit,
} from "./harness.js";

// Publishing the log as C2SP tiles (functions/ledger/publish.ts) over the real S3 protocol
// (s3rver) from a real ledger (dynalite): the published objects are the log, byte for
// byte; a publisher killed before or after any S3 call leaves a checkpoint whose tiles
// are all there, and the next run ends with exactly the objects an uninterrupted one
// writes; what does not fit the ledger is refused, never overwritten.

let dynamo: LocalDynamo;
let s3: LocalS3;
/** Four blocks: 300 entries (past a full tile), 1, 255 (to 556), then 2. */
let fourBlocks: LedgerSnapshot;
beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3()]);
  const ledger = await openLedger(await makeMembers(), dynamo.client);
  const blocks: Array<Array<["hf-haikou" | "hf-sanya", number]>> = [
    [
      ["hf-haikou", 100],
      ["hf-sanya", 100],
      ["hf-haikou", 100],
    ],
    [["hf-sanya", 1]],
    [
      ["hf-haikou", 100],
      ["hf-sanya", 100],
      ["hf-haikou", 55],
    ],
    [["hf-sanya", 2]],
  ];
  for (const [b, batches] of blocks.entries()) {
    for (const [i, [dept, n]] of batches.entries())
      await submit(ledger, dept, n, `publish-b${b}-batch-${i}-x`);
    expect(await seal(ledger)).toMatchObject({ sealed: true, height: b + 1 });
  }
  fourBlocks = await snapshotLedger(ledger);
}, 120_000);
afterAll(async () => {
  await Promise.all([dynamo?.stop(), s3?.stop()]);
});

const tileStore = () => freshTileStore(s3.client);

/** Every object in the bucket, path → hex of its bytes. */
async function objects(bucket: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      out.set(o.Key as string, toHex(await readObject(s3.client, bucket, o.Key as string)));
    }
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

/** The ledger's entries in log order, read from its blocks (the audit's view). */
async function logEntries(store: LedgerStore): Promise<LedgerEnvelope[]> {
  const latest = await store.getLatestBlock();
  const out: LedgerEnvelope[] = [];
  for (const block of await store.listBlocks(1, latest?.header.height ?? 0)) {
    const pages = await store.getBlockPages(block.hash, block.pageCount);
    const batches = await store.getBatches([...new Set(pages.flatMap((p) => p.batchKeys))]);
    const byId = new Map(batches.flatMap((b) => b.envelopes.map((e) => [e.id, e] as const)));
    for (const id of pages.flatMap((p) => p.entryIds)) out.push(byId.get(id) as LedgerEnvelope);
  }
  return out;
}

/**
 * The published objects hold the log the checkpoint names: its root from the hash tiles,
 * every entry in its bundle hashing to its leaf, inclusion proofs from tiles equal to the
 * in-memory tree's. Returns the checkpoint's size.
 */
async function expectPublishedLog(bucket: string, entries: readonly LedgerEnvelope[]): Promise<number> {
  const all = await objects(bucket);
  const checkpointHex = all.get("checkpoint");
  if (checkpointHex === undefined) return 0;
  const checkpoint = parseCheckpoint(parseSignedNote(fromUtf8Hex(checkpointHex)).text);
  const size = checkpoint.size;
  const read = (t: TileCoords) => {
    const hex = all.get(tilePath(t));
    if (hex === undefined) throw new Error(`missing ${tilePath(t)}`);
    return hexBytes(hex);
  };
  expect(toHex(rootFromTiles(testSuite, size, read))).toBe(toHex(checkpoint.rootHash));
  const leaves = entries.slice(0, size).map((e) => entryLeafHash(testSuite, e));
  const tree = new MerkleTree(testSuite, leaves);
  expect(toHex(tree.root())).toBe(toHex(checkpoint.rootHash));
  for (const index of [0, 1, TILE_WIDTH - 1, TILE_WIDTH, size - 1].filter((i) => i >= 0 && i < size)) {
    expect(inclusionProofFromTiles(testSuite, index, size, read).map(toHex)).toEqual(
      tree.inclusionProof(index).map(toHex),
    );
  }
  for (let n = 0; n * TILE_WIDTH < size; n++) {
    const width = Math.min(TILE_WIDTH, size - n * TILE_WIDTH);
    const path = width === TILE_WIDTH ? `tile/entries/${pad(n)}` : `tile/entries/${pad(n)}.p/${width}`;
    const bundle = all.get(path);
    expect(bundle, path).toBeDefined();
    const got = parseEntryBundle(hexBytes(bundle as string), width);
    expect(got.map(toHex)).toEqual(
      entries.slice(n * TILE_WIDTH, n * TILE_WIDTH + width).map((e) => toHex(entryLeafData(e))),
    );
  }
  return size;
}

const pad = (n: number) => String(n).padStart(3, "0");
const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
const fromUtf8Hex = (hex: string) => fromUtf8(hexBytes(hex));

/** The ledger's store as it stood when block `height` was the latest. */
function asOf(store: LedgerStore, height: number): LedgerStore {
  return Object.assign(Object.create(store) as LedgerStore, { getLatestBlock: () => store.getBlock(height) });
}

describe("publishing the log as tiles", () => {
  it("writes, with each seal, the tiles, bundles and checkpoint of the log so far", async () => {
    const ledger = await openLedger(await makeMembers(), dynamo.client);
    const { bucket, tiles } = await tileStore();
    await submit(ledger, "hf-haikou", 100, "tiles-seal-one-batch-a");
    await submit(ledger, "hf-sanya", 100, "tiles-seal-one-batch-b");
    await submit(ledger, "hf-haikou", 100, "tiles-seal-one-batch-c");
    expect(await seal(ledger, ledger.store, { tiles })).toMatchObject({
      sealed: true,
      height: 1,
      tiles: { published: 300 },
    });
    const block1 = await ledger.store.getBlock(1);
    expect(fromUtf8(hexBytes((await objects(bucket)).get("checkpoint") as string))).toBe(block1?.checkpoint);
    expect(await expectPublishedLog(bucket, await logEntries(ledger.store))).toBe(300);

    await submit(ledger, "hf-sanya", 3, "tiles-seal-two-batch-d");
    expect(await seal(ledger, ledger.store, { tiles })).toMatchObject({
      sealed: true,
      height: 2,
      tiles: { published: 303 },
    });
    expect(await expectPublishedLog(bucket, await logEntries(ledger.store))).toBe(303);
    // Nothing pending still reports where the tiles stand.
    expect(await seal(ledger, ledger.store, { tiles })).toMatchObject({
      sealed: false,
      tiles: { published: 303 },
    });
    const paths = [...(await objects(bucket)).keys()].sort();
    expect(paths).toEqual(
      [
        "checkpoint",
        "tile/0/000",
        "tile/0/001.p/44",
        "tile/0/001.p/47",
        "tile/1/000.p/1",
        "tile/entries/000",
        "tile/entries/001.p/44",
        "tile/entries/001.p/47",
      ].sort(),
    );
    await checkLedger(ledger, 2);
  });

  it("catches up on every block sealed while it could not publish, in one run", async () => {
    const ledger = await restoreLedger(fourBlocks);
    const { bucket, tiles } = await tileStore();
    expect(await publishLog({ suite: testSuite, store: ledger.store, tiles })).toEqual({
      size: 558,
      blocks: 4,
    });
    expect(await expectPublishedLog(bucket, await logEntries(ledger.store))).toBe(558);
    // From the middle: a checkpoint at block 2's end, blocks 3 and 4 to go.
    const { bucket: half, tiles: halfTiles } = await tileStore();
    expect(await publishLog({ suite: testSuite, store: asOf(ledger.store, 2), tiles: halfTiles })).toEqual({
      size: 301,
      blocks: 2,
    });
    expect(await publishLog({ suite: testSuite, store: ledger.store, tiles: halfTiles })).toEqual({
      size: 558,
      blocks: 2,
    });
    expect(await objects(half)).toEqual(await objects(bucket));
    expect(await publishLog({ suite: testSuite, store: ledger.store, tiles: halfTiles })).toEqual({
      size: 558,
      blocks: 0,
    });
  });

  it("refuses a bucket whose checkpoint does not fit the ledger, and writes nothing", async () => {
    const ledger = await restoreLedger(fourBlocks);
    const cases: Array<[string, Uint8Array]> = [
      ["not a checkpoint", utf8("hello\n")],
      [
        "ahead of the ledger",
        utf8((await ledger.store.getBlock(4))?.checkpoint.replace("\n558\n", "\n9999\n") ?? ""),
      ],
      [
        "at no block boundary",
        utf8((await ledger.store.getBlock(4))?.checkpoint.replace("\n558\n", "\n100\n") ?? ""),
      ],
    ];
    for (const [name, checkpoint] of cases) {
      const { bucket, tiles } = await tileStore();
      await writeObject(s3.client, bucket, "checkpoint", checkpoint);
      const before = await objects(bucket);
      await expect(publishLog({ suite: testSuite, store: ledger.store, tiles }), name).rejects.toBeInstanceOf(
        PublishError,
      );
      expect(await objects(bucket), name).toEqual(before);
    }
    // The seal goes on and says why the tiles did not.
    const { bucket, tiles } = await tileStore();
    await writeObject(s3.client, bucket, "checkpoint", utf8("hello\n"));
    await submit(ledger, "hf-haikou", 1, "tiles-refused-batch-z");
    const result = await seal(ledger, ledger.store, { tiles });
    expect(result).toMatchObject({
      sealed: true,
      height: 5,
      tiles: { error: expect.stringContaining("checkpoint") },
    });
    await checkLedger(ledger, 5);
  });

  it("never leaves a checkpoint ahead of its tiles when killed at any S3 call, and the next run completes", async () => {
    const ledger = await restoreLedger(fourBlocks);
    // The reference: blocks 1 and 2 published, then 3 and 4 without interruption.
    const reference = await tileStore();
    await publishLog({ suite: testSuite, store: asOf(ledger.store, 2), tiles: reference.tiles });
    const counting = new FaultyTileStore(reference.tiles);
    await publishLog({ suite: testSuite, store: ledger.store, tiles: counting });
    const expected = await objects(reference.bucket);
    const entries = await logEntries(ledger.store);
    expect(counting.calls.length).toBeGreaterThan(10);

    for (const when of ["before", "after"] as const) {
      for (let call = 1; call <= counting.calls.length; call++) {
        const name = `crash ${when} call ${call} (${counting.calls[call - 1]?.method} ${counting.calls[call - 1]?.path})`;
        const { bucket, tiles } = await tileStore();
        await publishLog({ suite: testSuite, store: asOf(ledger.store, 2), tiles });
        const dying = new FaultyTileStore(tiles, { when, call });
        await expect(
          publishLog({ suite: testSuite, store: ledger.store, tiles: dying }),
          name,
        ).rejects.toBeInstanceOf(TileCrashError);
        await dying.idle();
        // Whatever the crash left, the checkpoint names a log its tiles hold in full.
        expect(await expectPublishedLog(bucket, entries), name).toBeGreaterThanOrEqual(301);
        expect(await publishLog({ suite: testSuite, store: ledger.store, tiles }), name).toMatchObject({
          size: 558,
        });
        expect(await objects(bucket), name).toEqual(expected);
      }
    }
  }, 120_000);

  it("two publishers at once end with the latest checkpoint and one set of tiles", async () => {
    const ledger = await restoreLedger(fourBlocks);
    const reference = await tileStore();
    await publishLog({ suite: testSuite, store: ledger.store, tiles: reference.tiles });
    const { bucket, tiles } = await tileStore();
    await Promise.all([
      publishLog({ suite: testSuite, store: ledger.store, tiles }),
      publishLog({ suite: testSuite, store: asOf(ledger.store, 3), tiles }),
      publishLog({ suite: testSuite, store: ledger.store, tiles }),
    ]);
    expect(await expectPublishedLog(bucket, await logEntries(ledger.store))).toBe(558);
    expect(await objects(bucket)).toEqual(await objects(reference.bucket));
  });
});
