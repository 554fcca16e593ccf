import { generateKeyPairSync, type KeyObject, verify } from "node:crypto";
import {
  type AccessEnvelope,
  type CryptoSuite,
  canonicalJson,
  contentDigest,
  INTL,
  type JsonValue,
  type SignatureCheck,
  subjectHmac,
  utf8,
  type VerifyBlocksOptions,
} from "#chain";
import { accessEnvelopeFor } from "../../functions/sharing/match.js";
import type { KeyDirectory, PublicKeyRecord } from "../../lib/crypto/key-directory.js";
import { LocalSigner } from "../../lib/crypto/local-signer.js";
import { signRequest, verifyRequest } from "../../lib/http-signature/index.js";
import { type FixtureKeys, LOG, makeBatch, type StoredEntry, sealBlocks } from "./chain-fixture.js";

export { type StoredEntry, sealBlocks };

/**
 * Access entries for tests of the pure verifier, made the way the API makes them: a
 * consumer's client signs a POST /v1/match request (signRequest, LocalSigner, Ed25519),
 * the API authenticates it (verifyRequest) and the ledger writes an AccessEnvelope whose
 * evidence is that request's signature base and signature (functions/sharing/match.ts
 * commitAccess). Plus a sealer for chains that mix access and record entries.
 */

export interface ConsumerKey {
  /** The consumer department. */
  id: string;
  keyId: string;
  signer: LocalSigner;
  publicKey: KeyObject;
  spki: Uint8Array;
}

export function makeConsumer(id = "tax-haikou", keyId = "tax-haikou-1"): ConsumerKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    id,
    keyId,
    signer: new LocalSigner(keyId, privateKey),
    publicKey,
    spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })),
  };
}

export interface AccessEntry extends StoredEntry {
  envelope: AccessEnvelope;
  /** The access details the payload is the canonical JSON of. */
  details: JsonValue;
}

const SUBJECT_KEY = new Uint8Array(32).fill(7);

/** Access details as match.ts records them: names of fields, the subject only as its HMAC. */
export function accessDetails(subject: string, result: "match" | "no-match" | "refused"): JsonValue {
  return {
    contract: "hf-to-tax-deposits",
    version: "ab".repeat(32),
    provider: "hf-haikou",
    type: "housing-fund.deposit-certificate",
    subjectHmac: subjectHmac(INTL, SUBJECT_KEY, subject),
    want: "match",
    fieldsTested: ["months"],
    fieldsReturned: [],
    result,
    ...(result === "refused" ? { refusal: "RATE_LIMITED" } : {}),
  };
}

/**
 * Signs the consumer's match request at `at` (ms) with `nonce`, authenticates it, and
 * returns the access entry for `details`.
 */
export async function makeAccessEntry(
  consumer: ConsumerKey,
  details: JsonValue,
  nonce: string,
  at: number,
  suite: CryptoSuite = INTL,
): Promise<AccessEntry> {
  const body = utf8(
    JSON.stringify({ contract: "hf-to-tax-deposits", subject: "460100199001011234", where: [] }),
  );
  const request = { method: "POST", path: "/v1/match", body };
  const headers = await signRequest({
    ...request,
    signer: consumer.signer,
    department: consumer.id,
    nonce,
    created: Math.floor(at / 1000),
  });
  const caller = verifyRequest(
    { ...request, headers: { ...headers, "content-type": "application/json" } },
    { keys: directoryOf(consumer), now: new Date(at), requireBatchRoot: false, suite },
  );
  // Built as the API builds it; the tests of lib/chain recompute ids and leaves independently.
  const envelope = accessEnvelopeFor(
    suite,
    caller,
    contentDigest(suite, details),
    new Date(at).toISOString(),
  );
  return { envelope, payload: canonicalJson(details), details };
}

function directoryOf(consumer: ConsumerKey): KeyDirectory {
  const record: PublicKeyRecord = {
    keyId: consumer.keyId,
    owner: consumer.id,
    role: "department",
    alg: "ed25519",
    spki: consumer.spki,
    validFrom: "2025-01-01T00:00:00.000Z",
  };
  return { getKey: (id) => (id === record.keyId ? record : undefined), listKeys: () => [record] };
}

const T0 = Date.parse("2026-11-21T08:00:00.000Z");

/**
 * The stored entries of a three-block chain that interleaves both kinds:
 *   block 1: records r0 r1 (one batch), access a0
 *   block 2: access a1, records r2 r3 r4 (one batch), access a2 (a refusal)
 *   block 3: access a3 alone
 */
export async function mixedEntries(keys: FixtureKeys, consumer: ConsumerKey): Promise<StoredEntry[][]> {
  const records = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      type: "housing-fund.deposit-certificate",
      data: { citizen: `46010019900101${String(from + i).padStart(4, "0")}`, months: 12 + from + i },
    }));
  const batch = (from: number, n: number, nonce: string, at: number): StoredEntry[] => {
    const b = makeBatch(keys, records(from, n), nonce, at);
    return b.envelopes.map((envelope, i) => ({ envelope, payload: b.payloads[i] as string }));
  };
  const access = (k: number, result: "match" | "no-match" | "refused") =>
    makeAccessEntry(
      consumer,
      accessDetails(`46010019900101${String(k).padStart(4, "0")}`, result),
      `access-nonce-${k}-0123456789`,
      T0 + 10_000 * (k + 1),
    );
  return [
    [...batch(0, 2, "record-nonce-0-0123456789", T0 + 1_000), await access(0, "match")],
    [
      await access(1, "no-match"),
      ...batch(2, 3, "record-nonce-1-0123456789", T0 + 15_000),
      await access(2, "refused"),
    ],
    [await access(3, "match")],
  ];
}

/**
 * An auditor's signature checks for the fixture's sealer, its record department and the
 * consumer, with the policy of functions/audit/audit.ts: the key must exist, belong to
 * envelope.dept, have envelope.alg, and be valid at receivedAt (the consumer's key
 * until `consumerValidUntil`, when given).
 */
export function mixedVerifyOptions(
  keys: FixtureKeys,
  consumer: ConsumerKey,
  consumerValidUntil?: string,
): VerifyBlocksOptions {
  const departments = new Map<string, { owner: string; publicKey: KeyObject; validUntil?: string }>([
    [keys.dept.keyId, { owner: keys.dept.id, publicKey: keys.dept.publicKey }],
    [consumer.keyId, { owner: consumer.id, publicKey: consumer.publicKey, validUntil: consumerValidUntil }],
  ]);
  return {
    suite: INTL,
    log: LOG,
    verifyHeaderSignature: (message, sig) => {
      if (sig.keyId !== keys.sealer.keyId) return "unknown-key";
      return verify(null, message, keys.sealer.publicKey, Buffer.from(sig.value, "base64"))
        ? "ok"
        : "invalid";
    },
    verifyEntrySignature: (envelope, message, signature): SignatureCheck => {
      const key = departments.get(envelope.keyId);
      if (!key) return "unknown-key";
      if (key.owner !== envelope.dept || envelope.alg !== "ed25519") return "invalid";
      if (key.validUntil !== undefined && envelope.receivedAt >= key.validUntil) return "not-valid";
      return verify(null, message, key.publicKey, signature) ? "ok" : "invalid";
    },
  };
}
