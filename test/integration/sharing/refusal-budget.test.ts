import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAccessTrail } from "../../../functions/sharing/access-trail.js";
import { matchRecord } from "../../../functions/sharing/match.js";
import { scanAll } from "../../../functions/store/snapshot.js";
import { ApiError } from "../../../lib/protocol/errors.js";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { signMatch } from "../../support/match-request.js";
import { audit, type Ledger, makeMembers, openLedger, seal, TickClock } from "../ledger/harness.js";

// Refused match requests are recorded — up to a department's budget a minute
// (REFUSALS_PER_MINUTE; 3 here). Past it, a refusal is 429 RATE_LIMITED with
// `recorded: false` and writes nothing but its counter, so no department can lengthen a
// subject's trail at will with requests that are refused anyway.

const SUBJECT_KEY = new Uint8Array(32).fill(3);
const BUDGET = 3;
const CITIZEN = "460100198805050000";
const UNKNOWN = { contract: "no-such-contract", subject: CITIZEN, where: [] };

let dynamo: LocalDynamo;
let ledger: Ledger;
const clock = new TickClock();
beforeAll(async () => {
  dynamo = await startDynalite();
  ledger = await openLedger(await makeMembers(), dynamo.client, clock);
});
afterAll(async () => {
  await dynamo?.stop();
});

const deps = () => ({
  store: ledger.store,
  consortium: ledger.members.consortium,
  clock: ledger.clock,
  subjectKey: SUBJECT_KEY,
  refusalsPerMinute: BUDGET,
});

async function refusalOf(nonce: string): Promise<ApiError> {
  const request = await signMatch(ledger, UNKNOWN, nonce);
  const error = await matchRecord(request.caller, request.body, deps()).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("a department's budget of recorded refusals", () => {
  it("records refusals up to the budget, then refuses without recording", async () => {
    for (let i = 0; i < BUDGET; i++) {
      const e = await refusalOf(`budget-recorded-00${i}`);
      expect(e.code).toBe("CONTRACT_NOT_FOUND");
      const id = (e.details as { accessEntryId: string }).accessEntryId;
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      ledger.submitted.push(id);
    }
    const items = (await scanAll(dynamo.client, ledger.table)).length;
    const over = await refusalOf("budget-overflow-0001");
    expect(over.code).toBe("RATE_LIMITED");
    expect(over.statusCode).toBe(429);
    expect(over.details).toMatchObject({ recorded: false, refusal: "CONTRACT_NOT_FOUND" });
    expect(over.details).not.toHaveProperty("accessEntryId");
    // Only its counter changed: no batch, payload or trail item.
    expect((await scanAll(dynamo.client, ledger.table)).length).toBe(items);

    const request = await signMatch(ledger, UNKNOWN, "budget-trail-reader1");
    const trail = await readAccessTrail(request.caller, CITIZEN, deps());
    expect(trail.accesses.map((a) => a.entry.id)).toEqual(ledger.submitted);
  });

  it("a new minute brings a new budget, and the ledger audits clean", async () => {
    clock.ms += 60_000;
    const e = await refusalOf("budget-next-minute01");
    expect(e.code).toBe("CONTRACT_NOT_FOUND");
    ledger.submitted.push((e.details as { accessEntryId: string }).accessEntryId);
    expect(await seal(ledger)).toMatchObject({ sealed: true, entries: BUDGET + 1 });
    expect(await audit(ledger)).toMatchObject({ ok: true, findings: [] });
  });
});
