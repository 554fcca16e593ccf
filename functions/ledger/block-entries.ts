import { isAccessEnvelope, isKeyRecordType, type LedgerEnvelope, toHex } from "#chain";
import {
  type BlockEntriesView,
  type BlockLeafView,
  MAX_BLOCK_ENTRIES_BYTES,
  MAX_BLOCK_ENTRIES_PER_ANSWER,
} from "../../lib/protocol/block-entries.js";
import { ApiError } from "../../lib/protocol/errors.js";
import type { Caller } from "../auth/caller.js";
import type { BatchStore, BlockStore, PayloadStore } from "../store/ports.js";
import { mayReadPayload } from "./reader.js";

/**
 * GET /v1/blocks/{height}/entries?start=: a sealed block's leaves from `start`, in block
 * order, as its pages file them (leaf hash, entry id, batch key), each with the envelope of
 * that id in that batch and its payload where the caller may read it — the rest of what an
 * offline audit of the block needs (lib/protocol/block-entries.ts; `zhixin export`).
 *
 * Nothing is judged here: a leaf whose batch holds no envelope of its id gets `envelope:
 * null`, a payload that is not stored `payloadStatus: "missing"`, and the auditor's checks
 * say what that means. Payloads follow GET /v1/entries/{id}'s rule (mayReadPayload), and
 * key records' payloads go to everyone, as in evidence bundles: they are the ledger's
 * public account of its keys, which an auditor's key-history fold reads.
 */

/** What reading a block's entries reads: the block, its pages, their batches and payloads. */
export type BlockEntriesStore = Pick<BlockStore, "getBlock" | "getBlockPages"> &
  Pick<BatchStore, "getBatches"> &
  Pick<PayloadStore, "getPayloads">;

/** Requires `height` ≥ 1 and `start` ≥ 0 integers (http-parse.ts checks them). */
export async function readBlockEntries(
  caller: Caller,
  height: number,
  start: number,
  store: BlockEntriesStore,
): Promise<BlockEntriesView> {
  const block = await store.getBlock(height);
  if (!block) throw new ApiError("NOT_FOUND", `no block at height ${height}`);
  const pages = await store.getBlockPages(block.hash, block.pageCount);
  const leaves = pages.flatMap((p) =>
    p.leafHashes.map((leafHash, i) => ({
      leafHash,
      id: p.entryIds[i] as string,
      batchKey: p.batchKeys[i] as string,
    })),
  );
  const count = leaves.length;
  if (start >= count) {
    throw new ApiError("INVALID_PARAMETER", `start ${start} is not below the block's ${count} entries`, {
      parameter: "start",
    });
  }
  const part = leaves.slice(start, start + MAX_BLOCK_ENTRIES_PER_ANSWER);
  const [batches, payloads] = await Promise.all([
    store.getBatches([...new Set(part.map((l) => l.batchKey))]),
    store.getPayloads(part.map((l) => l.id)),
  ]);
  const envelopes = new Map<string, LedgerEnvelope>();
  for (const b of batches) for (const e of b.envelopes) envelopes.set(`${b.key}\n${e.id}`, e);
  const payloadOf = new Map(payloads.map((p) => [p.entryId, p.data]));

  const entries: BlockLeafView[] = [];
  let bytes = 0;
  for (const leaf of part) {
    const envelope = envelopes.get(`${leaf.batchKey}\n${leaf.id}`) ?? null;
    const text = payloadOf.get(leaf.id);
    const readable =
      text !== undefined &&
      envelope !== null &&
      ((!isAccessEnvelope(envelope) && isKeyRecordType(envelope.type)) ||
        mayReadPayload(caller, envelope, JSON.parse(text) as unknown));
    const view: BlockLeafView = {
      leafHash: toHex(leaf.leafHash),
      id: leaf.id,
      batchKey: leaf.batchKey,
      envelope,
      payload: readable ? text : null,
      payloadStatus: text === undefined ? "missing" : readable ? "included" : "withheld",
    };
    bytes += JSON.stringify(view).length;
    if (entries.length > 0 && bytes > MAX_BLOCK_ENTRIES_BYTES) break;
    entries.push(view);
  }
  const end = start + entries.length;
  return { height, hash: block.hash, count, start, entries, next: end < count ? end : null };
}
