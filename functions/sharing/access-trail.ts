import { subjectHmac } from "#chain";
import type { Consortium } from "../../lib/consortium/consortium.js";
import { type AccessDetails, type AccessTrail, MAX_TRAIL } from "../../lib/protocol/sharing.js";
import { accessIndex } from "../../lib/store-layout.js";
import type { Caller } from "../auth/caller.js";
import { type EntryStore, readEntry } from "../ledger/reader.js";
import { byLedgerOrder, committedIndexEntries } from "../store/index-entries.js";
import type { BatchStore, IndexStore } from "../store/ports.js";

/**
 * GET /v1/access?subject=… (docs/design/sharing.md §5; the query is parsed by http-parse.ts): every recorded access to a
 * subject's records, oldest first, each with its envelope, what it recorded and — once
 * sealed — its inclusion proof. A department sees the accesses it made (as consumer) and
 * those to its own records (as provider); an auditor sees all. The subject is HMAC'd
 * with the deployment's key, so the trail is found without any index holding it in clear.
 */

/** What the trail reads: the A# index entries, their batches' heads, and each entry. */
export type TrailStore = Pick<IndexStore, "listIndexEntries"> &
  Pick<BatchStore, "getBatchHeads"> &
  EntryStore;

/** Requires `subject` to be 1 to MAX_SUBJECT_BYTES UTF-8 bytes (http-parse.ts checks it). */
export async function readAccessTrail(
  caller: Caller,
  subject: string,
  deps: { store: TrailStore; consortium: Consortium; subjectKey: Uint8Array },
): Promise<AccessTrail> {
  const hmac = subjectHmac(deps.subjectKey, subject);
  const listed = await deps.store.listIndexEntries(accessIndex(hmac));
  const visible = listed.filter(
    (e) =>
      caller.role === "auditor" ||
      e.attrs.consumer === caller.department ||
      e.attrs.provider === caller.department,
  );
  const committed = (await committedIndexEntries(deps.store, visible)).sort(byLedgerOrder);
  const shown = committed.slice(-MAX_TRAIL);
  const accesses: AccessTrail["accesses"] = [];
  for (const e of shown) {
    const { payload, ...entry } = await readEntry(caller, e.entryId, deps.store, deps.consortium);
    accesses.push({ access: payload as AccessDetails, consumer: entry.envelope.dept, entry });
  }
  return { subjectHmac: hmac, accesses, truncated: committed.length > shown.length };
}
