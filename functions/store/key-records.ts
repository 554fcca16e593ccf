import type { KeyRecordEntry } from "#chain";
import { keyIndex } from "../../lib/store-layout.js";
import { byLedgerOrder, type CommittedEntries, committedIndexEntries } from "./index-entries.js";
import { type BatchStore, type IndexEntry, type IndexStore, StoreInvariantError } from "./ports.js";

/**
 * An owner's key records as the store indexes them (`K#<owner>`, written by intake's
 * key-records rule, functions/rules/key-records.ts): read back as the entries lib/chain's
 * fold takes. Intake judges a new key record against them, the API authenticates by
 * them, and the audit compares them with the key records it finds sealed.
 */

/** What loadKeyRecords reads: the owner's K# index entries, and their batches' heads. */
export type KeyRecordStore = Pick<BatchStore, "getBatchHeads"> & Pick<IndexStore, "listIndexEntries">;

/** A committed key record, and the batch it is in (where the audit finds whether it is sealed). */
export type StoredKeyRecord = KeyRecordEntry & { batchKey: string };

/**
 * An owner's committed key records, in ledger order, as the fold takes them. With `known`,
 * the batches of entries it has seen committed are not read again (CommittedEntries).
 */
export async function loadKeyRecords(
  store: KeyRecordStore,
  owner: string,
  known?: CommittedEntries,
): Promise<StoredKeyRecord[]> {
  const entries = await committedIndexEntries(store, await store.listIndexEntries(keyIndex(owner)), known);
  return [...entries].sort(byLedgerOrder).map(keyRecordOf);
}

function keyRecordOf(e: IndexEntry): StoredKeyRecord {
  const { type, dept, keyId, data } = e.attrs;
  if (type === undefined || dept === undefined || keyId === undefined || data === undefined) {
    throw new StoreInvariantError(`key index entry ${e.index} / ${e.entryId} is unreadable`);
  }
  return {
    entryId: e.entryId,
    batchKey: e.batchKey,
    writer: dept,
    signedBy: keyId,
    receivedAt: e.receivedAt,
    type,
    data: JSON.parse(data),
  };
}
