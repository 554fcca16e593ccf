import {
  batchIndexOf,
  type ChainError,
  type CryptoSuite,
  type EntryEnvelope,
  isAccessEnvelope,
  type LedgerEnvelope,
  parseCheckpoint,
  parseSignedNote,
} from "#chain";
import { type BundleKeyRecord, formatEvidenceBundle } from "../../lib/evidence/index.js";
import { ApiError } from "../../lib/protocol/errors.js";
import { keyIndex } from "../../lib/store-layout.js";
import type { Caller } from "../auth/caller.js";
import { committedIndexEntries } from "../store/index-entries.js";
import {
  type BatchStore,
  type BlockStore,
  type IndexStore,
  type PayloadStore,
  type StoredBatch,
  StoreInvariantError,
} from "../store/ports.js";
import { CHECKPOINT_PATH, type TileStore } from "../store/tile-store.js";
import { inclusionProofsFromTiles, mayReadPayload } from "./reader.js";

/**
 * GET /v1/entries/{id}/evidence: the evidence bundle of one sealed entry
 * (docs/formats/evidence.md), which proves it to a holder of the trust root alone, with
 * no access to this ledger. Gathered against the checkpoint published with the tiles —
 * the one the witnesses cosigned (publish.ts) — read once, so every proof is to its tree:
 *
 *   1. the entry: its payload, batch and, once sealed, its block, hence its log index
 *      (NOT_FOUND if the ledger never committed it);
 *   2. the published checkpoint (NOT_FOUND if this ledger publishes no tiles), which must
 *      cover the entry: EVIDENCE_NOT_READY while it is pending, or sealed past the
 *      published size (nothing published yet included) — the next publication covers it;
 *   3. every key record of the signing key's owner (its K# index entries, committed:
 *      its own records, recoveries of its keys and the cosigns of those records) sealed
 *      below the checkpoint's size, with its envelope, payload and log index — and those of
 *      every department that wrote a recovery or a cosign among them, and of theirs, whose
 *      keys signed those (docs/formats/evidence.md §2);
 *   4. the inclusion proofs of all of them in the checkpoint's tree, from the tiles;
 *   5. the file, by lib/evidence's formatEvidenceBundle.
 *
 * The payload is the caller's to read by the rule GET /v1/entries/{id} applies
 * (mayReadPayload), else null: its contentDigest still binds it. Key records' payloads
 * are always included: they are the ledger's public account of its keys, and the
 * verifier's fold reads them. The checkpoint's cosignatures are not counted here: the
 * bundle's verifier counts them against its own trust root.
 */

/** What building a bundle reads: entries' payloads, batches and blocks, and an owner's K# index. */
export type EvidenceStore = Pick<PayloadStore, "getPayload"> &
  Pick<BatchStore, "getBatch" | "getBatchHeads"> &
  Pick<BlockStore, "getBlock"> &
  Pick<IndexStore, "listIndexEntries">;

/**
 * Seconds a client should wait before asking again for an entry not yet covered: the
 * sealer's own loop on AWS (sealLoopSeconds, 10 by default; npm start seals every 2 s),
 * after which the block is published once its witnesses answer (5 s at most each).
 */
export const EVIDENCE_RETRY_AFTER_SECONDS = 10;

/** An entry as stored: its envelope, its payload text, and its log index once sealed. */
interface StoredEntry {
  envelope: LedgerEnvelope;
  payload: string;
  logIndex: number | undefined;
}

/** Requires `id` to be an entry id's form (http-parse.ts checks it). Returns the bundle file's text. */
export async function readEvidence(
  suite: CryptoSuite,
  caller: Caller,
  id: string,
  store: EvidenceStore,
  tiles: Pick<TileStore, "get"> | undefined,
  log: string,
): Promise<string> {
  const payload = await store.getPayload(id);
  // A payload whose batch never committed (a crashed or refused submit) is not an entry.
  const batch = payload && (await store.getBatch(payload.batchKey));
  const entry = payload && batch && (await storedEntry(store, batch, id, payload.data));
  if (!entry) throw new ApiError("NOT_FOUND", `no entry ${id}`);
  if (!tiles) throw new ApiError("NOT_FOUND", "this ledger does not publish its log as tiles");

  const published = await publishedCheckpoint(tiles, log);
  const size = published?.size ?? 0;
  if (entry.logIndex === undefined || entry.logIndex >= size) throw notReady(id, entry.logIndex, size);

  const keyRecords = await keyRecordsWithWriters(store, ownerOf(entry.envelope.keyId), size);
  const [entryProof, ...recordProofs] = await inclusionProofsFromTiles(
    suite,
    tiles,
    [entry.logIndex, ...keyRecords.map((r) => r.logIndex)],
    size,
  );
  const data = JSON.parse(entry.payload) as unknown;
  return formatEvidenceBundle({
    log,
    checkpoint: (published as { note: string }).note,
    entry: {
      envelope: entry.envelope,
      payload: mayReadPayload(caller, entry.envelope, data) ? entry.payload : null,
      inclusion: { index: entry.logIndex, size, proof: entryProof as Uint8Array[] },
    },
    keyRecords: keyRecords.map(
      (r, i): BundleKeyRecord => ({
        envelope: r.envelope,
        payload: r.payload,
        inclusion: { index: r.logIndex, size, proof: recordProofs[i] as Uint8Array[] },
      }),
    ),
  });
}

/** The entry `id` of a committed batch, with its log index once the batch is sealed; undefined if the batch does not hold it. */
async function storedEntry(
  store: Pick<BlockStore, "getBlock">,
  batch: StoredBatch,
  id: string,
  payload: string,
): Promise<StoredEntry | undefined> {
  const envelope = batch.envelopes.find((e) => e.id === id);
  if (!envelope) return undefined;
  if (!batch.sealed) return { envelope, payload, logIndex: undefined };
  const block = await store.getBlock(batch.sealed.height);
  if (!block)
    throw new ApiError(
      "INTERNAL",
      `entry ${id} is sealed at height ${batch.sealed.height}, which is missing`,
    );
  return { envelope, payload, logIndex: block.header.first + batch.sealed.offset + batchIndexOf(envelope) };
}

/** The published checkpoint note and its size; undefined before the first publication. */
async function publishedCheckpoint(
  tiles: Pick<TileStore, "get">,
  log: string,
): Promise<{ note: string; size: number } | undefined> {
  const bytes = await tiles.get(CHECKPOINT_PATH);
  if (!bytes) return undefined;
  const note = new TextDecoder().decode(bytes);
  let checkpoint: ReturnType<typeof parseCheckpoint>;
  try {
    checkpoint = parseCheckpoint(parseSignedNote(note).text);
  } catch (e) {
    // The publisher writes only checkpoints of this log: another object there is the bucket's fault.
    throw new StoreInvariantError(`the published checkpoint is not one: ${(e as ChainError).message}`);
  }
  if (checkpoint.origin !== log)
    throw new StoreInvariantError(`the published checkpoint is of ${checkpoint.origin}, not ${log}`);
  return { note, size: checkpoint.size };
}

function notReady(id: string, logIndex: number | undefined, size: number): ApiError {
  const message =
    logIndex === undefined
      ? `entry ${id} is not sealed yet; its evidence needs a witnessed checkpoint that covers it`
      : `entry ${id} is at log index ${logIndex}, and the published checkpoint covers ${size} entries; the next publication covers it`;
  return new ApiError("EVIDENCE_NOT_READY", message, {
    status: logIndex === undefined ? "pending" : "sealed",
    ...(logIndex === undefined ? {} : { logIndex }),
    publishedSize: size,
    retryAfterSeconds: EVIDENCE_RETRY_AFTER_SECONDS,
  });
}

/** The owner of a derived key id `<owner>/<hash>` (docs/design/key-history.md §1). */
function ownerOf(keyId: string): string {
  return keyId.slice(0, keyId.indexOf("/"));
}

/**
 * The key records of `owner` (keyRecordsOf) and, as a recovery of its keys or a cosign of
 * its records is signed by its writer's own key, those of each such writer, until every
 * writer's are in: one K# index read per department at most.
 */
async function keyRecordsWithWriters(
  store: EvidenceStore,
  owner: string,
  size: number,
): Promise<Array<{ envelope: EntryEnvelope; payload: string; logIndex: number }>> {
  const records = new Map<string, { envelope: EntryEnvelope; payload: string; logIndex: number }>();
  const read = new Set([owner]);
  for (let next = [owner]; next.length > 0; ) {
    const found = (await Promise.all(next.map((o) => keyRecordsOf(store, o, size)))).flat();
    for (const r of found) records.set(r.envelope.id, r);
    next = [...new Set(found.map((r) => r.envelope.dept))].filter((d) => !read.has(d));
    for (const d of next) read.add(d);
  }
  return [...records.values()];
}

/**
 * The owner's key records sealed below `size`, with their log indices, in ledger order
 * (the K# index's; formatEvidenceBundle orders them again). A committed key record
 * without its payload, batch entry or block is a store that lost items: not a refusal.
 */
async function keyRecordsOf(
  store: EvidenceStore,
  owner: string,
  size: number,
): Promise<Array<{ envelope: EntryEnvelope; payload: string; logIndex: number }>> {
  const indexed = await committedIndexEntries(store, await store.listIndexEntries(keyIndex(owner)));
  const records = await Promise.all(
    indexed.map(async (e) => {
      const [payload, batch] = await Promise.all([store.getPayload(e.entryId), store.getBatch(e.batchKey)]);
      const entry = payload && batch && (await storedEntry(store, batch, e.entryId, payload.data));
      const envelope = entry?.envelope;
      if (!entry || !envelope || isAccessEnvelope(envelope))
        throw new StoreInvariantError(`key record ${e.entryId} of ${owner} is not stored whole`);
      return { envelope, payload: entry.payload, logIndex: entry.logIndex };
    }),
  );
  return records.flatMap((r) =>
    r.logIndex !== undefined && r.logIndex < size ? [{ ...r, logIndex: r.logIndex }] : [],
  );
}
