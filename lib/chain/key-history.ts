import type { JsonValue } from "./canonical.js";
import { contentDigest, type SignatureAlgorithm } from "./envelope.js";
import { ChainError } from "./errors.js";
import { TIMESTAMP, timestampSeconds } from "./fields.js";
import {
  deriveKeyId,
  KEY_ADD_TYPE,
  KEY_COSIGN_TYPE,
  KEY_RETIRE_TYPE,
  KEY_REVOKE_TYPE,
  type KeyAddData,
  type KeyRecordData,
  type KeyRole,
  keyPopMessage,
  ownerOfKeyRecord,
  parseKeyCosign,
  parseKeyRecord,
} from "./key-records.js";
import type { CryptoSuite } from "./suite.js";

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

/**
 * A key record that counts only once departments cosign it (design §3, rules 4–5): one
 * another department wrote about the owner's key (a recovery), or one the owner wrote
 * while the consortium's rule asks for cosigns. It takes effect at the receivedAt of the
 * cosign that completes it.
 */
export interface PendingKeyRecord {
  readonly entry: KeyRecordEntry;
  readonly data: KeyRecordData;
  /** Whose key it is about. */
  readonly owner: string;
  /** contentDigest of its data: what a cosign names. */
  readonly contentDigest: string;
  /** "owner": written by the owner, needs KeyGovernance.ownerCosigns; "recovery": by another department, needs a majority. */
  readonly kind: "owner" | "recovery";
  /** Departments that cosigned it so far, in ledger order. */
  readonly cosigners: readonly string[];
}

/**
 * Every key that counted, by key id, in the order they were added, and the key records
 * awaiting cosigns, by entry id. Never mutated: each step makes a new one.
 */
export interface KeyHistory {
  readonly keys: ReadonlyMap<string, RecordedKey>;
  readonly pending: ReadonlyMap<string, PendingKeyRecord>;
}

export const EMPTY_KEY_HISTORY: KeyHistory = { keys: new Map(), pending: new Map() };

/**
 * Who decides key records besides their owner (design §3; the consortium file's
 * `keyRecords`, lib/consortium). A verifier takes it from the consortium file or the
 * trust root; with OWNER_ALONE an owner's records count at once and no recovery can.
 */
export interface KeyGovernance {
  /** Member ids of the consortium's departments: who may propose a recovery and cosign key records. */
  readonly departments: readonly string[];
  /** How many departments other than the owner must cosign a key record the owner writes before it counts (rule 5; 0: it counts at once). */
  readonly ownerCosigns: number;
}

/** Owners decide their own keys alone, and nobody else can: the rule without a consortium. */
export const OWNER_ALONE: KeyGovernance = { departments: [], ownerCosigns: 0 };

/**
 * How many more departments must cosign a pending record: an owner's record needs
 * `ownerCosigns` departments other than the owner; a recovery, that its writer and
 * cosigners be more than half of the departments other than the owner (rule 4). 0: it is
 * complete.
 */
export function cosignsNeeded(
  governance: KeyGovernance,
  pending: Pick<PendingKeyRecord, "kind" | "owner">,
  cosigners: readonly string[],
): number {
  if (pending.kind === "owner") return Math.max(0, governance.ownerCosigns - cosigners.length);
  const others = governance.departments.filter((d) => d !== pending.owner).length;
  return Math.max(0, Math.floor(others / 2) + 1 - (cosigners.length + 1));
}

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
  /**
   * A zhixin.cosign of a key record that does not count: the record awaits no cosigns,
   * the cosigner is not a department, is the owner or the record's writer, or cosigned it
   * already, or the contentDigest is not the record's.
   */
  "KEY_COSIGN_REFUSED",
] as const;
export type KeyRefusalCode = (typeof KEY_REFUSAL_CODES)[number];

export interface KeyRefusal {
  code: KeyRefusalCode;
  /** For people; branch on `code`. */
  message: string;
}

/** A step that counts: the history after it, and for a record its owner wrote, the key rules 1–2 judged its signer by. */
export interface KeyStep {
  history: KeyHistory;
  signer?: RecordedKey;
}

/**
 * One step of the fold (design §3): the history after `entry`, or why it does not count.
 * `entry` is a key record, or a zhixin.cosign of one (KEY_COSIGN_TYPE). Checked in this
 * order:
 *
 *   any      KEY_RECORD_INVALID  data not of its type's form
 *   add      KEY_ID_INVALID      keyId is not deriveKeyId(owner, spki)
 *            KEY_NOT_OWNED       the writer is neither `owner` (rule 3) nor a department (rule 4)
 *            KEY_ID_TAKEN        the history already has keyId
 *            KEY_NOT_OWNED       owner's own: rule 1, owner without a key so far: not signed by
 *                                keyId itself; rule 2, otherwise: not signed by a key of owner
 *                                valid at receivedAt
 *            KEY_ID_INVALID      the pop does not verify (last: the one signature checked here)
 *   retire,  KEY_STATE_CONFLICT  keyId not in the history
 *   revoke   KEY_NOT_OWNED       the writer is not the key's owner (rule 3) — nor, for a revoke,
 *                                a department (rule 4) — or an owner's record is not signed by
 *                                a key of that owner valid at receivedAt (rule 2; a key may
 *                                retire or revoke itself)
 *            KEY_STATE_CONFLICT  the key is revoked; (retire) it is retired; (revoke)
 *                                compromisedSince is after receivedAt
 *   cosign   KEY_COSIGN_REFUSED  see the code; then, if it completes the record, the record's
 *                                own state checks again at the cosign's receivedAt
 *                                (KEY_ID_TAKEN, KEY_STATE_CONFLICT), refusing the cosign
 *
 * A record that passes takes effect at its receivedAt if it needs no cosigns (its owner
 * wrote it and `governance.ownerCosigns` is 0, or a recovery in a consortium of two
 * departments); otherwise it is pending (KeyHistory.pending) and takes
 * effect at the receivedAt of the cosign that completes it (cosignsNeeded). A recovery
 * (rule 4: an add or revoke about another member's key, written by a department) is
 * signed by its writer's key, which the fold does not judge: like a cosign's, it is
 * judged as any entry's signature is (key-judge.ts).
 *
 * The request's own signature is not checked here: the caller checks it with the key
 * the step returns as `signer` (owner's records), which is keyAt's key for signedBy at
 * receivedAt in the history *before* this record — for a first key, the one it adds. A
 * key that retires or revokes itself is, in the history after, no longer valid at its
 * own record's receivedAt.
 *
 * Precondition: entry.receivedAt is of the TIMESTAMP form (INVALID_FORMAT otherwise).
 */
export function applyKeyRecord(
  suite: CryptoSuite,
  history: KeyHistory,
  entry: KeyRecordEntry,
  verify: KeySignatureCheck,
  governance: KeyGovernance = OWNER_ALONE,
): KeyStep | { refusal: KeyRefusal } {
  const received = instant(entry.receivedAt, `receivedAt of key record ${entry.entryId}`);
  if (entry.type === KEY_COSIGN_TYPE) return applyCosign(history, entry, governance);
  let data: KeyRecordData;
  try {
    data = parseKeyRecord(entry.type, entry.data);
  } catch (e) {
    return refuse("KEY_RECORD_INVALID", (e as ChainError).message);
  }
  const owner = ownerOfKeyRecord(data);
  const recovery = entry.writer !== owner;
  const notOwned =
    recovery && (data.type === KEY_RETIRE_TYPE || !governance.departments.includes(entry.writer))
      ? refuse(
          "KEY_NOT_OWNED",
          `${entry.writer} may not write about a key of ${owner}: only its owner may, or a department proposing a recovery (an add or a revoke)`,
        )
      : undefined;
  let signer: RecordedKey | undefined;
  if (data.type === KEY_ADD_TYPE) {
    const derived = deriveKeyId(suite, data.owner, data.spki);
    if (data.keyId !== derived)
      return refuse("KEY_ID_INVALID", `keyId ${data.keyId} is not ${derived}, its derived id`);
    if (notOwned) return notOwned;
    if (history.keys.has(data.keyId)) return refuse("KEY_ID_TAKEN", `${data.keyId} was added before`);
    if (!recovery) {
      if (![...history.keys.values()].some((k) => k.owner === owner)) {
        if (entry.signedBy !== data.keyId)
          return refuse(
            "KEY_NOT_OWNED",
            `the first key of ${owner} must be added by itself, not by ${entry.signedBy}`,
          );
        signer = addedKey(data, entry.receivedAt, entry.entryId);
      } else {
        const judged = ownersSigner(history, entry, owner);
        if (typeof judged === "string") return refuse("KEY_NOT_OWNED", judged);
        signer = judged;
      }
    }
    if (!checks(verify, data.alg, data.spki, keyPopMessage(data.keyId), data.pop))
      return refuse("KEY_ID_INVALID", `the pop of ${data.keyId} does not verify`);
  } else {
    const key = history.keys.get(data.keyId);
    if (key === undefined) return refuse("KEY_STATE_CONFLICT", `${data.keyId} is not a key of the history`);
    if (notOwned) return notOwned;
    if (!recovery) {
      const judged = ownersSigner(history, entry, owner);
      if (typeof judged === "string") return refuse("KEY_NOT_OWNED", judged);
      signer = judged;
    }
    const conflict = stateConflict(key, data, received);
    if (conflict !== undefined) return refuse("KEY_STATE_CONFLICT", conflict);
  }
  const kind = recovery ? "recovery" : "owner";
  if (cosignsNeeded(governance, { kind, owner }, []) === 0) {
    const effect = takeEffect(history, entry, data, entry.receivedAt);
    return "refusal" in effect ? effect : { history: effect.history, signer };
  }
  const pending: PendingKeyRecord = {
    entry,
    data,
    owner,
    contentDigest: contentDigest(suite, entry.data as JsonValue),
    kind,
    cosigners: [],
  };
  return {
    history: { keys: history.keys, pending: new Map(history.pending).set(entry.entryId, pending) },
    signer,
  };
}

/** A zhixin.cosign step: one more cosigner of a pending record, which may complete it. */
function applyCosign(
  history: KeyHistory,
  entry: KeyRecordEntry,
  governance: KeyGovernance,
): KeyStep | { refusal: KeyRefusal } {
  let target: { entryId: string; contentDigest: string };
  try {
    target = parseKeyCosign(entry.data);
  } catch (e) {
    return refuse("KEY_RECORD_INVALID", (e as ChainError).message);
  }
  const pending = history.pending.get(target.entryId);
  const why =
    pending === undefined
      ? `entry ${target.entryId} is not a key record awaiting cosigns`
      : !governance.departments.includes(entry.writer)
        ? `${entry.writer} is not a department of the consortium`
        : entry.writer === pending.owner
          ? `${entry.writer} owns the key: its cosign adds nothing`
          : entry.writer === pending.entry.writer
            ? `${entry.writer} wrote the record: its cosign adds nothing`
            : pending.cosigners.includes(entry.writer)
              ? `${entry.writer} has cosigned ${target.entryId} already`
              : target.contentDigest !== pending.contentDigest
                ? `the contentDigest is not that of key record ${target.entryId}`
                : undefined;
  if (why !== undefined || pending === undefined) return refuse("KEY_COSIGN_REFUSED", why ?? "");
  const cosigners = [...pending.cosigners, entry.writer];
  const rest = new Map(history.pending);
  if (cosignsNeeded(governance, pending, cosigners) > 0) {
    rest.set(target.entryId, { ...pending, cosigners });
    return { history: { keys: history.keys, pending: rest } };
  }
  rest.delete(target.entryId);
  return takeEffect({ keys: history.keys, pending: rest }, pending.entry, pending.data, entry.receivedAt);
}

/**
 * A record's effect, at `at` (its own receivedAt, or its completing cosign's): its state
 * checked again, as other records may have counted since it was written.
 */
function takeEffect(
  history: KeyHistory,
  entry: KeyRecordEntry,
  data: KeyRecordData,
  at: string,
): { history: KeyHistory } | { refusal: KeyRefusal } {
  if (data.type === KEY_ADD_TYPE) {
    if (history.keys.has(data.keyId))
      return refuse("KEY_ID_TAKEN", `${data.keyId} was added before ${entry.entryId} took effect`);
    return { history: withKey(history, addedKey(data, at, entry.entryId)) };
  }
  const key = history.keys.get(data.keyId) as RecordedKey; // keys are never removed
  const conflict = stateConflict(key, data, Number.POSITIVE_INFINITY);
  if (conflict !== undefined)
    return refuse("KEY_STATE_CONFLICT", `${conflict}, before ${entry.entryId} took effect`);
  if (data.type === KEY_RETIRE_TYPE)
    return { history: withKey(history, { ...key, validUntil: at, retireEntry: entry.entryId }) };
  // A retired key keeps the end its retire gave it; its revoke reaches back in time only.
  return {
    history: withKey(history, {
      ...key,
      validUntil: key.validUntil ?? at,
      retireEntry: key.retireEntry ?? entry.entryId,
      compromisedSince: data.compromisedSince,
      revokeEntry: entry.entryId,
    }),
  };
}

/** Why a retire or revoke of `key` cannot count, received at `received` (seconds), if it cannot. */
function stateConflict(
  key: RecordedKey,
  data: Exclude<KeyRecordData, KeyAddData>,
  received: number,
): string | undefined {
  if (key.revokeEntry !== undefined) return `${data.keyId} is already revoked (entry ${key.revokeEntry})`;
  if (data.type === KEY_RETIRE_TYPE && key.retireEntry !== undefined)
    return `${data.keyId} is already retired (entry ${key.retireEntry})`;
  if (data.type === KEY_REVOKE_TYPE && timestampSeconds(data.compromisedSince) > received)
    return `compromisedSince ${data.compromisedSince} is after the revoke's receipt`;
  return undefined;
}

function addedKey(data: KeyAddData, validFrom: string, addEntry: string): RecordedKey {
  const { keyId, owner, role, alg, spki } = data;
  return { keyId, owner, role, alg, spki, validFrom, addEntry };
}

/** Rule 2: the key of `owner` valid at receivedAt that signed the entry, or why there is none. */
function ownersSigner(history: KeyHistory, entry: KeyRecordEntry, owner: string): RecordedKey | string {
  const signer = keyAt(history, entry.signedBy, entry.receivedAt);
  if (!signer.valid) return `signed by ${entry.signedBy}: ${signer.code} at ${entry.receivedAt}`;
  if (signer.key.owner !== owner)
    return `signed by ${entry.signedBy}, a key of ${signer.key.owner}, not of ${owner}`;
  return signer.key;
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
  return { keys: new Map(history.keys).set(key.keyId, key), pending: history.pending };
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
  suite: CryptoSuite,
  entries: Iterable<KeyRecordEntry>,
  verify: KeySignatureCheck,
  start: KeyHistory = EMPTY_KEY_HISTORY,
  governance: KeyGovernance = OWNER_ALONE,
): { history: KeyHistory; refused: Array<{ entryId: string } & KeyRefusal> } {
  let history = start;
  const refused: Array<{ entryId: string } & KeyRefusal> = [];
  for (const entry of entries) {
    const step = applyKeyRecord(suite, history, entry, verify, governance);
    if ("refusal" in step) refused.push({ entryId: entry.entryId, ...step.refusal });
    else history = step.history;
  }
  return { history, refused };
}
