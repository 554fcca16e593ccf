import { describe, expect, it } from "vitest";
import { ClientError } from "../../../../cli/client.js";
import {
  BatchRefused,
  deliver,
  expectedEntryIds,
  isRetryable,
  parseRetryAfter,
  ReplayMismatch,
  RetriesExhausted,
  retryDelay,
} from "../../../../cli/ship/deliver.js";
import { INTL } from "../../../../lib/chain/index.js";
import { FakeLedger } from "./fake-ledger.js";

// One batch onto the ledger: resent under its nonce after network errors, 5xx and 429
// (Retry-After honoured); a resend of a committed batch (NONCE_REPLAYED) recognised from
// the ledger, by the ids it derives; any other refusal thrown, nothing stored.

const TYPE = "audit.db-operation";
const records = (n: number) => Array.from({ length: n }, (_, i) => ({ type: TYPE, data: { serial: i } }));
const POLICY = { maxRetries: undefined, baseBackoffMs: 100, maxBackoffMs: 2_000 };

function fastHooks() {
  const waits: number[] = [];
  const retries: string[] = [];
  return {
    waits,
    retries,
    hooks: {
      sleep: async (ms: number) => {
        waits.push(ms);
      },
      random: () => 1,
      now: () => Date.UTC(2026, 11, 1),
      onRetry: (e: ClientError) => retries.push(e.code),
    },
  };
}

describe("deliver", () => {
  it("sends once and returns the receipt", async () => {
    const ledger = new FakeLedger();
    const batch = { nonce: "n".repeat(32), keyId: ledger.keyId, records: records(3) };
    const out = await deliver(ledger, batch, POLICY);
    expect(out.kind).toBe("committed");
    expect(out.receipt.entries.map((e) => e.id)).toEqual(expectedEntryIds(INTL, batch));
    expect(ledger.submits).toEqual([{ nonce: batch.nonce, records: 3 }]);
  });

  it("resends under the same nonce after a connection error, a 503 and a 429, waiting Retry-After when given", async () => {
    const ledger = new FakeLedger();
    ledger.failures = [
      new ClientError("CONNECTION", "cannot reach"),
      new ClientError("UNAVAILABLE", "store throttling", 503, undefined, "3"),
      new ClientError("RATE_LIMITED", "slow down", 429),
    ];
    const { hooks, waits, retries } = fastHooks();
    const batch = { nonce: "r".repeat(32), keyId: ledger.keyId, records: records(2) };
    const out = await deliver(ledger, batch, POLICY, hooks);
    expect(out.kind).toBe("committed");
    expect(retries).toEqual(["CONNECTION", "UNAVAILABLE", "RATE_LIMITED"]);
    expect(waits).toEqual([100, 3_000, 400]);
    expect(new Set(ledger.submits.map((s) => s.nonce))).toEqual(new Set([batch.nonce]));
    expect(ledger.records()).toHaveLength(2);
  });

  it("takes NONCE_REPLAYED as committed once the ledger shows the batch: an answer lost after the commit", async () => {
    const ledger = new FakeLedger();
    ledger.lostAnswers = 1;
    const { hooks, retries } = fastHooks();
    const batch = { nonce: "l".repeat(32), keyId: ledger.keyId, records: records(5) };
    const out = await deliver(ledger, batch, POLICY, hooks);
    expect(retries).toEqual(["TIMEOUT"]);
    expect(out).toEqual({
      kind: "replayed",
      receipt: {
        entries: expectedEntryIds(INTL, batch).map((id) => ({ id })),
        receivedAt: expect.any(String),
      },
    });
    expect(ledger.records()).toHaveLength(5);
  });

  it("refuses a NONCE_REPLAYED the ledger does not back: the nonce holds other records", async () => {
    const ledger = new FakeLedger();
    const nonce = "o".repeat(32);
    await ledger.submit(records(2), { nonce });
    const other = { nonce, keyId: ledger.keyId, records: records(3) };
    await expect(deliver(ledger, other, POLICY)).rejects.toBeInstanceOf(ReplayMismatch);
    // The same first record, another batch: its size and root tell them apart.
    const sameFirst = {
      nonce,
      keyId: ledger.keyId,
      records: [records(2)[0] as (typeof other.records)[0], { type: TYPE, data: { serial: 9 } }],
    };
    await expect(deliver(ledger, sameFirst, POLICY)).rejects.toBeInstanceOf(ReplayMismatch);
  });

  it("throws a 4xx refusal as BatchRefused at once, with the API's details", async () => {
    const ledger = new FakeLedger();
    ledger.refuse = (r) => ((r.data as { serial: number }).serial === 1 ? "SCHEMA_VIOLATION" : undefined);
    const error = await deliver(
      ledger,
      { nonce: "x".repeat(32), keyId: ledger.keyId, records: records(3) },
      POLICY,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchRefused);
    expect((error as BatchRefused).error).toMatchObject({ code: "SCHEMA_VIOLATION", details: { index: 1 } });
    expect(ledger.submits).toHaveLength(1);
    expect(ledger.records()).toEqual([]);
  });

  it("gives up after maxRetries resends in a row", async () => {
    const ledger = new FakeLedger();
    ledger.failures = Array.from({ length: 5 }, () => new ClientError("CONNECTION", "down"));
    const { hooks } = fastHooks();
    const batch = { nonce: "g".repeat(32), keyId: ledger.keyId, records: records(1) };
    const error = await deliver(ledger, batch, { ...POLICY, maxRetries: 2 }, hooks).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhausted);
    expect((error as RetriesExhausted).attempts).toBe(3);
    expect(ledger.submits).toHaveLength(3);
  });
});

describe("when to resend, and how long to wait", () => {
  it.each([
    [new ClientError("CONNECTION", ""), true],
    [new ClientError("TIMEOUT", ""), true],
    [new ClientError("UNAVAILABLE", "", 503), true],
    [new ClientError("HTTP_502", "", 502), true],
    [new ClientError("RATE_LIMITED", "", 429), true],
    [new ClientError("SCHEMA_VIOLATION", "", 400), false],
    [new ClientError("KEY_NOT_VALID", "", 401), false],
    [new ClientError("NONCE_REPLAYED", "", 409), false],
    [new ClientError("INVALID_URL", ""), false],
  ])("%s: %s", (e, retry) => {
    expect(isRetryable(e)).toBe(retry);
  });

  it("doubles from the base to the cap, half of it jittered", () => {
    const at = (attempt: number, random: number) =>
      retryDelay(
        attempt,
        undefined,
        POLICY,
        () => random,
        () => 0,
      );
    expect([1, 2, 3, 4, 5, 6, 40].map((n) => at(n, 1))).toEqual([100, 200, 400, 800, 1_600, 2_000, 2_000]);
    expect(at(3, 0)).toBe(200);
  });

  it("reads Retry-After as seconds or an HTTP date, and waits at most 5 minutes", () => {
    const now = Date.UTC(2026, 11, 1, 12, 0, 0);
    expect(parseRetryAfter("2", now)).toBe(2_000);
    expect(parseRetryAfter("Tue, 01 Dec 2026 12:00:07 GMT", now)).toBe(7_000);
    expect(parseRetryAfter("Tue, 01 Dec 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(retryDelay(1, "86400", POLICY, Math.random, () => now)).toBe(300_000);
  });
});
