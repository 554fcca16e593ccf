import { concatBytes, fromUtf8, toBase64, toHex, utf8 } from "./bytes.js";
import { parseCheckpoint } from "./checkpoint.js";
import { ChainError } from "./errors.js";
import {
  isValidKeyName,
  NOTE_KEY_HASH_SIZE,
  type NoteSignature,
  type NoteVerifier,
  noteMessage,
  splitVerifierKey,
} from "./note.js";
import { sha256Bytes } from "./rfc6962.js";

/**
 * Ed25519 witness cosignatures, c2sp.org/tlog-cosignature v1.0.1 (docs/formats/witness.md §1).
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
 * The message does not include the cosigner's name, so one Ed25519 key must never serve two
 * cosigners (the spec says so; lib/witness refuses such a policy).
 *
 * Keys stay outside lib/chain, as for notes: a CosignatureSigner or CosignatureVerifier is
 * Ed25519 over given bytes, named by (name, key ID) as on the signature line. Malformed
 * cosignatures, timestamps out of range and signatures that do not verify are
 * ChainError("INVALID_COSIGNATURE"); a bad checkpoint text or vkey is INVALID_NOTE, as in
 * note.ts and checkpoint.ts.
 */

/** Signature type byte of timestamped Ed25519 checkpoint cosignatures (c2sp.org/signed-note). */
export const COSIGNATURE_V1_TYPE = 0x04;
/** First line of every cosignature/v1 signed message, for domain separation. */
export const COSIGNATURE_V1_HEADER = "cosignature/v1";
export const COSIGNATURE_TIMESTAMP_SIZE = 8;
export const ED25519_PUBLIC_KEY_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;
/** Bytes after the key ID on a cosignature line: timestamp then Ed25519 signature. */
export const COSIGNATURE_V1_SIZE = COSIGNATURE_TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE;
/**
 * Latest timestamp Zhixin reads or writes. The spec allows up to 2^63 - 1; JavaScript numbers
 * are exact to 2^53 - 1 (some 285 million years from now), and a timestamp past that is
 * refused rather than rounded.
 */
export const MAX_COSIGNATURE_TIMESTAMP = Number.MAX_SAFE_INTEGER;

/** A cosigner's public key, from its vkey "<name>+<key ID>+base64(0x04 || 32-byte key)". */
export interface CosignatureKey {
  name: string;
  keyHash: Uint8Array;
  publicKey: Uint8Array;
}

/** Signs with a cosigner's Ed25519 key: `sign` returns the 64-byte RFC 8032 signature of `message`. */
export interface CosignatureSigner {
  name: string;
  keyHash: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Checks a cosigner's Ed25519 signature: whether `signature` (64 bytes) signs `message`. */
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
  /** The 64-byte Ed25519 signature over the cosignature/v1 message. */
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

/** SHA-256(name || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4] (c2sp.org/tlog-cosignature §Format). */
export function cosignatureKeyHash(name: string, publicKey: Uint8Array): Uint8Array {
  if (!isValidKeyName(name)) failKey('cosigner key name is empty or has a space, "+" or control character');
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_SIZE) {
    failKey(`a cosigner's Ed25519 public key is ${ED25519_PUBLIC_KEY_SIZE} bytes`);
  }
  const digest = sha256Bytes(concatBytes(utf8(`${name}\n`), Uint8Array.of(COSIGNATURE_V1_TYPE), publicKey));
  return digest.slice(0, NOTE_KEY_HASH_SIZE);
}

/** "<name>+<key ID, 8 lowercase hex>+base64(0x04 || public key)" */
export function formatCosignatureVerifierKey(name: string, publicKey: Uint8Array): string {
  const keyHash = cosignatureKeyHash(name, publicKey);
  return `${name}+${toHex(keyHash)}+${toBase64(concatBytes(Uint8Array.of(COSIGNATURE_V1_TYPE), publicKey))}`;
}

/**
 * Parses a cosigner's vkey (type 0x04 only) and checks its key ID. A type 0x01 vkey is
 * refused: a key that signs notes is not a cosigning key, and the spec has the two differ.
 */
export function parseCosignatureVerifierKey(vkey: string): CosignatureKey {
  const { name, hashHex, type, publicKey } = splitVerifierKey(vkey);
  if (type !== COSIGNATURE_V1_TYPE) {
    failKey(`cosigner verifier key has type 0x${toHex(Uint8Array.of(type))}, want 0x04`);
  }
  const keyHash = cosignatureKeyHash(name, publicKey);
  if (toHex(keyHash) !== hashHex) {
    failKey(`cosigner verifier key: key ID ${hashHex} does not match the key (want ${toHex(keyHash)})`);
  }
  return { name, keyHash, publicKey };
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
  if (!(signature instanceof Uint8Array) || signature.length !== ED25519_SIGNATURE_SIZE) {
    fail(`an Ed25519 signature is ${ED25519_SIGNATURE_SIZE} bytes`);
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
