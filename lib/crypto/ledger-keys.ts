import {
  type EntrySignatureCheck,
  type JudgedEntry,
  judgeEntryKey,
  type LedgerKeys,
  ledgerDecides,
  type RecordedKey,
  type SignatureAlgorithm,
} from "#chain";
import { type KeyDirectory, keyValidAt, type PublicKeyRecord } from "./key-directory.js";
import { verifySignature } from "./verify.js";

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
 * The audit's department-signature check (lib/chain VerifyBlocksOptions.verifyEntrySignature)
 * at the entry's receivedAt: the key judgeEntryKey gives (or the bundle's, before the
 * owner's first key on the ledger) must be the writer's department key of the envelope's
 * alg, valid then, and verify the signature over the signature base.
 */
export function checkEntrySignature(
  ledger: LedgerKeys,
  bundle: KeyDirectory,
  envelope: JudgedEntry & { alg: SignatureAlgorithm },
  message: Uint8Array,
  signature: Uint8Array,
): EntrySignatureCheck {
  const judged = judgeEntryKey(ledger, envelope);
  let key: Pick<PublicKeyRecord, "keyId" | "owner" | "role" | "alg" | "spki">;
  if (judged.decidedBy === "bundle") {
    const known = bundle.getKey(envelope.keyId);
    if (known === undefined) return "unknown-key";
    if (!fits(known, envelope)) return "invalid";
    if (!keyValidAt(known, envelope.receivedAt)) return "not-valid";
    key = known;
  } else if ("problem" in judged) {
    return { finding: judged.problem.code, message: judged.problem.message };
  } else if ("refused" in judged) {
    return {
      finding: "KEY_RECORD_REFUSED",
      message: `the key history does not count this key record: ${judged.refused.code}, ${judged.refused.message}`,
    };
  } else if (!judged.answer.valid) {
    const { code, key: recorded } = judged.answer;
    if (code === "KEY_UNKNOWN") return "unknown-key";
    return {
      finding: code,
      message:
        code === "KEY_REVOKED"
          ? `${envelope.keyId} was revoked: compromised since ${recorded?.compromisedSince}, received ${envelope.receivedAt}`
          : `${envelope.keyId} was not ${envelope.dept}'s key at ${envelope.receivedAt} (valid from ${recorded?.validFrom}${recorded?.validUntil ? ` until ${recorded.validUntil}` : ""})`,
    };
  } else {
    key = judged.answer.key;
    if (!fits(key, envelope)) return "invalid";
  }
  return verifySignature(key, message, signature) ? "ok" : "invalid";
}

function fits(
  key: Pick<PublicKeyRecord, "owner" | "role" | "alg">,
  envelope: { dept: string; alg: SignatureAlgorithm },
): boolean {
  return key.owner === envelope.dept && key.role === "department" && key.alg === envelope.alg;
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
