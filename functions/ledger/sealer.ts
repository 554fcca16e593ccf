import {
  type BlockHeader,
  blockHeaderBytes,
  CompactRange,
  type CryptoSuite,
  entryLeafData,
  entryLeafHash,
  formatCheckpoint,
  formatSignedNote,
  GENESIS_PREV,
  genesisSuiteFields,
  hashBlockHeader,
  type LedgerEnvelope,
  noteKeyHashOf,
  noteMessage,
  rootFromLeafHashes,
  toBase64,
  toHex,
} from "#chain";
import type { Clock } from "../../lib/clock.js";
import type { Signer } from "../../lib/crypto/signer.js";
import type { SealResult } from "../../lib/protocol/entries.js";
import { mapLimit } from "../store/concurrency.js";
import {
  type BatchStore,
  type BlockPage,
  type BlockStore,
  PAGE_SIZE,
  type StoredBatch,
  type StoredBlock,
} from "../store/ports.js";
import type { TileStore } from "../store/tile-store.js";
import { type KnownHead, type PublishDeps, publishLog } from "./publish.js";
import type { WitnessingDeps } from "./witnessing.js";

/**
 * Sealing one block (ARCHITECTURE §7):
 *   1. finish the latest block unless it is marked finished: mark its batches sealed
 *      (idempotent), then mark the block finished;
 *   2. read pending batches (a possibly stale index), re-read them consistently and
 *      keep those still unsealed, in deterministic order (receivedAt, batch key), until
 *      the block is full — then the result says `more`, and the seal loop goes on at once;
 *   3. build the block: leaves, root, cumulative log root from the stored compact
 *      range, header, sealer signature, checkpoint; write its pages (keyed by the
 *      block hash, so a losing racer's pages never touch the winner's);
 *   4. COMMIT: one conditional put of block h+1. A racer that loses stops here;
 *   5. mark the new block's batches sealed, then the block finished — a crash here is
 *      finished by step 1 of the next run.
 *   6. publish the log as tiles up to the latest block (publish.ts), when the ledger
 *      has a tile store, beside step 5 (it needs only the committed block). A failure
 *      there is reported in the result, never thrown: the block is committed, and the
 *      next seal publishes what this one could not.
 * A crash before 4 leaves only unreferenced pages; after 4, nothing that the next run
 * does not finish. Two sealers can both build h+1 but only one commit succeeds, so
 * the chain never forks, and no batch is in two blocks: step 1 always runs before a
 * sealer reads the pending list, and step 2's consistent re-read drops sealed ones.
 */

/**
 * What sealing sends: the pending list, consistent batch reads and the seal marks; the
 * latest block, pages, the block's commit and its finished mark; and what publishing
 * the tiles reads (publish.ts). It never writes a batch.
 */
export type SealStore = Pick<BatchStore, "listPendingBatches" | "getBatches" | "markBatchSealed"> &
  Pick<
    BlockStore,
    "getLatestBlock" | "getBlockPages" | "putBlockPages" | "commitBlock" | "markBlockFinished"
  > &
  PublishDeps["store"];

export interface SealerDeps {
  store: SealStore;
  signer: Signer;
  clock: Clock;
  /** The log's origin (consortium file `log`). */
  log: string;
  /** The ledger's crypto suite (consortium file `suite`): recorded in the genesis block, every hash its H. */
  suite: CryptoSuite;
  /** Most entries in one block (whole batches only, so a block may hold up to 99 fewer). */
  maxEntries?: number;
  /** Where the log is published as C2SP tiles; none: not published. */
  tiles?: TileStore;
  /** The witnesses asked to cosign each published checkpoint (needs `tiles`: proofs come from them). */
  witnessing?: WitnessingDeps;
}

export const DEFAULT_MAX_ENTRIES = 10_000;

export async function sealBlock(deps: SealerDeps): Promise<SealResult> {
  const { store } = deps;
  const latest = await store.getLatestBlock();
  if (latest && !latest.finished) await finishBlock(store, latest);
  const height = (latest?.header.height ?? 0) + 1;

  const { batches, more } = await collectPending(store, deps.maxEntries ?? DEFAULT_MAX_ENTRIES);
  if (batches.length === 0) {
    return withTiles(deps, { sealed: false, reason: "nothing-pending", height: height - 1 }, { latest });
  }

  const envelopes: LedgerEnvelope[] = [];
  const batchKeys: string[] = [];
  for (const b of batches) {
    for (const e of b.envelopes) {
      envelopes.push(e);
      batchKeys.push(b.key);
    }
  }
  // With tiles to publish, each envelope is serialised once: its leaf data is both hashed
  // here and written to the entry bundles (publish.ts).
  const leafData = deps.tiles ? envelopes.map(entryLeafData) : undefined;
  const { suite } = deps;
  const leafHashes = leafData
    ? leafData.map((d) => suite.hashLeaf(d))
    : envelopes.map((e) => entryLeafHash(suite, e));
  const range = latest ? CompactRange.fromState(suite, latest.logRange) : CompactRange.empty(suite);
  const first = range.size;
  range.appendAll(leafHashes);
  const header: BlockHeader = {
    v: 1,
    log: deps.log,
    height,
    prev: latest?.hash ?? GENESIS_PREV,
    root: toHex(rootFromLeafHashes(suite, leafHashes)),
    first,
    count: leafHashes.length,
    logSize: range.size,
    logRoot: toHex(range.root()),
    sealedAt: deps.clock.now().toISOString(),
    sealer: deps.signer.keyId,
    ...(height === 1 ? genesisSuiteFields(suite) : {}),
  };
  const hash = toHex(hashBlockHeader(suite, header));
  const signature = await deps.signer.sign(blockHeaderBytes(header));
  const checkpoint = await signCheckpoint(deps, header, range.root());

  const pages: BlockPage[] = [];
  for (let p = 0; p * PAGE_SIZE < leafHashes.length; p++) {
    const from = p * PAGE_SIZE;
    const to = from + PAGE_SIZE;
    pages.push({
      page: p,
      leafHashes: leafHashes.slice(from, to),
      entryIds: envelopes.slice(from, to).map((e) => e.id),
      batchKeys: batchKeys.slice(from, to),
    });
  }
  await store.putBlockPages(hash, pages);

  const block: StoredBlock = {
    header,
    hash,
    signature: { keyId: deps.signer.keyId, alg: deps.signer.alg, value: toBase64(signature) },
    checkpoint,
    logRange: range.state(),
    pageCount: pages.length,
  };
  if ((await store.commitBlock(block)) === "conflict") {
    return { sealed: false, reason: "lost-race", height };
  }
  const result: SealResult = {
    sealed: true,
    height,
    entries: leafHashes.length,
    hash,
    logSize: range.size,
    ...(more ? { more: true } : {}),
  };
  // Steps 5 and 6 at once: publishing needs only the committed block, and its S3 writes
  // wait on the network while marking the batches waits on the table. Neither throws
  // from the other: withTiles reports its failures in the result.
  const [, published] = await Promise.all([
    markSealed(store, height, batches).then(() => store.markBlockFinished(height)),
    withTiles(deps, result, leafData ? { block, leafData, leafHashes } : { latest: block }),
  ]);
  return published;
}

/** Step 6: the result, with where the tiles stand once published up to the latest block. */
async function withTiles(deps: SealerDeps, result: SealResult, known: KnownHead): Promise<SealResult> {
  if (!deps.tiles) return result;
  try {
    const { size, witnesses } = await publishLog(
      {
        store: deps.store,
        tiles: deps.tiles,
        suite: deps.suite,
        ...(deps.witnessing ? { witnessing: deps.witnessing } : {}),
      },
      known,
    );
    return { ...result, tiles: { published: size, ...(witnesses ? { witnesses } : {}) } };
  } catch (err) {
    return { ...result, tiles: { error: (err as Error).message } };
  }
}

/** Step 1: every batch of `block` marked sealed. Reads the block's pages for its batch list. */
export async function finishBlock(
  store: Pick<SealStore, "getBlockPages" | "getBatches" | "markBatchSealed" | "markBlockFinished">,
  block: StoredBlock,
): Promise<void> {
  const pages = await store.getBlockPages(block.hash, block.pageCount);
  const offsets = new Map<string, number>();
  let position = 0;
  for (const page of pages) {
    for (const key of page.batchKeys) {
      if (!offsets.has(key)) offsets.set(key, position);
      position++;
    }
  }
  const pending = (await store.getBatches([...offsets.keys()])).filter((b) => b.sealed === undefined);
  await mapLimit(pending, MARK_CONCURRENCY, (b) =>
    store.markBatchSealed(b.key, block.header.height, offsets.get(b.key) as number),
  );
  await store.markBlockFinished(block.header.height);
}

/**
 * Marks in flight at once. Sealing sends one conditional UpdateItem per batch (a
 * BatchWriteItem cannot update an item, only replace or delete it, and the seal role may
 * do neither to a batch: cdk/lib/defaults.ts COMMITTED_ITEM_WRITES), so with single-record
 * batches these writes are most of a seal's round trips: as many in flight as the SDK's
 * default of 50 sockets per client allows, with two to spare for the seal's other calls.
 */
const MARK_CONCURRENCY = 48;

async function markSealed(
  store: Pick<SealStore, "markBatchSealed">,
  height: number,
  batches: StoredBatch[],
): Promise<void> {
  const marks: Array<{ key: string; offset: number }> = [];
  let offset = 0;
  for (const b of batches) {
    marks.push({ key: b.key, offset });
    offset += b.envelopes.length;
  }
  await mapLimit(marks, MARK_CONCURRENCY, (m) => store.markBatchSealed(m.key, height, m.offset));
}

/** What step 2 chose: whole batches in sealing order, and whether more were pending than fit. */
interface Pending {
  batches: StoredBatch[];
  /** True when the block is full or the pending list was cut at its limit: seal again at once. */
  more: boolean;
}

async function collectPending(
  store: Pick<SealStore, "listPendingBatches" | "getBatches">,
  maxEntries: number,
): Promise<Pending> {
  // Each batch holds at least one entry, so maxEntries refs always suffice. The index
  // may be stale: every candidate is re-read consistently, and sealed ones dropped.
  const refs = await store.listPendingBatches(maxEntries);
  const batches: StoredBatch[] = [];
  let total = 0;
  let seen = { batches: 0, entries: 0 };
  // Read oldest first until the block is full: a backlog of many batches costs one
  // block's worth of reads, not the whole backlog's. The first read is one chunk; then
  // as many chunks at once as the rest of the block needs at the mean batch size seen so
  // far, up to READ_PARALLEL. So 100-record batches (~140 KB items) are read one chunk
  // at a time and never far beyond the block, and single-record batches READ_PARALLEL
  // chunks per round trip rather than one.
  for (let i = 0; i < refs.length; ) {
    const mean = seen.batches === 0 ? undefined : seen.entries / seen.batches;
    const chunks = mean === undefined ? 1 : Math.ceil((maxEntries - total) / mean / READ_CHUNK);
    const slice = refs.slice(i, i + Math.min(Math.max(chunks, 1), READ_PARALLEL) * READ_CHUNK);
    i += slice.length;
    const fresh = (await store.getBatches(slice.map((r) => r.key))).filter((b) => b.sealed === undefined);
    fresh.sort(byReceiveOrder);
    for (const b of fresh) {
      if (batches.length > 0 && total + b.envelopes.length > maxEntries) return { batches, more: true };
      batches.push(b);
      total += b.envelopes.length;
      seen = { batches: seen.batches + 1, entries: seen.entries + b.envelopes.length };
    }
  }
  return { batches, more: refs.length >= maxEntries };
}

/** Keys per getBatches read: one BatchGetItem's worth. */
const READ_CHUNK = 100;
/** Chunks read at once: the store's own parallel requests per call (table-client.ts PARALLEL_REQUESTS). */
const READ_PARALLEL = 8;

/** The deterministic sealing order: receive time, then batch key. */
function byReceiveOrder(a: StoredBatch, b: StoredBatch): number {
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** C2SP checkpoint for the log after this block, signed by the sealer (docs/formats/checkpoint.md). */
async function signCheckpoint(deps: SealerDeps, header: BlockHeader, logRoot: Uint8Array): Promise<string> {
  const text = formatCheckpoint({ origin: header.log, size: header.logSize, rootHash: logRoot });
  const keyHash = noteKeyHashOf(header.log, deps.signer.alg, await deps.signer.publicKey());
  const signature = await deps.signer.sign(noteMessage(text));
  return formatSignedNote(text, [{ name: header.log, keyHash, signature }]);
}
