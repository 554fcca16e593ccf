import { type CryptoSuite, KEY_ID_HASH_DIGITS, KEY_OWNER, type KeyGovernance, ledgerKeys } from "#chain";
import { type KeyDirectory, loadsOwners } from "../../lib/crypto/key-directory.js";
import { requestKeys } from "../../lib/crypto/ledger-keys.js";
import { keySignatureCheckOf } from "../../lib/crypto/verify.js";
import {
  DEPARTMENT_HEADER,
  type HeaderValues,
  normalizeHeaders,
  parseDictionary,
  SIGNATURE_INPUT_HEADER,
} from "../../lib/http-signature/index.js";
import { ApiError } from "../../lib/protocol/errors.js";
import { CommittedEntries } from "../store/index-entries.js";
import { type KeyRecordStore, loadKeyRecords } from "../store/key-records.js";
import { KmsKeyDirectoryError } from "./kms-owner-keys.js";

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
 *
 * When the bundle decides and reads owners on first need (the KMS directory), the owner
 * of the key id the signature names is read first, so the lookup that follows finds its
 * keys. An owner whose keys cannot be read refuses only its own requests: UNAVAILABLE
 * (503, Retry-After) while KMS throttles or fails, which passes; UNKNOWN_KEY when KMS
 * will not give them (disabled, missing, refused), which its owner must mend.
 */
export async function loadRequestKeys(
  suite: CryptoSuite,
  store: KeyRecordStore,
  bundle: KeyDirectory,
  headers: HeaderValues,
  now: Date,
  governance: KeyGovernance,
): Promise<KeyDirectory> {
  const owner = normalizeHeaders(headers).get(DEPARTMENT_HEADER) ?? "";
  // A header that is no member id has no key records; the bundle refuses its signature.
  if (!KEY_OWNER.test(owner)) return withSigningOwner(bundle, headers, now);
  const records = await loadKeyRecords(store, owner, committedSeenBy(store));
  if (records.length === 0) return withSigningOwner(bundle, headers, now);
  const keys = requestKeys(
    ledgerKeys(suite, records, keySignatureCheckOf(suite), governance),
    bundle,
    owner,
    now.toISOString(),
  );
  // requestKeys answers with `bundle` itself when the bundle decides: only then is it asked.
  return keys === bundle ? withSigningOwner(bundle, headers, now) : keys;
}

/** `bundle`, with the keys of the owner of the key id the request's signature names read. */
async function withSigningOwner(
  bundle: KeyDirectory,
  headers: HeaderValues,
  now: Date,
): Promise<KeyDirectory> {
  if (!loadsOwners(bundle)) return bundle;
  const keyId = signingKeyId(headers);
  const owner = keyId === undefined ? undefined : KEY_ID.exec(keyId)?.[1];
  // No owner to read: the lookup refuses the request as it stands (SIGNATURE_MALFORMED, UNKNOWN_KEY).
  if (keyId === undefined || owner === undefined) return bundle;
  try {
    await bundle.loadOwner(owner);
  } catch (e) {
    if (e instanceof KmsKeyDirectoryError) throw keysUnreadable(e, keyId, owner, now);
    throw e;
  }
  return bundle;
}

/** `<owner>/<16 hex>` (docs/design/key-history.md §1). */
const KEY_ID = new RegExp(`^(${KEY_OWNER.source.slice(1, -1)})/[0-9a-f]{${KEY_ID_HASH_DIGITS}}$`);

/**
 * The keyid parameter of the request's one signature, or undefined when Signature-Input
 * does not parse to one (verifyRequest then says what is wrong with it):
 *
 *   Signature-Input: sig1=("@method" "@path" ...);created=1767225600;keyid="hf-haikou/06e3fd8fda29bb60";...
 */
function signingKeyId(headers: HeaderValues): string | undefined {
  const input = normalizeHeaders(headers).get(SIGNATURE_INPUT_HEADER);
  if (input === undefined) return undefined;
  try {
    const members = [...parseDictionary(input).values()];
    const keyId = members.length === 1 ? members[0]?.params.get("keyid") : undefined;
    return keyId?.type === "string" ? keyId.value : undefined;
  } catch {
    return undefined;
  }
}

function keysUnreadable(e: KmsKeyDirectoryError, keyId: string, owner: string, now: Date): ApiError {
  const codes = [...new Set(e.problems.map((p) => p.code))].join(", ");
  if (e.transient) {
    const wait = Math.max(1, Math.ceil(((e.retryAt?.getTime() ?? now.getTime()) - now.getTime()) / 1000));
    return new ApiError(
      "UNAVAILABLE",
      `the keys of ${owner} cannot be read from KMS now (${codes}); send the request again in ${wait} s`,
      { owner, retryAfterSeconds: wait },
    );
  }
  return new ApiError(
    "UNKNOWN_KEY",
    `key ${JSON.stringify(keyId)} cannot be used: KMS does not give the keys of ${owner} (${codes}). ` +
      "Sign with a key KMS holds enabled; the consortium's operator finds the cause in the API's log",
    { owner, codes: codes.split(", ") },
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
