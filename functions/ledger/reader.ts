import {
  batchIndexOf,
  type CryptoSuite,
  consistencyProofFromTiles,
  consistencyProofTiles,
  entryLeafHash,
  inclusionProofFromTiles,
  inclusionProofTiles,
  isAccessEnvelope,
  type LedgerEnvelope,
  MerkleTree,
  parseCheckpoint,
  parseSignedNote,
  type TileCoords,
  type TileReader,
  tilePath,
  toHex,
} from "#chain";
import { type Consortium, suiteOf } from "../../lib/consortium/consortium.js";
import type { BlockView, EntryView } from "../../lib/protocol/entries.js";
import { ApiError } from "../../lib/protocol/errors.js";
import { MAX_SERVED_TILE_BYTES } from "../../lib/protocol/limits.js";
import type { Height } from "../../lib/protocol/routes.js";
import type { Caller } from "../auth/caller.js";
import { type SignatureStore, signaturesOf } from "../rules/cosign.js";
import type { BatchStore, BlockStore, PayloadStore, StoredBlock } from "../store/ports.js";
import { CHECKPOINT_PATH, type TileStore } from "../store/tile-store.js";

/**
 * Read routes: an entry with its proof, blocks, the latest checkpoint. Any consortium
 * member or auditor may read envelopes and proofs; a record's payload only goes back to
 * the department that wrote it (sharing with others is what contracts are for). An
 * access entry's payload — who asked what, never a record's values — goes to its
 * consumer, the provider asked about, and auditors.
 */

/** What readEntry reads: the payload, its batch, its block and pages, and its signatures. */
export type EntryStore = Pick<PayloadStore, "getPayload"> &
  Pick<BatchStore, "getBatch"> &
  Pick<BlockStore, "getBlock" | "getBlockPages"> &
  SignatureStore;

/** What readBlock and readCheckpoint read: blocks only. */
export type BlockReadStore = Pick<BlockStore, "getLatestBlock" | "getBlock">;

/** Requires `id` to be an entry id's form, 32 lowercase hex digits (http-parse.ts checks it). */
export async function readEntry(
  caller: Caller,
  id: string,
  store: EntryStore,
  consortium: Consortium,
): Promise<EntryView> {
  const payload = await store.getPayload(id);
  // A payload whose batch never committed (a crashed or refused submit) is not an entry.
  const batch = payload && (await store.getBatch(payload.batchKey));
  const envelope = batch?.envelopes.find((e) => e.id === id);
  if (!payload || !batch || !envelope) throw new ApiError("NOT_FOUND", `no entry ${id}`);

  const view: EntryView = {
    id,
    status: batch.sealed ? "sealed" : "pending",
    leafHash: toHex(entryLeafHash(suiteOf(consortium), envelope)),
    envelope,
  };
  const data = JSON.parse(payload.data) as unknown;
  if (mayReadPayload(caller, envelope, data)) view.payload = data;
  const signatures = isAccessEnvelope(envelope) ? undefined : await signaturesOf(envelope, store, consortium);
  if (signatures) view.signatures = signatures;
  if (batch.sealed) {
    const block = await store.getBlock(batch.sealed.height);
    if (!block)
      throw new ApiError(
        "INTERNAL",
        `entry ${id} is sealed at height ${batch.sealed.height}, which is missing`,
      );
    const pages = await store.getBlockPages(block.hash, block.pageCount);
    const leaves = pages.flatMap((p) => p.leafHashes);
    const index = batch.sealed.offset + batchIndexOf(envelope);
    view.sealed = {
      height: block.header.height,
      index,
      logIndex: block.header.first + index,
      proof: new MerkleTree(suiteOf(consortium), leaves).inclusionProof(index).map(toHex),
      block: blockView(block),
    };
  }
  return view;
}

/**
 * Whether `caller` may read an entry's payload (`data`, parsed): a record's goes to the
 * department that wrote it only; an access entry's to its consumer, the provider it
 * asked about, and auditors.
 */
export function mayReadPayload(caller: Caller, envelope: LedgerEnvelope, data: unknown): boolean {
  return isAccessEnvelope(envelope)
    ? caller.department === envelope.dept ||
        caller.role === "auditor" ||
        (data as { provider?: unknown }).provider === caller.department
    : caller.department === envelope.dept;
}

export async function readBlock(height: Height, store: BlockReadStore): Promise<BlockView> {
  const block = height === "latest" ? await store.getLatestBlock() : await store.getBlock(height);
  if (!block)
    throw new ApiError(
      "NOT_FOUND",
      height === "latest" ? "no block has been sealed yet" : `no block at height ${height}`,
    );
  return blockView(block);
}

export async function readCheckpoint(store: Pick<BlockReadStore, "getLatestBlock">): Promise<string> {
  const block = await store.getLatestBlock();
  if (!block) throw new ApiError("NOT_FOUND", "no block has been sealed yet, so there is no checkpoint");
  return block.checkpoint;
}

function blockView(block: StoredBlock): BlockView {
  return { header: block.header, hash: block.hash, signature: block.signature, checkpoint: block.checkpoint };
}

/**
 * GET /v1/log/checkpoint: the checkpoint as published with the log's tiles — the sealer's
 * signature and every witness cosignature it got (publish.ts, witnessing.ts) — byte for
 * byte the tile store's `checkpoint` object.
 */
export async function readPublishedCheckpoint(tiles: Pick<TileStore, "get"> | undefined): Promise<string> {
  if (!tiles) throw new ApiError("NOT_FOUND", "this ledger does not publish its log as tiles");
  const bytes = await tiles.get(CHECKPOINT_PATH);
  if (!bytes) throw new ApiError("NOT_FOUND", "no checkpoint has been published yet");
  return new TextDecoder().decode(bytes);
}

/**
 * GET /v1/log/tile/…: a published hash tile or entry bundle by its object path (checked
 * by the caller), and whether it is full. NOT_FOUND when it was never written: the log
 * has not reached it, or the log never had a partial tile of that width.
 */
export async function readTile(
  tiles: Pick<TileStore, "get"> | undefined,
  path: string,
): Promise<{ bytes: Uint8Array; full: boolean }> {
  if (!tiles) throw new ApiError("NOT_FOUND", "this ledger does not publish its log as tiles");
  const bytes = await tiles.get(path);
  if (!bytes) throw new ApiError("NOT_FOUND", `${path} is not published`);
  if (bytes.length > MAX_SERVED_TILE_BYTES) {
    throw new ApiError(
      "TILE_TOO_LARGE",
      `${path} is ${bytes.length} bytes, more than the API serves (${MAX_SERVED_TILE_BYTES}): read it from the tile bucket`,
      { path, bytes: bytes.length },
    );
  }
  return { bytes, full: !path.includes(".p/") };
}

/**
 * For GET /v1/health: the published checkpoint's size and how many cosignature lines it
 * carries besides the sealer's (counted, not verified: `zhixin verify` verifies them);
 * size 0 before the first publication.
 */
export async function publishedState(
  tiles: Pick<TileStore, "get">,
  log: string,
): Promise<{ size: number; cosignatures: number }> {
  const bytes = await tiles.get(CHECKPOINT_PATH);
  if (!bytes) return { size: 0, cosignatures: 0 };
  try {
    const note = parseSignedNote(bytes);
    return {
      size: parseCheckpoint(note.text).size,
      cosignatures: note.signatures.filter((s) => s.name !== log).length,
    };
  } catch {
    // Not a checkpoint: nothing counts as published; the audit names it CHECKPOINT_INVALID.
    return { size: 0, cosignatures: 0 };
  }
}

/**
 * GET /v1/log/proof/inclusion?index=&size=: the RFC 6962 inclusion proof of log entry
 * `index` in the tree of `size`, built from the published tiles (lib/chain
 * inclusionProofFromTiles), for clients that do not fetch tiles. `size` must be at most
 * the published checkpoint's: the proof then checks against a root it signs.
 */
export async function readInclusionProof(
  suite: CryptoSuite,
  tiles: Pick<TileStore, "get"> | undefined,
  log: string,
  index: number,
  size: number,
): Promise<{ index: number; size: number; proof: string[] }> {
  const published = await publishedSizeOf(tiles, log);
  if (size > published) throw beyondPublished("size", size, published);
  if (index >= size) {
    throw new ApiError("INVALID_PARAMETER", `index ${index} is not below size ${size}`, {
      parameter: "index",
    });
  }
  const [proof] = await inclusionProofsFromTiles(suite, tiles as Pick<TileStore, "get">, [index], size);
  return { index, size, proof: (proof as Uint8Array[]).map(toHex) };
}

/**
 * The RFC 6962 inclusion proofs of log entries `indices` (each below `size`) in the tree of
 * `size`, from the published tiles, which must reach `size` (the published checkpoint's or
 * less): every tile they need is read once, up front.
 */
export async function inclusionProofsFromTiles(
  suite: CryptoSuite,
  tiles: Pick<TileStore, "get">,
  indices: readonly number[],
  size: number,
): Promise<Uint8Array[][]> {
  const wanted = new Map<string, TileCoords>();
  for (const index of indices) for (const t of inclusionProofTiles(index, size)) wanted.set(tilePath(t), t);
  const read = await tileReader(tiles, [...wanted.values()]);
  return indices.map((index) => inclusionProofFromTiles(suite, index, size, read));
}

/**
 * GET /v1/log/proof/consistency?from=&to=: the RFC 6962 consistency proof from the tree of
 * `from` to the tree of `to` (at most the published checkpoint's size), from the tiles.
 */
export async function readConsistencyProof(
  suite: CryptoSuite,
  tiles: Pick<TileStore, "get"> | undefined,
  log: string,
  from: number,
  to: number,
): Promise<{ from: number; to: number; proof: string[] }> {
  const published = await publishedSizeOf(tiles, log);
  if (to > published) throw beyondPublished("to", to, published);
  if (from > to) {
    throw new ApiError("INVALID_PARAMETER", `from ${from} is after to ${to}`, { parameter: "from" });
  }
  if (from === to) return { from, to, proof: [] };
  const read = await tileReader(tiles as Pick<TileStore, "get">, consistencyProofTiles(from, to));
  return { from, to, proof: consistencyProofFromTiles(suite, from, to, read).map(toHex) };
}

async function publishedSizeOf(tiles: Pick<TileStore, "get"> | undefined, log: string): Promise<number> {
  if (!tiles) throw new ApiError("NOT_FOUND", "this ledger does not publish its log as tiles");
  return (await publishedState(tiles, log)).size;
}

function beyondPublished(parameter: string, size: number, published: number): ApiError {
  return new ApiError(
    "INVALID_PARAMETER",
    `${parameter} ${size} is beyond the published checkpoint's size ${published} (GET /v1/log/checkpoint)`,
    { parameter, published },
  );
}

/** The given tiles, read from the store up front, as the synchronous reader lib/chain takes. */
async function tileReader(tiles: Pick<TileStore, "get">, wanted: readonly TileCoords[]): Promise<TileReader> {
  const data = new Map<string, Uint8Array>();
  await Promise.all(
    wanted.map(async (t) => {
      const path = tilePath(t);
      const bytes = await tiles.get(path);
      // A tile of a published size that is not there: the bucket lost it, not the client's
      // fault; the next seal's publication rewrites what the published size needs.
      if (!bytes)
        throw new ApiError("UNAVAILABLE", `tile ${path} of the published log is missing; retry later`);
      data.set(path, bytes);
    }),
  );
  return (t) => data.get(tilePath(t)) as Uint8Array;
}
