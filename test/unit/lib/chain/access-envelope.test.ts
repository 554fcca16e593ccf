import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ACCESS_LEAF_TAG,
  ACCESS_TYPE,
  type AccessEnvelope,
  accessEntryIdFor,
  batchIndexOf,
  canonicalJson,
  checkEnvelopeBinding,
  ENTRY_LEAF_TAG,
  type EntryEnvelope,
  entryLeafData,
  entryLeafHash,
  INTL,
  isAccessEnvelope,
  type LedgerEnvelope,
  MATCH_PATH,
  parseEntryEnvelope,
  parseSignatureBase,
  toHex,
} from "#chain";
import { accessDetails, makeAccessEntry, makeConsumer } from "../../../support/access-fixture.js";
import { expectChainError } from "../../../support/chain-errors.js";
import example from "../../../vectors/formats/example.json" with { type: "json" };

// Access entries (docs/FORMATS.md §8): the second leaf kind. Ids and leaf bytes are
// recomputed here with node:crypto from hand-written canonical JSON, not with lib/chain.

const consumer = makeConsumer();
const T = Date.parse("2026-11-21T09:30:00.000Z");
const NONCE = "match-nonce-0123456789abcdef";
const entry = await makeAccessEntry(consumer, accessDetails("460100199001011234", "match"), NONCE, T);
const access: AccessEnvelope = entry.envelope;
const record = example.envelopes[1]?.envelope as EntryEnvelope;

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest();

describe("the fixture's access envelope", () => {
  it("is what the API writes for a verified POST /v1/match request", () => {
    const base = parseSignatureBase(access.signatureBase);
    expect(new Map(base.components).get("@path")).toBe(MATCH_PATH);
    expect(base.params).toMatchObject({ keyid: consumer.keyId, alg: "ed25519", nonce: NONCE });
    expect(access).toMatchObject({ v: 1, kind: "access", type: ACCESS_TYPE, dept: consumer.id });
    expect(access.contentDigest).toBe(sha256(entry.payload).toString("hex"));
  });
});

describe("accessEntryIdFor", () => {
  const digest = "0f".repeat(32);
  const independent = (keyId: string, nonce: string, d: string) =>
    sha256(
      `zhixin/entry-id/v1\n{"contentDigest":"${d}","keyId":"${keyId}","kind":"access","nonce":"${nonce}"}`,
    )
      .subarray(0, 16)
      .toString("hex");

  it("is the first 16 bytes of SHA-256 over the tagged JCS of {contentDigest, keyId, kind, nonce}", () => {
    expect(accessEntryIdFor(INTL, "tax-haikou-1", NONCE, digest)).toBe(
      independent("tax-haikou-1", NONCE, digest),
    );
    expect(accessEntryIdFor(INTL, "tax-haikou-1", NONCE, digest)).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each([
    ["keyId", () => accessEntryIdFor(INTL, "tax-haikou-2", NONCE, digest)],
    ["nonce", () => accessEntryIdFor(INTL, "tax-haikou-1", `${NONCE}x`, digest)],
    ["contentDigest", () => accessEntryIdFor(INTL, "tax-haikou-1", NONCE, "0e".repeat(32))],
  ])("changes when %s changes", (_, other) => {
    expect(other()).not.toBe(accessEntryIdFor(INTL, "tax-haikou-1", NONCE, digest));
  });

  it("the fixture's id is derived from its request's keyid and nonce and its digest", () => {
    expect(access.id).toBe(independent(consumer.keyId, NONCE, access.contentDigest));
  });
});

describe("isAccessEnvelope and batchIndexOf", () => {
  it("tell the kinds apart by `kind`", () => {
    expect(isAccessEnvelope(access)).toBe(true);
    expect(isAccessEnvelope(record)).toBe(false);
  });

  it("an access entry is alone in its batch item; a record sits at its batch index", () => {
    expect(batchIndexOf(access)).toBe(0);
    expect(record.batch.index).toBe(1);
    expect(batchIndexOf(record)).toBe(1);
  });
});

describe("entryLeafData and entryLeafHash", () => {
  it("access leaves are the access tag and the envelope's canonical JSON", () => {
    const text = new TextDecoder().decode(entryLeafData(access));
    expect(ACCESS_LEAF_TAG).toBe("zhixin/access/v1\n");
    expect(text.startsWith(`zhixin/access/v1\n{"alg":"ed25519","contentDigest":"`)).toBe(true);
    expect(text).toBe(ACCESS_LEAF_TAG + canonicalJson(access as never));
    expect(toHex(entryLeafHash(INTL, access))).toBe(
      sha256(Buffer.concat([Buffer.from([0]), Buffer.from(text)])).toString("hex"),
    );
  });

  it("record leaves keep the v1 entry tag", () => {
    const text = new TextDecoder().decode(entryLeafData(record));
    expect(ENTRY_LEAF_TAG).toBe("zhixin/entry/v1\n");
    expect(text).toBe(example.envelopes[1]?.leafData);
  });

  it("the tag follows `kind`: the same members under the other tag hash to another leaf", () => {
    const asRecordBytes = Buffer.from(ENTRY_LEAF_TAG + canonicalJson(access as never));
    expect(toHex(entryLeafHash(INTL, access))).not.toBe(
      sha256(Buffer.concat([Buffer.from([0]), asRecordBytes])).toString("hex"),
    );
  });
});

describe("parseEntryEnvelope on access envelopes", () => {
  it("accepts one and returns an equal, separate object", () => {
    const input = structuredClone(access);
    const parsed = parseEntryEnvelope(input);
    expect(parsed).toEqual(access);
    expect(parsed).not.toBe(input);
    expect(isAccessEnvelope(parsed)).toBe(true);
  });

  it("accepts an ECDSA P-256 access envelope", () => {
    expect(parseEntryEnvelope({ ...access, alg: "ecdsa-p256-sha256" })).toMatchObject({
      alg: "ecdsa-p256-sha256",
    });
  });

  // Each case says what is wrong; every one must be INVALID_FORMAT (ENVELOPE_INVALID in an audit).
  const cases: Array<[string, (e: Record<string, unknown>) => unknown]> = [
    ["kind of another value", (e) => ({ ...e, kind: "record" })],
    ["kind null", (e) => ({ ...e, kind: null })],
    ["kind of a record envelope that has a batch", () => ({ ...record, kind: "access" })],
    ["a batch beside kind", (e) => ({ ...e, batch: record.batch })],
    ["no kind (then it must be a record, and has no batch)", ({ kind: _, ...e }) => e],
    ["an unknown field", (e) => ({ ...e, extra: 1 })],
    ["version 2", (e) => ({ ...e, v: 2 })],
    ["version as a string", (e) => ({ ...e, v: "1" })],
    ["no version", ({ v: _, ...e }) => e],
    ["a record type", (e) => ({ ...e, type: "housing-fund.deposit-certificate" })],
    ["no type", ({ type: _, ...e }) => e],
    ["an id of 31 digits", (e) => ({ ...e, id: (e.id as string).slice(1) })],
    ["an id in uppercase", (e) => ({ ...e, id: (e.id as string).toUpperCase() })],
    ["no id", ({ id: _, ...e }) => e],
    ["a department with a space", (e) => ({ ...e, dept: "tax haikou" })],
    ["an empty department", (e) => ({ ...e, dept: "" })],
    ["a key id with a space", (e) => ({ ...e, keyId: "tax haikou-1" })],
    ["a key id that is a number", (e) => ({ ...e, keyId: 1 })],
    ["a digest in uppercase", (e) => ({ ...e, contentDigest: (e.contentDigest as string).toUpperCase() })],
    ["a digest of 63 digits", (e) => ({ ...e, contentDigest: (e.contentDigest as string).slice(1) })],
    ["a receive time without milliseconds", (e) => ({ ...e, receivedAt: "2026-11-21T09:30:00Z" })],
    ["a receive time with an offset", (e) => ({ ...e, receivedAt: "2026-11-21T17:30:00.000+08:00" })],
    ["an unknown algorithm", (e) => ({ ...e, alg: "rsa-pss-sha512" })],
    ["no algorithm", ({ alg: _, ...e }) => e],
    ["a signature that is not base64", (e) => ({ ...e, signature: "not base64!" })],
    ["a signature that is not a string", (e) => ({ ...e, signature: [1, 2] })],
    ["an empty signature base", (e) => ({ ...e, signatureBase: "" })],
    ["a signature base that is not a string", (e) => ({ ...e, signatureBase: { text: "x" } })],
  ];
  it.each(cases)("rejects %s", (_, mutate) => {
    const input = mutate(structuredClone(access) as unknown as Record<string, unknown>);
    expectChainError(() => parseEntryEnvelope(input), "INVALID_FORMAT");
  });

  it("still parses record envelopes, which have no kind", () => {
    expect(isAccessEnvelope(parseEntryEnvelope(structuredClone(record)))).toBe(false);
  });
});

describe("checkEnvelopeBinding on access envelopes", () => {
  const base = access.signatureBase;

  it("accepts the API's access envelope", () => {
    expect(() => checkEnvelopeBinding(INTL, access)).not.toThrow();
  });

  // Each mutation breaks exactly one binding; all are INVALID_FORMAT (SIGNATURE_BASE_INVALID in an audit).
  const cases: Array<[string, (e: AccessEnvelope) => LedgerEnvelope]> = [
    ["a GET request", (e) => ({ ...e, signatureBase: base.replace('"@method": POST', '"@method": GET') })],
    [
      "a submit request (POST /v1/entries)",
      (e) => ({ ...e, signatureBase: base.replace('"@path": /v1/match', '"@path": /v1/entries') }),
    ],
    [
      "a request to a longer path",
      (e) => ({ ...e, signatureBase: base.replace('"@path": /v1/match', '"@path": /v1/match/x') }),
    ],
    ["a request by another department than envelope.dept", (e) => ({ ...e, dept: "hf-haikou" })],
    [
      "a base that does not cover zhixin-department",
      (e) => ({
        ...e,
        signatureBase: base.replace(/"zhixin-department": [^\n]*\n/, "").replace(' "zhixin-department"', ""),
      }),
    ],
    [
      "a base that does not cover content-digest",
      (e) => ({
        ...e,
        signatureBase: base
          .replace(/"content-digest": [^\n]*\n/, "")
          .replace('"@path" "content-digest"', '"@path"'),
      }),
    ],
    ["a base whose keyid is not envelope.keyId", (e) => ({ ...e, keyId: "tax-haikou-2" })],
    ["a base whose alg is not envelope.alg", (e) => ({ ...e, alg: "ecdsa-p256-sha256" })],
    ["a base without a nonce", (e) => ({ ...e, signatureBase: base.replace(`;nonce="${NONCE}"`, "") })],
    ["an id that is not derived at all", (e) => ({ ...e, id: "0".repeat(32) })],
    [
      "an id derived from another nonce",
      (e) => ({ ...e, id: accessEntryIdFor(INTL, e.keyId, `${NONCE}x`, e.contentDigest) }),
    ],
    [
      "an id derived from another key",
      (e) => ({ ...e, id: accessEntryIdFor(INTL, "tax-haikou-2", NONCE, e.contentDigest) }),
    ],
    ["a contentDigest the id was not derived from", (e) => ({ ...e, contentDigest: "ab".repeat(32) })],
    ["a signature base that does not parse", (e) => ({ ...e, signatureBase: "not a signature base" })],
    [
      "a record batch's signature base",
      (e) => ({ ...e, signatureBase: record.signatureBase, keyId: record.keyId, dept: record.dept }),
    ],
  ];
  it.each(cases)("rejects %s", (_, mutate) => {
    expectChainError(() => checkEnvelopeBinding(INTL, mutate(structuredClone(access))), "INVALID_FORMAT");
  });

  it("binds a record envelope to POST /v1/entries, never /v1/match", () => {
    const matchBase = record.signatureBase.replace('"@path": /v1/entries', '"@path": /v1/match');
    expectChainError(
      () => checkEnvelopeBinding(INTL, { ...record, signatureBase: matchBase }),
      "INVALID_FORMAT",
    );
  });
});
