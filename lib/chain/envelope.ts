import { fromBase64, fromHex, toBase64, toHex, utf8 } from "./bytes.js";
import { canonicalBytes, canonicalJson, type JsonValue } from "./canonical.js";
import { ChainError } from "./errors.js";
import {
  asObject,
  HEX32,
  IDENTIFIER,
  requireExactKeys,
  requireInteger,
  requireString,
  TIMESTAMP,
} from "./fields.js";
import { NONCE, parseSignatureBase } from "./signature-base.js";
import type { CryptoSuite } from "./suite.js";
import { rootFromLeafHashes } from "./tree.js";
import { verifyInclusion } from "./verify.js";

/**
 * The entry envelope: what one ledger leaf commits to (docs/FORMATS.md §2).
 *
 *   leaf data = "zhixin/entry/v1\n" || JCS(envelope)
 *   leaf hash = SHA-256(0x00 || leaf data)                       (RFC 6962 leaf)
 *
 * A department signs a batch of records once (RFC 9421); the signature covers the
 * header `zhixin-batch-root`, the RFC 6962 root over the batch's record hashes
 *
 *   record hash = SHA-256(0x00 || "zhixin/record/v1\n" || JCS({"contentDigest", "type"}))
 *
 * and each envelope keeps the signature base, the signature and its record's path to
 * that root, so every entry can be checked on its own. The payload is stored beside
 * the envelope and bound by `contentDigest` = hex SHA-256(JCS(data)): erasing a
 * payload later never breaks a proof.
 */

export const ENVELOPE_VERSION = 1;
export const ENTRY_LEAF_TAG = "zhixin/entry/v1\n";
export const RECORD_LEAF_TAG = "zhixin/record/v1\n";
export const ENTRY_ID_TAG = "zhixin/entry-id/v1\n";
/** Leaf tag of access entries (docs/FORMATS.md §8): the ledger's account of a match or read. */
export const ACCESS_LEAF_TAG = "zhixin/access/v1\n";
/** The record type every access entry carries; reserved, nobody may submit it. */
export const ACCESS_TYPE = "zhixin.access";
/** The request an access entry's evidence signature must be. */
export const MATCH_PATH = "/v1/match";

/**
 * The signature algorithms Zhixin accepts, by their RFC 9421 names: the one list (zod enums
 * use it as is). "ed25519" and "ecdsa-p256-sha256" are in the §6.2 registry; "sm2-sm3"
 * (SM2 with SM3 and the signer's distinguishing identifier, GB/T 32918.2) is not, and is
 * Zhixin's name for it (docs/formats/sm2.md). Which a ledger allows is its suite's (suite.ts).
 */
export const SIGNATURE_ALGORITHMS = ["ed25519", "ecdsa-p256-sha256", "sm2-sm3"] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

export function isSignatureAlgorithm(alg: unknown): alg is SignatureAlgorithm {
  return (SIGNATURE_ALGORITHMS as readonly unknown[]).includes(alg);
}

/** Where a record sits in the batch its department signed. */
export interface BatchPosition {
  /** Records in the batch (1..100). */
  size: number;
  /** This record's position, 0-based. */
  index: number;
  /** Hex RFC 6962 root over the batch's record hashes — the signed `zhixin-batch-root`. */
  root: string;
  /** Hex inclusion proof of this record hash in `root`, deepest first. */
  path: string[];
}

export interface EntryEnvelope {
  v: 1;
  /** Entry id: 32 lowercase hex digits, see entryIdFor. */
  id: string;
  /** Writing department. */
  dept: string;
  /** Record type, e.g. housing-fund.deposit-certificate. */
  type: string;
  /** Hex SHA-256 of JCS(record data). */
  contentDigest: string;
  /** Department key that signed the request. */
  keyId: string;
  alg: SignatureAlgorithm;
  /** RFC 9421 signature base text, exactly as signed. */
  signatureBase: string;
  /** Base64 signature over signatureBase (Ed25519: 64 bytes; ECDSA P-256: r||s, 64 bytes). */
  signature: string;
  batch: BatchPosition;
  /** Server receive time, RFC 3339 UTC with milliseconds. */
  receivedAt: string;
}

/**
 * An access entry (docs/FORMATS.md §8): written by the ledger when a consumer asks a
 * match question (answered or refused). Its evidence is the consumer's own RFC 9421
 * signature over its `POST /v1/match` request; its content — who asked under which
 * contract version, the subject's HMAC, the fields tested or returned, the result — is
 * the payload bound by `contentDigest`, exactly as a record's data is. It has no `batch`:
 * the consumer signed a request, not a batch root. `kind` keeps its leaf bytes apart
 * from record entries, whose v1 bytes never carry a `kind`.
 */
export interface AccessEnvelope {
  v: 1;
  kind: "access";
  id: string;
  /** The department that asked (the consumer). */
  dept: string;
  type: typeof ACCESS_TYPE;
  /** Hex SHA-256 of JCS(access details) — the stored payload. */
  contentDigest: string;
  keyId: string;
  alg: SignatureAlgorithm;
  /** The consumer's RFC 9421 signature base over its POST /v1/match request. */
  signatureBase: string;
  signature: string;
  receivedAt: string;
}

/** Every leaf of the log is one of these. */
export type LedgerEnvelope = EntryEnvelope | AccessEnvelope;

export function isAccessEnvelope(envelope: LedgerEnvelope): envelope is AccessEnvelope {
  return (envelope as { kind?: unknown }).kind === "access";
}

/** An entry's position in the batch item that holds it: access entries are alone in theirs. */
export function batchIndexOf(envelope: LedgerEnvelope): number {
  return isAccessEnvelope(envelope) ? 0 : envelope.batch.index;
}

/** Fields of both kinds of envelope; a record's adds `batch`, an access entry's `kind`. */
const COMMON_KEYS = [
  "v",
  "id",
  "dept",
  "type",
  "contentDigest",
  "keyId",
  "alg",
  "signatureBase",
  "signature",
  "receivedAt",
] as const;
const ENVELOPE_KEYS = [...COMMON_KEYS, "batch"] as const;
const ACCESS_KEYS = [...COMMON_KEYS, "kind"] as const;
const ENTRY_ID = /^[0-9a-f]{32}$/;

/** Hex H of the record data's canonical JSON (H: the suite's hash). */
export function contentDigest(suite: CryptoSuite, data: JsonValue): string {
  return toHex(suite.hash(canonicalBytes(data)));
}

/** The leaf a department's batch root is built from. */
export function recordHash(suite: CryptoSuite, type: string, digest: string): Uint8Array {
  return suite.hashLeaf(utf8(RECORD_LEAF_TAG + canonicalJson({ contentDigest: digest, type })));
}

/**
 * The batch root a request signs (zhixin-batch-root, FORMATS.md §2): the RFC 6962 root over
 * each record's recordHash(type, contentDigest(data)), in request order.
 */
export function batchRootOf(
  suite: CryptoSuite,
  records: readonly { type: string; data: JsonValue }[],
): Uint8Array {
  return rootFromLeafHashes(
    suite,
    records.map((r) => recordHash(suite, r.type, contentDigest(suite, r.data))),
  );
}

export function entryLeafData(envelope: LedgerEnvelope): Uint8Array {
  const tag = isAccessEnvelope(envelope) ? ACCESS_LEAF_TAG : ENTRY_LEAF_TAG;
  return utf8(tag + canonicalJson(envelope as unknown as JsonValue));
}

export function entryLeafHash(suite: CryptoSuite, envelope: LedgerEnvelope): Uint8Array {
  return suite.hashLeaf(entryLeafData(envelope));
}

/**
 * Entry ids are derived, not random, so that a retried write of the same request
 * lands on the same items (idempotent) and a client can predict its receipt:
 *   id = hex(H("zhixin/entry-id/v1\n" || JCS({index, keyId, nonce, recordHash}))[0:16])
 */
export function entryIdFor(
  suite: CryptoSuite,
  keyId: string,
  nonce: string,
  index: number,
  record: Uint8Array,
): string {
  const digest = suite.hash(
    utf8(ENTRY_ID_TAG + canonicalJson({ index, keyId, nonce, recordHash: toHex(record) })),
  );
  return toHex(digest.subarray(0, 16));
}

/**
 * An access entry's id, derived from the request that caused it and what it records:
 *   id = hex(H("zhixin/entry-id/v1\n" || JCS({contentDigest, keyId, kind: "access", nonce}))[0:16])
 * As with records, the same id always means the same content, so a replayed request
 * (refused by the (keyId, nonce) guard) can never overwrite the original's payload.
 * Record ids hash an object with other members, so the two can never collide.
 */
export function accessEntryIdFor(suite: CryptoSuite, keyId: string, nonce: string, digest: string): string {
  return toHex(
    suite
      .hash(utf8(ENTRY_ID_TAG + canonicalJson({ contentDigest: digest, keyId, kind: "access", nonce })))
      .subarray(0, 16),
  );
}

/** Strict parse of a stored or exported envelope of either kind. Throws INVALID_FORMAT naming the field. */
export function parseEntryEnvelope(value: unknown): LedgerEnvelope {
  const o = asObject(value, "envelope");
  if (o.kind !== undefined) return parseAccessEnvelope(o);
  requireExactKeys(o, ENVELOPE_KEYS, "envelope");
  if (o.v !== ENVELOPE_VERSION)
    throw new ChainError("INVALID_FORMAT", `envelope.v must be ${ENVELOPE_VERSION}`);
  const alg = parseAlg(o);
  const signature = parseSignature(o);
  const b = asObject(o.batch, "envelope.batch");
  requireExactKeys(b, ["size", "index", "root", "path"], "envelope.batch");
  const size = requireInteger(b, "size", "envelope.batch", 1);
  const index = requireInteger(b, "index", "envelope.batch");
  if (index >= size) throw new ChainError("INVALID_FORMAT", "envelope.batch.index must be below its size");
  const root = requireString(b, "root", "envelope.batch", HEX32);
  if (!Array.isArray(b.path) || !b.path.every((h) => typeof h === "string" && HEX32.test(h))) {
    throw new ChainError("INVALID_FORMAT", "envelope.batch.path must be an array of 64-digit hex hashes");
  }
  return {
    v: ENVELOPE_VERSION,
    id: requireString(o, "id", "envelope", ENTRY_ID),
    dept: requireString(o, "dept", "envelope", IDENTIFIER),
    type: requireString(o, "type", "envelope", IDENTIFIER),
    contentDigest: requireString(o, "contentDigest", "envelope", HEX32),
    keyId: requireString(o, "keyId", "envelope", IDENTIFIER),
    alg,
    signatureBase: requireString(o, "signatureBase", "envelope"),
    signature,
    batch: { size, index, root, path: (b.path as string[]).slice() },
    receivedAt: requireString(o, "receivedAt", "envelope", TIMESTAMP),
  };
}

function parseAccessEnvelope(o: Record<string, unknown>): AccessEnvelope {
  requireExactKeys(o, ACCESS_KEYS, "envelope");
  if (o.kind !== "access")
    throw new ChainError("INVALID_FORMAT", 'envelope.kind must be "access" when present');
  if (o.v !== ENVELOPE_VERSION)
    throw new ChainError("INVALID_FORMAT", `envelope.v must be ${ENVELOPE_VERSION}`);
  if (o.type !== ACCESS_TYPE)
    throw new ChainError("INVALID_FORMAT", `envelope.type of an access entry must be ${ACCESS_TYPE}`);
  return {
    v: ENVELOPE_VERSION,
    kind: "access",
    id: requireString(o, "id", "envelope", ENTRY_ID),
    dept: requireString(o, "dept", "envelope", IDENTIFIER),
    type: ACCESS_TYPE,
    contentDigest: requireString(o, "contentDigest", "envelope", HEX32),
    keyId: requireString(o, "keyId", "envelope", IDENTIFIER),
    alg: parseAlg(o),
    signatureBase: requireString(o, "signatureBase", "envelope"),
    signature: parseSignature(o),
    receivedAt: requireString(o, "receivedAt", "envelope", TIMESTAMP),
  };
}

function parseAlg(o: Record<string, unknown>): SignatureAlgorithm {
  const alg = requireString(o, "alg", "envelope");
  if (!isSignatureAlgorithm(alg)) {
    throw new ChainError(
      "INVALID_FORMAT",
      `envelope.alg ${alg} is not one of ${SIGNATURE_ALGORITHMS.join(", ")}`,
    );
  }
  return alg;
}

function parseSignature(o: Record<string, unknown>): string {
  const signature = requireString(o, "signature", "envelope");
  try {
    fromBase64(signature);
  } catch {
    throw new ChainError("INVALID_FORMAT", "envelope.signature must be base64");
  }
  return signature;
}

// Every entry of a batch carries the same signature base, and audits walk entries in
// batch order: remembering the last parse saves re-parsing it for each sibling. The
// parse is a pure function of the text, so the cache cannot change a result.
let lastBase: { text: string; parsed: ReturnType<typeof parseSignatureBase> } | undefined;
function parseSignatureBaseCached(text: string): ReturnType<typeof parseSignatureBase> {
  if (lastBase?.text !== text) lastBase = { text, parsed: parseSignatureBase(text) };
  return lastBase.parsed;
}

/** The header a department signs over its batch root, and its RFC 8941 byte-sequence value. */
export const BATCH_ROOT_HEADER = "zhixin-batch-root";
export const DEPARTMENT_HEADER = "zhixin-department";

export function batchRootHeaderValue(root: Uint8Array): string {
  return `:${toBase64(root)}:`;
}

/**
 * Checks that an envelope is internally consistent, before any signature check:
 * its record hash is at `batch.index` under `batch.root`, and its signature base is a
 * submit request (POST /v1/entries) by `dept` with `keyId`/`alg`, covering that root.
 * Throws ChainError: ROOT_MISMATCH / INVALID_PROOF_SIZE for the batch path, INVALID_FORMAT
 * for the signature base.
 */
export function checkEnvelopeBinding(suite: CryptoSuite, envelope: LedgerEnvelope): void {
  if (isAccessEnvelope(envelope)) {
    checkRequestBinding(envelope, [
      ["@method", "POST"],
      ["@path", MATCH_PATH],
      [DEPARTMENT_HEADER, envelope.dept],
    ]);
    // The id is derived from the signed request's (keyid, nonce): one access entry per request.
    if (
      accessEntryIdFor(suite, envelope.keyId, signedNonce(envelope), envelope.contentDigest) !== envelope.id
    ) {
      throw new ChainError(
        "INVALID_FORMAT",
        "access entry id is not derived from the signed request's keyid and nonce",
      );
    }
    return;
  }
  const { batch } = envelope;
  const record = recordHash(suite, envelope.type, envelope.contentDigest);
  verifyInclusion(suite, record, batch.index, batch.size, batch.path.map(fromHex), fromHex(batch.root));
  checkRequestBinding(envelope, [
    ["@method", "POST"],
    ["@path", "/v1/entries"],
    [DEPARTMENT_HEADER, envelope.dept],
    [BATCH_ROOT_HEADER, batchRootHeaderValue(fromHex(batch.root))],
  ]);
  // The id is derived from the signed request and the record's place in it, so a copy of
  // the record under another id is not bound to any request.
  if (entryIdFor(suite, envelope.keyId, signedNonce(envelope), batch.index, record) !== envelope.id) {
    throw new ChainError(
      "INVALID_FORMAT",
      "record entry id is not derived from the signed request's keyid and nonce, its batch index and record hash",
    );
  }
}

/**
 * The `nonce` of the envelope's signature base, which names the request: the store keeps
 * the request's entries under the batch key `<keyId>#<nonce>` and refuses a second
 * request with it (docs/STORAGE.md). Throws INVALID_FORMAT if it is missing or not of
 * the form the API accepts (NONCE).
 */
export function signedNonce(envelope: LedgerEnvelope): string {
  const nonce = parseSignatureBaseCached(envelope.signatureBase).params.nonce;
  if (nonce === undefined || !NONCE.test(nonce)) {
    throw new ChainError(
      "INVALID_FORMAT",
      "signature base has no nonce of 16..128 characters of [A-Za-z0-9_-]",
    );
  }
  return nonce;
}

/**
 * The key under which the store keeps a request's batch: `<keyId>#<nonce>`
 * (docs/STORAGE.md). Submit, match and the store build it from the request; the audit
 * from an envelope (batchKeyOf). One batch per (key, nonce), ever: the replay guard.
 */
export function batchKeyFor(keyId: string, nonce: string): string {
  return `${keyId}#${nonce}`;
}

/** The batch key of the request that made `envelope`: batchKeyFor(keyId, signed nonce). */
export function batchKeyOf(envelope: LedgerEnvelope): string {
  return batchKeyFor(envelope.keyId, signedNonce(envelope));
}

/** The signature base names these component values, covers the body's digest, and this key and alg. */
function checkRequestBinding(envelope: LedgerEnvelope, want: ReadonlyArray<[string, string]>): void {
  const base = parseSignatureBaseCached(envelope.signatureBase);
  const component = new Map(base.components);
  for (const [id, value] of want) {
    if (component.get(id) !== value) {
      throw new ChainError(
        "INVALID_FORMAT",
        `signature base ${id} is ${JSON.stringify(component.get(id) ?? null)}, want ${JSON.stringify(value)}`,
      );
    }
  }
  if (!component.has("content-digest"))
    throw new ChainError("INVALID_FORMAT", "signature base does not cover content-digest");
  if (base.params.keyid !== envelope.keyId)
    throw new ChainError("INVALID_FORMAT", "signature base keyid differs from envelope.keyId");
  if (base.params.alg !== envelope.alg)
    throw new ChainError("INVALID_FORMAT", "signature base alg differs from envelope.alg");
}
