import { fromBase64, toHex, utf8 } from "./bytes.js";
import { isSignatureAlgorithm, SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from "./envelope.js";
import { ChainError } from "./errors.js";
import { asObject, type Fields, IDENTIFIER, requireExactKeys, requireString, TIMESTAMP } from "./fields.js";
import { isRecordedSpki } from "./spki.js";
import type { CryptoSuite } from "./suite.js";

/**
 * The key records (docs/design/key-history.md §1–§2, docs/FORMATS.md §10): key ids derived
 * from the key, the proof-of-possession message, and the three reserved record types
 * with their strict parser. Which records count is key-history.ts's fold.
 */

export const KEY_ADD_TYPE = "zhixin.key.add";
export const KEY_RETIRE_TYPE = "zhixin.key.retire";
export const KEY_REVOKE_TYPE = "zhixin.key.revoke";
export const KEY_RECORD_TYPES = [KEY_ADD_TYPE, KEY_RETIRE_TYPE, KEY_REVOKE_TYPE] as const;
export type KeyRecordType = (typeof KEY_RECORD_TYPES)[number];

export function isKeyRecordType(type: string): type is KeyRecordType {
  return (KEY_RECORD_TYPES as readonly string[]).includes(type);
}

/**
 * The multi-party records' cosign (functions/rules/cosign.ts), which also completes a key
 * record awaiting cosigns (docs/design/key-history.md §3, rules 4–5):
 *   zhixin.cosign  { "entryId": 32 hex, "contentDigest": 64 hex }
 */
export const KEY_COSIGN_TYPE = "zhixin.cosign";

/** A cosign's data, strictly (INVALID_FORMAT otherwise). */
export function parseKeyCosign(data: unknown): { entryId: string; contentDigest: string } {
  const o = asObject(data, `${KEY_COSIGN_TYPE} data`);
  requireExactKeys(o, ["entryId", "contentDigest"], `${KEY_COSIGN_TYPE} data`);
  return {
    entryId: requireString(o, "entryId", `${KEY_COSIGN_TYPE} data`, /^[0-9a-f]{32}$/),
    contentDigest: requireString(o, "contentDigest", `${KEY_COSIGN_TYPE} data`, /^[0-9a-f]{64}$/),
  };
}

/** Who may hold a recorded key. Sealer and witness keys are the trust root's, never recorded (design §2). */
export const KEY_ROLES = ["department", "auditor"] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

/** A key's owner: a consortium member id (lib/consortium's form), so never holding the "/" that ends it in a key id. */
export const KEY_OWNER = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** Hex digits of H(spki) a key id keeps: 64 bits (design §1 says why they suffice). */
export const KEY_ID_HASH_DIGITS = 16;
const DERIVED_KEY_ID = /^[a-z0-9][a-z0-9-]{1,62}\/[0-9a-f]{16}$/;

/**
 *   keyId = <owner> "/" hex(H(spki))[0:16], H the suite's hash
 * Requires `owner` of the KEY_OWNER form (INVALID_FORMAT otherwise). `spki` is the DER
 * SubjectPublicKeyInfo as recorded (docs/FORMATS.md §10: one encoding per algorithm).
 */
export function deriveKeyId(suite: CryptoSuite, owner: string, spki: Uint8Array): string {
  if (!KEY_OWNER.test(owner))
    throw new ChainError("INVALID_FORMAT", `key owner ${JSON.stringify(owner)} is not a member id`);
  return `${owner}/${toHex(suite.hash(spki)).slice(0, KEY_ID_HASH_DIGITS)}`;
}

/** Whether `keyId` has the form deriveKeyId gives (not whether its key hashes to it). Older ids (`<member>/key-1`, KMS aliases) do not. */
export function isDerivedKeyId(keyId: string): boolean {
  return DERIVED_KEY_ID.test(keyId);
}

/** Domain separation of proofs of possession (docs/FORMATS.md tags). */
export const KEY_POP_TAG = "zhixin/key-pop/v1\n";

/** What an add's `pop` signs: UTF-8 of "zhixin/key-pop/v1\n" || keyId. */
export function keyPopMessage(keyId: string): Uint8Array {
  return utf8(KEY_POP_TAG + keyId);
}

/** Every algorithm's signatures are 64 bytes (Ed25519; P-256 and SM2 as r || s). */
const POP_SIZE = 64;

export interface KeyAddData {
  type: typeof KEY_ADD_TYPE;
  keyId: string;
  owner: string;
  role: KeyRole;
  alg: SignatureAlgorithm;
  spki: Uint8Array;
  /** The added key's signature over keyPopMessage(keyId). */
  pop: Uint8Array;
}
export interface KeyRetireData {
  type: typeof KEY_RETIRE_TYPE;
  keyId: string;
}
export interface KeyRevokeData {
  type: typeof KEY_REVOKE_TYPE;
  keyId: string;
  compromisedSince: string;
}
export type KeyRecordData = KeyAddData | KeyRetireData | KeyRevokeData;

/**
 * Strict parse of a key record's data (docs/FORMATS.md §10), no other fields:
 *
 *   zhixin.key.add     {"alg", "keyId", "owner", "pop": base64, "role", "spki": base64}
 *   zhixin.key.retire  {"keyId"}
 *   zhixin.key.revoke  {"compromisedSince": "2026-11-21T08:00:00.123Z", "keyId"}
 *
 * Form only: whether an add's keyId is derived from its owner and spki is the fold's
 * question (KEY_ID_INVALID). Throws INVALID_FORMAT naming the field.
 */
export function parseKeyRecord(type: string, data: unknown): KeyRecordData {
  const o = asObject(data, type);
  if (type === KEY_ADD_TYPE) {
    requireExactKeys(o, ["keyId", "owner", "role", "alg", "spki", "pop"], type);
    const role = requireString(o, "role", type);
    if (!(KEY_ROLES as readonly string[]).includes(role))
      throw new ChainError("INVALID_FORMAT", `${type}.role must be one of ${KEY_ROLES.join(", ")}`);
    const alg = requireString(o, "alg", type);
    if (!isSignatureAlgorithm(alg))
      throw new ChainError("INVALID_FORMAT", `${type}.alg must be one of ${SIGNATURE_ALGORITHMS.join(", ")}`);
    const spki = base64Field(o, "spki", type);
    if (!isRecordedSpki(alg, spki))
      throw new ChainError(
        "INVALID_FORMAT",
        `${type}.spki is not the DER SubjectPublicKeyInfo of an ${alg} key`,
      );
    const pop = base64Field(o, "pop", type);
    if (pop.length !== POP_SIZE)
      throw new ChainError("INVALID_FORMAT", `${type}.pop must be ${POP_SIZE} bytes`);
    return {
      type,
      keyId: requireString(o, "keyId", type, IDENTIFIER),
      owner: requireString(o, "owner", type, KEY_OWNER),
      role: role as KeyRole,
      alg,
      spki,
      pop,
    };
  }
  if (type === KEY_RETIRE_TYPE) {
    requireExactKeys(o, ["keyId"], type);
    return { type, keyId: requireString(o, "keyId", type, IDENTIFIER) };
  }
  if (type === KEY_REVOKE_TYPE) {
    requireExactKeys(o, ["keyId", "compromisedSince"], type);
    const compromisedSince = requireString(o, "compromisedSince", type, TIMESTAMP);
    if (!isCalendarTime(compromisedSince))
      throw new ChainError("INVALID_FORMAT", `${type}.compromisedSince is not a time of the calendar`);
    return { type, keyId: requireString(o, "keyId", type, IDENTIFIER), compromisedSince };
  }
  throw new ChainError("INVALID_FORMAT", `${type} is not a key record type (${KEY_RECORD_TYPES.join(", ")})`);
}

/**
 * Whose key a record is about: an add names its owner; a retire or revoke names a key id,
 * whose owner is what precedes its "/" (deriveKeyId; a key id of another form is no key
 * of any history, and its record is refused for that).
 */
export function ownerOfKeyRecord(data: KeyRecordData): string {
  return data.type === KEY_ADD_TYPE ? data.owner : (data.keyId.split("/")[0] as string);
}

function base64Field(o: Fields, key: string, what: string): Uint8Array {
  const text = requireString(o, key, what);
  try {
    return fromBase64(text);
  } catch {
    throw new ChainError("INVALID_FORMAT", `${what}.${key} must be canonical padded base64`);
  }
}

type TimeFields = [
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
];
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A TIMESTAMP-form time whose fields name a real instant (no 2026-02-30, no 24:00, no leap second). */
function isCalendarTime(ts: string): boolean {
  // TIMESTAMP matched: seven runs of digits, year to milliseconds.
  const [y, mo, d, h, mi, s] = (ts.match(/\d+/g) as RegExpMatchArray).map(Number) as TimeFields;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = mo === 2 && !leap ? 28 : (DAYS_IN_MONTH[mo - 1] ?? 0);
  return d >= 1 && d <= days && h < 24 && mi < 60 && s < 60;
}
