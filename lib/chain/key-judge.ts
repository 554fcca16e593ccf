import type { EntrySignatureCheck } from "./audit-evidence.js";
import type { JsonValue } from "./canonical.js";
import { contentDigest, type SignatureAlgorithm } from "./envelope.js";
import { timestampSeconds } from "./fields.js";
import {
  applyKeyRecord,
  EMPTY_KEY_HISTORY,
  type KeyAtAnswer,
  type KeyGovernance,
  type KeyHistory,
  type KeyRecordEntry,
  type KeyRefusal,
  type KeySignatureCheck,
  keyAt,
  OWNER_ALONE,
  type RecordedKey,
} from "./key-history.js";
import { isKeyRecordType, KEY_COSIGN_TYPE } from "./key-records.js";
import type { CryptoSuite } from "./suite.js";

/**
 * Judging a request signature by the ledger's own key history (docs/design/key-history.md
 * §4), the one rule the API's authentication, the online audit and the offline verifier
 * share:
 *
 * - From an owner's first counted key add on, the ledger alone says which of its keys
 *   signs at a time (keyAt); before it (a member that has not introduced a key yet), the
 *   trust bundle does, and the caller says so.
 * - A key record's own signer is judged as the fold judged it: against the history before
 *   the record (a first key: the key it adds), so that a key that retires or revokes
 *   itself signed that record validly. It is still KEY_REVOKED if a later revoke's
 *   compromisedSince reaches back to it (but for that revoke itself).
 *
 * `ledgerKeys` folds the key records a verifier is given — from the store's key index, or
 * an export — once; `judgeEntryKey` then answers per entry. The audit holds the log to
 * that history both ways: every sealed key record must be one of those given, with the
 * same content (KEY_HISTORY_MISMATCH otherwise), and every one given as sealed in the
 * audited range must be met there (the caller's count, as only it knows the range).
 */

export interface LedgerKeys {
  /** The ledger's suite: key ids and content digests are its hash's. */
  readonly suite: CryptoSuite;
  /** The fold of every counted record, in the order given (ledger order). */
  readonly history: KeyHistory;
  /** Every record given, by entry id. */
  readonly records: ReadonlyMap<string, KeyRecordEntry>;
  /** Per record its owner wrote that counts (or awaits cosigns): the key that signed it, as the fold judged it. */
  readonly signers: ReadonlyMap<string, RecordedKey>;
  /** Per record the fold does not count: why. */
  readonly refused: ReadonlyMap<string, KeyRefusal>;
  /** Per owner: the validFrom of its first counted key, from which the ledger decides for it. */
  readonly ledgerSince: ReadonlyMap<string, string>;
}

/**
 * Folds `records` (in ledger order: key records and the cosigns of those awaiting them)
 * once, under `governance` (the consortium's rule, key-history.ts), keeping what
 * judgeEntryKey needs.
 */
export function ledgerKeys(
  suite: CryptoSuite,
  records: Iterable<KeyRecordEntry>,
  verify: KeySignatureCheck,
  governance: KeyGovernance = OWNER_ALONE,
): LedgerKeys {
  let history = EMPTY_KEY_HISTORY;
  const byId = new Map<string, KeyRecordEntry>();
  const signers = new Map<string, RecordedKey>();
  const refused = new Map<string, KeyRefusal>();
  for (const record of records) {
    byId.set(record.entryId, record);
    const step = applyKeyRecord(suite, history, record, verify, governance);
    if ("refusal" in step) {
      refused.set(record.entryId, step.refusal);
      continue;
    }
    history = step.history;
    if (step.signer !== undefined) signers.set(record.entryId, step.signer);
  }
  // Keys are only added, each from the time it took effect, in ledger order.
  const ledgerSince = new Map<string, string>();
  for (const key of history.keys.values())
    if (!ledgerSince.has(key.owner)) ledgerSince.set(key.owner, key.validFrom);
  return { suite, history, records: byId, signers, refused, ledgerSince };
}

/** The envelope fields judgeEntryKey reads (a LedgerEnvelope has them all). */
export interface JudgedEntry {
  id: string;
  type: string;
  dept: string;
  keyId: string;
  receivedAt: string;
  contentDigest: string;
}

/** Why a key record in the log is not one the verifier was given, or not as given. */
export type KeyHistoryProblem = { code: "KEY_HISTORY_MISMATCH"; message: string };

export type EntryKeyAnswer =
  /** The owner had no key on the ledger at the entry's receivedAt: the trust bundle decides. */
  | { decidedBy: "bundle" }
  /** keyAt's answer (a key record: the fold's judgement of its signer, then revocation). */
  | { decidedBy: "ledger"; answer: KeyAtAnswer }
  /** A key record the fold does not count: intake should have refused it. */
  | { decidedBy: "ledger"; refused: KeyRefusal }
  | { decidedBy: "ledger"; problem: KeyHistoryProblem };

/**
 * Which key judges the signature on `entry` (its keyId at its receivedAt), by the rule
 * above. The caller still checks the signature with the key's spki, and that the key's
 * owner is entry.dept and its alg the envelope's.
 */
export function judgeEntryKey(keys: LedgerKeys, entry: JudgedEntry): EntryKeyAnswer {
  if (isKeyRecordType(entry.type) || keys.records.has(entry.id)) return judgeKeyRecord(keys, entry);
  return judgeByWriter(keys, entry);
}

/** Any entry's rule: the writer's keys at its receivedAt, the ledger's or the bundle's. */
function judgeByWriter(keys: LedgerKeys, entry: JudgedEntry): EntryKeyAnswer {
  if (!ledgerDecides(keys, entry.dept, entry.receivedAt)) return { decidedBy: "bundle" };
  return { decidedBy: "ledger", answer: keyAt(keys.history, entry.keyId, entry.receivedAt) };
}

/** Whether the ledger's history, not the trust bundle, says which keys `owner` signs with at `at` (TIMESTAMP form): from its first counted add on. */
export function ledgerDecides(keys: LedgerKeys, owner: string, at: string): boolean {
  const since = keys.ledgerSince.get(owner);
  return since !== undefined && timestampSeconds(at) >= timestampSeconds(since);
}

function judgeKeyRecord(keys: LedgerKeys, entry: JudgedEntry): EntryKeyAnswer {
  const record = keys.records.get(entry.id);
  const differs =
    record === undefined
      ? "is not among the key records the verifier was given"
      : record.type !== entry.type ||
          record.writer !== entry.dept ||
          record.signedBy !== entry.keyId ||
          record.receivedAt !== entry.receivedAt
        ? "differs from the key record the verifier was given (type, writer, key or time)"
        : digestOf(keys.suite, record.data) !== entry.contentDigest
          ? "has another contentDigest than the data of the key record the verifier was given"
          : undefined;
  if (differs !== undefined) {
    return {
      decidedBy: "ledger",
      problem: { code: "KEY_HISTORY_MISMATCH", message: `key record ${entry.id} ${differs}` },
    };
  }
  const refusal = keys.refused.get(entry.id);
  if (refusal !== undefined) return { decidedBy: "ledger", refused: refusal };
  const signer = keys.signers.get(entry.id);
  // A recovery and a cosign are signed by their writer's own key, judged as any entry's.
  if (signer === undefined) return judgeByWriter(keys, entry);
  // Revocation in the final history reaches back over what the fold accepted — except
  // over the revoke itself, which a key may sign about itself.
  const final = keys.history.keys.get(signer.keyId) ?? signer;
  if (
    final.compromisedSince !== undefined &&
    final.revokeEntry !== entry.id &&
    timestampSeconds(entry.receivedAt) >= timestampSeconds(final.compromisedSince)
  )
    return { decidedBy: "ledger", answer: { valid: false, code: "KEY_REVOKED", key: final } };
  return { decidedBy: "ledger", answer: { valid: true, key: signer } };
}

function digestOf(suite: CryptoSuite, data: unknown): string {
  try {
    return contentDigest(suite, data as JsonValue);
  } catch {
    return "";
  }
}

/** No key records: the trust bundle decides every signature, and any key record met is KEY_HISTORY_MISMATCH. */
export function noLedgerKeys(suite: CryptoSuite): LedgerKeys {
  return ledgerKeys(suite, [], () => false);
}

/** A key of the trust bundle (docs/FORMATS.md §5), as judgeEntrySignature reads it. */
export interface BundleKeyLike {
  readonly keyId: string;
  readonly owner: string;
  readonly role: string;
  readonly alg: SignatureAlgorithm;
  readonly spki: Uint8Array;
  /** TIMESTAMP form. */
  readonly validFrom: string;
  readonly validUntil?: string;
}

/**
 * The department-signature check of every audit — online, over an export, in a browser —
 * at the entry's receivedAt (VerifyBlocksOptions.verifyEntrySignature): the key
 * judgeEntryKey gives, or before the department's first key on the ledger the bundle's
 * (`bundleKey`), must be a department key of the writer, of the envelope's alg, valid
 * then, and `verify` the signature over the signature base.
 */
export function judgeEntrySignature(
  ledger: LedgerKeys,
  bundleKey: (keyId: string) => BundleKeyLike | undefined,
  envelope: JudgedEntry & { alg: SignatureAlgorithm },
  message: Uint8Array,
  signature: Uint8Array,
  verify: KeySignatureCheck,
): EntrySignatureCheck {
  const judged = judgeEntryKey(ledger, envelope);
  let key: Pick<BundleKeyLike, "owner" | "role" | "alg" | "spki">;
  if (judged.decidedBy === "bundle") {
    const known = bundleKey(envelope.keyId);
    if (known === undefined) return "unknown-key";
    if (!fits(known, envelope)) return "invalid";
    const t = timestampSeconds(envelope.receivedAt);
    if (
      t < timestampSeconds(known.validFrom) ||
      (known.validUntil !== undefined && t >= timestampSeconds(known.validUntil))
    )
      return "not-valid";
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
  try {
    return verify(key.alg, key.spki, message, signature) ? "ok" : "invalid";
  } catch {
    return "invalid"; // a key the checker cannot read proves nothing
  }
}

function fits(
  key: Pick<BundleKeyLike, "owner" | "role" | "alg">,
  envelope: { dept: string; alg: SignatureAlgorithm },
): boolean {
  return key.owner === envelope.dept && key.role === "department" && key.alg === envelope.alg;
}

/**
 * What a department-signature check's answer depends on, as one string, so that an audit
 * checks each signed request once: every entry of a batch carries the same signature over
 * the same base, and is judged alike; a key record or a cosign is judged by itself
 * (judgeEntryKey reads its id, type and digest).
 */
export function signatureCheckKey(
  envelope: JudgedEntry & { alg: string; signature: string; signatureBase: string },
): string {
  // A cosign may be one the verifier was given as part of the key history, which
  // judgeEntryKey compares by id and digest, like a key record.
  const own =
    isKeyRecordType(envelope.type) || envelope.type === KEY_COSIGN_TYPE
      ? [envelope.id, envelope.type, envelope.contentDigest]
      : [];
  return JSON.stringify([
    envelope.keyId,
    envelope.dept,
    envelope.alg,
    envelope.receivedAt,
    envelope.signature,
    envelope.signatureBase,
    ...own,
  ]);
}
