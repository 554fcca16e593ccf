import {
  buildEntryBundles,
  buildTiles,
  type CryptoSuite,
  consistencyProofFromTiles,
  consistencyProofTiles,
  type EntryBundleCoords,
  entryBundlePath,
  entryLeafData,
  equalBytes,
  type LedgerEnvelope,
  parseCheckpoint,
  parseSignedNote,
  TILE_WIDTH,
  type TileCoords,
  tileLevels,
  tilePath,
  utf8,
} from "#chain";
import { mapLimit } from "../store/concurrency.js";
import type { BatchStore, BlockStore, StoredBlock } from "../store/ports.js";
import { CHECKPOINT_PATH, type TileStore } from "../store/tile-store.js";
import { gatherCosignatures, type WitnessingDeps, type WitnessOutcome } from "./witnessing.js";

/**
 * Publishing the log as C2SP tiles (docs/formats/tiles.md), after the seal (sealer.ts
 * step 6). The published checkpoint is the state: it names the size whose tiles are all
 * written. Each run publishes every committed block past it, one block at a time:
 *   1. read the checkpoint (size P; 0 when none) and the latest committed block;
 *   2. find the block that starts at P, and for it and each later block:
 *   3. read the old partial tiles and bundle of size P (at most one per level), build the
 *      tiles and bundles the block's entries change (lib/chain buildTiles,
 *      buildEntryBundles) and write them;
 *   4. write the block's checkpoint — last, so it never names tiles not yet written.
 * A crash at any step leaves the checkpoint at the last whole block: the next run builds
 * the same bytes again (tiles are fixed by the log) and overwrites what the crash left.
 * Writes run only after the block's commit point, so they never disagree with the chain.
 */

export interface PublishDeps {
  store: Pick<BlockStore, "getLatestBlock" | "getBlock" | "getBlockPages"> & Pick<BatchStore, "getBatches">;
  tiles: TileStore;
  /** The ledger's crypto suite: the tiles' hashes are its H's. */
  suite: CryptoSuite;
  /** The consortium's witnesses, asked to cosign each checkpoint before it is published (witnessing.ts). */
  witnessing?: WitnessingDeps;
}

/**
 * The block just sealed with its entries' leaf data and leaf hashes, as the sealer computed
 * them, so publishing it reads nothing back and serialises no envelope a second time.
 */
export interface SealedBlock {
  block: StoredBlock;
  leafData: readonly Uint8Array[];
  leafHashes: readonly Uint8Array[];
}

/** A block's entries as the log holds them: leaf data (bundles) and leaf hashes (level-0 tiles). */
interface BlockLeaves {
  leafData: readonly Uint8Array[];
  leafHashes: readonly Uint8Array[];
}

export interface PublishResult {
  /** The published checkpoint's size after the run. */
  size: number;
  /** Blocks published by this run. */
  blocks: number;
  /** What each witness did with the last checkpoint this run published (none: no witnesses asked). */
  witnesses?: WitnessOutcome[];
}

/**
 * What the caller already knows of the chain's head, so publishing does not read it again:
 * the block it just sealed (with its leaves), or the latest block it read (the sealer on an
 * idle tick). Without it the latest block is read from the store.
 */
export type KnownHead = SealedBlock | { latest: StoredBlock | undefined };

export async function publishLog(deps: PublishDeps, known?: KnownHead): Promise<PublishResult> {
  const published = await publishedSize(deps.tiles);
  const sealed = known && "block" in known ? known : undefined;
  let latest: StoredBlock | undefined;
  if (known === undefined) latest = await deps.store.getLatestBlock();
  else latest = "block" in known ? known.block : known.latest;
  if (!latest || latest.header.logSize <= published) {
    if (latest && latest.header.logSize < published) {
      throw new PublishError(
        `the published checkpoint (size ${published}) is ahead of the latest block (log size ${latest.header.logSize}): the tile bucket belongs to another ledger or the table was restored`,
      );
    }
    return { size: published, blocks: 0 };
  }
  let size = published;
  let blocks = 0;
  for (let block = await blockStartingAt(deps.store, latest, size); ; ) {
    const leaves = sealed?.block.hash === block.hash ? sealed : await leavesOf(deps, block);
    const witnesses = await publishBlock(deps, size, block, leaves);
    size = block.header.logSize;
    blocks++;
    if (block.header.height >= latest.header.height)
      return { size, blocks, ...(witnesses ? { witnesses } : {}) };
    const next = await deps.store.getBlock(block.header.height + 1);
    if (!next) throw new PublishError(`block ${block.header.height + 1} is missing below the latest block`);
    block = next;
  }
}

/** The published checkpoint's size; 0 before the first publication. */
async function publishedSize(tiles: TileStore): Promise<number> {
  const bytes = await tiles.get(CHECKPOINT_PATH);
  if (!bytes) return 0;
  try {
    return parseCheckpoint(parseSignedNote(bytes).text).size;
  } catch (err) {
    throw new PublishError(`the published checkpoint is not a checkpoint: ${(err as Error).message}`);
  }
}

/**
 * The committed block whose first entry is log entry `size`. Blocks are published whole,
 * so the checkpoint's size is always where one block ends and the next starts. Right
 * after a seal that is the latest block; after an outage, a binary search by height.
 */
async function blockStartingAt(
  store: PublishDeps["store"],
  latest: StoredBlock,
  size: number,
): Promise<StoredBlock> {
  if (latest.header.first <= size) {
    if (latest.header.first === size) return latest;
  } else {
    let low = 1;
    let high = latest.header.height - 1;
    while (low <= high) {
      const middle = Math.floor((low + high) / 2);
      const block = await store.getBlock(middle);
      if (!block) break;
      if (block.header.first === size) return block;
      if (block.header.first < size) low = middle + 1;
      else high = middle - 1;
    }
  }
  throw new PublishError(`no block starts at log size ${size}, the published checkpoint's`);
}

/** A committed block's leaves, in block order, from its pages and its batches. */
async function leavesOf(
  { store, suite }: Pick<PublishDeps, "store" | "suite">,
  block: StoredBlock,
): Promise<BlockLeaves> {
  const pages = await store.getBlockPages(block.hash, block.pageCount);
  const ids = pages.flatMap((p) => p.entryIds);
  const leafHashes = pages.flatMap((p) => p.leafHashes);
  const keys = [...new Set(pages.flatMap((p) => p.batchKeys))];
  const byId = new Map<string, LedgerEnvelope>();
  for (const batch of await store.getBatches(keys)) for (const e of batch.envelopes) byId.set(e.id, e);
  const leafData = ids.map((id, i) => {
    const envelope = byId.get(id);
    const data = envelope && entryLeafData(envelope);
    // The pages hold each entry's leaf hash as sealed: an envelope that hashes otherwise
    // is not the one the block committed, and must not be published as if it were.
    if (!data || !equalBytes(suite.hashLeaf(data), leafHashes[i] as Uint8Array)) {
      throw new PublishError(
        `entry ${id} of block ${block.header.height} is missing or does not match its leaf hash`,
      );
    }
    return data;
  });
  return { leafData, leafHashes };
}

/** Tiles and bundles in flight at once. */
const PUT_CONCURRENCY = 16;

async function publishBlock(
  deps: PublishDeps,
  size: number,
  block: StoredBlock,
  leaves: BlockLeaves,
): Promise<WitnessOutcome[] | undefined> {
  const { tiles } = deps;
  const partials = await readPartials(tiles, size);
  const hashTiles = buildTiles(deps.suite, size, leaves.leafHashes, (t) => partials.tile(t));
  const bundles = buildEntryBundles(size, leaves.leafData, (b) => partials.bundle(b));
  const writes = [
    ...hashTiles.map((t) => ({ path: tilePath(t.tile), data: t.data, full: t.tile.width === TILE_WIDTH })),
    ...bundles.map((b) => ({
      path: entryBundlePath(b.bundle),
      data: b.data,
      full: b.bundle.width === TILE_WIDTH,
    })),
  ];
  await mapLimit(writes, PUT_CONCURRENCY, (w) => tiles.put(w.path, w.data, w.full ? "immutable" : "latest"));
  let note = block.checkpoint;
  let outcomes: WitnessOutcome[] | undefined;
  if (deps.witnessing && deps.witnessing.witnesses.length > 0) {
    const written = new Map(writes.map((w) => [w.path, w.data]));
    const proof = (from: number) => consistencyProof(deps.suite, tiles, written, from, block.header.logSize);
    const witnessed = await gatherCosignatures(note, block.header.logSize, size, proof, deps.witnessing);
    note = witnessed.note;
    outcomes = witnessed.outcomes;
  }
  // A sealer that ran beside this one may have published further meanwhile: the checkpoint
  // never moves back. (The seal function runs one at a time on AWS, cdk/lib/functions.ts;
  // this guards local runs and tests, up to the gap between this read and the write.)
  if ((await publishedSize(tiles)) >= block.header.logSize) return outcomes;
  await tiles.put(CHECKPOINT_PATH, utf8(note), "latest");
  return outcomes;
}

/**
 * The consistency proof from `from` to `size`, read from the tiles of `size` — those this
 * run just wrote, else the store's. Empty from 0 and from `size` (tlog-witness sends none).
 */
async function consistencyProof(
  suite: CryptoSuite,
  tiles: TileStore,
  written: ReadonlyMap<string, Uint8Array>,
  from: number,
  size: number,
): Promise<Uint8Array[]> {
  if (from === 0 || from === size) return [];
  const data = new Map<string, Uint8Array>();
  await Promise.all(
    consistencyProofTiles(from, size).map(async (t) => {
      const path = tilePath(t);
      const bytes = written.get(path) ?? (await tiles.get(path));
      if (!bytes) throw new PublishError(`${path} is missing`);
      data.set(path, bytes);
    }),
  );
  return consistencyProofFromTiles(suite, from, size, (t) => data.get(tilePath(t)) as Uint8Array);
}

/**
 * The partial tiles and the partial bundle of a log of `size` — what the builders read
 * back (lib/chain tile-build.ts) — fetched up front, since the builders are synchronous.
 */
async function readPartials(tiles: TileStore, size: number) {
  const wanted = tileLevels(size)
    .filter((l) => l.partialWidth > 0)
    .map((l) => tilePath({ level: l.level, index: l.fullTiles, width: l.partialWidth }));
  const bundleWidth = size % TILE_WIDTH;
  if (bundleWidth > 0)
    wanted.push(entryBundlePath({ index: Math.floor(size / TILE_WIDTH), width: bundleWidth }));
  const found = new Map<string, Uint8Array>();
  await Promise.all(
    wanted.map(async (path) => {
      const data = await tiles.get(path);
      if (data) found.set(path, data);
    }),
  );
  const read = (path: string): Uint8Array => {
    const data = found.get(path);
    if (!data)
      throw new PublishError(
        `${path} is missing: the published checkpoint names a size whose tiles are not all there`,
      );
    return data;
  };
  return {
    tile: (t: TileCoords) => read(tilePath(t)),
    bundle: (b: EntryBundleCoords) => read(entryBundlePath(b)),
  };
}

/**
 * The published tiles do not fit the ledger: a checkpoint that is not one, or names a size
 * no block ends at, a missing partial tile, an entry that does not match its block. The
 * sealer stops publishing (the ledger goes on) and the operator must look: it is either a
 * misconfigured bucket or someone changing published objects.
 */
export class PublishError extends Error {
  override readonly name = "PublishError";
}
