import type { IndexEntry, LedgerStore } from "./ports.js";

/**
 * The index entries whose entry is committed: its batch exists and holds the entry.
 * Index entries are written before the batch commits, so the others belong to a submit
 * in progress, or one that crashed or was refused — never to the ledger. One BatchGet
 * for all distinct batches; order is kept.
 */
export async function committedIndexEntries(
  store: LedgerStore,
  entries: readonly IndexEntry[],
): Promise<IndexEntry[]> {
  if (entries.length === 0) return [];
  const batches = await store.getBatches([...new Set(entries.map((e) => e.batchKey))]);
  const committed = new Set(batches.flatMap((b) => b.envelopes.map((e) => `${b.key}\n${e.id}`)));
  return entries.filter((e) => committed.has(`${e.batchKey}\n${e.entryId}`));
}
