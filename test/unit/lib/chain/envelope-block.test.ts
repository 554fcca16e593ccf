import { describe, expect, it } from "vitest";
import { checkEnvelopeBinding, type EntryEnvelope, INTL, parseBlockHeader, parseEntryEnvelope } from "#chain";
import { expectChainError } from "../../../support/chain-errors.js";
import example from "../../../vectors/formats/example.json" with { type: "json" };

// Strict parsing of stored envelopes and headers: each malformed case says what is
// wrong with it and must be INVALID_FORMAT (a verifier reports it as a finding).

const envelope = example.envelopes[0]?.envelope as EntryEnvelope;
const header = example.header;

const envelopeCases: Array<[string, (e: Record<string, unknown>) => unknown]> = [
  ["not an object", () => "envelope"],
  ["an array", () => [envelope]],
  ["version 2", (e) => ({ ...e, v: 2 })],
  ["an unknown field", (e) => ({ ...e, extra: true })],
  ["an unknown algorithm", (e) => ({ ...e, alg: "rsa-pss-sha512" })],
  ["a signature that is not base64", (e) => ({ ...e, signature: "not base64!" })],
  ["an empty id", (e) => ({ ...e, id: "" })],
  ["an id of the wrong form", (e) => ({ ...e, id: "XYZ" })],
  ["a department with spaces", (e) => ({ ...e, dept: "hf haikou" })],
  ["a digest that is not 64 hex digits", (e) => ({ ...e, contentDigest: "abc" })],
  ["a receive time without milliseconds", (e) => ({ ...e, receivedAt: "2026-11-21T08:00:00Z" })],
  ["batch not an object", (e) => ({ ...e, batch: 3 })],
  ["batch with an unknown field", (e) => ({ ...e, batch: { ...(e.batch as object), extra: 1 } })],
  ["batch size 0", (e) => ({ ...e, batch: { ...(e.batch as object), size: 0 } })],
  ["batch index beyond its size", (e) => ({ ...e, batch: { ...(e.batch as object), index: 2 } })],
  ["a fractional batch index", (e) => ({ ...e, batch: { ...(e.batch as object), index: 0.5 } })],
  ["a batch root of the wrong form", (e) => ({ ...e, batch: { ...(e.batch as object), root: "zz" } })],
  ["a batch path that is not an array", (e) => ({ ...e, batch: { ...(e.batch as object), path: "x" } })],
  ["a batch path with a short hash", (e) => ({ ...e, batch: { ...(e.batch as object), path: ["ab"] } })],
];

const headerCases: Array<[string, (h: Record<string, unknown>) => unknown]> = [
  ["not an object", () => null],
  ["version 2", (h) => ({ ...h, v: 2 })],
  ["an unknown field", (h) => ({ ...h, extra: 1 })],
  ["height 0", (h) => ({ ...h, height: 0 })],
  ["a negative first index", (h) => ({ ...h, first: -1 })],
  ["count 0", (h) => ({ ...h, count: 0, logSize: h.first })],
  ["logSize not first + count", (h) => ({ ...h, logSize: 3 })],
  ["a log name with a space", (h) => ({ ...h, log: "zhixin example" })],
  ["prev of the wrong form", (h) => ({ ...h, prev: "00" })],
  ["a seal time that is not RFC 3339", (h) => ({ ...h, sealedAt: "yesterday" })],
  ["a height that is a string", (h) => ({ ...h, height: "1" })],
];

describe("parseEntryEnvelope", () => {
  it("accepts the worked example and returns an equal envelope", () => {
    expect(parseEntryEnvelope(structuredClone(envelope))).toEqual(envelope);
  });
  it.each(envelopeCases)("rejects %s", (_, mutate) => {
    expectChainError(
      () => parseEntryEnvelope(mutate(structuredClone(envelope) as unknown as Record<string, unknown>)),
      "INVALID_FORMAT",
    );
  });
});

describe("parseBlockHeader", () => {
  it("accepts the worked example", () => {
    expect(parseBlockHeader(structuredClone(header))).toEqual(header);
  });
  it.each(headerCases)("rejects %s", (_, mutate) => {
    expectChainError(
      () => parseBlockHeader(mutate(structuredClone(header) as unknown as Record<string, unknown>)),
      "INVALID_FORMAT",
    );
  });
});

describe("checkEnvelopeBinding", () => {
  it("accepts the worked example", () => {
    expect(() => checkEnvelopeBinding(INTL, envelope)).not.toThrow();
  });
  it("rejects a signature base that does not cover content-digest", () => {
    const base = envelope.signatureBase
      .replace(/"content-digest": [^\n]*\n/, "")
      .replace('"@path" "content-digest"', '"@path"');
    expectChainError(
      () => checkEnvelopeBinding(INTL, { ...envelope, signatureBase: base }),
      "INVALID_FORMAT",
    );
  });
  it("rejects a batch path that does not reach the signed root (ROOT_MISMATCH)", () => {
    const bad = { ...envelope, batch: { ...envelope.batch, path: ["00".repeat(32)] } };
    expect(() => checkEnvelopeBinding(INTL, bad)).toThrow(expect.objectContaining({ code: "ROOT_MISMATCH" }));
  });
});
