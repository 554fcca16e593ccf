import { describe, expect, it } from "vitest";
import { COSIGN_TYPE, cosignRule } from "../../../../functions/rules/cosign.js";
import { uniqueKeyFor } from "../../../../functions/rules/unique-keys.js";
import { INTL } from "../../../../lib/chain/index.js";
import { batchOf, envelope, MemoryRuleStore, SUBJECT_KEY, testConsortium } from "./fixtures.js";

// The cosign rule (functions/rules/cosign.ts): a zhixin.cosign names a committed entry of
// a type with signers; it asks a claim on (entry, department) and a mark under the entry.

const consortium = testConsortium();
const TARGET = "1".repeat(32);
const DIGEST = "d".repeat(64);

function ledger(): MemoryRuleStore {
  const store = new MemoryRuleStore();
  store.commit("hf-haikou/key-1#nonce-0000000000", [
    envelope({ id: TARGET, dept: "hf-haikou", type: "fund.transfer", contentDigest: DIGEST }),
  ]);
  return store;
}
const deps = (store = ledger()) => ({ store, consortium, subjectKey: SUBJECT_KEY });
const cosign = (entryId: string, contentDigest = DIGEST) => ({
  type: COSIGN_TYPE,
  data: { entryId, contentDigest },
});

describe("cosignRule", () => {
  it("owns zhixin.cosign only", () => {
    expect(cosignRule.ownsType?.(COSIGN_TYPE)).toBe(true);
    expect(cosignRule.ownsType?.("fund.transfer")).toBe(false);
  });

  it("asks a claim on (entry, department) and a mark under the entry; a held claim is COSIGN_DUPLICATE", async () => {
    const batch = batchOf("hf-sanya", [{ type: "housing-fund.blacklist", data: {} }, cosign(TARGET)]);
    const effects = await cosignRule.apply?.(batch, deps());
    const entryId = batch.entryIds[1] as string;
    expect(effects?.claims?.map((w) => [w.index, w.claim])).toEqual([
      [
        1,
        {
          key: uniqueKeyFor(INTL, SUBJECT_KEY, COSIGN_TYPE, [TARGET, "hf-sanya"]),
          batchKey: batch.batchKey,
          entryId,
          claimedAt: batch.receivedAt,
        },
      ],
    ]);
    expect(effects?.claims?.[0]?.duplicate?.().code).toBe("COSIGN_DUPLICATE");
    expect(effects?.marks).toEqual([
      { target: TARGET, dept: "hf-sanya", entryId, batchKey: batch.batchKey, receivedAt: batch.receivedAt },
    ]);
  });

  it.each([
    ["data that is not {entryId, contentDigest}", "hf-sanya", [cosign("xyz")], "SCHEMA_VIOLATION"],
    ["an entry not on the ledger", "hf-sanya", [cosign("2".repeat(32))], "COSIGN_TARGET_NOT_FOUND"],
    ["a department that is not a signer", "civil-affairs", [cosign(TARGET)], "COSIGN_NOT_SIGNER"],
    ["another content digest", "hf-sanya", [cosign(TARGET, "e".repeat(64))], "COSIGN_DIGEST_MISMATCH"],
    ["the writer's own", "hf-haikou", [cosign(TARGET)], "COSIGN_DUPLICATE"],
    ["a second in the batch", "hf-sanya", [cosign(TARGET), cosign(TARGET)], "COSIGN_DUPLICATE"],
  ])("refuses %s", async (_, dept, records, code) => {
    await expect(cosignRule.apply?.(batchOf(dept, records), deps())).rejects.toMatchObject({ code });
  });

  it("reads nothing and asks nothing of a batch without cosigns", async () => {
    const store = ledger();
    const effects = await cosignRule.apply?.(
      batchOf("hf-sanya", [{ type: "x.note", data: {} }]),
      deps(store),
    );
    expect(effects).toEqual({ claims: [], marks: [] });
    expect(store.reads).toEqual([]);
  });
});
