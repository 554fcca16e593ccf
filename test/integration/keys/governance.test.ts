import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  contentDigest,
  type JsonValue,
  KEY_ADD_TYPE,
  KEY_COSIGN_TYPE,
  KEY_RETIRE_TYPE,
  KEY_REVOKE_TYPE,
} from "#chain";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import { loadKeyRecords } from "../../../functions/store/key-records.js";
import { itemKeys } from "../../../functions/store/table.js";
import { keyAddRecord } from "../../../lib/crypto/key-records.js";
import type { PendingKeyRecordView } from "../../../lib/protocol/keys.js";
import { keyIndex } from "../../../lib/store-layout.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";
import { testExampleConsortium, testSuite } from "../../support/test-suite.js";
import { audit, deposit, newSigner, submitAs, tick } from "./key-node.js";

// The consortium file's key-record governance (docs/design/key-history.md §3, rules 4–5)
// over the wire against dynalite: with keyRecords.cosigns = 1 a department's own key
// record counts once another department cosigns it (zhixin.cosign), and a department
// whose key is stolen is recovered by the others — a revoke and an add of its key written
// by another department, counting once a majority of the departments other than it
// (here 3 of 5: the writer and two cosigners) stand behind them. Whatever the fold does
// not count is refused with its code and leaves the store as it was; the audit judges
// the cosigns clean and names exactly the entries the stolen key signed after it was
// stolen.

let t: TestNode;
let store: DynamoDbLedgerStore;
beforeAll(async () => {
  const file = join(tmpdir(), `zhixin-governance-${process.pid}.json`);
  await writeFile(file, JSON.stringify({ ...testExampleConsortium(), keyRecords: { cosigns: 1 } }));
  t = await startTestNode({ introduceKeys: true, consortiumFile: file });
  store = new DynamoDbLedgerStore(t.client, t.table);
  await t.seal(); // the genesis key set, each add with the cosign npm start gave it: block 1
});
afterAll(async () => {
  await t?.stop();
});

/** GET /v1/keys/{member}'s pending records. */
async function pendingOf(member: string): Promise<PendingKeyRecordView[]> {
  const res = await t.send({ method: "GET", path: `/v1/keys/${member}`, as: "hf-haikou" });
  expect(res.status).toBe(200);
  return res.body.pending;
}

/** `as` cosigns `member`'s pending record `entryId`, naming the digest GET /v1/keys gives (or `digest`). */
async function cosign(as: string, member: string, entryId: string, digest?: string) {
  const pending = (await pendingOf(member)).find((p) => p.entryId === entryId);
  const contentDigest = digest ?? pending?.contentDigest ?? "0".repeat(64);
  return submitAs(t, as, undefined, [{ type: KEY_COSIGN_TYPE, data: { entryId, contentDigest } }]);
}

describe("keyRecords.cosigns = 1: a department's own key records count once another department cosigns", () => {
  it("npm start cosigns each department's first key as the next department in the file (local mode holds every key)", async () => {
    const departments = t.node.consortium.departments.map((d) => d.id);
    for (const [i, d] of departments.entries()) {
      expect(await pendingOf(d)).toEqual([]);
      const records = await loadKeyRecords(store, d);
      expect(records.map((r) => [r.type, r.writer])).toEqual([
        [KEY_ADD_TYPE, d],
        [KEY_COSIGN_TYPE, departments[(i + 1) % departments.length]],
      ]);
      expect(records[1]?.data).toEqual({
        entryId: records[0]?.entryId,
        contentDigest: contentDigest(testSuite, records[0]?.data as JsonValue),
      });
    }
    const report = await audit(t);
    expect(report.findings).toEqual([]);
  });

  it("a second key is pending (refused by the API) until another department's cosign completes it", async () => {
    const owner = "hf-haikou";
    const next = newSigner(owner);
    const added = await submitAs(t, owner, undefined, [await keyAddRecord(next, owner)]);
    expect(added.status).toBe(202);
    const [pending] = await pendingOf(owner);
    expect(pending).toMatchObject({
      entryId: added.ids[0],
      type: KEY_ADD_TYPE,
      writer: owner,
      kind: "owner",
      cosigners: [],
      cosignsNeeded: 1,
    });
    const early = await submitAs(t, owner, next);
    expect([early.status, early.code]).toEqual([401, "UNKNOWN_KEY"]);

    const cosigned = await cosign("civil-affairs", owner, added.ids[0] as string);
    expect(cosigned.status).toBe(202);
    expect(await pendingOf(owner)).toEqual([]);
    expect((await submitAs(t, owner, next)).status).toBe(202);
    // Both keys sign now (nothing retired the first).
    expect((await submitAs(t, owner, undefined)).status).toBe(202);
    // Indexed with the owner's key records, in ledger order.
    expect((await loadKeyRecords(store, owner)).map((r) => [r.type, r.writer])).toEqual([
      [KEY_ADD_TYPE, owner],
      [KEY_COSIGN_TYPE, "hf-sanya"],
      [KEY_ADD_TYPE, owner],
      [KEY_COSIGN_TYPE, "civil-affairs"],
    ]);
    await t.seal();
    expect((await audit(t)).findings).toEqual([]);
  });
});

describe("recovery of a stolen key by the other departments (rule 4)", () => {
  const victim = "hf-sanya";
  const writer = "market-regulation";
  let revokeCosign = "";

  it("revoked back to compromisedSince and a new key added, each by another department and completed by two more: the audit names exactly what the stolen key signed after", async () => {
    const stolenKey = await t.keyIdOf(victim);
    const before = await submitAs(t, victim, undefined);
    expect(before.status).toBe(202);
    await tick();
    const compromisedSince = new Date().toISOString();
    await tick();
    const stolen = [await submitAs(t, victim, undefined), await submitAs(t, victim, undefined)];

    const revoke = await submitAs(t, writer, undefined, [
      { type: KEY_REVOKE_TYPE, data: { keyId: stolenKey, compromisedSince } },
    ]);
    expect(revoke.status).toBe(202);
    const revokeId = revoke.ids[0] as string;
    expect(await pendingOf(victim)).toEqual([
      expect.objectContaining({
        entryId: revokeId,
        writer,
        data: { keyId: stolenKey, compromisedSince },
        contentDigest: contentDigest(testSuite, { keyId: stolenKey, compromisedSince }),
        kind: "recovery",
        cosigners: [],
        cosignsNeeded: 2,
      }),
    ]);
    // Pending: the stolen key still signs.
    stolen.push(await submitAs(t, victim, undefined));
    expect((await cosign("civil-affairs", victim, revokeId)).status).toBe(202);
    expect(await pendingOf(victim)).toEqual([
      expect.objectContaining({ entryId: revokeId, cosigners: ["civil-affairs"], cosignsNeeded: 1 }),
    ]);
    stolen.push(await submitAs(t, victim, undefined));
    for (const s of stolen) expect(s.status).toBe(202);
    const completing = await cosign("internet-court", victim, revokeId);
    expect(completing.status).toBe(202);
    revokeCosign = completing.ids[0] as string;
    const refused = await submitAs(t, victim, undefined);
    expect([refused.status, refused.code]).toEqual([401, "KEY_NOT_VALID"]);
    const keys = (await t.send({ method: "GET", path: `/v1/keys/${victim}`, as: writer })).body.keys;
    expect(keys).toEqual([
      expect.objectContaining({
        keyId: stolenKey,
        status: "revoked",
        compromisedSince,
        revokeEntry: revokeId,
      }),
    ]);

    // The new key: its holder gives the add (with its pop) to another department.
    const fresh = newSigner(victim);
    const add = await submitAs(t, writer, undefined, [await keyAddRecord(fresh, victim)]);
    expect(add.status).toBe(202);
    const addId = add.ids[0] as string;
    const early = await submitAs(t, victim, fresh);
    expect([early.status, early.code]).toEqual([401, "UNKNOWN_KEY"]);
    expect((await cosign("service-centre", victim, addId)).status).toBe(202);
    expect((await cosign("hf-haikou", victim, addId)).status).toBe(202);
    expect(await pendingOf(victim)).toEqual([]);
    const after = await submitAs(t, victim, fresh);
    expect(after.status).toBe(202);

    await t.seal();
    const report = await audit(t);
    expect(report.findings.map((f) => [f.code, f.entryId])).toEqual(
      stolen.flatMap((s) => s.ids).map((id) => ["KEY_REVOKED", id]),
    );
  });

  it("refuses every cosign, retire and recovery the fold does not count, each with its code, writing nothing", async () => {
    const owner = "internet-court";
    const ownerKey = await t.keyIdOf(owner);
    // An owner's add awaiting one cosign, and a recovery (by service-centre) awaiting two.
    const own = await submitAs(t, owner, undefined, [await keyAddRecord(newSigner(owner), owner)]);
    const recovery = await submitAs(t, "service-centre", undefined, [
      await keyAddRecord(newSigner(owner), owner),
    ]);
    expect([own.status, recovery.status]).toEqual([202, 202]);
    const ownId = own.ids[0] as string;
    const recoveryId = recovery.ids[0] as string;
    expect((await cosign("civil-affairs", owner, recoveryId)).status).toBe(202);
    const [haikouGenesis] = await loadKeyRecords(store, "hf-haikou");
    const done = haikouGenesis?.entryId as string;

    const cosignData = (entryId: string, contentDigest: string) => [
      { type: KEY_COSIGN_TYPE, data: { entryId, contentDigest } },
    ];
    const digestOf = async (id: string) =>
      (await pendingOf(owner)).find((p) => p.entryId === id)?.contentDigest as string;
    const cases: Array<[string, string, Array<{ type: string; data: unknown }>, number, string]> = [
      [
        "a cosign by the key's owner",
        owner,
        cosignData(recoveryId, await digestOf(recoveryId)),
        409,
        "KEY_COSIGN_REFUSED",
      ],
      [
        "a cosign by the owner of its own record",
        owner,
        cosignData(ownId, await digestOf(ownId)),
        409,
        "KEY_COSIGN_REFUSED",
      ],
      [
        "a cosign by the recovery's writer",
        "service-centre",
        cosignData(recoveryId, await digestOf(recoveryId)),
        409,
        "KEY_COSIGN_REFUSED",
      ],
      [
        "a second cosign by one department",
        "civil-affairs",
        cosignData(recoveryId, await digestOf(recoveryId)),
        409,
        "KEY_COSIGN_REFUSED",
      ],
      [
        "a cosign naming another digest",
        "hf-haikou",
        cosignData(recoveryId, "ab".repeat(32)),
        409,
        "KEY_COSIGN_REFUSED",
      ],
      [
        "a cosign of a record that took effect already",
        "market-regulation",
        cosignData(done, contentDigest(testSuite, haikouGenesis?.data as JsonValue)),
        409,
        "KEY_COSIGN_REFUSED",
      ],
      [
        "a cosign by an auditor",
        "auditor",
        cosignData(recoveryId, await digestOf(recoveryId)),
        403,
        "ROLE_FORBIDDEN",
      ],
      [
        "a retire by another department",
        "hf-haikou",
        [{ type: KEY_RETIRE_TYPE, data: { keyId: ownerKey } }],
        403,
        "KEY_NOT_OWNED",
      ],
      [
        "a recovery by an auditor",
        "auditor",
        [{ type: KEY_REVOKE_TYPE, data: { keyId: ownerKey, compromisedSince: new Date().toISOString() } }],
        403,
        "ROLE_FORBIDDEN",
      ],
      [
        "a key record's cosign with another record",
        "hf-haikou",
        [...cosignData(recoveryId, await digestOf(recoveryId)), ...deposit()],
        400,
        "KEY_RECORD_NOT_ALONE",
      ],
    ];
    for (const [what, as, records, status, code] of cases) {
      const before = await t.snapshot();
      const res = await submitAs(t, as, undefined, records);
      expect([res.status, res.code], what).toEqual([status, code]);
      expect(await t.snapshot(), what).toEqual(before);
    }
    // Still pending as they were: the owner's add and the recovery with its one cosign.
    expect((await pendingOf(owner)).map((p) => [p.entryId, p.kind, p.cosigners])).toEqual([
      [ownId, "owner", []],
      [recoveryId, "recovery", ["civil-affairs"]],
    ]);
    await t.seal();
    // The pending records and their cosign are clean; the recovery above left its KEY_REVOKED findings.
    expect(new Set((await audit(t)).findings.map((f) => f.code))).toEqual(new Set(["KEY_REVOKED"]));
  });

  it("a cosign the key index leaves out is KEY_HISTORY_MISMATCH, not a revoke without effect judged clean", async () => {
    const [entry] = (await loadKeyRecords(store, victim)).filter((r) => r.entryId === revokeCosign);
    expect(entry?.type).toBe(KEY_COSIGN_TYPE);
    await t.client.send(
      new DeleteItemCommand({
        TableName: t.table,
        Key: itemKeys.index(keyIndex(victim), entry?.receivedAt as string, revokeCosign),
      }),
    );
    // The revoke is pending again for the API: the stolen key signs.
    expect((await pendingOf(victim)).map((p) => p.type)).toEqual([KEY_REVOKE_TYPE]);
    const report = await audit(t);
    expect(report.ok).toBe(false);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ code: "KEY_HISTORY_MISMATCH", entryId: revokeCosign }),
    );
    // And the cosign's own audit says so.
    const own = await audit(t, { entry: revokeCosign });
    expect(own.findings.map((f) => [f.code, f.entryId])).toEqual([["KEY_HISTORY_MISMATCH", revokeCosign]]);
  });
});
