import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import {
  type CosignatureKey,
  type CosignatureSigner,
  type CosignatureVerifier,
  cosignerKeyOf,
  formatCheckpoint,
  fromHex,
  INTL,
  type KeySignatureCheck,
  MerkleTree,
  NOTE_SIGNATURE_TYPE_ED25519,
  type NoteSigner,
  type NoteVerifier,
  noteKeyHash,
  signNote,
  utf8,
} from "#chain";

// Keys, logs and checkpoints for the cosignature and witness tests: Ed25519 through
// node:crypto (an implementation independent of lib/chain, which takes signing as
// functions), keys derived from a label so that runs repeat. Imports lib/chain only, so
// that lib/chain's tests can use it without lib/witness.

const PKCS8_PREFIX = fromHex("302e020100300506032b657004220420");
const SPKI_PREFIX = fromHex("302a300506032b6570032100");

export interface Ed25519Key {
  seed: Uint8Array;
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export function ed25519FromSeed(seed: Uint8Array): Ed25519Key {
  const key = createPrivateKey({
    key: Buffer.from([...PKCS8_PREFIX, ...seed]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return {
    seed,
    publicKey: new Uint8Array(spki.subarray(SPKI_PREFIX.length)),
    sign: (message) => new Uint8Array(sign(null, message, key)),
  };
}

/** A deterministic key for a label (its seed is SHA-256 of the label). */
export function ed25519For(label: string): Ed25519Key {
  return ed25519FromSeed(INTL.hashLeaf(utf8(label)));
}

/** RFC 8032 Ed25519 verification by a 32-byte public key. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return verify(
    null,
    message,
    createPublicKey({ key: Buffer.from([...SPKI_PREFIX, ...publicKey]), format: "der", type: "spki" }),
    signature,
  );
}

/**
 * lib/chain's KeySignatureCheck for Ed25519 keys by node:crypto (false for any other
 * algorithm): what quorum and evidence checks take, independent of lib/crypto.
 */
export const ed25519Check: KeySignatureCheck = (alg, spki, message, signature) =>
  alg === "ed25519" &&
  verify(null, message, createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }), signature);

/** A log: its origin, its sealer's note signer and verifier (type 0x01, name = origin). */
export interface TestLog {
  origin: string;
  publicKey: Uint8Array;
  signer: NoteSigner;
  verifier: NoteVerifier;
}

export function testLog(origin: string, keyLabel = origin): TestLog {
  const key = ed25519For(keyLabel);
  const keyHash = noteKeyHash(origin, NOTE_SIGNATURE_TYPE_ED25519, key.publicKey);
  return {
    origin,
    publicKey: key.publicKey,
    signer: { name: origin, keyHash, sign: key.sign },
    verifier: { name: origin, keyHash, verify: (m, s) => ed25519Verify(key.publicKey, m, s) },
  };
}

/** A witness's cosigning key (type 0x04) as key, signer and verifier. */
export interface TestWitness {
  key: CosignatureKey;
  signer: CosignatureSigner;
  verifier: CosignatureVerifier;
}

export function testWitness(name: string, keyLabel = name): TestWitness {
  const ed = ed25519For(keyLabel);
  const key = cosignerKeyOf(name, "ed25519", new Uint8Array([...SPKI_PREFIX, ...ed.publicKey]));
  const { keyHash } = key;
  return {
    key,
    signer: { name, keyHash, sign: ed.sign },
    verifier: { name, keyHash, verify: (m, s) => ed25519Verify(ed.publicKey, m, s) },
  };
}

/** Leaf hashes of entries labelled `${prefix}${i}`. */
export function leaves(prefix: string, count: number, from = 0): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => INTL.hashLeaf(utf8(`${prefix}${from + i}`)));
}

export function treeOf(leafHashes: readonly Uint8Array[]): MerkleTree {
  return new MerkleTree(INTL, leafHashes);
}

/** The log's signed checkpoint for a tree. */
export function signedCheckpoint(log: TestLog, tree: MerkleTree): string {
  return signNote(formatCheckpoint({ origin: log.origin, size: tree.size, rootHash: tree.root() }), [
    log.signer,
  ]);
}
