import { KEY_OWNER, type KeyGovernance, ledgerKeys } from "#chain";
import type { KeyDirectory } from "../../lib/crypto/key-directory.js";
import { requestKeys } from "../../lib/crypto/ledger-keys.js";
import { verifyRecordedKeySignature } from "../../lib/crypto/verify.js";
import { DEPARTMENT_HEADER, type HeaderValues, normalizeHeaders } from "../../lib/http-signature/index.js";
import { CommittedEntries } from "../store/index-entries.js";
import { type KeyRecordStore, loadKeyRecords } from "../store/key-records.js";

/**
 * The keys a request is authenticated with (docs/design/key-history.md §4): those of the
 * department its header names, as the ledger's committed key records say at `now`, or
 * the trust bundle's for a department with no key on the ledger yet (lib/crypto
 * ledger-keys.ts, the rule the audit applies too). One index query per request: a retired
 * key stops signing the moment its retire commits, in every container, so the records
 * themselves are never cached. What is kept, per store, is which of them were seen
 * committed (CommittedEntries): that never changes once true, so only entries not yet
 * seen committed — a record in flight, or new since — cost a batch read, and a request by
 * a department whose key history is unchanged waits on the store once. The records are
 * folded under the consortium's `governance` (lib/consortium keyGovernanceOf), so a key
 * record awaiting cosigns changes nothing until the cosign that completes it commits.
 */
export async function loadRequestKeys(
  store: KeyRecordStore,
  bundle: KeyDirectory,
  headers: HeaderValues,
  now: Date,
  governance: KeyGovernance,
): Promise<KeyDirectory> {
  const owner = normalizeHeaders(headers).get(DEPARTMENT_HEADER) ?? "";
  // A header that is no member id has no key records; the bundle refuses its signature.
  if (!KEY_OWNER.test(owner)) return bundle;
  const records = await loadKeyRecords(store, owner, committedSeenBy(store));
  if (records.length === 0) return bundle;
  return requestKeys(
    ledgerKeys(records, verifyRecordedKeySignature, governance),
    bundle,
    owner,
    now.toISOString(),
  );
}

/** Key index entries seen committed, per store: a store is one table, for as long as the process holds it. */
const seenCommitted = new WeakMap<KeyRecordStore, CommittedEntries>();

function committedSeenBy(store: KeyRecordStore): CommittedEntries {
  let seen = seenCommitted.get(store);
  if (!seen) {
    seen = new CommittedEntries();
    seenCommitted.set(store, seen);
  }
  return seen;
}
