import { concatBytes, equalBytes, fromUtf8, toBase64, toHex, utf8 } from "./bytes.js";
import { parseCheckpoint } from "./checkpoint.js";
import { ChainError } from "./errors.js";
import type { KeySignatureCheck } from "./key-history.js";
import {
  isValidKeyName,
  NOTE_KEY_HASH_SIZE,
  NOTE_SM2_TYPE_BYTES,
  type NoteSignature,
  type NoteVerifier,
  noteMessage,
  splitVerifierKey,
} from "./note.js";
import { sha256Bytes } from "./rfc6962.js";
import { isRecordedSpki, keyOfRecordedSpki, recordedSpki } from "./spki.js";

/**
 * Witness cosignatures, c2sp.org/tlog-cosignature v1.0.1 (docs/formats/witness.md §1), with
 * Ed25519 as the spec defines them and with SM2 for the gm suite (witness.md §1.7).
 *
 * A cosignature is a signature line on a checkpoint, added by a witness that checked the
 * checkpoint is consistent with every one it cosigned before:
 *
 *   "— " <cosigner name> " " base64(key ID[4] || timestamp[8, big-endian] || Ed25519 sig[64]) "\n"
 *
 * The Ed25519 signature is not over the note text but over the cosignature/v1 message:
 *
 *   "cosignature/v1\n" "time " <timestamp, decimal> "\n" <checkpoint text, final "\n" included>
 *
 * and the key ID uses signature type 0x04: SHA-256(name || 0x0A || 0x04 || public key)[:4].
 * The message does not include the cosigner's name, so one key must never serve two
 * cosigners (the spec says so; lib/witness refuses such a policy).
 *
 * The spec defines no SM2 cosignature, so the gm suite's takes the type c2sp.org/signed-note
 * reserves for types it assigns no byte, 0xff with an identifier: the SM2 note identifier
 * (note.ts) followed by 0x04, COSIGNATURE_SM2_TYPE_BYTES. Its key is the SM2 SPKI, its
 * signature r || s (64 bytes, as Ed25519's) over the same cosignature/v1 message, so the
 * line's layout is the spec's; only the key ID and vkey's type bytes differ.
 *
 * Keys stay outside lib/chain, as for notes: a CosignatureSigner or CosignatureVerifier
 * signs or checks given bytes, named by (name, key ID) as on the signature line. Malformed
 * cosignatures, timestamps out of range and signatures that do not verify are
 * ChainError("INVALID_COSIGNATURE"); a bad checkpoint text or vkey is INVALID_NOTE, as in
 * note.ts and checkpoint.ts.
 */

/** Signature type byte of timestamped Ed25519 checkpoint cosignatures (c2sp.org/signed-note). */
export const COSIGNATURE_V1_TYPE = 0x04;
/**
 * The type bytes of Zhixin's timestamped SM2 cosignatures in key IDs and vkeys: 0xff and the
 * SM2 note identifier (the DER of the SM2-with-SM3 OID), then 0x04, the byte the spec gives
 * timestamped cosignatures. An SM2 key's note key ID and cosigner key ID thus differ, as the
 * spec requires of a note key and a cosigning key (docs/formats/witness.md §1.7).
 */
export const COSIGNATURE_SM2_TYPE_BYTES = concatBytes(
  NOTE_SM2_TYPE_BYTES,
  Uint8Array.of(COSIGNATURE_V1_TYPE),
);
/** What a witness cosigns with: Ed25519 (the spec's type 0x04) or SM2 with SM3 (gm). */
export const COSIGNATURE_ALGORITHMS = ["ed25519", "sm2-sm3"] as const;
export type CosignatureAlgorithm = (typeof COSIGNATURE_ALGORITHMS)[number];

export function isCosignatureAlgorithm(alg: unknown): alg is CosignatureAlgorithm {
  return (COSIGNATURE_ALGORITHMS as readonly unknown[]).includes(alg);
}
/** First line of every cosignature/v1 signed message, for domain separation. */
export const COSIGNATURE_V1_HEADER = "cosignature/v1";
export const COSIGNATURE_TIMESTAMP_SIZE = 8;
export const ED25519_PUBLIC_KEY_SIZE = 32;
/** An Ed25519 signature, and an SM2 one as the ledger writes it (r || s): 64 bytes both. */
export const COSIGNATURE_SIGNATURE_SIZE = 64;
/** Bytes after the key ID on a cosignature line: timestamp then signature. */
export const COSIGNATURE_V1_SIZE = COSIGNATURE_TIMESTAMP_SIZE + COSIGNATURE_SIGNATURE_SIZE;
/**
 * Latest timestamp Zhixin reads or writes. The spec allows up to 2^63 - 1; JavaScript numbers
 * are exact to 2^53 - 1 (some 285 million years from now), and a timestamp past that is
 * refused rather than rounded.
 */
export const MAX_COSIGNATURE_TIMESTAMP = Number.MAX_SAFE_INTEGER;

/**
 * A cosigner's public key, from its vkey "<name>+<key ID>+base64(type bytes || key)":
 * Ed25519's 32-byte key, or SM2's 91-byte SPKI (the form the ledger records).
 */
export interface CosignatureKey {
  name: string;
  keyHash: Uint8Array;
  alg: CosignatureAlgorithm;
  publicKey: Uint8Array;
}

/**
 * Signs with a cosigner's key: `sign` returns the 64-byte signature of `message` (RFC 8032
 * Ed25519, or SM2 r || s with SM3 and the standard identifier).
 */
export interface CosignatureSigner {
  name: string;
  keyHash: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Checks a cosigner's signature: whether `signature` (64 bytes) signs `message`. */
export interface CosignatureVerifier {
  name: string;
  keyHash: Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** A decoded cosignature line. */
export interface Cosignature {
  name: string;
  keyHash: Uint8Array;
  /** POSIX seconds at which the witness cosigned. */
  timestamp: number;
  /** The 64-byte signature over the cosignature/v1 message. */
  signature: Uint8Array;
}

const HIGH_WORD = 2 ** 32;

function fail(message: string): never {
  throw new ChainError("INVALID_COSIGNATURE", message);
}

function failKey(message: string): never {
  throw new ChainError("INVALID_NOTE", message);
}

function assertTimestamp(timestamp: number, min: 0 | 1): void {
  if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp < min) {
    // A witness MUST NOT return timestamp 0 (c2sp.org/tlog-witness §add-checkpoint).
    fail(`cosignature timestamp must be an integer from ${min} to 2^53 - 1, got ${String(timestamp)}`);
  }
}

function assertSignerKey(key: { name: string; keyHash: Uint8Array }, what: string): void {
  if (!isValidKeyName(key.name)) fail(`${what}: key name is empty or has a space, "+" or control character`);
  if (!(key.keyHash instanceof Uint8Array) || key.keyHash.length !== NOTE_KEY_HASH_SIZE) {
    fail(`${what}: key ID must be ${NOTE_KEY_HASH_SIZE} bytes`);
  }
}

const COSIGNATURE_TYPE_BYTES: Readonly<Record<CosignatureAlgorithm, Uint8Array>> = {
  ed25519: Uint8Array.of(COSIGNATURE_V1_TYPE),
  "sm2-sm3": COSIGNATURE_SM2_TYPE_BYTES,
};

function assertCosignerKey(name: string, alg: CosignatureAlgorithm, publicKey: Uint8Array): void {
  if (!isValidKeyName(name)) failKey('cosigner key name is empty or has a space, "+" or control character');
  if (!(publicKey instanceof Uint8Array)) failKey("a cosigner's public key must be bytes");
  if (alg === "ed25519") {
    if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE)
      failKey(`a cosigner's Ed25519 public key is ${ED25519_PUBLIC_KEY_SIZE} bytes`);
  } else if (alg === "sm2-sm3") {
    // Only the recorded form (docs/formats/sm2.md §3), so one key has one key ID.
    if (!isRecordedSpki("sm2-sm3", publicKey))
      failKey("a cosigner's SM2 public key is the 91-byte DER SubjectPublicKeyInfo of an uncompressed point");
  } else {
    failKey(`a cosigner signs with ${COSIGNATURE_ALGORITHMS.join(" or ")}, not ${String(alg)}`);
  }
}

/**
 * SHA-256(name || 0x0A || type bytes || public key)[:4] (c2sp.org/tlog-cosignature §Format;
 * for SM2 the signed-note rule for 0xff types, witness.md §1.7). SHA-256 under gm too: the
 * spec fixes it, and a key ID is an identifier, not a commitment.
 */
export function cosignatureKeyHash(
  name: string,
  alg: CosignatureAlgorithm,
  publicKey: Uint8Array,
): Uint8Array {
  assertCosignerKey(name, alg, publicKey);
  const digest = sha256Bytes(concatBytes(utf8(`${name}\n`), COSIGNATURE_TYPE_BYTES[alg], publicKey));
  return digest.slice(0, NOTE_KEY_HASH_SIZE);
}

/**
 * The cosigner key `name` has when it signs with the key recorded as (alg, spki) — what a
 * signer's publicKey() gives (KMS GetPublicKey, a key file): Ed25519's raw key is taken out
 * of its SPKI, SM2's SPKI is the key. INVALID_NOTE when `spki` is not an `alg` key.
 */
export function cosignerKeyOf(name: string, alg: CosignatureAlgorithm, spki: Uint8Array): CosignatureKey {
  if (!isCosignatureAlgorithm(alg))
    failKey(`a cosigner signs with ${COSIGNATURE_ALGORITHMS.join(" or ")}, not ${String(alg)}`);
  if (!(spki instanceof Uint8Array) || !isRecordedSpki(alg, spki))
    failKey(`a cosigner's key is not the SubjectPublicKeyInfo of an ${alg} key`);
  const publicKey = alg === "ed25519" ? keyOfRecordedSpki(alg, spki) : spki.slice();
  return { name, keyHash: cosignatureKeyHash(name, alg, publicKey), alg, publicKey };
}

/** The inverse of cosignerKeyOf: the algorithm and SPKI the ledger's signature check takes. */
export function recordedCosignerKey(key: CosignatureKey): { alg: CosignatureAlgorithm; spki: Uint8Array } {
  assertCosignerKey(key.name, key.alg, key.publicKey);
  return {
    alg: key.alg,
    spki: key.alg === "ed25519" ? recordedSpki(key.alg, key.publicKey) : key.publicKey.slice(),
  };
}

/**
 * A CosignatureVerifier for a cosigner's key, checking signatures with the ledger's own
 * check (the one request signatures, headers and checkpoints are checked with).
 */
export function cosignatureVerifierOf(key: CosignatureKey, check: KeySignatureCheck): CosignatureVerifier {
  const { alg, spki } = recordedCosignerKey(key);
  return {
    name: key.name,
    keyHash: key.keyHash,
    verify: (message, signature) => check(alg, spki.slice(), message, signature),
  };
}

/** "<name>+<key ID, 8 lowercase hex>+base64(type bytes || public key)" */
export function formatCosignatureVerifierKey(key: {
  name: string;
  alg: CosignatureAlgorithm;
  publicKey: Uint8Array;
}): string {
  const keyHash = cosignatureKeyHash(key.name, key.alg, key.publicKey);
  const typed = concatBytes(COSIGNATURE_TYPE_BYTES[key.alg], key.publicKey);
  return `${key.name}+${toHex(keyHash)}+${toBase64(typed)}`;
}

/**
 * Parses a cosigner's vkey — type 0x04 (Ed25519), or 0xff with the SM2 cosignature
 * identifier — and checks its key ID. A note key (type 0x01, or 0xff with the SM2 note
 * identifier alone) is refused: a key that signs notes is not a cosigning key, and the
 * spec has the two differ.
 */
export function parseCosignatureVerifierKey(vkey: string): CosignatureKey {
  const { name, hashHex, type, publicKey: typed } = splitVerifierKey(vkey);
  const sm2Identifier = COSIGNATURE_SM2_TYPE_BYTES.subarray(1);
  let alg: CosignatureAlgorithm;
  let publicKey: Uint8Array;
  if (type === COSIGNATURE_V1_TYPE) {
    alg = "ed25519";
    publicKey = typed;
  } else if (type === 0xff && equalBytes(typed.subarray(0, sm2Identifier.length), sm2Identifier)) {
    alg = "sm2-sm3";
    publicKey = typed.slice(sm2Identifier.length);
  } else {
    failKey(
      `cosigner verifier key has type 0x${toHex(Uint8Array.of(type))}${type === 0xff ? " with an identifier other than the SM2 cosignature's" : ""}, want 0x04 or 0xff (SM2 cosignature)`,
    );
  }
  const keyHash = cosignatureKeyHash(name, alg, publicKey);
  if (toHex(keyHash) !== hashHex) {
    failKey(`cosigner verifier key: key ID ${hashHex} does not match the key (want ${toHex(keyHash)})`);
  }
  return { name, keyHash, alg, publicKey };
}

/**
 * The bytes a witness signs: "cosignature/v1\ntime <timestamp>\n" then the checkpoint text
 * (its final newline included, no signature lines). The text must be a valid checkpoint.
 * Timestamp 0 is accepted here, for verifying; cosignCheckpoint refuses to write it.
 */
export function cosignatureMessage(checkpointText: string, timestamp: number): Uint8Array {
  parseCheckpoint(checkpointText);
  assertTimestamp(timestamp, 0);
  return concatBytes(utf8(`${COSIGNATURE_V1_HEADER}\ntime ${timestamp}\n`), noteMessage(checkpointText));
}

/**
 * The signature line of a cosignature made elsewhere (an asynchronous signer such as KMS
 * signs cosignatureMessage's bytes itself, then calls this).
 */
export function formatCosignature(
  key: { name: string; keyHash: Uint8Array },
  timestamp: number,
  signature: Uint8Array,
): NoteSignature {
  assertSignerKey(key, "cosignature");
  assertTimestamp(timestamp, 1);
  if (!(signature instanceof Uint8Array) || signature.length !== COSIGNATURE_SIGNATURE_SIZE) {
    fail(`a cosignature's signature is ${COSIGNATURE_SIGNATURE_SIZE} bytes`);
  }
  const bytes = new Uint8Array(COSIGNATURE_V1_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, Math.floor(timestamp / HIGH_WORD));
  view.setUint32(4, timestamp % HIGH_WORD);
  bytes.set(signature, COSIGNATURE_TIMESTAMP_SIZE);
  return { name: key.name, keyHash: key.keyHash.slice(), signature: bytes };
}

/** Cosigns a checkpoint text at `timestamp` (POSIX seconds, at least 1) with a synchronous signer. */
export function cosignCheckpoint(
  checkpointText: string,
  timestamp: number,
  signer: CosignatureSigner,
): NoteSignature {
  assertSignerKey(signer, "cosigner");
  assertTimestamp(timestamp, 1);
  const message = cosignatureMessage(checkpointText, timestamp);
  return formatCosignature(signer, timestamp, signer.sign(message));
}

/** Decodes a cosignature line's bytes (after the key ID) without checking the signature. */
export function parseCosignature(line: NoteSignature): Cosignature {
  const bytes = line.signature;
  if (!(bytes instanceof Uint8Array) || bytes.length !== COSIGNATURE_V1_SIZE) {
    fail(`a cosignature/v1 is ${COSIGNATURE_V1_SIZE} bytes after the key ID, got ${bytes?.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const high = view.getUint32(0);
  // 2^63 - 1 is the spec's limit; 2^53 - 1 is ours (MAX_COSIGNATURE_TIMESTAMP).
  if (high >= 2 ** 31) fail("cosignature timestamp exceeds 2^63 - 1");
  const timestamp = high * HIGH_WORD + view.getUint32(4);
  if (timestamp > MAX_COSIGNATURE_TIMESTAMP) fail(`cosignature timestamp ${timestamp} exceeds 2^53 - 1`);
  return {
    name: line.name,
    keyHash: line.keyHash.slice(),
    timestamp,
    signature: bytes.slice(COSIGNATURE_TIMESTAMP_SIZE),
  };
}

/**
 * Verifies one cosignature line on `checkpointText` with the cosigner's key and returns it
 * decoded. Throws INVALID_COSIGNATURE if the line is not this cosigner's (name and key ID),
 * is malformed, or does not verify; a `verify` that throws or returns anything but true
 * counts as not verifying.
 */
export function verifyCosignature(
  checkpointText: string,
  line: NoteSignature,
  verifier: CosignatureVerifier,
): Cosignature {
  assertSignerKey(verifier, "cosignature verifier");
  const id = `${verifier.name}+${toHex(verifier.keyHash)}`;
  if (line.name !== verifier.name || toHex(line.keyHash) !== toHex(verifier.keyHash)) {
    fail(`signature line ${line.name}+${toHex(line.keyHash)} is not by cosigner ${id}`);
  }
  const cosignature = parseCosignature(line);
  const message = cosignatureMessage(checkpointText, cosignature.timestamp);
  let ok: boolean;
  try {
    ok = verifier.verify(message, cosignature.signature.slice()) === true;
  } catch (e) {
    fail(`cosignature by ${id} could not be checked: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!ok) fail(`cosignature by ${id} does not verify`);
  return cosignature;
}

/**
 * A NoteVerifier for verifyNote that checks cosignatures, so that a checkpoint's log
 * signature and its cosignatures are checked in one verifyNote call. Its `verify` gets the
 * note text's bytes and the bytes after the key ID, as any NoteVerifier; it is false for a
 * malformed cosignature or a text that is not a checkpoint.
 */
export function cosignatureNoteVerifier(verifier: CosignatureVerifier): NoteVerifier {
  assertSignerKey(verifier, "cosignature verifier");
  return {
    name: verifier.name,
    keyHash: verifier.keyHash,
    verify(message: Uint8Array, signature: Uint8Array): boolean {
      // Everything verifyCosignature throws is a ChainError: a cosignature that fails.
      try {
        const line = { name: verifier.name, keyHash: verifier.keyHash, signature };
        verifyCosignature(fromUtf8(message), line, verifier);
        return true;
      } catch {
        return false;
      }
    },
  };
}
