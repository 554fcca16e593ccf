import { INTL } from "#chain";
import { readOwnerSignerFile } from "../../functions/auth/signer-file.js";
import { publishLog } from "../../functions/ledger/publish.js";
import { sealBlock } from "../../functions/ledger/sealer.js";
import { systemClock } from "../../functions/runtime/clock.js";
import type { LedgerStore } from "../../functions/store/ports.js";
import { S3TileStore } from "../../functions/store/s3/tile-store.js";
import type { TileStore } from "../../functions/store/tile-store.js";
import { type ChainPosition, GENESIS_POSITION } from "../../lib/chain/index.js";
import { keyFile } from "../../lib/local-home.js";
import { createBucket, startS3 } from "../../local/s3.js";
import { aroundStoreCalls } from "../support/store-calls.js";
import { BATCH_RECORDS, SIZES } from "./settings.js";
import type { RunningNode } from "./workload.js";
import { submitAll } from "./workload.js";

/** Sealing the ledger benchmark's backlogs directly, timing the store calls the sealer makes. */

// ---- seal --------------------------------------------------------------------------

export interface Sealed {
  entries: number;
  blocks: number;
  seconds: number;
  /** Heights sealed, inclusive. */
  from: number;
  to: number;
  /** Wall time during which at least one call of each store method was in flight. */
  storeMs: Map<string, number>;
}

/**
 * Seals every pending batch, with the sealer's default block size (as the timer does);
 * with `tiles`, each seal also publishes its block as C2SP tiles (sealer.ts step 6).
 */
export async function sealAll(node: RunningNode, tiles?: TileStore): Promise<Sealed> {
  const signer = await readOwnerSignerFile(INTL, keyFile(node.ready.home, "sealer"), "sealer", "ed25519");
  const timed = timeStore(node.store);
  const deps = {
    store: timed.store,
    signer,
    clock: systemClock,
    log: node.ready.log,
    suite: INTL,
    ...(tiles ? { tiles } : {}),
  };
  let entries = 0;
  let blocks = 0;
  let from = 0;
  let to = 0;
  const t0 = performance.now();
  // While the backlog lasts, each block holds at least DEFAULT_MAX_ENTRIES - 99 entries.
  for (let i = 0; i < 1_000; i++) {
    const result = await sealBlock(deps);
    if (!result.sealed) {
      if (result.reason !== "nothing-pending") throw new Error(`seal: ${result.reason}`);
      const seconds = (performance.now() - t0) / 1000;
      return { entries, blocks, seconds, from, to, storeMs: timed.busyMs };
    }
    if (tiles && !(result.tiles && "published" in result.tiles)) {
      throw new Error(`publishing tiles failed: ${JSON.stringify(result.tiles)}`);
    }
    entries += result.entries;
    blocks++;
    if (from === 0) from = result.height;
    to = result.height;
  }
  throw new Error("sealing did not drain the backlog in 1,000 blocks");
}

/**
 * The store with each method's busy time recorded: the wall time during which at least
 * one call of that method was in flight (concurrent calls of one method count once).
 */
function timeStore(inner: LedgerStore): { store: LedgerStore; busyMs: Map<string, number> } {
  const busyMs = new Map<string, number>();
  const active = new Map<string, { calls: number; since: number }>();
  const store = aroundStoreCalls(inner, async (name, call) => {
    const a = active.get(name) ?? { calls: 0, since: 0 };
    active.set(name, a);
    if (a.calls++ === 0) a.since = performance.now();
    try {
      return await call();
    } finally {
      if (--a.calls === 0) busyMs.set(name, (busyMs.get(name) ?? 0) + performance.now() - a.since);
    }
  });
  return { store, busyMs };
}

export async function positionBefore(node: RunningNode, height: number): Promise<ChainPosition> {
  if (height <= 1) return GENESIS_POSITION;
  const block = await node.store.getBlock(height - 1);
  if (!block) throw new Error(`block ${height - 1} is missing`);
  return { height: block.header.height, hash: block.hash, logRange: block.logRange };
}

// ---- tiles ---------------------------------------------------------------------------

/**
 * What publishing the log as tiles adds to a seal (issue 12: at most 10% at 10k entries
 * per block): `rounds` backlogs of SIZES.batches × BATCH_RECORDS entries each sealed
 * without tiles and, alternately, the same size sealed with them, into s3rver in this
 * process (the S3 code path of local mode). Before each timed seal with tiles, the blocks
 * sealed without them are published untimed, so each timed seal publishes its own block.
 */
export async function tilesOverhead(
  node: RunningNode,
  rounds: number,
): Promise<{ plain: Sealed[]; tiles: Sealed[] }> {
  const s3 = await startS3();
  try {
    await createBucket(s3.client, "bench-tiles");
    const tiles = new S3TileStore(s3.client, "bench-tiles");
    const plain: Sealed[] = [];
    const published: Sealed[] = [];
    for (let round = 0; round < rounds; round++) {
      await submitAll(node, SIZES.batches, BATCH_RECORDS);
      plain.push(await sealAll(node));
      await publishLog({ store: node.store, tiles, suite: INTL });
      await submitAll(node, SIZES.batches, BATCH_RECORDS);
      published.push(await sealAll(node, tiles));
    }
    return { plain, tiles: published };
  } finally {
    await s3.stop();
  }
}
