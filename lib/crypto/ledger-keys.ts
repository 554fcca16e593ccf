import {
  type EntrySignatureCheck,
  type JudgedEntry,
  judgeEntrySignature,
  type KeySignatureCheck,
  type LedgerKeys,
  ledgerDecides,
  type RecordedKey,
  type SignatureAlgorithm,
} from "#chain";
import type { KeyDirectory, PublicKeyRecord } from "./key-directory.js";
import { keySignatureCheckOf } from "./verify.js";

/**
 * The two places a department's request signature is judged — the API when the request
 * arrives, every auditor afterwards — by one rule (lib/chain key-judge.ts,
 * docs/design/key-history.md §4): from a member's first key on the ledger on, the
 * ledger's key history decides which of its keys sign; before it, the trust bundle.
 */

/**
 * The keys a request naming `owner` (its department header) is authenticated with at
 * `now` (TIMESTAMP form): the owner's keys as the ledger records them, each valid from its
 * add until its retire or compromisedSince, whichever is first; or, for an owner with no
 * key on the ledger yet, the trust bundle.
 */
export function requestKeys(
  ledger: LedgerKeys,
  bundle: KeyDirectory,
  owner: string,
  now: string,
): KeyDirectory {
  if (!ledgerDecides(ledger, owner, now)) return bundle;
  const owned = [...ledger.history.keys.values()].filter((k) => k.owner === owner).map(asPublicKey);
  const byId = new Map(owned.map((k) => [k.keyId, k]));
  return { getKey: (keyId) => byId.get(keyId), listKeys: () => owned };
}

/**
 * The audit's department-signature check (lib/chain judgeEntrySignature, the rule every
 * auditor applies) with the trust bundle `bundle` and node:crypto — or `verify`, the
 * same check answered ahead on worker threads (functions/audit/audit-signatures.ts).
 */
export function checkEntrySignature(
  ledger: LedgerKeys,
  bundle: KeyDirectory,
  envelope: JudgedEntry & { alg: SignatureAlgorithm },
  message: Uint8Array,
  signature: Uint8Array,
  verify: KeySignatureCheck = keySignatureCheckOf(ledger.suite),
): EntrySignatureCheck {
  return judgeEntrySignature(ledger, (keyId) => bundle.getKey(keyId), envelope, message, signature, verify);
}

function asPublicKey(key: RecordedKey): PublicKeyRecord {
  const ends = [key.validUntil, key.compromisedSince].filter((t): t is string => t !== undefined).sort();
  return {
    keyId: key.keyId,
    owner: key.owner,
    role: key.role,
    alg: key.alg,
    spki: key.spki,
    validFrom: key.validFrom,
    ...(ends[0] === undefined ? {} : { validUntil: ends[0] }),
  };
}
