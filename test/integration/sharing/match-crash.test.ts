import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentDigest, INTL, type JsonValue } from "#chain";
import { submitEntries } from "../../../functions/ledger/submit.js";
import { effectiveVersion, loadContract } from "../../../functions/rules/contracts.js";
import { readAccessTrail } from "../../../functions/sharing/access-trail.js";
import { type MatchDeps, matchRecord } from "../../../functions/sharing/match.js";
import type { LedgerStore } from "../../../functions/store/ports.js";
import { scanAll } from "../../../functions/store/snapshot.js";
import type { Receipt } from "../../../lib/protocol/entries.js";
import { ApiError } from "../../../lib/protocol/errors.js";
import type { MatchAnswer } from "../../../lib/protocol/sharing.js";
import { orphanBodies, withoutOrphanBodies } from "../../support/batch-bodies.js";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { CrashError, type CrashPoint, FaultyStore, type StoreCall } from "../../support/faulty-store.js";
import { signMatch } from "../../support/match-request.js";
import { type ContractDoc, diffSnapshots } from "../../support/sharing.js";
import {
  checkLedger,
  type Dept,
  type Ledger,
  type LedgerSnapshot,
  makeMembers,
  openLedger,
  type Records,
  restoreLedger,
  type SignedSubmit,
  seal,
  signSubmit,
  snapshotLedger,
} from "../ledger/harness.js";

// A match writes its access entry the way submit writes records (functions/sharing/match.ts
// commitAccess): payload, trail index item, then the one-envelope batch whose conditional
// put is the commit point and the (keyId, nonce) replay guard. Crashing matchRecord at
// every store call it makes, before and after the call reaches dynalite: an access entry
// exists once (the commit happened) or not at all — the trail and the sealer never see
// the leftovers — and the ledger stays sound. Likewise for a contract approve that dies
// inside submit, and for two copies of one match request racing.
//
// Past 400 lines: every crash point shares one consortium fixture and one soundness check, so
// the cases stay in one file rather than repeat the setup.

const SUBJECT_KEY = new Uint8Array(32).fill(9);
const CONTRACT = JSON.parse(readFileSync("examples/contracts/s2-blacklist.json", "utf8")) as ContractDoc;
const VERSION = contentDigest(INTL, CONTRACT as unknown as JsonValue);
const CITIZEN = "460100198805051234";
const QUESTION = {
  contract: CONTRACT.id,
  subject: CITIZEN,
  where: [{ field: "action", op: "=", value: "add" }],
};
/** Refused FIELD_NOT_ALLOWED (the contract allows predicates on `action` only): a recorded refusal. */
const OFF_LIMITS = { ...QUESTION, where: [{ field: "reason", op: "=", value: "fraud" }] };
const APPROVE: Records = [
  { type: "zhixin.contract.approve", data: { contractId: CONTRACT.id, version: VERSION } },
];

let dynamo: LocalDynamo;
/** Contract proposed by Sanya, not approved; Haikou lists CITIZEN. Block 1 sealed. */
let proposed: LedgerSnapshot;
/** ...then Haikou approves and Sanya asks once. Block 2 sealed. */
let agreed: LedgerSnapshot;
beforeAll(async () => {
  dynamo = await startDynalite();
  const ledger = await openLedger(await makeMembers(), dynamo.client);
  await write(
    ledger,
    "hf-sanya",
    [{ type: "zhixin.contract.propose", data: CONTRACT as never }],
    "s2-propose-0000001",
  );
  await write(
    ledger,
    "hf-haikou",
    [{ type: "housing-fund.blacklist", data: { citizen: CITIZEN, action: "add", reason: "fraud" } }],
    "s2-listing-0000001",
  );
  expect(await seal(ledger)).toMatchObject({ sealed: true, height: 1 });
  proposed = await snapshotLedger(ledger);
  await write(ledger, "hf-haikou", APPROVE, "s2-approve-0000001");
  expect((await ask(ledger, await signMatch(ledger, QUESTION, "earlier-match-00001"))).match).toBe(true);
  expect(await seal(ledger)).toMatchObject({ sealed: true, height: 2 });
  agreed = await snapshotLedger(ledger);
});
afterAll(async () => {
  await dynamo?.stop();
});

/** One deps object for submitEntries, matchRecord and readAccessTrail alike: the whole store. */
function deps(ledger: Ledger, store: LedgerStore = ledger.store): MatchDeps & { store: LedgerStore } {
  return { store, consortium: ledger.members.consortium, clock: ledger.clock, subjectKey: SUBJECT_KEY };
}

/** submitEntries of a signed POST /v1/entries; records the ids as submitted. */
async function send(
  ledger: Ledger,
  request: SignedSubmit,
  store: LedgerStore = ledger.store,
): Promise<Receipt> {
  const receipt = await submitEntries(request.caller, request.body, deps(ledger, store));
  ledger.submitted.push(...receipt.entries.map((e) => e.id));
  return receipt;
}

async function write(ledger: Ledger, dept: Dept, records: Records, nonce: string): Promise<Receipt> {
  return send(ledger, await signSubmit(ledger, dept, records, nonce));
}

/** matchRecord; the access entry of an answer or of a recorded refusal is recorded as submitted. */
async function ask(ledger: Ledger, request: SignedSubmit, store?: LedgerStore): Promise<MatchAnswer> {
  try {
    const answer = await matchRecord(request.caller, request.body, deps(ledger, store));
    ledger.submitted.push(answer.accessEntryId);
    return answer;
  } catch (e) {
    const id = (e as ApiError).details as { accessEntryId?: string } | undefined;
    if (e instanceof ApiError && id?.accessEntryId) ledger.submitted.push(id.accessEntryId);
    throw e;
  }
}

async function refusalOf(action: Promise<unknown>): Promise<ApiError> {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

/** Ids of the accesses to CITIZEN that Sanya's trail shows, oldest first. */
async function trailIds(ledger: Ledger, request: SignedSubmit): Promise<string[]> {
  const trail = await readAccessTrail(request.caller, CITIZEN, deps(ledger));
  return trail.accesses.map((a) => a.entry.id);
}

const batchKeyOf = (request: SignedSubmit) => `${request.caller.keyId}#${request.caller.nonce}`;

/** Runs `action` through a store that dies at `crash`; waits until nothing is still in flight. */
async function dieAt(
  ledger: Ledger,
  crash: CrashPoint,
  action: (store: LedgerStore) => Promise<unknown>,
): Promise<FaultyStore> {
  const dying = new FaultyStore(ledger.store, { crash });
  await expect(action(dying)).rejects.toBeInstanceOf(CrashError);
  await dying.idle();
  expect(dying.crashed).toBeDefined();
  return dying;
}

const callsOf = (store: FaultyStore) => store.calls.map((c: StoreCall) => `${c.method} #${c.nth}`);
const both = (calls: ReadonlyArray<{ method: keyof LedgerStore; nth: number }>) =>
  calls.flatMap((c) => [
    { when: "before" as const, ...c },
    { when: "after" as const, ...c },
  ]);

/**
 * The store calls of an answered match, in the order they are made (checked below, so
 * this list cannot go stale); those on one line are made together, in flight at once.
 */
const ANSWER_CALLS = [
  { method: "listIndexEntries", nth: 1 }, // C#<contract>, with
  { method: "listIndexEntries", nth: 2 }, // S#<subject>
  { method: "getBatchHeads", nth: 1 }, // the replay guard and the committed C# and S# entries, with
  { method: "getPayloads", nth: 1 }, // the newest candidate records
  { method: "countRequest", nth: 1 }, // the rate limit, with
  { method: "putEntryItems", nth: 1 }, // the access entry's payload, A#<subject> and T#<consumer>, T#<provider>
  { method: "commitBatch", nth: 1 }, // the commit point
] as const;
const REFUSAL_CALLS = [
  { method: "listIndexEntries", nth: 1 },
  { method: "listIndexEntries", nth: 2 },
  { method: "getBatchHeads", nth: 1 },
  { method: "getPayloads", nth: 1 },
  { method: "countRequest", nth: 1 }, // the department's refusal budget, then
  { method: "putEntryItems", nth: 1 },
  { method: "commitBatch", nth: 1 },
] as const;
/** A RATE_LIMITED match: the answer is written beside the count, then the refusal is recorded in its place. */
const RATE_LIMITED_CALLS = [
  { method: "listIndexEntries", nth: 1 },
  { method: "listIndexEntries", nth: 2 },
  { method: "getBatchHeads", nth: 1 },
  { method: "getPayloads", nth: 1 },
  { method: "countRequest", nth: 1 }, // the rate limit (refused), with
  { method: "putEntryItems", nth: 1 }, // the answer's items
  { method: "countRequest", nth: 2 }, // the refusal budget
  { method: "putEntryItems", nth: 2 }, // the refusal's items
  { method: "commitBatch", nth: 1 },
  { method: "deleteIndexEntries", nth: 1 }, // the answer's, which can no longer commit
  { method: "deletePayloads", nth: 1 },
] as const;

/** The ledger's store, with every contract's rate limit reached: a match past its limit, without 600 matches first. */
class AtRateLimit extends FaultyStore {
  override async countRequest(counter: string, window: string, limit: number, expiresAt: number) {
    const counted = await super.countRequest(counter, window, limit, expiresAt);
    return counter.startsWith("contract#") ? false : counted;
  }
}

describe("the store calls matchRecord makes", () => {
  it.each([
    ["an answer", QUESTION, ANSWER_CALLS, FaultyStore],
    ["a recorded refusal", OFF_LIMITS, REFUSAL_CALLS, FaultyStore],
    ["a request past its rate limit", QUESTION, RATE_LIMITED_CALLS, AtRateLimit],
  ] as const)("for %s", async (_what, question, expected, Probe) => {
    const ledger = await restoreLedger(agreed);
    const probe = new Probe(ledger.store);
    await ask(ledger, await signMatch(ledger, question, "probe-request-00001"), probe).catch(() => undefined);
    expect(callsOf(probe)).toEqual(expected.map((c) => `${c.method} #${c.nth}`));
  });
});

describe.each([
  { what: "an answered match", question: QUESTION, calls: ANSWER_CALLS },
  { what: "a recorded refusal", question: OFF_LIMITS, calls: REFUSAL_CALLS },
])("$what that dies", ({ question, calls }) => {
  const NONCE = "crashing-match-00001";
  const RETRY = "retried-match-000001";

  /** The outcome a fresh request for `question` must have; returns its access entry id. */
  async function expectAnswer(ledger: Ledger, request: SignedSubmit): Promise<string> {
    if (question === QUESTION) {
      const answer = await ask(ledger, request);
      expect(answer).toMatchObject({ match: true, contract: { id: CONTRACT.id, version: VERSION } });
      return answer.accessEntryId;
    }
    const error = await refusalOf(ask(ledger, request));
    expect(error.code).toBe("FIELD_NOT_ALLOWED");
    return (error.details as { accessEntryId: string }).accessEntryId;
  }

  it.each(both(calls).filter((p) => !(p.method === "commitBatch" && p.when === "after")))(
    "$when $method #$nth: no entry; the trail and the sealer never see it; a retry under a new nonce works",
    async (point) => {
      const ledger = await restoreLedger(agreed);
      const request = await signMatch(ledger, question, NONCE);
      const before = await trailIds(ledger, request);
      expect(before).toHaveLength(1);
      await dieAt(ledger, point, (store) => matchRecord(request.caller, request.body, deps(ledger, store)));

      expect(await ledger.store.getBatch(batchKeyOf(request))).toBeUndefined();
      expect(await trailIds(ledger, request)).toEqual(before);
      expect(await seal(ledger)).toMatchObject({ sealed: false, reason: "nothing-pending" });

      const id = await expectAnswer(ledger, await signMatch(ledger, question, RETRY));
      expect(await trailIds(ledger, request)).toEqual([...before, id]);
      expect(await seal(ledger)).toMatchObject({ sealed: true, height: 3, entries: 1 });
      const facts = await checkLedger(ledger, 3);
      expect(facts.sealedAt.get(id)).toBe(3);
    },
  );

  it("after commitBatch #1: the entry exists and seals once; the same request again is NONCE_REPLAYED and changes nothing", async () => {
    const ledger = await restoreLedger(agreed);
    const request = await signMatch(ledger, question, NONCE);
    const before = await trailIds(ledger, request);
    await dieAt(ledger, { when: "after", method: "commitBatch", nth: 1 }, (store) =>
      matchRecord(request.caller, request.body, deps(ledger, store)),
    );
    // The consumer never heard the answer, but the access is on the ledger.
    const batch = await ledger.store.getBatch(batchKeyOf(request));
    expect(batch?.envelopes).toHaveLength(1);
    const id = batch?.envelopes[0]?.id as string;
    ledger.submitted.push(id);
    expect(await trailIds(ledger, request)).toEqual([...before, id]);

    const items = await scanAll(ledger.client, ledger.table);
    const replay = await refusalOf(ask(ledger, request));
    expect(replay.code).toBe("NONCE_REPLAYED");
    expect(await scanAll(ledger.client, ledger.table)).toEqual(items);

    // Asking again is a new question under a new nonce: a second access entry.
    const again = await expectAnswer(ledger, await signMatch(ledger, question, RETRY));
    expect(await trailIds(ledger, request)).toEqual([...before, id, again]);
    expect(await seal(ledger)).toMatchObject({ sealed: true, height: 3, entries: 2 });
    expect((await refusalOf(ask(ledger, request))).code).toBe("NONCE_REPLAYED");
    expect(await seal(ledger)).toMatchObject({ sealed: false, reason: "nothing-pending" });
    const facts = await checkLedger(ledger, 3);
    expect(facts.sealedAt.get(id)).toBe(3);
  });
});

describe("a match past its rate limit that dies", () => {
  const NONCE = "rate-limited-match-01";
  /** From here on, the refusal's batch is committed. */
  const committedFrom = RATE_LIMITED_CALLS.findIndex((c) => c.method === "commitBatch");

  it.each(
    both(RATE_LIMITED_CALLS).map((point) => ({
      ...point,
      committed:
        RATE_LIMITED_CALLS.findIndex((c) => c.method === point.method && c.nth === point.nth) >
          committedFrom ||
        (point.method === "commitBatch" && point.when === "after"),
    })),
  )(
    "$when $method #$nth: its RATE_LIMITED refusal is an entry (committed: $committed) or nothing is; never the answer",
    async ({ committed, ...point }) => {
      const ledger = await restoreLedger(agreed);
      const request = await signMatch(ledger, QUESTION, NONCE);
      const before = await trailIds(ledger, request);
      const dying = new AtRateLimit(ledger.store, { crash: point });
      await expect(matchRecord(request.caller, request.body, deps(ledger, dying))).rejects.toBeInstanceOf(
        CrashError,
      );
      await dying.idle();

      const batch = await ledger.store.getBatch(batchKeyOf(request));
      if (!committed) {
        expect(batch).toBeUndefined();
        expect(await trailIds(ledger, request)).toEqual(before);
        expect(await seal(ledger)).toMatchObject({ sealed: false, reason: "nothing-pending" });
        return;
      }
      const id = batch?.envelopes[0]?.id as string;
      const details = JSON.parse((await ledger.store.getPayload(id))?.data ?? "null");
      expect(details).toMatchObject({ result: "refused", refusal: "RATE_LIMITED" });
      ledger.submitted.push(id);
      expect(await trailIds(ledger, request)).toEqual([...before, id]);
      expect(await seal(ledger)).toMatchObject({ sealed: true, height: 3, entries: 1 });
      const facts = await checkLedger(ledger, 3);
      expect(facts.sealedAt.get(id)).toBe(3);
    },
  );
});

describe("a match retried unchanged (same nonce, same signature) after dying before its commit point", () => {
  it.each([
    { when: "after", method: "putEntryItems", nth: 1 },
    { when: "before", method: "commitBatch", nth: 1 },
  ] as const)("$when $method: answered, and the trail shows the access once", async (point) => {
    const ledger = await restoreLedger(agreed);
    const request = await signMatch(ledger, QUESTION, "retried-unchanged-01");
    const before = await trailIds(ledger, request);
    await dieAt(ledger, point, (store) => matchRecord(request.caller, request.body, deps(ledger, store)));
    const answer = await ask(ledger, request);
    expect(answer.match).toBe(true);
    expect(await trailIds(ledger, request)).toEqual([...before, answer.accessEntryId]);
    expect(await seal(ledger)).toMatchObject({ sealed: true, height: 3, entries: 1 });
    await checkLedger(ledger, 3);
  });
});

describe("a contract approve that dies inside submit", () => {
  const NONCE = "crashing-approve-001";

  async function expectNotEffective(ledger: Ledger) {
    const state = await loadContract(INTL, ledger.store, CONTRACT.id);
    expect(state?.versions.map((v) => v.status)).toEqual(["proposed"]);
    expect(effectiveVersion(state as never, ledger.clock.now())).toMatchObject({ effective: false });
    // Sanya asking meanwhile is refused, and that refusal is recorded.
    const refused = await refusalOf(ask(ledger, await signMatch(ledger, QUESTION, "while-not-agreed-01")));
    expect(refused.code).toBe("CONTRACT_NOT_EFFECTIVE");
  }

  async function expectEffective(ledger: Ledger, receipt: Receipt) {
    const state = await loadContract(INTL, ledger.store, CONTRACT.id);
    expect(state?.versions).toHaveLength(1);
    expect(state?.versions[0]).toMatchObject({
      version: VERSION,
      status: "approved",
      proposedBy: "hf-sanya",
      approvedBy: "hf-haikou",
      approveEntry: receipt.entries[0]?.id,
      // The approval dates from the entry that made it, not from the attempt that died.
      approvedAt: receipt.receivedAt,
    });
    expect(effectiveVersion(state as never, ledger.clock.now())).toMatchObject({ effective: true });
    const answer = await ask(ledger, await signMatch(ledger, QUESTION, "once-agreed-000001"));
    expect(answer.match).toBe(true);
  }

  it.each([
    { when: "before", method: "putEntryItems", nth: 1 },
    { when: "after", method: "putEntryItems", nth: 1 },
    { when: "before", method: "commitBatch", nth: 1 },
  ] as const)("$when $method: not effective; a retry under a new nonce approves it", async (point) => {
    const ledger = await restoreLedger(proposed);
    const request = await signSubmit(ledger, "hf-haikou", APPROVE, NONCE);
    await dieAt(ledger, point, (store) => send(ledger, request, store));
    expect(await ledger.store.getBatch(batchKeyOf(request))).toBeUndefined();
    await expectNotEffective(ledger);

    const receipt = await send(ledger, await signSubmit(ledger, "hf-haikou", APPROVE, "retried-approve-001"));
    await expectEffective(ledger, receipt);
    expect(await seal(ledger)).toMatchObject({ sealed: true, height: 2, entries: 3 });
    await checkLedger(ledger, 2);
  });

  it.each([
    { when: "after", method: "putEntryItems", nth: 1 },
    { when: "before", method: "commitBatch", nth: 1 },
  ] as const)("$when $method: not effective; the unchanged retry approves it", async (point) => {
    const ledger = await restoreLedger(proposed);
    const request = await signSubmit(ledger, "hf-haikou", APPROVE, NONCE);
    await dieAt(ledger, point, (store) => send(ledger, request, store));
    await expectNotEffective(ledger);
    const receipt = await send(ledger, request);
    await expectEffective(ledger, receipt);
    expect(await seal(ledger)).toMatchObject({ sealed: true, height: 2, entries: 3 });
    await checkLedger(ledger, 2);
  });

  it("after commitBatch #1: effective; the unchanged retry is NONCE_REPLAYED and changes nothing", async () => {
    const ledger = await restoreLedger(proposed);
    const request = await signSubmit(ledger, "hf-haikou", APPROVE, NONCE);
    await dieAt(ledger, { when: "after", method: "commitBatch", nth: 1 }, (store) =>
      send(ledger, request, store),
    );
    const batch = await ledger.store.getBatch(batchKeyOf(request));
    const id = batch?.envelopes[0]?.id as string;
    ledger.submitted.push(id);
    const state = await loadContract(INTL, ledger.store, CONTRACT.id);
    expect(state?.versions[0]).toMatchObject({ status: "approved", approveEntry: id });
    const items = await scanAll(ledger.client, ledger.table);
    expect((await refusalOf(send(ledger, request))).code).toBe("NONCE_REPLAYED");
    expect(await scanAll(ledger.client, ledger.table)).toEqual(items);
    expect(await seal(ledger)).toMatchObject({ sealed: true, height: 2, entries: 1 });
    const facts = await checkLedger(ledger, 2);
    expect(facts.sealedAt.get(id)).toBe(2);
  });
});

describe("two match requests under one nonce, in flight together", () => {
  /** Holds each wrapper's commitBatch until both have reached it: both passed the replay check. */
  function bothAtCommit() {
    let arrived = 0;
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    return (call: StoreCall) => {
      if (call.method !== "commitBatch") return undefined;
      arrived += 1;
      if (arrived === 2) open();
      return gate;
    };
  }

  it.each([
    ["the same request twice (a client retry racing the original)", QUESTION, QUESTION],
    ["two different questions", QUESTION, { ...QUESTION, where: [] }],
  ] as const)(
    "%s: one answer, one NONCE_REPLAYED, exactly one access entry",
    async (_what, first, second) => {
      const ledger = await restoreLedger(agreed);
      const nonce = "racing-match-0000001";
      const a = await signMatch(ledger, first, nonce);
      const b = first === second ? a : await signMatch(ledger, second, nonce);
      const before = await trailIds(ledger, a);
      const itemsBefore = await scanAll(ledger.client, ledger.table);

      const hold = bothAtCommit();
      const results = await Promise.allSettled(
        [a, b].map((r) =>
          matchRecord(r.caller, r.body, deps(ledger, new FaultyStore(ledger.store, { hold }))),
        ),
      );
      const answers = results.filter((r) => r.status === "fulfilled").map((r) => r.value);
      const errors = results.filter((r) => r.status === "rejected").map((r) => r.reason as ApiError);
      expect(answers).toHaveLength(1);
      expect(errors.map((e) => e.code)).toEqual(["NONCE_REPLAYED"]);
      const id = answers[0]?.accessEntryId as string;
      ledger.submitted.push(id);

      const batch = await ledger.store.getBatch(`${a.caller.keyId}#${nonce}`);
      expect(batch?.envelopes.map((e) => e.id)).toEqual([id]);
      // Exactly one access entry: its batch (head and body), payload and index items (and
      // the rate counter). The loser's batch body, unless identical, is an orphan no head names.
      const receivedAt = batch?.envelopes[0]?.receivedAt;
      const itemsAfter = await scanAll(ledger.client, ledger.table);
      const diff = diffSnapshots(itemsBefore, withoutOrphanBodies(itemsAfter));
      expect(diff.removed).toEqual([]);
      expect(diff.added.filter((k) => !k.startsWith("R#"))).toEqual([
        expect.stringMatching(new RegExp(`^A#[0-9a-f]{64} \\| ${receivedAt}#${id}$`)),
        `B#${a.caller.keyId}#${nonce} | B`,
        expect.stringMatching(new RegExp(`^B#${a.caller.keyId}#${nonce} \\| E#[0-9a-f]{64}$`)),
        `E#${id} | P`,
        `T#hf-haikou | ${receivedAt}#${id}`,
        `T#hf-sanya | ${receivedAt}#${id}`,
      ]);
      expect(orphanBodies(itemsAfter).length).toBeLessThanOrEqual(1);
      expect(await trailIds(ledger, a)).toEqual([...before, id]);

      expect(await seal(ledger)).toMatchObject({ sealed: true, height: 3, entries: 1 });
      const facts = await checkLedger(ledger, 3);
      expect(facts.sealedAt.get(id)).toBe(3);
    },
  );
});
