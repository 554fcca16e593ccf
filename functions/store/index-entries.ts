import type { BatchHead, BatchStore, IndexEntry } from "./ports.js";

/**
 * The index entries whose entry is committed: its batch exists, holds the entry, and
 * was received when the index entry says. Index entries are written before the batch
 * commits, so the others belong to a submit in progress, or one that crashed or was
 * refused — never to the ledger. The time matters: a request that crashed and was
 * retried with the same nonce derives the same entry ids, and only the retry that
 * committed is the entry. One BatchGet for all distinct batches; order is kept.
 */
export async function committedIndexEntries(
  store: Pick<BatchStore, "getBatchHeads">,
  entries: readonly IndexEntry[],
): Promise<IndexEntry[]> {
  if (entries.length === 0) return [];
  return committedAmong(await store.getBatchHeads([...new Set(entries.map((e) => e.batchKey))]), entries);
}

/**
 * committedIndexEntries on heads already read: `heads` must include the head of every
 * committed batch that `entries` name (more do no harm), so that a reader may fetch the
 * heads of several indexes, and others, in one getBatchHeads. Order is kept.
 */
export function committedAmong(heads: readonly BatchHead[], entries: readonly IndexEntry[]): IndexEntry[] {
  const committed = new Set(heads.flatMap((b) => b.entryIds.map((id) => `${b.key}\n${id}\n${b.receivedAt}`)));
  return entries.filter((e) => committed.has(`${e.batchKey}\n${e.entryId}\n${e.receivedAt}`));
}

/**
 * Ledger order: the sealer's (receivedAt, batch key) order of batches, then the position
 * in the batch. Two records about one subject in one batch (an add and its lift), or a
 * contract's propose and revoke in one batch, take effect in the order they were signed.
 */
export function byLedgerOrder(
  a: Pick<IndexEntry, "receivedAt" | "batchKey" | "position">,
  b: Pick<IndexEntry, "receivedAt" | "batchKey" | "position">,
): number {
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? -1 : 1;
  if (a.batchKey !== b.batchKey) return a.batchKey < b.batchKey ? -1 : 1;
  return a.position - b.position;
}
