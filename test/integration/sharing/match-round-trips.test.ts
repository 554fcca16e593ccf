import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submitEntries } from "../../../functions/ledger/submit.js";
import { type MatchDeps, matchRecord } from "../../../functions/sharing/match.js";
import type { LedgerStore } from "../../../functions/store/ports.js";
import { ApiError } from "../../../lib/protocol/errors.js";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { signMatch } from "../../support/match-request.js";
import { RoundTrips } from "../../support/round-trips.js";
import { S2_CONTRACT as CONTRACT, S2_VERSION as VERSION } from "../../support/sharing.js";
import {
  type Dept,
  type Ledger,
  makeMembers,
  openLedger,
  type Records,
  signSubmit,
} from "../ledger/harness.js";

// Issue 14: a match waits on the store at most 4 times in a row (docs/design/sharing.md §4,
// functions/sharing/match.ts): the index reads together, the batch heads with the
// candidate records, the rate limit with the access entry's items, the commit. Counted
// as sequential depth (test/support/round-trips.ts): calls in flight together are one.

const SUBJECT_KEY = new Uint8Array(32).fill(4);
const LISTED = "460100198805054321";
const UNKNOWN = "460100198805059999";
const question = (subject: string, where = [{ field: "action", op: "=", value: "add" }]) => ({
  contract: CONTRACT.id,
  subject,
  where,
});

let dynamo: LocalDynamo;
let ledger: Ledger;
beforeAll(async () => {
  dynamo = await startDynalite();
  ledger = await openLedger(await makeMembers(), dynamo.client);
  await write(
    "hf-sanya",
    [{ type: "zhixin.contract.propose", data: CONTRACT as never }],
    "rt-propose-00000001",
  );
  await write(
    "hf-haikou",
    [{ type: "zhixin.contract.approve", data: { contractId: CONTRACT.id, version: VERSION } }],
    "rt-approve-00000001",
  );
  // Two records about the subject, the later one effective: the newest is read with the heads.
  for (const [action, nonce] of [
    ["add", "rt-listing-00000001"],
    ["add", "rt-listing-00000002"],
  ] as const) {
    await write(
      "hf-haikou",
      [{ type: "housing-fund.blacklist", data: { citizen: LISTED, action, reason: "fraud" } }],
      nonce,
    );
  }
});
afterAll(async () => {
  await dynamo?.stop();
});

const deps = (store: LedgerStore): MatchDeps => ({
  store,
  consortium: ledger.members.consortium,
  clock: ledger.clock,
  subjectKey: SUBJECT_KEY,
});

async function write(dept: Dept, records: Records, nonce: string): Promise<void> {
  const request = await signSubmit(ledger, dept, records, nonce);
  await submitEntries(request.caller, request.body, { ...deps(ledger.store), store: ledger.store });
}

/** matchRecord of `q` on a store that counts its round trips; the answer, or the refusal's code. */
async function counted(q: unknown, nonce: string): Promise<{ trips: RoundTrips; outcome: unknown }> {
  const trips = new RoundTrips(ledger.store);
  const request = await signMatch(ledger, q, nonce);
  const outcome = await matchRecord(request.caller, request.body, deps(trips.store)).catch((e: unknown) =>
    e instanceof ApiError ? e.code : Promise.reject(e),
  );
  return { trips, outcome };
}

describe("store round trips of a match", () => {
  it("an answer (yes): 4, the effective record read beside the batch heads", async () => {
    const { trips, outcome } = await counted(question(LISTED), "rt-match-yes-000001");
    expect(outcome).toMatchObject({ match: true, contract: { id: CONTRACT.id, version: VERSION } });
    expect(trips.count).toBeLessThanOrEqual(4);
    expect(trips.trips).toEqual([
      "listIndexEntries listIndexEntries",
      "getBatchHeads getPayloads",
      "countRequest putEntryItems",
      "commitBatch",
    ]);
  });

  it("an answer (no) about a subject with no records: 4, with nothing to prefetch", async () => {
    const { trips, outcome } = await counted(question(UNKNOWN), "rt-match-no-0000001");
    expect(outcome).toMatchObject({ match: false });
    expect(trips.trips).toEqual([
      "listIndexEntries listIndexEntries",
      "getBatchHeads",
      "countRequest putEntryItems",
      "commitBatch",
    ]);
  });

  it("a recorded refusal: 5, its refusal budget counted before anything is written", async () => {
    const { trips, outcome } = await counted(
      question(LISTED, [{ field: "reason", op: "=", value: "fraud" }]),
      "rt-refused-00000001",
    );
    expect(outcome).toBe("FIELD_NOT_ALLOWED");
    expect(trips.trips).toEqual([
      "listIndexEntries listIndexEntries",
      "getBatchHeads getPayloads",
      "countRequest",
      "putEntryItems",
      "commitBatch",
    ]);
  });

  it("a replayed nonce: refused after 2, having written nothing", async () => {
    const { trips, outcome } = await counted(question(LISTED), "rt-match-yes-000001");
    expect(outcome).toBe("NONCE_REPLAYED");
    expect(trips.trips).toEqual(["listIndexEntries listIndexEntries", "getBatchHeads getPayloads"]);
  });
});
