import type { Consortium } from "../../lib/consortium/consortium.js";
import {
  type AccessDetails,
  type AccessList,
  MAX_ACCESS_LIST,
  type TrailAccess,
} from "../../lib/protocol/sharing.js";
import { departmentAccessIndex } from "../../lib/store-layout.js";
import type { Caller } from "../auth/caller.js";
import { type EntryStore, readEntry } from "../ledger/reader.js";
import { byLedgerOrder, committedIndexEntries } from "../store/index-entries.js";
import type { BatchStore, IndexEntry, IndexStore } from "../store/ports.js";

/**
 * GET /v1/accesses (docs/API.md): the recorded accesses naming the caller as consumer
 * or provider — every access, for an auditor — without naming a subject: a department's
 * view of who asked about its records, and what it asked itself. The same visibility as
 * GET /v1/access, found through the `T#<department>` index entries a match writes for
 * its consumer and its provider (functions/sharing/match.ts) beside the subject's `A#`
 * one, before its commit; only committed ones count. An auditor's list reads every
 * department's, and an access in two lists is shown once.
 */

export type AccessListStore = Pick<IndexStore, "listIndexEntries"> &
  Pick<BatchStore, "getBatchHeads"> &
  EntryStore;

export async function listAccesses(
  caller: Caller,
  deps: { store: AccessListStore; consortium: Consortium },
): Promise<AccessList> {
  const departments =
    caller.role === "auditor" ? deps.consortium.departments.map((d) => d.id) : [caller.department];
  const lists = await Promise.all(
    departments.map((d) => newestCommitted(deps.store, departmentAccessIndex(d), MAX_ACCESS_LIST)),
  );
  const unique = new Map<string, IndexEntry>();
  for (const e of lists.flat()) unique.set(e.entryId, e);
  const committed = [...unique.values()].sort(byLedgerOrder);
  const shown = committed.slice(-MAX_ACCESS_LIST);
  const accesses: TrailAccess[] = [];
  for (const e of shown) {
    const { payload, ...entry } = await readEntry(caller, e.entryId, deps.store, deps.consortium);
    accesses.push({ access: payload as AccessDetails, consumer: entry.envelope.dept, entry });
  }
  return { accesses, truncated: committed.length > shown.length };
}

/**
 * The newest committed entries of one index, more than `want` of them when it has that
 * many: read newest first, and read further (four times as far) while the uncommitted
 * entries among those read — crashed or refused requests' — leave too few. Whatever
 * lies beyond what was read is older than every entry returned.
 */
async function newestCommitted(store: AccessListStore, index: string, want: number): Promise<IndexEntry[]> {
  for (let limit = want + 1; ; limit *= 4) {
    const listed = await store.listIndexEntries(index, { newestFirst: true, limit });
    const committed = await committedIndexEntries(store, listed);
    if (committed.length > want || listed.length < limit) return committed;
  }
}
