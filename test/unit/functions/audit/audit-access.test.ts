import { describe, expect, it } from "vitest";
import type { CryptoSuite, JsonValue } from "#chain";
import { AccessAudit } from "../../../../functions/audit/audit-access.js";
import { GM, INTL } from "../../../../lib/chain/index.js";
import { type ContractDocument, contractVersion } from "../../../../lib/protocol/contracts.js";
import { makeAccessEntry, makeConsumer, type StoredEntry } from "../../../support/access-fixture.js";
import { makeBatch, makeKeys } from "../../../support/chain-fixture.js";

// AccessAudit (functions/audit/audit-access.ts): each answered access entry's contract
// version must be in effect — for its consumer, provider and type — by the contract
// records received before it, whichever block they were sealed in.

const T0 = Date.parse("2026-06-01T00:00:00.000Z");
const keys = makeKeys(); // signs as hf-haikou, the provider
const consumer = makeConsumer(); // tax-haikou
const asConsumer = { ...keys, dept: { ...keys.dept, id: consumer.id, keyId: consumer.keyId } };
const DOC: ContractDocument = {
  id: "hf-to-tax-deposits",
  provider: "hf-haikou",
  consumer: consumer.id,
  type: "housing-fund.deposit-certificate",
  purpose: "tax checks deposits",
  share: "unconditional",
  match: ["months"],
  validFrom: "2026-01-01T00:00:00Z",
  validUntil: "2027-01-01T00:00:00Z",
  rateLimit: { perMinute: 60 },
};
const VERSION = contractVersion(INTL, DOC);

function record(k: typeof keys, type: string, data: unknown, nonce: string, at: number): StoredEntry {
  const batch = makeBatch(k, [{ type, data: data as JsonValue }], nonce, at);
  return { envelope: batch.envelopes[0] as StoredEntry["envelope"], payload: batch.payloads[0] as string };
}
const propose = record(keys, "zhixin.contract.propose", DOC, "propose-nonce-0001", T0 + 1_000);
const approve = record(
  asConsumer,
  "zhixin.contract.approve",
  { contractId: DOC.id, version: VERSION },
  "approve-nonce-0001",
  T0 + 2_000,
);
const revoke = record(
  keys,
  "zhixin.contract.revoke",
  { contractId: DOC.id, reason: "ended" },
  "revoke-nonce-00001",
  T0 + 5_000,
);

/** An answered question under `suite` (its H names the contract version and digests the payload). */
function answer(at: number, nonce: string, over: Record<string, unknown> = {}, suite: CryptoSuite = INTL) {
  return makeAccessEntry(
    consumer,
    {
      contract: DOC.id,
      version: contractVersion(suite, DOC),
      provider: DOC.provider,
      type: DOC.type,
      subjectHmac: "cd".repeat(32),
      want: "match",
      fieldsTested: ["months"],
      fieldsReturned: [],
      result: "match",
      ...over,
    } as JsonValue,
    nonce,
    at,
    suite,
  );
}

function run(blocks: StoredEntry[][], suite: CryptoSuite = INTL) {
  const audit = new AccessAudit(suite);
  let first = 0;
  blocks.forEach((entries, h) => {
    audit.observe(h + 1, first, entries);
    first += entries.length;
  });
  return audit.finish();
}

describe("AccessAudit", () => {
  it("an answer after both signatures passes, even when the records are sealed after it", async () => {
    const a = await answer(T0 + 3_000, "answer-nonce-00001");
    expect(run([[propose, approve, a]])).toEqual([]);
    expect(run([[a], [propose], [approve]])).toEqual([]);
  });

  it("refusals are not checked: they need no contract", async () => {
    const refused = await answer(T0 + 500, "refused-nonce-0001", {
      result: "refused",
      refusal: "CONTRACT_NOT_FOUND",
    });
    expect(run([[refused]])).toEqual([]);
  });

  it.each([
    ["before the approval", T0 + 1_500, {}, /^not in effect: proposed but not approved/],
    ["after the revoke", T0 + 6_000, {}, /^not in effect: revoked at /],
    ["before any contract record", T0, {}, /^no such contract/],
    [
      "naming another version",
      T0 + 3_000,
      { version: "ef".repeat(32) },
      /^version [0-9a-f]{64} was in effect$/,
    ],
    [
      "for another provider's records",
      T0 + 3_000,
      { provider: "hf-sanya" },
      /^the contract is for hf-haikou/,
    ],
    [
      "for another type",
      T0 + 3_000,
      { type: "housing-fund.blacklist" },
      /^the contract is for hf-haikou's housing-fund.deposit-certificate$/,
    ],
  ])("an answer %s is ACCESS_CONTRACT_MISMATCH", async (_what, at, over, found) => {
    const a = await answer(at, "bad-answer-nonce01", over);
    const findings = run([[propose, approve, revoke], [a]]);
    expect(findings).toEqual([
      expect.objectContaining({
        code: "ACCESS_CONTRACT_MISMATCH",
        entryId: a.envelope.id,
        height: 2,
        entryIndex: 3,
      }),
    ]);
    expect(findings[0]?.found).toMatch(found);
  });

  it("a contract record whose stored payload does not match its contentDigest is not folded", async () => {
    // The department approved a version nobody proposed; the operator rewrites the stored
    // payload to approve the one it answered under. PAYLOAD_DIGEST_MISMATCH names the
    // payload (verifyBlocks); the answer must still have no approval to stand on.
    const real = record(
      asConsumer,
      "zhixin.contract.approve",
      { contractId: DOC.id, version: "ef".repeat(32) },
      "approve-nonce-0002",
      T0 + 2_000,
    );
    const forged = { ...real, payload: approve.payload };
    const a = await answer(T0 + 3_000, "answer-nonce-00002");
    expect(run([[propose, forged, a]]).map((f) => f.code)).toEqual(["ACCESS_CONTRACT_MISMATCH"]);
  });

  it("an answer to a department that is not the consumer is ACCESS_CONTRACT_MISMATCH", async () => {
    const other = makeConsumer("hf-sanya", "hf-sanya-1");
    const details = {
      contract: DOC.id,
      version: VERSION,
      provider: DOC.provider,
      type: DOC.type,
      subjectHmac: "cd".repeat(32),
      want: "match",
      fieldsTested: [],
      fieldsReturned: [],
      result: "no-match",
    };
    const a = await makeAccessEntry(other, details, "other-nonce-000001", T0 + 3_000);
    expect(run([[propose, approve, a]]).map((f) => f.found)).toEqual(["hf-sanya is not the consumer"]);
  });
});

describe("AccessAudit under gm: contract and access payloads digested with SM3", () => {
  const gmKeys = makeKeys(GM);
  const gmAsConsumer = { ...gmKeys, dept: { ...gmKeys.dept, id: consumer.id, keyId: consumer.keyId } };
  const gmVersion = contractVersion(GM, DOC);
  const gmPropose = record(gmKeys, "zhixin.contract.propose", DOC, "gm-propose-nonce01", T0 + 1_000);
  const gmApprove = record(
    gmAsConsumer,
    "zhixin.contract.approve",
    { contractId: DOC.id, version: gmVersion },
    "gm-approve-nonce01",
    T0 + 2_000,
  );
  const gmAnswer = (at: number, nonce: string) => answer(at, nonce, {}, GM);

  it("folds the contract records and judges the answers, as under intl", async () => {
    const ok = await gmAnswer(T0 + 3_000, "gm-answer-nonce001");
    expect(run([[gmPropose, gmApprove, ok]], GM)).toEqual([]);
    // Were the SM3 payloads not folded, this answer would pass unjudged; it is found.
    const early = await gmAnswer(T0 + 1_500, "gm-answer-nonce002");
    expect(run([[gmPropose, gmApprove], [early]], GM).map((f) => [f.code, f.found])).toEqual([
      ["ACCESS_CONTRACT_MISMATCH", expect.stringMatching(/^not in effect: proposed but not approved/)],
    ]);
  });
});
