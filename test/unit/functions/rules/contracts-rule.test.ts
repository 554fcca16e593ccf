import { describe, expect, it } from "vitest";
import { canonicalJson, type JsonValue } from "#chain";
import { contractsRule } from "../../../../functions/rules/contracts.js";
import { CONTRACT_APPROVE, CONTRACT_PROPOSE, CONTRACT_REVOKE } from "../../../../lib/protocol/contracts.js";
import { contractIndex, partyIndex } from "../../../../lib/store-layout.js";
import { batchOf, envelope, MemoryRuleStore, SUBJECT_KEY, testConsortium } from "./fixtures.js";

// The contracts rule (functions/rules/contracts.ts) as intake applies it: each contract
// record is judged against its contract's state with the batch's earlier records applied,
// and indexed under C#<contractId> (a propose also under P#<party> for each party). The rules of the fold themselves: contracts.test.ts.

const consortium = testConsortium();
const deps = (store = new MemoryRuleStore()) => ({ store, consortium, subjectKey: SUBJECT_KEY });
const doc = {
  id: "hf-to-civil",
  provider: "hf-haikou",
  consumer: "civil-affairs",
  type: "housing-fund.deposit-certificate",
  purpose: "check deposits",
  share: "unconditional",
  match: ["months"],
  validFrom: "2026-01-01T00:00:00Z",
  validUntil: "2027-01-01T00:00:00Z",
  rateLimit: { perMinute: 10 },
};
const propose = { type: CONTRACT_PROPOSE, data: doc };
const revoke = { type: CONTRACT_REVOKE, data: { contractId: doc.id, reason: "ended" } };

describe("contractsRule", () => {
  it("owns the zhixin.contract.* types", () => {
    expect(
      [CONTRACT_PROPOSE, CONTRACT_APPROVE, CONTRACT_REVOKE].every((t) => contractsRule.ownsType?.(t)),
    ).toBe(true);
    expect(contractsRule.ownsType?.("zhixin.cosign")).toBe(false);
  });

  it("indexes each contract record under C#<id>, and a propose under P#<party> of both parties, judging each against the batch's earlier ones", async () => {
    // The revoke is allowed only because the propose before it in the batch is applied.
    const batch = batchOf("hf-haikou", [propose, { type: "x.note", data: {} }, revoke]);
    const effects = await contractsRule.apply?.(batch, deps());
    const proposeAt = {
      entryId: batch.entryIds[0],
      batchKey: batch.batchKey,
      receivedAt: batch.receivedAt,
      position: 0,
    };
    expect(effects?.index).toEqual([
      {
        index: contractIndex(doc.id),
        ...proposeAt,
        attrs: { event: "propose", dept: "hf-haikou", data: canonicalJson(doc as JsonValue) },
      },
      { index: partyIndex("hf-haikou"), ...proposeAt, attrs: { contract: doc.id } },
      { index: partyIndex("civil-affairs"), ...proposeAt, attrs: { contract: doc.id } },
      {
        index: contractIndex(doc.id),
        entryId: batch.entryIds[2],
        batchKey: batch.batchKey,
        receivedAt: batch.receivedAt,
        position: 2,
        attrs: { event: "revoke", dept: "hf-haikou", data: canonicalJson(revoke.data) },
      },
    ]);
  });

  it("refuses a record its contract's state does not allow", async () => {
    await expect(contractsRule.apply?.(batchOf("hf-haikou", [revoke]), deps())).rejects.toMatchObject({
      code: "CONTRACT_NOT_FOUND",
    });
    await expect(contractsRule.apply?.(batchOf("hf-sanya", [propose]), deps())).rejects.toMatchObject({
      code: "CONTRACT_NOT_PARTY",
    });
  });

  it("answers a retry of a committed batch NONCE_REPLAYED, before reading any contract", async () => {
    const store = new MemoryRuleStore();
    const batch = batchOf("hf-haikou", [propose]);
    store.commit(batch.batchKey, [
      envelope({ id: batch.entryIds[0] as string, dept: "hf-haikou", type: CONTRACT_PROPOSE }),
    ]);
    await expect(contractsRule.apply?.(batch, deps(store))).rejects.toMatchObject({ code: "NONCE_REPLAYED" });
    expect(store.reads).toEqual([`getBatchHeads ${batch.batchKey}`]);
  });

  it("reads nothing of a batch without contract records", async () => {
    const store = new MemoryRuleStore();
    expect(
      await contractsRule.apply?.(batchOf("hf-haikou", [{ type: "x.note", data: {} }]), deps(store)),
    ).toEqual({});
    expect(store.reads).toEqual([]);
  });
});
