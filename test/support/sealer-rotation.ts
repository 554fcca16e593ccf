import { createPrivateKey, createPublicKey, sign } from "node:crypto";
import {
  type BlockHeader,
  blockHeaderBytes,
  CompactRange,
  concatBytes,
  cosignCheckpoint,
  deriveKeyId,
  entryLeafHash,
  formatCheckpoint,
  formatSignedNote,
  fromHex,
  GENESIS_PREV,
  hashBlockHeader,
  INTL,
  type JsonValue,
  MerkleTree,
  NOTE_SIGNATURE_TYPE_ED25519,
  type NoteSigner,
  noteKeyHash,
  parseSignedNote,
  signNote,
  toBase64,
  toHex,
} from "#chain";
import type { ExportBlock } from "../../lib/evidence/index.js";
import type { Stored } from "../vectors/evidence/ledger.js";
import type { TestLog, TestWitness } from "./witness-keys.js";

// A chain sealed by more than one sealer key, block by block, as the sealer seals it before
// and after its key is rotated (docs/DEPLOY.md, "Rotating the sealer's key"): each block's
// header signed by that block's key and named by its derived id (header.sealer), and its
// checkpoint signed by the same key. Signatures by node:crypto or the test keys, never by
// the code under test. For the tests of the audit (test/unit/local/sealer-rotation.test.ts)
// and of the export audit and trust root (test/unit/lib/evidence/sealer-rotation.test.ts).

const ED25519_SPKI_PREFIX = fromHex("302a300506032b6570032100");

/** One sealer key: its derived key id, its raw public key, and what signs headers and notes. */
export interface BlockSealer {
  keyId: string;
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
  note: NoteSigner;
}

/** A sealer from a test log key (test/support/witness-keys.ts testLog). */
export function sealerOfTestLog(log: TestLog): BlockSealer {
  return {
    keyId: deriveKeyId(INTL, "sealer", concatBytes(ED25519_SPKI_PREFIX, log.publicKey)),
    publicKey: log.publicKey,
    sign: (m) => log.signer.sign(m),
    note: log.signer,
  };
}

/** A sealer from a PKCS#8 PEM Ed25519 key file's text (local mode's keys/sealer.pem), for the log `origin`. */
export function sealerOfPem(pem: string, origin: string): BlockSealer {
  const privateKey = createPrivateKey(pem);
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: "der", type: "spki" }));
  const publicKey = spki.slice(12);
  const signWith = (m: Uint8Array) => new Uint8Array(sign(null, m, privateKey));
  return {
    keyId: deriveKeyId(INTL, "sealer", spki),
    publicKey,
    sign: signWith,
    note: {
      name: origin,
      keyHash: noteKeyHash(origin, NOTE_SIGNATURE_TYPE_ED25519, publicKey),
      sign: signWith,
    },
  };
}

/** The checkpoint of `entries` signed by `sealer`, cosigned at `timestamp` by `witnesses`. */
export function checkpointBy(
  origin: string,
  entries: readonly Stored[],
  sealer: BlockSealer,
  witnesses: readonly TestWitness[] = [],
  timestamp = 1_800_000_000,
): string {
  const tree = new MerkleTree(
    INTL,
    entries.map((e) => entryLeafHash(INTL, e.envelope)),
  );
  const text = formatCheckpoint({ origin, size: entries.length, rootHash: tree.root() });
  const signed = parseSignedNote(signNote(text, [sealer.note]));
  return formatSignedNote(text, [
    ...signed.signatures,
    ...witnesses.map((w) => cosignCheckpoint(text, timestamp, w.signer)),
  ]);
}

/**
 * Blocks 1, 2, … sealed from `batches`, block i by `sealers[i]`, each with its checkpoint, as
 * an export holds them (lib/evidence ExportBlock, every payload included); `sealedAt(i)` is
 * block i+1's sealing time.
 */
export function sealChain(
  origin: string,
  batches: readonly Stored[][],
  sealers: readonly BlockSealer[],
  sealedAt: (i: number) => string,
): { blocks: ExportBlock[]; entries: Stored[] } {
  if (sealers.length !== batches.length) throw new Error("one sealer per block");
  const range = CompactRange.empty(INTL);
  const all: Stored[] = [];
  let prev = GENESIS_PREV;
  const blocks = batches.map((entries, b): ExportBlock => {
    const sealer = sealers[b] as BlockSealer;
    const first = all.length;
    all.push(...entries);
    const leaves = entries.map((e) => entryLeafHash(INTL, e.envelope));
    range.appendAll(leaves);
    const header: BlockHeader = {
      v: 1,
      log: origin,
      height: b + 1,
      prev,
      root: toHex(new MerkleTree(INTL, leaves).root()),
      first,
      count: entries.length,
      logSize: all.length,
      logRoot: toHex(range.root()),
      sealedAt: sealedAt(b),
      sealer: sealer.keyId,
    };
    const hash = toHex(hashBlockHeader(INTL, header));
    prev = hash;
    return {
      height: b + 1,
      header: header as unknown as JsonValue,
      hash,
      signature: {
        keyId: sealer.keyId,
        alg: "ed25519",
        value: toBase64(sealer.sign(blockHeaderBytes(header))),
      },
      checkpoint: checkpointBy(origin, all, sealer),
      entries: entries.map((e, i) => ({
        leafHash: toHex(leaves[i] as Uint8Array),
        id: e.envelope.id,
        batchKey: `${e.envelope.keyId}#${/nonce="([^"]+)"/.exec(e.envelope.signatureBase)?.[1]}`,
        envelope: e.envelope as unknown as { [key: string]: JsonValue },
        payload: e.payload,
        payloadStatus: "included" as const,
      })),
    };
  });
  return { blocks, entries: all };
}
