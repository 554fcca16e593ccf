import { concatBytes, equalBytes, fromBase64, fromHex, toBase64, toHex, utf8 } from "./bytes.js";
import { ChainError } from "./errors.js";
import { sha256Bytes } from "./rfc6962.js";
import { isRecordedSpki } from "./spki.js";

/**
 * C2SP signed notes (c2sp.org/signed-note, docs/formats/checkpoint.md §1):
 *
 *   <text, ending in "\n">
 *   "\n"
 *   "— " <key name> " " base64(4-byte key ID || signature) "\n"     (one or more)
 *
 * The em dash is U+2014 (UTF-8 e2 80 94). A signature is over the UTF-8 bytes of the text,
 * final newline included, separating blank line excluded. Keys and signature algorithms
 * stay outside lib/chain: signers and verifiers are passed in as functions, named by
 * (key name, 4-byte key ID) exactly as they appear on signature lines.
 *
 * Every malformed input is a ChainError("INVALID_NOTE").
 */

/** Limit on a whole note in UTF-8 bytes: 16 post-quantum (~5 kB) signatures fit many times over. */
export const MAX_NOTE_SIZE = 256 * 1024;
/** Limit on signature lines per note (the spec asks verifiers to accept at least 16). */
export const MAX_NOTE_SIGNATURES = 100;
/** Length of the key ID that starts every signature. */
export const NOTE_KEY_HASH_SIZE = 4;

/** Signature type identifier bytes (c2sp.org/signed-note §Signature types) that Zhixin supports. */
export const NOTE_SIGNATURE_TYPE_ED25519 = 0x01;
/** ECDSA as in github.com/transparency-dev/witness: key = SPKI DER, signature = ASN.1 DER over SHA-256(text). */
export const NOTE_SIGNATURE_TYPE_ECDSA = 0x02;
/**
 * SM2 with SM3 (docs/formats/sm2.md §5). The spec assigns it no byte, so it takes the one
 * c2sp.org/signed-note §Signature types reserves for such types, 0xff, "followed by a longer
 * identifier that is unlikely to collide": NOTE_SM2_TYPE_BYTES. Key = the 91-byte DER SPKI;
 * signature = r||s (64 bytes) over the note text, with the ledger's SM2 identifier (the
 * default 1234567812345678 unless the consortium sets one: the signature check the caller
 * passes knows which). In Zhixin, 0xff is SM2: a 0xff key with another type identifier is
 * refused.
 */
export const NOTE_SIGNATURE_TYPE_SM2 = 0xff;
/**
 * What stands for the type in SM2 key IDs and vkeys: 0xff, then the DER of the OID of
 * SM2-with-SM3, 1.2.156.10197.1.501 (06 08 2a 81 1c cf 55 01 83 75): an identifier no other
 * algorithm has, and self-delimiting, so the key after it needs no length.
 */
export const NOTE_SM2_TYPE_BYTES = fromHex("ff06082a811ccf55018375");
export type NoteSignatureType =
  | typeof NOTE_SIGNATURE_TYPE_ED25519
  | typeof NOTE_SIGNATURE_TYPE_ECDSA
  | typeof NOTE_SIGNATURE_TYPE_SM2;

export interface NoteSignature {
  name: string;
  /** The 4-byte key ID, big-endian as on the wire. */
  keyHash: Uint8Array;
  /** The signature proper (the bytes after the key ID). */
  signature: Uint8Array;
}

export interface SignedNote {
  /** The signed text, final newline included. */
  text: string;
  /** Every signature line, in order, verified or not. */
  signatures: NoteSignature[];
}

export interface NoteSigner {
  name: string;
  keyHash: Uint8Array;
  /** Signs `message` (the note text's UTF-8 bytes) and returns the raw signature. */
  sign(message: Uint8Array): Uint8Array;
}

export interface NoteVerifier {
  name: string;
  keyHash: Uint8Array;
  /** Whether `signature` is this key's signature over `message` (the note text's UTF-8 bytes). */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface VerifiedNote extends SignedNote {
  /** The known keys whose signatures verified, each once, in order of first signature. */
  verifiedBy: NoteVerifier[];
}

/** A parsed verifier key ("vkey"): <name>+<8 hex digits key ID>+base64(type || public key). */
export interface VerifierKey {
  name: string;
  keyHash: Uint8Array;
  type: NoteSignatureType;
  /** Ed25519: the 32-byte RFC 8032 key. ECDSA and SM2: the DER SubjectPublicKeyInfo. */
  publicKey: Uint8Array;
}

const EM_DASH_SPACE = "\u2014 ";
// Unicode White_Space is the set Go's unicode.IsSpace uses for "Unicode spaces".
const KEY_NAME = /^[^\p{White_Space}+]+$/u;
const KEY_HASH_HEX = /^[0-9a-f]{8}$/;

// ignoreBOM keeps a leading U+FEFF as text, so decoding then encoding gives back the same bytes.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function fail(message: string): never {
  throw new ChainError("INVALID_NOTE", message);
}

/** Key names must be non-empty, without Unicode spaces, "+" or control characters. */
export function isValidKeyName(name: string): boolean {
  return typeof name === "string" && name.isWellFormed() && KEY_NAME.test(name) && controlAt(name) < 0;
}

function assertKeyName(name: string, what: string): void {
  if (!isValidKeyName(name)) {
    const shown = JSON.stringify(String(name).slice(0, 80));
    fail(`${what}: key name ${shown} is empty or has a space, "+" or control character`);
  }
}

function assertKeyHash(keyHash: Uint8Array, what: string): void {
  if (!(keyHash instanceof Uint8Array) || keyHash.length !== NOTE_KEY_HASH_SIZE) {
    fail(`${what}: key ID must be ${NOTE_KEY_HASH_SIZE} bytes`);
  }
}

/** UTF-8 bytes of a string that fits in a note; throws on lone surrogates and oversize text. */
function noteBytes(text: string, what: string): Uint8Array {
  if (typeof text !== "string") fail(`${what} must be a string`);
  // UTF-8 never takes fewer bytes than UTF-16 code units, so this bounds the encoding work.
  if (text.length > MAX_NOTE_SIZE) fail(`${what} is longer than ${MAX_NOTE_SIZE} bytes`);
  if (!text.isWellFormed()) fail(`${what} has a lone surrogate, so it is not valid UTF-8`);
  const bytes = utf8(text);
  if (bytes.length > MAX_NOTE_SIZE) fail(`${what} is ${bytes.length} bytes, over the ${MAX_NOTE_SIZE} limit`);
  return bytes;
}

/** Index of the first ASCII control character other than newline (the spec forbids them), or -1. */
function controlAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return i;
  }
  return -1;
}

function assertNoControl(text: string, what: string): void {
  const i = controlAt(text);
  if (i >= 0) {
    const code = text.charCodeAt(i).toString(16).padStart(2, "0");
    fail(`${what} has control character 0x${code} at offset ${i}; only newline is allowed`);
  }
}

/**
 * Checks a note text (what is signed) and returns its UTF-8 bytes, the signed message:
 * well-formed, within MAX_NOTE_SIZE, no control character but newline, ending in "\n".
 * An asynchronous signer (KMS) signs these bytes itself, then calls formatSignedNote.
 */
export function noteMessage(text: string): Uint8Array {
  const bytes = noteBytes(text, "note text");
  assertNoControl(text, "note text");
  if (!text.endsWith("\n")) fail("note text must end with a newline");
  return bytes;
}

/**
 * Key ID of c2sp.org/signed-note §Signatures, for the supported types:
 *   Ed25519 (0x01): SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]
 *   ECDSA   (0x02): SHA-256(DER SubjectPublicKeyInfo)[:4]
 *   SM2     (0xff): SHA-256(name || 0x0A || NOTE_SM2_TYPE_BYTES || DER SPKI)[:4]
 * The ECDSA rule ignores the name: it is how transparency-dev/witness and Sigstore's Rekor
 * define type 0x02 keys, and the spec records that exception. SM2 follows the spec's
 * recommended rule, its type being 0xff and the identifier; SHA-256 even in the gm suite,
 * since the spec fixes the hash and a key ID is an identifier, not a security property.
 */
export function noteKeyHash(name: string, type: NoteSignatureType, publicKey: Uint8Array): Uint8Array {
  assertKeyName(name, "key hash");
  assertPublicKey(type, publicKey);
  const digest =
    type === NOTE_SIGNATURE_TYPE_ECDSA
      ? sha256Bytes(publicKey)
      : sha256Bytes(concatBytes(utf8(`${name}\n`), typeBytes(type), publicKey));
  return digest.slice(0, NOTE_KEY_HASH_SIZE);
}

/** The bytes a type is written as in key IDs and vkeys: its byte, or for SM2 0xff and the identifier. */
function typeBytes(type: NoteSignatureType): Uint8Array {
  return type === NOTE_SIGNATURE_TYPE_SM2 ? NOTE_SM2_TYPE_BYTES : Uint8Array.of(type);
}

function assertPublicKey(type: number, publicKey: Uint8Array): void {
  if (!(publicKey instanceof Uint8Array)) fail("public key must be bytes");
  if (type === NOTE_SIGNATURE_TYPE_ED25519) {
    if (publicKey.length !== 32) fail(`an Ed25519 public key is 32 bytes, got ${publicKey.length}`);
  } else if (type === NOTE_SIGNATURE_TYPE_ECDSA) {
    // A DER SubjectPublicKeyInfo is a SEQUENCE (0x30). A raw point (0x04 ...) would hash to
    // a key ID no other implementation computes, so it is refused rather than mis-hashed.
    if (publicKey.length < 2 || publicKey[0] !== 0x30) {
      fail("an ECDSA public key must be a DER SubjectPublicKeyInfo");
    }
  } else if (type === NOTE_SIGNATURE_TYPE_SM2) {
    // Only the form the ledger records (docs/formats/sm2.md §3), so one key has one key ID.
    if (!isRecordedSpki("sm2-sm3", publicKey)) {
      fail("an SM2 public key must be the 91-byte DER SubjectPublicKeyInfo of an uncompressed point");
    }
  } else {
    // Type 0x04 keys sign another message (lib/chain/cosignature.ts), so they are not note keys.
    fail(`unsupported signature type 0x${toHex(Uint8Array.of(type & 0xff))}; want 0x01, 0x02 or 0xff (SM2)`);
  }
}

/** "<name>+<key ID as 8 lowercase hex digits>+<base64(type || public key)>" */
export function formatVerifierKey(name: string, type: NoteSignatureType, publicKey: Uint8Array): string {
  const keyHash = noteKeyHash(name, type, publicKey);
  return `${name}+${toHex(keyHash)}+${toBase64(concatBytes(typeBytes(type), publicKey))}`;
}

/**
 * Parses a verifier key and checks its key ID against the key:
 *
 *   PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW
 *
 * The name ends at the first "+", the key ID at the second; the base64 may contain "+".
 */
export function parseVerifierKey(vkey: string): VerifierKey {
  const { name, hashHex, type, publicKey: typed } = splitVerifierKey(vkey);
  // An SM2 vkey's key starts with the rest of its type: the identifier after 0xff.
  const identifier = NOTE_SM2_TYPE_BYTES.subarray(1);
  if (type === NOTE_SIGNATURE_TYPE_SM2 && !equalBytes(typed.subarray(0, identifier.length), identifier)) {
    fail("verifier key: type 0xff with an identifier other than SM2-with-SM3's");
  }
  const publicKey = type === NOTE_SIGNATURE_TYPE_SM2 ? typed.slice(identifier.length) : typed;
  assertPublicKey(type, publicKey);
  const keyHash = noteKeyHash(name, type as NoteSignatureType, publicKey);
  if (toHex(keyHash) !== hashHex) {
    fail(`verifier key: key ID ${hashHex} does not match the key (want ${toHex(keyHash)})`);
  }
  return { name, keyHash, type: type as NoteSignatureType, publicKey };
}

/**
 * The three parts of any vkey, whatever its type, with the name and key ID syntax checked
 * but neither the type, the key nor the key ID's value: parseVerifierKey (types 0x01, 0x02
 * and 0xff) and parseCosignatureVerifierKey (0x04) check those, each for its own types.
 * `publicKey` is everything after the first byte (for 0xff, the identifier too).
 */
export function splitVerifierKey(vkey: string): {
  name: string;
  hashHex: string;
  type: number;
  publicKey: Uint8Array;
} {
  if (typeof vkey !== "string") fail("verifier key must be a string");
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  if (second < 0) fail("verifier key must have the form <name>+<key ID>+<key>");
  const name = vkey.slice(0, first);
  const hashHex = vkey.slice(first + 1, second);
  assertKeyName(name, "verifier key");
  if (!KEY_HASH_HEX.test(hashHex)) fail("verifier key: key ID must be 8 lowercase hex digits");
  let key: Uint8Array;
  try {
    key = fromBase64(vkey.slice(second + 1));
  } catch {
    fail("verifier key: key is not canonical base64");
  }
  return { name, hashHex, type: key[0] ?? 0, publicKey: key.slice(1) };
}

/** Joins a text and its signatures into a signed note. */
export function formatSignedNote(text: string, signatures: readonly NoteSignature[]): string {
  noteMessage(text);
  if (!Array.isArray(signatures) || signatures.length === 0) fail("a note needs at least one signature");
  if (signatures.length > MAX_NOTE_SIGNATURES) {
    fail(`${signatures.length} signatures, over the ${MAX_NOTE_SIGNATURES} limit`);
  }
  let out = `${text}\n`;
  signatures.forEach((s, i) => {
    assertKeyName(s.name, `signature ${i + 1}`);
    assertKeyHash(s.keyHash, `signature ${i + 1}`);
    if (!(s.signature instanceof Uint8Array) || s.signature.length === 0) {
      fail(`signature ${i + 1}: signature must be non-empty bytes`);
    }
    out += `${EM_DASH_SPACE}${s.name} ${toBase64(concatBytes(s.keyHash, s.signature))}\n`;
  });
  noteBytes(out, "signed note");
  return out;
}

/**
 * Parses a signed note without checking any signature. Accepts the note as text or as its
 * UTF-8 bytes. The text ends at the last blank line; every line after it must be a
 * signature line.
 */
export function parseSignedNote(note: string | Uint8Array): SignedNote {
  let s: string;
  if (note instanceof Uint8Array) {
    if (note.length > MAX_NOTE_SIZE) fail(`note is ${note.length} bytes, over the ${MAX_NOTE_SIZE} limit`);
    try {
      s = strictUtf8.decode(note);
    } catch {
      fail("note is not valid UTF-8");
    }
  } else {
    s = note;
    noteBytes(s, "note");
  }
  assertNoControl(s, "note");
  const split = s.lastIndexOf("\n\n");
  if (split < 0) fail("note has no blank line between text and signatures");
  const text = s.slice(0, split + 1);
  const block = s.slice(split + 2);
  if (block === "") fail("note has no signature lines after its last blank line");
  if (!block.endsWith("\n")) fail("the last signature line does not end with a newline");
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) {
    fail(`${lines.length} signature lines, over the ${MAX_NOTE_SIGNATURES} limit`);
  }
  return { text, signatures: lines.map((line, i) => parseSignatureLine(line, i + 1)) };
}

// "— " <name> " " base64(key ID || signature)
function parseSignatureLine(line: string, n: number): NoteSignature {
  if (!line.startsWith(EM_DASH_SPACE)) {
    fail(`signature line ${n} does not start with an em dash (U+2014) and a space`);
  }
  const rest = line.slice(EM_DASH_SPACE.length);
  const space = rest.indexOf(" ");
  if (space < 0) fail(`signature line ${n} has no space between key name and signature`);
  const name = rest.slice(0, space);
  assertKeyName(name, `signature line ${n}`);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(rest.slice(space + 1));
  } catch {
    fail(`signature line ${n}: signature is not canonical base64`);
  }
  if (bytes.length <= NOTE_KEY_HASH_SIZE) {
    fail(`signature line ${n}: ${bytes.length} bytes is too short for a key ID and a signature`);
  }
  return { name, keyHash: bytes.slice(0, NOTE_KEY_HASH_SIZE), signature: bytes.slice(NOTE_KEY_HASH_SIZE) };
}

/** Signs `text` with every signer, in order, and returns the signed note. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  const message = noteMessage(text);
  if (!Array.isArray(signers) || signers.length === 0) fail("signNote needs at least one signer");
  const signatures = signers.map((signer, i) => {
    assertKeyName(signer.name, `signer ${i + 1}`);
    assertKeyHash(signer.keyHash, `signer ${i + 1}`);
    return { name: signer.name, keyHash: signer.keyHash, signature: signer.sign(message.slice()) };
  });
  return formatSignedNote(text, signatures);
}

/**
 * Parses `note` and checks its signatures against the known keys (c2sp.org/signed-note
 * §Signatures). A signature line is from a known key when both its name and key ID match
 * a verifier; other lines are ignored. Throws INVALID_NOTE if any signature from a known
 * key fails (every one is checked, repeats included) or if none from a known key is present.
 */
export function verifyNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): VerifiedNote {
  const known = verifierIndex(verifiers);
  const parsed = parseSignedNote(note);
  const message = utf8(parsed.text);
  const verifiedBy: NoteVerifier[] = [];
  for (const sig of parsed.signatures) {
    const id = keyId(sig.name, sig.keyHash);
    const verifier = known.get(id);
    if (!verifier) continue;
    let ok: boolean;
    try {
      ok = verifier.verify(message.slice(), sig.signature.slice()) === true;
    } catch (e) {
      fail(`signature by ${id} could not be checked: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!ok) fail(`signature by known key ${id} does not verify`);
    if (!verifiedBy.includes(verifier)) verifiedBy.push(verifier);
  }
  if (verifiedBy.length === 0) {
    const signers = parsed.signatures.map((s) => keyId(s.name, s.keyHash));
    fail(`no signature from a known key (signed by ${signers.join(", ")})`);
  }
  return { ...parsed, verifiedBy };
}

function keyId(name: string, keyHash: Uint8Array): string {
  return `${name}+${toHex(keyHash)}`;
}

function verifierIndex(verifiers: readonly NoteVerifier[]): Map<string, NoteVerifier> {
  if (!Array.isArray(verifiers)) fail("verifiers must be an array");
  const index = new Map<string, NoteVerifier>();
  verifiers.forEach((v, i) => {
    assertKeyName(v.name, `verifier ${i + 1}`);
    assertKeyHash(v.keyHash, `verifier ${i + 1}`);
    const id = keyId(v.name, v.keyHash);
    const other = index.get(id);
    // Two different keys under one (name, key ID) cannot be told apart on a signature line.
    if (other && other !== v) fail(`two verifiers share the key ${id}`);
    index.set(id, v);
  });
  return index;
}
