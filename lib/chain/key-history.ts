import type { SignatureAlgorithm } from "./envelope.js";
import { ChainError } from "./errors.js";
import { TIMESTAMP, timestampSeconds } from "./fields.js";
import {
  deriveKeyId,
  KEY_ADD_TYPE,
  KEY_RETIRE_TYPE,
  type KeyAddData,
  type KeyRecordData,
  type KeyRole,
  keyPopMessage,
  parseKeyRecord,
} from "./key-records.js";

/**
 * Key history (docs/design/key-history.md §3–§4, docs/FORMATS.md §10): which key records
 * count is a pure fold over them in ledger order. Intake checks one new record against
 * the committed history (applyKeyRecord), the audit and an offline verifier fold them all
 * (foldKeyRecords), and each asks keyAt whether a key could sign at a time. Signatures
 * are checked by a function the caller passes in: lib/chain has no crypto beyond hashes.
 */

/** A key as the ledger records it: what keyAt answers with, and what a key directory serves. */
export interface RecordedKey {
  readonly keyId: string;
  readonly owner: string;
  readonly role: KeyRole;
  readonly alg: SignatureAlgorithm;
  readonly spki: Uint8Array;
  /** The add entry's receivedAt: the key signs requests received at or after it. */
  readonly validFrom: string;
  /** The receivedAt of the retire (or revoke) that ended it: it signs nothing received at or after it. */
  readonly validUntil?: string;
  /** From a revoke: what it signed at or after this is KEY_REVOKED. */
  readonly compromisedSince?: string;
  /** Entry ids of the records that made this state, for evidence bundles (design §6): the add, */
  readonly addEntry: string;
  /** the record whose receivedAt is validUntil (the retire, or a revoke with no retire before it), */
  readonly retireEntry?: string;
  /** and the revoke. */
  readonly revokeEntry?: string;
}

/** Every key that counted, by key id, in the order they were added. Never mutated: each step makes a new one. */
export interface KeyHistory {
  readonly keys: ReadonlyMap<string, RecordedKey>;
}

export const EMPTY_KEY_HISTORY: KeyHistory = { keys: new Map() };

/** Why keyAt gives no key, in the order they are decided (design §4). */
export const KEY_AT_CODES = [
  /** No add of this key id counted. */
  "KEY_UNKNOWN",
  /** The time is at or after the key's compromisedSince. */
  "KEY_REVOKED",
  /** The time is before the key's add, or at or after its retire (or revoke). */
  "KEY_NOT_VALID_AT_TIME",
] as const;
export type KeyAtCode = (typeof KEY_AT_CODES)[number];

export type KeyAtAnswer =
  | { valid: true; key: RecordedKey }
  | { valid: false; code: KeyAtCode; key?: RecordedKey };

/**
 * Whether `keyId` could sign a request received at `at` (TIMESTAMP form, compared as an
 * instant): validFrom ≤ at < validUntil and not at ≥ compromisedSince. Revocation is
 * decided first, so that it covers every time at or after compromisedSince, before the
 * add included. Throws INVALID_FORMAT if `at` is not of the TIMESTAMP form.
 */
export function keyAt(history: KeyHistory, keyId: string, at: string): KeyAtAnswer {
  const t = instant(at, "the time asked about");
  const key = history.keys.get(keyId);
  if (key === undefined) return { valid: false, code: "KEY_UNKNOWN" };
  if (key.compromisedSince !== undefined && t >= timestampSeconds(key.compromisedSince))
    return { valid: false, code: "KEY_REVOKED", key };
  if (
    t < timestampSeconds(key.validFrom) ||
    (key.validUntil !== undefined && t >= timestampSeconds(key.validUntil))
  )
    return { valid: false, code: "KEY_NOT_VALID_AT_TIME", key };
  return { valid: true, key };
}

function instant(ts: string, what: string): number {
  if (!TIMESTAMP.test(ts))
    throw new ChainError("INVALID_FORMAT", `${what} is not an RFC 3339 UTC time with milliseconds`);
  return timestampSeconds(ts);
}

/** A key record as its entry presents it: the envelope's fields and the record's data. */
export interface KeyRecordEntry {
  /** envelope.id */
  entryId: string;
  /** envelope.dept: the member that wrote it. */
  writer: string;
  /** envelope.keyId: the key the request was signed with. */
  signedBy: string;
  /** envelope.receivedAt (TIMESTAMP form). */
  receivedAt: string;
  /** envelope.type */
  type: string;
  /** The record's data (its payload, as parsed JSON). */
  data: unknown;
}

/**
 * A signature check the caller supplies (lib/crypto's verifySignature, say): `message`
 * as signed, not pre-hashed; ECDSA P-256 signatures are r || s over SHA-256(message).
 * False for a signature that does not verify; a key it cannot read may throw or give
 * false, and counts as not verifying either way.
 */
export type KeySignatureCheck = (
  alg: SignatureAlgorithm,
  spki: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
) => boolean;

/** Why a key record does not count; the closed set, documented in docs/FORMATS.md §10. */
export const KEY_REFUSAL_CODES = [
  /** The data is not of its type's form (parseKeyRecord); at intake, a SCHEMA_VIOLATION. */
  "KEY_RECORD_INVALID",
  /** An add whose keyId is not the one deriveKeyId gives, or whose pop does not verify. */
  "KEY_ID_INVALID",
  /** An add of a key id the history already has (keys are never re-added). */
  "KEY_ID_TAKEN",
  /** The writer is not the key's owner, or the request is not signed by a key rules 1–2 allow. */
  "KEY_NOT_OWNED",
  /** A retire or revoke of an unknown, revoked or (retire) retired key; a compromisedSince after the record's receipt. */
  "KEY_STATE_CONFLICT",
] as const;
export type KeyRefusalCode = (typeof KEY_REFUSAL_CODES)[number];

export interface KeyRefusal {
  code: KeyRefusalCode;
  /** For people; branch on `code`. */
  message: string;
}

/**
 * One step of the fold (design §3): the history after `entry`, or why it does not count.
 * Checked in this order:
 *
 *   any      KEY_RECORD_INVALID  data not of its type's form
 *   add      KEY_ID_INVALID      keyId is not deriveKeyId(owner, spki)
 *            KEY_NOT_OWNED       the writer is not `owner` (rule 3)
 *            KEY_ID_TAKEN        the history already has keyId
 *            KEY_NOT_OWNED       rule 1, owner without a key so far: not signed by keyId itself;
 *                                rule 2, otherwise: not signed by a key of owner valid at receivedAt
 *            KEY_ID_INVALID      the pop does not verify (last: the one signature checked here)
 *   retire,  KEY_STATE_CONFLICT  keyId not in the history
 *   revoke   KEY_NOT_OWNED       the writer is not the key's owner (rule 3), or the request is not
 *                                signed by a key of that owner valid at receivedAt (rule 2; a key
 *                                may retire or revoke itself)
 *            KEY_STATE_CONFLICT  the key is revoked; (retire) it is retired; (revoke)
 *                                compromisedSince is after receivedAt
 *
 * Rule 4 (recovery by the other departments' cosigns, for an owner with no valid key
 * left) is designed but not built: such an owner cannot add a key here.
 *
 * The request's own signature is not checked here: the caller checks it with the key
 * keyAt gives for signedBy at receivedAt in the history *before* this record (for a
 * first key, the one it adds, in the history after it), which is the key rules 1–2
 * judged. A key that retires or revokes itself is, in the history after, no longer valid
 * at its own record's receivedAt.
 *
 * Precondition: entry.receivedAt is of the TIMESTAMP form (INVALID_FORMAT otherwise).
 */
export function applyKeyRecord(
  history: KeyHistory,
  entry: KeyRecordEntry,
  verify: KeySignatureCheck,
): { history: KeyHistory } | { refusal: KeyRefusal } {
  const received = instant(entry.receivedAt, `receivedAt of key record ${entry.entryId}`);
  let data: KeyRecordData;
  try {
    data = parseKeyRecord(entry.type, entry.data);
  } catch (e) {
    return refuse("KEY_RECORD_INVALID", (e as ChainError).message);
  }
  if (data.type === KEY_ADD_TYPE) return applyAdd(history, entry, data, verify);

  const key = history.keys.get(data.keyId);
  if (key === undefined) return refuse("KEY_STATE_CONFLICT", `${data.keyId} is not a key of the history`);
  const signer = signerProblem(history, entry, key.owner);
  if (signer !== undefined) return refuse("KEY_NOT_OWNED", signer);
  if (key.revokeEntry !== undefined)
    return refuse("KEY_STATE_CONFLICT", `${data.keyId} is already revoked (entry ${key.revokeEntry})`);
  let next: RecordedKey;
  if (data.type === KEY_RETIRE_TYPE) {
    if (key.retireEntry !== undefined)
      return refuse("KEY_STATE_CONFLICT", `${data.keyId} is already retired (entry ${key.retireEntry})`);
    next = { ...key, validUntil: entry.receivedAt, retireEntry: entry.entryId };
  } else {
    if (timestampSeconds(data.compromisedSince) > received)
      return refuse(
        "KEY_STATE_CONFLICT",
        `compromisedSince ${data.compromisedSince} is after the revoke's receipt`,
      );
    // A retired key keeps the end its retire gave it; its revoke reaches back in time only.
    next = {
      ...key,
      validUntil: key.validUntil ?? entry.receivedAt,
      retireEntry: key.retireEntry ?? entry.entryId,
      compromisedSince: data.compromisedSince,
      revokeEntry: entry.entryId,
    };
  }
  return { history: withKey(history, next) };
}

function applyAdd(
  history: KeyHistory,
  entry: KeyRecordEntry,
  data: KeyAddData,
  verify: KeySignatureCheck,
): { history: KeyHistory } | { refusal: KeyRefusal } {
  const derived = deriveKeyId(data.owner, data.spki);
  if (data.keyId !== derived)
    return refuse("KEY_ID_INVALID", `keyId ${data.keyId} is not ${derived}, its derived id`);
  if (entry.writer !== data.owner)
    return refuse("KEY_NOT_OWNED", `${entry.writer} may not add a key of ${data.owner}`);
  if (history.keys.has(data.keyId)) return refuse("KEY_ID_TAKEN", `${data.keyId} was added before`);
  if (![...history.keys.values()].some((k) => k.owner === data.owner)) {
    if (entry.signedBy !== data.keyId)
      return refuse(
        "KEY_NOT_OWNED",
        `the first key of ${data.owner} must be added by itself, not by ${entry.signedBy}`,
      );
  } else {
    const signer = signerProblem(history, entry, data.owner);
    if (signer !== undefined) return refuse("KEY_NOT_OWNED", signer);
  }
  if (!checks(verify, data.alg, data.spki, keyPopMessage(data.keyId), data.pop))
    return refuse("KEY_ID_INVALID", `the pop of ${data.keyId} does not verify`);
  const { keyId, owner, role, alg, spki } = data;
  return {
    history: withKey(history, {
      keyId,
      owner,
      role,
      alg,
      spki,
      validFrom: entry.receivedAt,
      addEntry: entry.entryId,
    }),
  };
}

/** Rules 2–3: why the entry is not written by `owner` with a key of its valid at receivedAt, if it is not. */
function signerProblem(history: KeyHistory, entry: KeyRecordEntry, owner: string): string | undefined {
  if (entry.writer !== owner) return `${entry.writer} may not write about a key of ${owner}`;
  const signer = keyAt(history, entry.signedBy, entry.receivedAt);
  if (!signer.valid) return `signed by ${entry.signedBy}: ${signer.code} at ${entry.receivedAt}`;
  if (signer.key.owner !== owner)
    return `signed by ${entry.signedBy}, a key of ${signer.key.owner}, not of ${owner}`;
  return undefined;
}

function checks(verify: KeySignatureCheck, ...args: Parameters<KeySignatureCheck>): boolean {
  try {
    return verify(...args);
  } catch {
    // The spki is the writer's: a key the checker cannot read proves nothing.
    return false;
  }
}

function withKey(history: KeyHistory, key: RecordedKey): KeyHistory {
  return { keys: new Map(history.keys).set(key.keyId, key) };
}

function refuse(code: KeyRefusalCode, message: string): { refusal: KeyRefusal } {
  return { refusal: { code, message } };
}

/**
 * The fold (design §3): applyKeyRecord over `entries` in ledger order (by receivedAt,
 * batch key, position in the batch, docs/FORMATS.md §9 "State"), from `start` (the empty
 * history, or one an earlier fold returned). Every entry that does not count is listed
 * with its refusal, in order.
 */
export function foldKeyRecords(
  entries: Iterable<KeyRecordEntry>,
  verify: KeySignatureCheck,
  start: KeyHistory = EMPTY_KEY_HISTORY,
): { history: KeyHistory; refused: Array<{ entryId: string } & KeyRefusal> } {
  let history = start;
  const refused: Array<{ entryId: string } & KeyRefusal> = [];
  for (const entry of entries) {
    const step = applyKeyRecord(history, entry, verify);
    if ("refusal" in step) refused.push({ entryId: entry.entryId, ...step.refusal });
    else history = step.history;
  }
  return { history, refused };
}
