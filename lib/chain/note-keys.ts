import type { SignatureAlgorithm } from "./envelope.js";
import { ChainError } from "./errors.js";
import type { KeySignatureCheck } from "./key-history.js";
import {
  NOTE_SIGNATURE_TYPE_ED25519,
  NOTE_SIGNATURE_TYPE_SM2,
  type NoteSignatureType,
  type NoteVerifier,
  noteKeyHash,
  type VerifierKey,
} from "./note.js";
import { isRecordedSpki, keyOfRecordedSpki, recordedSpki } from "./spki.js";

/**
 * A ledger signing key as a signed-note key (docs/formats/checkpoint.md §1.3): the sealer
 * signs block headers with its key as recorded (algorithm and SPKI) and checkpoints with
 * the same key as a note key. Ed25519 is type 0x01 with the raw 32-byte key; SM2 is type
 * 0xff with the SPKI (docs/formats/sm2.md §5). Both sign the note text itself, as the
 * ledger's signatures do, so one key signs both. ECDSA P-256 has no note form here: the
 * note type 0x02 signs SHA-256 of the text in DER, not the r || s the ledger records.
 */
export interface NoteKey {
  type: NoteSignatureType;
  publicKey: Uint8Array;
}

const NOTE_TYPES: Partial<Record<SignatureAlgorithm, NoteSignatureType>> = {
  ed25519: NOTE_SIGNATURE_TYPE_ED25519,
  "sm2-sm3": NOTE_SIGNATURE_TYPE_SM2,
};

/** The note signature type an algorithm's keys sign as, or undefined (ECDSA: none). */
export function noteSignatureTypeOf(alg: SignatureAlgorithm): NoteSignatureType | undefined {
  return NOTE_TYPES[alg];
}

/** The note key of a key recorded as (alg, spki); INVALID_NOTE for ECDSA or a SPKI not of `alg`. */
export function noteKeyOf(alg: SignatureAlgorithm, spki: Uint8Array): NoteKey {
  const type = NOTE_TYPES[alg];
  if (type === undefined)
    throw new ChainError("INVALID_NOTE", `an ${alg} key signs no checkpoint (want ed25519 or sm2-sm3)`);
  if (!isRecordedSpki(alg, spki))
    throw new ChainError("INVALID_NOTE", `the key is not the SubjectPublicKeyInfo of an ${alg} key`);
  return { type, publicKey: type === NOTE_SIGNATURE_TYPE_SM2 ? spki.slice() : keyOfRecordedSpki(alg, spki) };
}

/** The inverse of noteKeyOf: the algorithm and recorded SPKI of a note key of type 0x01 or 0xff. */
export function recordedKeyOf(key: NoteKey): { alg: SignatureAlgorithm; spki: Uint8Array } {
  if (key.type === NOTE_SIGNATURE_TYPE_ED25519)
    return { alg: "ed25519", spki: recordedSpki("ed25519", key.publicKey) };
  if (key.type === NOTE_SIGNATURE_TYPE_SM2) return { alg: "sm2-sm3", spki: key.publicKey.slice() };
  throw new ChainError(
    "INVALID_NOTE",
    `a type 0x${key.type.toString(16).padStart(2, "0")} note key is not a ledger signing key`,
  );
}

/** The key ID a note signature by `name` with the key (alg, spki) carries. */
export function noteKeyHashOf(name: string, alg: SignatureAlgorithm, spki: Uint8Array): Uint8Array {
  const { type, publicKey } = noteKeyOf(alg, spki);
  return noteKeyHash(name, type, publicKey);
}

/**
 * A NoteVerifier for a parsed vkey of type 0x01 or 0xff, checking signatures with the
 * ledger's own check (the one request signatures and block headers are checked with).
 */
export function noteVerifierOf(key: VerifierKey, check: KeySignatureCheck): NoteVerifier {
  const { alg, spki } = recordedKeyOf(key);
  return {
    name: key.name,
    keyHash: key.keyHash,
    verify: (message, signature) => check(alg, spki, message, signature),
  };
}
