import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentDigest, entryIdFor, recordHash } from "#chain";
import { auditEntry } from "../../../functions/audit/audit-entry.js";
import { readEntry } from "../../../functions/ledger/reader.js";
import { scanAll } from "../../../functions/store/snapshot.js";
import { ApiError } from "../../../lib/protocol/errors.js";
import { orphanBodies, withoutOrphanBodies } from "../../support/batch-bodies.js";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { CrashError, type CrashPoint, FaultyStore } from "../../support/faulty-store.js";
import { testSuite } from "../../support/test-suite.js";
import {
  audit,
  certificates,
  checkLedger,
  drain,
  type Ledger,
  type LedgerSnapshot,
  LOG,
  makeMembers,
  openLedger,
  type Records,
  restoreLedger,
  type SignedSubmit,
  seal,
  send,
  signSubmit,
  snapshotLedger,
  submit,
} from "./harness.js";

// Submit writes payloads, then commits the batch with one conditional put — its commit
// point and replay guard (functions/ledger/submit.ts). A client whose request died
// retries it unchanged (same nonce, same signature). Whatever the crash point, the
// entry exists once or not at all, and the retry either creates it or is refused
// without changing a byte.

let dynamo: LocalDynamo;
let base: LedgerSnapshot;
beforeAll(async () => {
  dynamo = await startDynalite();
  const ledger = await openLedger(await makeMembers(), dynamo.client);
  await submit(ledger, "hf-sanya", 2, "earlier-sanya-batch-1");
  expect(await seal(ledger)).toMatchObject({ sealed: true, height: 1 });
  base = await snapshotLedger(ledger);
});
afterAll(async () => {
  await dynamo?.stop();
});

const NONCE = "crashing-haikou-request-1";
const RECORDS: Records = certificates("crashing", 3);

/** The ids submit derives for RECORDS under NONCE — known without a receipt. */
function idsOf(request: SignedSubmit, records: Records): string[] {
  return records.map((r, i) =>
    entryIdFor(
      testSuite,
      request.caller.keyId,
      request.caller.nonce,
      i,
      recordHash(testSuite, r.type, contentDigest(testSuite, r.data)),
    ),
  );
}

async function crashSubmit(ledger: Ledger, request: SignedSubmit, crash: CrashPoint): Promise<void> {
  const dying = new FaultyStore(ledger.store, { crash });
  await expect(send(ledger, request, dying)).rejects.toBeInstanceOf(CrashError);
  await dying.idle();
}

async function readError(ledger: Ledger, request: SignedSubmit, id: string): Promise<unknown> {
  return readEntry(request.caller, id, ledger.store, ledger.members.consortium).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe("a submit that dies before its commit point leaves no entry; the retry creates it", () => {
  const points = [
    { when: "before", method: "putEntryItems", nth: 1 },
    { when: "after", method: "putEntryItems", nth: 1 },
    { when: "before", method: "commitBatch", nth: 1 },
  ] as const;
  it.each(points)("crash $when $method", async (point) => {
    const ledger = await restoreLedger(base);
    const request = await signSubmit(ledger, "hf-haikou", RECORDS, NONCE);
    const ids = idsOf(request, RECORDS);
    await crashSubmit(ledger, request, point);

    // Payload items may be left behind (written before the commit), but no entry exists.
    const payloadsLeft = await ledger.store.getPayloads(ids);
    const payloadsWritten = point.method === "commitBatch" || point.when === "after";
    expect(payloadsLeft).toHaveLength(payloadsWritten ? ids.length : 0);
    expect(await ledger.store.getBatch(`${request.caller.keyId}#${NONCE}`)).toBeUndefined();
    // The batch's body goes with them (putEntryItems), before the head: written, it is an
    // orphan until a head names it.
    const partition = (await scanAll(ledger.client, ledger.table)).filter(
      (i) => i.pk?.S === `B#${request.caller.keyId}#${NONCE}`,
    );
    expect(partition.map((i) => i.sk?.S)).toEqual(
      payloadsWritten ? [expect.stringMatching(/^E#[0-9a-f]{64}$/)] : [],
    );
    for (const id of ids) {
      const error = await readError(ledger, request, id);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).code).toBe("NOT_FOUND");
      // Not an entry the ledger lost: one it never had (a payload item left behind names a batch that does not exist).
      await expect(
        auditEntry(
          {
            source: ledger.store,
            keys: ledger.members.keys,
            log: LOG,
            suite: testSuite,
            keyRecords: ledger.store,
            pending: ledger.store,
          },
          id,
        ),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
    // The sealer never sees it, and the chain is still sound.
    expect(await seal(ledger)).toMatchObject({ sealed: false, reason: "nothing-pending" });
    expect(await audit(ledger)).toMatchObject({ ok: true, blocksChecked: 1, entriesChecked: 2 });

    // The client's retry — the very same signed request — is accepted.
    const receipt = await send(ledger, request);
    expect(receipt.entries.map((e) => e.id)).toEqual(ids);
    const view = await readEntry(request.caller, ids[0] as string, ledger.store, ledger.members.consortium);
    expect(view).toMatchObject({ status: "pending", payload: RECORDS[0]?.data });
    expect(await seal(ledger)).toMatchObject({ sealed: true, height: 2, entries: 3 });
    await checkLedger(ledger, 2);
    // Committed once: one head, naming the retry's body; the crashed attempt's, if it
    // differs (another receive time), is the one orphan.
    const after = await scanAll(ledger.client, ledger.table);
    const mine = after.filter((i) => i.pk?.S === `B#${request.caller.keyId}#${NONCE}`);
    expect(mine.filter((i) => i.sk?.S === "B")).toHaveLength(1);
    expect(orphanBodies(mine).length).toBeLessThanOrEqual(payloadsWritten ? 1 : 0);
  });
});

describe("a submit that dies after its commit point has an entry; the retry is refused and changes nothing", () => {
  it.each([{ when: "after", method: "commitBatch", nth: 1 }] as const)(
    "crash $when $method",
    async (point) => {
      const ledger = await restoreLedger(base);
      const request = await signSubmit(ledger, "hf-haikou", RECORDS, NONCE);
      const ids = idsOf(request, RECORDS);
      await crashSubmit(ledger, request, point);
      // The client never saw the receipt, but the entries exist.
      ledger.submitted.push(...ids);
      expect(
        await readEntry(request.caller, ids[2] as string, ledger.store, ledger.members.consortium),
      ).toMatchObject({
        status: "pending",
      });

      const retry = async () => {
        const before = await scanAll(ledger.client, ledger.table);
        const error = await send(ledger, request).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ApiError);
        expect((error as ApiError).code).toBe("NONCE_REPLAYED");
        // Nothing changed but the retry's own batch body, an orphan no head names.
        const after = await scanAll(ledger.client, ledger.table);
        expect(withoutOrphanBodies(after)).toEqual(withoutOrphanBodies(before));
        expect(orphanBodies(after)).toHaveLength(orphanBodies(before).length + 1);
      };
      await retry();
      expect(await seal(ledger)).toMatchObject({ sealed: true, height: 2, entries: 3 });
      // Retried again once sealed: still refused, still nothing changed, still sealed once.
      await retry();
      expect(await seal(ledger)).toMatchObject({ sealed: false, reason: "nothing-pending" });
      const facts = await checkLedger(ledger, 2);
      for (const id of ids) expect(facts.sealedAt.get(id)).toBe(2);
    },
  );
});

describe("a refused replay that dies while removing its own payloads", () => {
  it.each([
    { when: "before", method: "getBatch", nth: 1 },
    { when: "before", method: "deletePayloads", nth: 1 },
  ] as const)("crash $when $method: its leftovers are not entries, the original is intact", async (point) => {
    const ledger = await restoreLedger(base);
    const original = await signSubmit(ledger, "hf-haikou", RECORDS, NONCE);
    const ids = idsOf(original, RECORDS);
    await send(ledger, original);
    // Same nonce, other records: a replay with a body of its own (its signature is valid).
    const other = certificates("replayed-other", 2);
    const replay = await signSubmit(ledger, "hf-haikou", other, NONCE);
    const strays = idsOf(replay, other);
    await crashSubmit(ledger, replay, point);

    expect(await ledger.store.getPayloads(strays)).toHaveLength(strays.length);
    for (const id of strays) {
      expect(((await readError(ledger, replay, id)) as ApiError).code).toBe("NOT_FOUND");
    }
    await drain(ledger);
    const facts = await checkLedger(ledger, 2);
    for (const id of ids) expect(facts.sealedAt.get(id)).toBe(2);
    for (const id of strays) expect(facts.sealedAt.has(id)).toBe(false);
  });
});
