import { KEY_OWNER, type KeyGovernance, ledgerKeys } from "#chain";
import type { KeyDirectory } from "../../lib/crypto/key-directory.js";
import { requestKeys } from "../../lib/crypto/ledger-keys.js";
import { verifyRecordedKeySignature } from "../../lib/crypto/verify.js";
import { DEPARTMENT_HEADER, type HeaderValues, normalizeHeaders } from "../../lib/http-signature/index.js";
import { type KeyRecordStore, loadKeyRecords } from "../store/key-records.js";

/**
 * The keys a request is authenticated with (docs/design/key-history.md §4): those of the
 * department its header names, as the ledger's committed key records say at `now`, or
 * the trust bundle's for a department with no key on the ledger yet (lib/crypto
 * ledger-keys.ts, the rule the audit applies too). One index query per request, and one
 * batch read when the department has key records: a retired key stops signing the moment
 * its retire commits, in every container, so no cache may outlive the request. The records
 * are folded under the consortium's `governance` (lib/consortium keyGovernanceOf), so a key
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
  const records = await loadKeyRecords(store, owner);
  if (records.length === 0) return bundle;
  return requestKeys(
    ledgerKeys(records, verifyRecordedKeySignature, governance),
    bundle,
    owner,
    now.toISOString(),
  );
}
