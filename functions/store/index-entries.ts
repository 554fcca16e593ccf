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
  known?: CommittedEntries,
): Promise<IndexEntry[]> {
  const unknown = known ? entries.filter((e) => !known.has(e)) : entries;
  if (unknown.length === 0) return [...entries];
  const heads = await store.getBatchHeads([...new Set(unknown.map((e) => e.batchKey))]);
  const found = new Set(committedAmong(heads, unknown));
  const out = entries.filter((e) => found.has(e) || (known?.has(e) ?? false));
  known?.add(found);
  return out;
}

/**
 * Index entries already seen committed, for a reader that sees the same ones again and
 * again (request authentication reads a department's K# entries on every request): their
 * batches need not be read again, because committed is for good — a batch item is
 * created once and never deleted, and its `receivedAt` and `ids` never change. Entries
 * not yet seen committed are read every time. Bounded: past `limit` it starts afresh.
 */
export class CommittedEntries {
  private readonly seen = new Set<string>();
  constructor(private readonly limit = 10_000) {}

  has(e: IndexEntry): boolean {
    return this.seen.has(committedKey(e));
  }

  add(entries: Iterable<IndexEntry>): void {
    for (const e of entries) {
      if (this.seen.size >= this.limit) this.seen.clear();
      this.seen.add(committedKey(e));
    }
  }
}

/** What makes an index entry committed: its batch, entry id and receive time (committedAmong). */
function committedKey(e: Pick<IndexEntry, "index" | "batchKey" | "entryId" | "receivedAt">): string {
  return `${e.index}\n${e.batchKey}\n${e.entryId}\n${e.receivedAt}`;
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
