import { createPublicKey, verify } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fromHex, NOTE_SIGNATURE_TYPE_ED25519, type NoteVerifier, parseVerifierKey } from "#chain";

// Shared by the signed-note and checkpoint tests: their vector folders and verifiers.

const VECTORS = new URL("../vectors/checkpoint/", import.meta.url);

/** Every JSON vector in test/vectors/checkpoint/<dir>, as [name, vector], sorted by name. */
export function loadNoteVectors<T>(dir: string): Array<[string, T]> {
  const url = new URL(`${dir}/`, VECTORS);
  return readdirSync(url)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f.slice(0, -".json".length), JSON.parse(readFileSync(new URL(f, url), "utf8")) as T]);
}

/** DER SubjectPublicKeyInfo prefix of an Ed25519 key (RFC 8410): 12 bytes, then the raw key. */
export const ED25519_SPKI_PREFIX = fromHex("302a300506032b6570032100");

/** A NoteVerifier for a vkey: Ed25519 over the text, or ECDSA (DER key) over SHA-256 of the text. */
export function verifierFor(vkey: string): NoteVerifier {
  const k = parseVerifierKey(vkey);
  const ed = k.type === NOTE_SIGNATURE_TYPE_ED25519;
  const der = ed ? Buffer.from([...ED25519_SPKI_PREFIX, ...k.publicKey]) : Buffer.from(k.publicKey);
  const key = createPublicKey({ key: der, format: "der", type: "spki" });
  return { name: k.name, keyHash: k.keyHash, verify: (m, s) => verify(ed ? null : "sha256", m, key, s) };
}
