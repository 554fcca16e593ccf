import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Caller } from "../../../functions/auth/caller.js";
import { submitEntries } from "../../../functions/ledger/submit.js";
import { listAccesses } from "../../../functions/sharing/access-list.js";
import { listContracts } from "../../../functions/sharing/contract-list.js";
import { matchRecord } from "../../../functions/sharing/match.js";
import type { LedgerStore } from "../../../functions/store/ports.js";
import { ApiError } from "../../../lib/protocol/errors.js";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { CrashError, type CrashPoint, FaultyStore } from "../../support/faulty-store.js";
import { signMatch } from "../../support/match-request.js";
import { S2_CONTRACT, S2_VERSION } from "../../support/sharing.js";
import {
  checkLedger,
  type Ledger,
  type LedgerSnapshot,
  makeMembers,
  openLedger,
  restoreLedger,
  type SignedSubmit,
  seal,
  signSubmit,
  snapshotLedger,
  TEST_SUBJECT_KEY,
} from "../ledger/harness.js";

// The lists of GET /v1/contracts and GET /v1/accesses are index entries (P#<party>,
// T#<department>) written in the same putEntryItems call as the entry they point to,
// before its commit (docs/STORAGE.md "Why P# and T# are safe across a crash"). Crashing
// a contract propose and a match at every store call they make, before and after the
// call reaches dynalite: the contract or access is in every list it belongs to exactly
// once if its batch committed, in none otherwise; and the client's unchanged retry
// (same nonce, same signature) leaves it listed exactly once.

const CITIZEN = "460100198805051234";
const QUESTION = {
  contract: S2_CONTRACT.id,
  subject: CITIZEN,
  where: [{ field: "action", op: "=", value: "add" }],
};

let dynamo: LocalDynamo;
/** Haikou lists CITIZEN; no contract yet. Block 1 sealed. */
let listed: LedgerSnapshot;
/** ...then Sanya proposes and Haikou approves the S2 contract. Block 2 sealed. */
let agreed: LedgerSnapshot;
beforeAll(async () => {
  dynamo = await startDynalite();
  const ledger = await openLedger(await makeMembers(), dynamo.client);
  await send(
    ledger,
    await signSubmit(
      ledger,
      "hf-haikou",
      [{ type: "housing-fund.blacklist", data: { citizen: CITIZEN, action: "add", reason: "fraud" } }],
      "listing-crash-list-01",
    ),
  );
  expect(await seal(ledger)).toMatchObject({ sealed: true, height: 1 });
  listed = await snapshotLedger(ledger);
  await send(ledger, await proposal(ledger, "listing-crash-prop-01"));
  await send(
    ledger,
    await signSubmit(
      ledger,
      "hf-haikou",
      [{ type: "zhixin.contract.approve", data: { contractId: S2_CONTRACT.id, version: S2_VERSION } }],
      "listing-crash-appr-01",
    ),
  );
  expect(await seal(ledger)).toMatchObject({ sealed: true, height: 2 });
  agreed = await snapshotLedger(ledger);
});
afterAll(async () => {
  await dynamo?.stop();
});

const deps = (ledger: Ledger, store: LedgerStore = ledger.store) => ({
  store,
  consortium: ledger.members.consortium,
  clock: ledger.clock,
  subjectKey: TEST_SUBJECT_KEY,
});

function proposal(ledger: Ledger, nonce: string): Promise<SignedSubmit> {
  return signSubmit(
    ledger,
    "hf-sanya",
    [{ type: "zhixin.contract.propose", data: S2_CONTRACT as never }],
    nonce,
  );
}

async function send(ledger: Ledger, request: SignedSubmit, store: LedgerStore = ledger.store) {
  const receipt = await submitEntries(request.caller, request.body, deps(ledger, store));
  ledger.submitted.push(...receipt.entries.map((e) => e.id));
  return receipt;
}

/** An auditor of the harness's consortium, as the lists see one: only role and department matter. */
function auditorLike(caller: Caller): Caller {
  return { ...caller, role: "auditor", department: "auditor-one" };
}

/** Who must see a list entry: both parties and an auditor. */
function viewers(request: SignedSubmit): Array<[string, Caller]> {
  return [
    ["hf-sanya", request.caller],
    ["hf-haikou", { ...request.caller, department: "hf-haikou" }],
    ["an auditor", auditorLike(request.caller)],
  ];
}

async function contractIds(ledger: Ledger, caller: Caller): Promise<string[]> {
  return (await listContracts(caller, deps(ledger))).contracts.map((c) => c.id);
}

async function accessIds(ledger: Ledger, caller: Caller): Promise<string[]> {
  return (await listAccesses(caller, deps(ledger))).accesses.map((a) => a.entry.id);
}

/** The store calls `action` makes, in order, through a probe on a copy of `snapshot`. */
async function callsOf(snapshot: LedgerSnapshot, action: (l: Ledger, s: LedgerStore) => Promise<unknown>) {
  const ledger = await restoreLedger(snapshot);
  const probe = new FaultyStore(ledger.store);
  await action(ledger, probe);
  return probe.calls.flatMap((c) =>
    (["before", "after"] as const).map((when): CrashPoint => ({ when, method: c.method, nth: c.nth })),
  );
}

async function dieAt(ledger: Ledger, crash: CrashPoint, action: (store: LedgerStore) => Promise<unknown>) {
  const dying = new FaultyStore(ledger.store, { crash });
  await expect(action(dying)).rejects.toBeInstanceOf(CrashError);
  await dying.idle();
}

const label = (p: CrashPoint) =>
  "method" in p ? `${p.when} ${p.method} #${p.nth}` : `${p.when} call ${p.call}`;

describe("a contract propose that dies", () => {
  it("at every store call: listed once for both parties and the auditor if committed, else nowhere; the unchanged retry lists it once", async () => {
    const NONCE = "listing-crash-prop-02";
    const points = await callsOf(listed, async (l, s) => send(l, await proposal(l, NONCE), s));
    expect(points.map(label)).toContain("after commitBatch #1");
    for (const point of points) {
      const ledger = await restoreLedger(listed);
      const request = await proposal(ledger, NONCE);
      await dieAt(ledger, point, (store) => send(ledger, request, store));
      const committed = (await ledger.store.getBatch(`${request.caller.keyId}#${NONCE}`)) !== undefined;
      for (const [who, caller] of viewers(request)) {
        expect(await contractIds(ledger, caller), `${label(point)}, as ${who}`).toEqual(
          committed ? [S2_CONTRACT.id] : [],
        );
      }
      // The client heard nothing and sends the same request again.
      const retry = await send(ledger, request).then(
        () => "committed",
        (e: unknown) => (e instanceof ApiError ? e.code : e),
      );
      expect(retry, label(point)).toBe(committed ? "NONCE_REPLAYED" : "committed");
      for (const [who, caller] of viewers(request)) {
        expect(await contractIds(ledger, caller), `${label(point)} then retried, as ${who}`).toEqual([
          S2_CONTRACT.id,
        ]);
      }
      const view = (await listContracts(request.caller, deps(ledger))).contracts[0];
      expect(
        view?.versions.map((v) => v.status),
        label(point),
      ).toEqual(["proposed"]);
    }
  });
});

describe("a match that dies", () => {
  it.each([
    { what: "an answer", question: QUESTION },
    {
      what: "a recorded refusal",
      question: { ...QUESTION, where: [{ field: "reason", op: "=", value: "x" }] },
    },
  ])(
    "$what, at every store call: listed once for consumer, provider and auditor if committed, else nowhere; the unchanged retry lists it once",
    async ({ question }) => {
      const NONCE = "listing-crash-match-1";
      const ask = (l: Ledger, r: SignedSubmit, s: LedgerStore) =>
        matchRecord(r.caller, r.body, deps(l, s)).catch((e: unknown) => {
          if (e instanceof ApiError) return e;
          throw e;
        });
      const points = await callsOf(agreed, async (l, s) => ask(l, await signMatch(l, question, NONCE), s));
      expect(points.map(label)).toContain("after commitBatch #1");
      for (const point of points) {
        const ledger = await restoreLedger(agreed);
        const request = await signMatch(ledger, question, NONCE);
        const before = await accessIds(ledger, request.caller);
        expect(before).toEqual([]);
        await dieAt(ledger, point, (store) => ask(ledger, request, store));
        const batch = await ledger.store.getBatch(`${request.caller.keyId}#${NONCE}`);
        const committed = batch ? [batch.envelopes[0]?.id as string] : [];
        for (const [who, caller] of viewers(request)) {
          expect(await accessIds(ledger, caller), `${label(point)}, as ${who}`).toEqual(committed);
        }
        const retried = await ask(ledger, request, ledger.store);
        const id =
          retried instanceof ApiError
            ? ((retried.details as { accessEntryId?: string } | undefined)?.accessEntryId ?? committed[0])
            : retried.accessEntryId;
        if (batch) expect((retried as ApiError).code, label(point)).toBe("NONCE_REPLAYED");
        expect(id, label(point)).toMatch(/^[0-9a-f]{32}$/);
        for (const [who, caller] of viewers(request)) {
          expect(await accessIds(ledger, caller), `${label(point)} then retried, as ${who}`).toEqual([id]);
        }
        if (point.when === "after" && "method" in point && point.method === "commitBatch") {
          ledger.submitted.push(id as string);
          expect(await seal(ledger)).toMatchObject({ sealed: true, height: 3, entries: 1 });
          await checkLedger(ledger, 3);
        }
      }
    },
  );
});
