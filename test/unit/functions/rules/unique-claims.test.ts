import { describe, expect, it } from "vitest";
import type { WantedClaim } from "../../../../functions/rules/index.js";
import { takeClaims, uniquenessRule } from "../../../../functions/rules/unique-claims.js";
import { uniqueKeyFor } from "../../../../functions/rules/unique-keys.js";
import type { StoredBatch, UniqueClaim } from "../../../../functions/store/ports.js";
import { INTL } from "../../../../lib/chain/index.js";
import type { Clock } from "../../../../lib/clock.js";
import { ApiError } from "../../../../lib/protocol/errors.js";
import { batchOf, MemoryRuleStore, SUBJECT_KEY, testConsortium } from "./fixtures.js";

// The uniqueness rule (functions/rules/unique-claims.ts): what it asks intake to claim,
// what it refuses before any write, and how takeClaims answers a claim held by a
// committed record. The race with a claim in progress is tested on dynalite
// (test/integration/ledger/unique-crash.test.ts).

const consortium = testConsortium();
const deps = { store: new MemoryRuleStore(), consortium, subjectKey: SUBJECT_KEY };
const invoice = (invoiceNo: string) => ({
  type: "invoice.claim",
  data: { invoiceNo, amount: 1, claimant: "a", claimedAt: "2026-01-01" },
});

async function refusal(records: Array<{ type: string; data: Record<string, unknown> }>) {
  try {
    await uniquenessRule.apply?.(batchOf("service-centre", records), deps);
  } catch (e) {
    return e as ApiError;
  }
  return undefined;
}

describe("uniquenessRule", () => {
  it("asks one claim per record of a type with unique fields, keyed by the values' HMAC", async () => {
    const batch = batchOf("service-centre", [
      invoice("12345678"),
      { type: "audit.db-operation", data: {} },
      invoice("87654321"),
    ]);
    const effects = await uniquenessRule.apply?.(batch, deps);
    expect(effects?.claims?.map((w) => [w.index, w.fields, w.claim])).toEqual([
      [
        0,
        ["invoiceNo"],
        {
          key: uniqueKeyFor(INTL, SUBJECT_KEY, "invoice.claim", ["12345678"]),
          batchKey: batch.batchKey,
          entryId: batch.entryIds[0],
          claimedAt: batch.receivedAt,
        },
      ],
      [
        2,
        ["invoiceNo"],
        {
          key: uniqueKeyFor(INTL, SUBJECT_KEY, "invoice.claim", ["87654321"]),
          batchKey: batch.batchKey,
          entryId: batch.entryIds[2],
          claimedAt: batch.receivedAt,
        },
      ],
    ]);
  });

  it("refuses two records of the batch with the same values, naming both", async () => {
    const e = await refusal([invoice("12345678"), invoice("1"), invoice("12345678")]);
    expect(e?.code).toBe("DUPLICATE_RECORD");
    expect(e?.details).toMatchObject({ index: 2, sameAs: 0 });
  });

  it("refuses a record without one of its unique fields", async () => {
    const e = await refusal([{ type: "x.note", data: { who: "a", n: 1 } }]);
    expect(e?.code).toBe("SCHEMA_VIOLATION");
  });
});

describe("takeClaims", () => {
  const clock: Clock = { now: () => new Date("2026-11-21T08:00:01.000Z") };
  const claim = (key: string): UniqueClaim => ({
    key,
    batchKey: "hf-sanya/key-1#nonce-new",
    entryId: `entry-${key}`,
    claimedAt: "2026-11-21T08:00:00.000Z",
  });
  // "k1" is free; "k2" is held by a record of a committed batch.
  const holder: UniqueClaim = { ...claim("k2"), batchKey: "hf-sanya/key-1#nonce-old", entryId: "old" };
  const committed = { key: holder.batchKey, envelopes: [{ id: "old" }] } as StoredBatch;

  function store() {
    const released: UniqueClaim[][] = [];
    return {
      released,
      claimUnique: async (c: UniqueClaim) => (c.key === "k2" ? { holder } : ("claimed" as const)),
      getBatch: async (key: string) => (key === holder.batchKey ? committed : undefined),
      takeOverClaim: async () => expect.unreachable("a final claim is never taken over"),
      releaseClaims: async (cs: readonly UniqueClaim[]) => void released.push([...cs]),
      getClaim: async () => undefined,
    };
  }
  const wanted = (duplicate?: () => ApiError): WantedClaim[] => [
    { index: 0, fields: ["n"], claim: claim("k1") },
    { index: 1, fields: ["n"], claim: claim("k2"), duplicate },
  ];

  it("refuses a claim a committed record holds with DUPLICATE_RECORD, releasing the ones it took", async () => {
    const s = store();
    await expect(takeClaims(s, wanted(), clock)).rejects.toMatchObject({ code: "DUPLICATE_RECORD" });
    expect(s.released).toEqual([[claim("k1")]]);
  });

  it("refuses it with the claim's own duplicate refusal when it has one (a cosign's)", async () => {
    const s = store();
    const cosignDuplicate = () => new ApiError("COSIGN_DUPLICATE", "signed already", { index: 1 });
    await expect(takeClaims(s, wanted(cosignDuplicate), clock)).rejects.toMatchObject({
      code: "COSIGN_DUPLICATE",
    });
    expect(s.released).toEqual([[claim("k1")]]);
  });

  it("returns the claims it took, releasing none", async () => {
    const s = store();
    expect(await takeClaims(s, [wanted()[0] as WantedClaim], clock)).toEqual([claim("k1")]);
    expect(s.released).toEqual([]);
  });
});
