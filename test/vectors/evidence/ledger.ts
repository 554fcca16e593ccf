import { createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import {
  ACCESS_TYPE,
  accessEntryIdFor,
  BATCH_ROOT_HEADER,
  batchRootHeaderValue,
  buildSignatureBase,
  canonicalJson,
  concatBytes,
  contentDigest,
  cosignCheckpoint,
  DEPARTMENT_HEADER,
  deriveKeyId,
  type EntryEnvelope,
  entryIdFor,
  entryLeafHash,
  formatCheckpoint,
  formatCosignatureVerifierKey,
  formatSignedNote,
  formatVerifierKey,
  fromHex,
  INTL,
  type JsonValue,
  KEY_ADD_TYPE,
  KEY_RETIRE_TYPE,
  KEY_REVOKE_TYPE,
  type KeyGovernance,
  type KeyRole,
  type KeySignatureCheck,
  keyPopMessage,
  type LedgerEnvelope,
  MATCH_PATH,
  MerkleTree,
  NOTE_SIGNATURE_TYPE_ED25519,
  parseSignedNote,
  recordHash,
  type SignatureAlgorithm,
  sha256Bytes,
  signatureBaseText,
  signNote,
  toBase64,
  toHex,
  utf8,
} from "#chain";
import {
  type BundleInclusion,
  type EvidenceBundle,
  type EvidenceChecks,
  formatTrustRoot,
  parseTrustRoot,
  type TrustRoot,
} from "../../../lib/evidence/index.js";
import { sm2PublicKeyFromSpki, sm2Verify } from "../../../lib/sm2/index.js";
import { ed25519FromSeed, type TestLog, type TestWitness } from "../../support/witness-keys.js";

// A ledger in memory for evidence-bundle tests and vectors, made the way the API and the
// sealer make one: members' keys with their derived ids (FORMATS.md §10), signed batches
// of records and signed match requests turned into envelopes (§2, §8), key records with
// their proofs of possession, the log's tree, the sealer's checkpoint and the witnesses'
// cosignatures. Signatures by node:crypto, an implementation independent of lib/chain.
// Nothing here checks anything: a test may build a log an honest API would refuse to hold.

const ED25519_SPKI_PREFIX = fromHex("302a300506032b6570032100");

/** A member's request-signing key, as its key records name it. */
export interface MemberKey {
  owner: string;
  role: KeyRole;
  alg: SignatureAlgorithm;
  spki: Uint8Array;
  keyId: string;
  /** RFC 9421 signature over `message`: Ed25519, or P-256 r || s over SHA-256(message). */
  sign(message: Uint8Array): Uint8Array;
}

export function ed25519Key(owner: string, seed: Uint8Array, role: KeyRole = "department"): MemberKey {
  const ed = ed25519FromSeed(seed);
  const spki = concatBytes(ED25519_SPKI_PREFIX, ed.publicKey);
  return { owner, role, alg: "ed25519", spki, keyId: deriveKeyId(INTL, owner, spki), sign: ed.sign };
}

/** A P-256 key (random: ECDSA signatures are randomised anyway, so no run repeats). */
export function p256Key(owner: string, role: KeyRole = "department"): MemberKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
  return {
    owner,
    role,
    alg: "ecdsa-p256-sha256",
    spki,
    keyId: deriveKeyId(INTL, owner, spki),
    sign: (message) =>
      new Uint8Array(sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" })),
  };
}

/** lib/chain's KeySignatureCheck by node:crypto, as lib/crypto's verifySignature makes it. */
export const nodeVerify: KeySignatureCheck = (alg, spki, message, signature) => {
  // node:crypto cannot set SM2's identifier: lib/sm2, held to OpenSSL by test/interop/sm2-openssl.test.ts.
  if (alg === "sm2-sm3") return sm2Verify(sm2PublicKeyFromSpki(spki), message, signature);
  const key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  return alg === "ed25519"
    ? verify(null, message, key, signature)
    : verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, signature);
};

export const checks: EvidenceChecks = { verifySignature: nodeVerify };

/** A time of the tests: `seconds` (and `ms`) after 2026-11-21T08:00:00.000Z. */
export function t(seconds: number, ms = 0): string {
  return new Date(Date.UTC(2026, 10, 21, 8, 0, 0) + seconds * 1000 + ms).toISOString();
}

/** What the ledger stores for an entry: its envelope and its payload text. */
export interface Stored {
  envelope: LedgerEnvelope;
  payload: string;
}

export interface RequestOptions {
  receivedAt: string;
  /** The signature's created, Unix seconds; by default receivedAt's whole second. */
  created?: number;
  /** By default derived from the key, the time and the body, so every request has its own. */
  nonce?: string;
}

function requestParams(key: MemberKey, body: string, o: RequestOptions) {
  return {
    created: o.created ?? Math.floor(Date.parse(o.receivedAt) / 1000),
    keyid: key.keyId,
    alg: key.alg,
    nonce: o.nonce ?? toHex(sha256Bytes(utf8(`${key.keyId}\n${o.receivedAt}\n${body}`))).slice(0, 24),
  };
}

function contentDigestHeader(body: string): string {
  return `sha-256=:${toBase64(sha256Bytes(utf8(body)))}:`;
}

/** A batch of records signed by `key` for its owner (POST /v1/entries), as the API stores it. */
export function submit(
  key: MemberKey,
  records: ReadonlyArray<{ type: string; data: JsonValue }>,
  o: RequestOptions,
): Stored[] {
  const body = canonicalJson({ records: records.map((r) => ({ data: r.data, type: r.type })) });
  const digests = records.map((r) => contentDigest(INTL, r.data));
  const hashes = records.map((r, i) => recordHash(INTL, r.type, digests[i] as string));
  const tree = new MerkleTree(INTL, hashes);
  const params = requestParams(key, body, o);
  const base = signatureBaseText(
    buildSignatureBase(
      [
        ["@method", "POST"],
        ["@path", "/v1/entries"],
        ["content-digest", contentDigestHeader(body)],
        [DEPARTMENT_HEADER, key.owner],
        [BATCH_ROOT_HEADER, batchRootHeaderValue(tree.root())],
      ],
      params,
    ),
  );
  const signature = toBase64(key.sign(utf8(base)));
  return records.map((r, i) => {
    const envelope: EntryEnvelope = {
      v: 1,
      id: entryIdFor(INTL, key.keyId, params.nonce, i, hashes[i] as Uint8Array),
      dept: key.owner,
      type: r.type,
      contentDigest: digests[i] as string,
      keyId: key.keyId,
      alg: key.alg,
      signatureBase: base,
      signature,
      batch: {
        size: records.length,
        index: i,
        root: toHex(tree.root()),
        path: tree.inclusionProof(i).map(toHex),
      },
      receivedAt: o.receivedAt,
    };
    return { envelope, payload: canonicalJson(r.data) };
  });
}

/** One record signed by `key`. */
export function record(key: MemberKey, type: string, data: JsonValue, o: RequestOptions): Stored {
  return submit(key, [{ type, data }], o)[0] as Stored;
}

/** The access entry of a match request signed by `key` (POST /v1/match), with these details. */
export function match(key: MemberKey, details: JsonValue, o: RequestOptions): Stored {
  const body = canonicalJson({ contract: "s6-evidence", subject: "a subject", want: "match" });
  const params = requestParams(key, body, o);
  const base = signatureBaseText(
    buildSignatureBase(
      [
        ["@method", "POST"],
        ["@path", MATCH_PATH],
        ["content-digest", contentDigestHeader(body)],
        [DEPARTMENT_HEADER, key.owner],
      ],
      params,
    ),
  );
  const digest = contentDigest(INTL, details);
  return {
    envelope: {
      v: 1,
      kind: "access",
      id: accessEntryIdFor(INTL, key.keyId, params.nonce, digest),
      dept: key.owner,
      type: ACCESS_TYPE,
      contentDigest: digest,
      keyId: key.keyId,
      alg: key.alg,
      signatureBase: base,
      signature: toBase64(key.sign(utf8(base))),
      receivedAt: o.receivedAt,
    },
    payload: canonicalJson(details),
  };
}

/** The data of a zhixin.key.add of `key`, its proof of possession made with it. */
export function keyAddData(key: MemberKey): JsonValue {
  return {
    alg: key.alg,
    keyId: key.keyId,
    owner: key.owner,
    pop: toBase64(key.sign(keyPopMessage(key.keyId))),
    role: key.role,
    spki: toBase64(key.spki),
  };
}

/** zhixin.key.add of `key`, signed by `by` (by itself for an owner's first key). */
export function keyAdd(key: MemberKey, by: MemberKey, o: RequestOptions): Stored {
  return record(by, KEY_ADD_TYPE, keyAddData(key), o);
}

export function keyRetire(keyId: string, by: MemberKey, o: RequestOptions): Stored {
  return record(by, KEY_RETIRE_TYPE, { keyId }, o);
}

export function keyRevoke(keyId: string, compromisedSince: string, by: MemberKey, o: RequestOptions): Stored {
  return record(by, KEY_REVOKE_TYPE, { compromisedSince, keyId }, o);
}

/** A log: the stored entries in log order, its tree, and its sealer's checkpoints. */
export class TestLedger {
  readonly entries: Stored[] = [];

  constructor(readonly sealer: TestLog) {}

  /** Appends entries; returns the log index of the first. */
  append(...entries: Stored[]): number {
    this.entries.push(...entries);
    return this.entries.length - entries.length;
  }

  tree(size = this.entries.length): MerkleTree {
    return new MerkleTree(
      INTL,
      this.entries.slice(0, size).map((e) => entryLeafHash(INTL, e.envelope)),
    );
  }

  /** The checkpoint of the first `size` entries, signed by the sealer, cosigned at `timestamp` by `witnesses`. */
  checkpoint(witnesses: readonly TestWitness[], timestamp: number, size = this.entries.length): string {
    const tree = this.tree(size);
    const text = formatCheckpoint({ origin: this.sealer.origin, size, rootHash: tree.root() });
    const signed = parseSignedNote(signNote(text, [this.sealer.signer]));
    return formatSignedNote(text, [
      ...signed.signatures,
      ...witnesses.map((w) => cosignCheckpoint(text, timestamp, w.signer)),
    ]);
  }

  /** The parts of a bundle of entry `index` with the key records at `keyRecords`, under `checkpoint`'s size. */
  parts(
    index: number,
    keyRecords: readonly number[],
    checkpoint: string,
    o: { withhold?: boolean; size?: number } = {},
  ): EvidenceBundle {
    const size = o.size ?? this.entries.length;
    const tree = this.tree(size);
    const item = (i: number) => {
      const stored = this.entries[i] as Stored;
      return { envelope: stored.envelope, payload: stored.payload, inclusion: this.inclusion(i, tree) };
    };
    const entry = item(index);
    return {
      log: this.sealer.origin,
      checkpoint,
      entry: { ...entry, payload: o.withhold ? null : entry.payload },
      keyRecords: keyRecords.map(
        (i) => item(i) as { envelope: EntryEnvelope; payload: string; inclusion: BundleInclusion },
      ),
    };
  }

  inclusion(index: number, tree = this.tree()): BundleInclusion {
    return { index, size: tree.size, proof: tree.inclusionProof(index) };
  }
}

/**
 * A trust root for a sealer and witnesses, as its text and as parseTrustRoot reads it;
 * with the key governance given, else as a root written before it was carried.
 */
export function trustRootFor(
  sealer: TestLog,
  witnesses: readonly TestWitness[],
  quorum: number,
  keyGovernance?: KeyGovernance,
): { text: string; root: TrustRoot } {
  const text = formatTrustRoot({
    suite: INTL,
    log: sealer.origin,
    sealers: [formatVerifierKey(sealer.origin, NOTE_SIGNATURE_TYPE_ED25519, sealer.publicKey)],
    witnesses: witnesses.map((w) => formatCosignatureVerifierKey(w.key)),
    quorum,
    ...(keyGovernance === undefined ? {} : { keyGovernance }),
  });
  return { text, root: parseTrustRoot(text) };
}
