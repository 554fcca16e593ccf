import { DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INTL, KEY_ADD_TYPE, KEY_RETIRE_TYPE, KEY_REVOKE_TYPE } from "#chain";
import { auditChain } from "../../../functions/audit/audit.js";
import { StaticKeyDirectory } from "../../../functions/auth/key-directory.js";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import { loadKeyRecords } from "../../../functions/store/key-records.js";
import { itemKeys } from "../../../functions/store/table.js";
import { keyAddRecord } from "../../../lib/crypto/key-records.js";
import type { LocalSigner } from "../../../lib/crypto/local-signer.js";
import { trustFile } from "../../../lib/local-home.js";
import { keyIndex } from "../../../lib/store-layout.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";
import { audit, newSigner, submitAs, tick } from "./key-node.js";

// Keys that change while the ledger runs (docs/design/key-history.md §4–§5), over the
// wire against dynalite: the API authenticates by the ledger's own key history the
// moment a key record commits, and the audit judges every signature by the same history
// at each entry's receive time — clean after a rotation, KEY_REVOKED for exactly the
// entries signed at or after a revoked key's compromisedSince, KEY_HISTORY_MISMATCH when
// the key index and the sealed key records disagree.

let t: TestNode;
let store: DynamoDbLedgerStore;
beforeAll(async () => {
  t = await startTestNode({ introduceKeys: true });
  store = new DynamoDbLedgerStore(t.client, t.table);
  await t.seal(); // the genesis key set: block 1
});
afterAll(async () => {
  await t?.stop();
});

function add(key: LocalSigner, owner: string) {
  return keyAddRecord(key, owner);
}

describe("rotating a department's key mid-run", () => {
  it("submit, add the next key, submit with it, retire the old, seal: the retired key is refused and the audit is clean", async () => {
    const owner = "hf-haikou";
    const old = await t.keyIdOf(owner);
    const next = newSigner(owner);

    expect((await submitAs(t, owner, undefined)).status).toBe(202);
    // Not yet on the ledger: a key the history has not added does not sign.
    const early = await submitAs(t, owner, next);
    expect([early.status, early.code]).toEqual([401, "UNKNOWN_KEY"]);

    expect((await submitAs(t, owner, undefined, [await add(next, owner)])).status).toBe(202);
    // Committed is enough: the next request with the new key is accepted, in any container.
    expect((await submitAs(t, owner, next)).status).toBe(202);
    expect((await submitAs(t, owner, next, [{ type: KEY_RETIRE_TYPE, data: { keyId: old } }])).status).toBe(
      202,
    );

    const before = await t.snapshot();
    const refused = await submitAs(t, owner, undefined);
    expect([refused.status, refused.code]).toEqual([401, "KEY_NOT_VALID"]);
    expect(await t.snapshot()).toEqual(before);

    expect((await submitAs(t, owner, next)).status).toBe(202);
    await t.seal();
    const report = await audit(t);
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect((await loadKeyRecords(store, owner)).map((r) => r.type)).toEqual([
      KEY_ADD_TYPE,
      KEY_ADD_TYPE,
      KEY_RETIRE_TYPE,
    ]);
    // GET /v1/keys/{member}: what the API now authenticates hf-haikou by, for any member to read.
    const shown = await t.send({ method: "GET", path: `/v1/keys/${owner}`, as: "hf-sanya" });
    expect(shown.status).toBe(200);
    expect(shown.body.keys.map((k: { keyId: string; status: string }) => [k.keyId, k.status])).toEqual([
      [old, "retired"],
      [next.keyId, "active"],
    ]);
    expect(shown.body.records.map((r: { type: string }) => r.type)).toEqual([
      KEY_ADD_TYPE,
      KEY_ADD_TYPE,
      KEY_RETIRE_TYPE,
    ]);
    const stranger = await t.send({ method: "GET", path: "/v1/keys/no-such-member", as: "hf-sanya" });
    expect([stranger.status, stranger.body.error.code]).toEqual([404, "NOT_FOUND"]);
  });
});

describe("revoking a key with a back-dated compromisedSince", () => {
  it("the audit names exactly the entries signed with it at or after that time", async () => {
    const owner = "hf-sanya";
    const spare = newSigner(owner);
    expect((await submitAs(t, owner, undefined, [await add(spare, owner)])).status).toBe(202);
    const before = await submitAs(t, owner, undefined);
    expect(before.status).toBe(202);
    await tick();
    const compromisedSince = new Date().toISOString();
    await tick();
    const stolen = [await submitAs(t, owner, undefined), await submitAs(t, owner, undefined)];
    for (const s of stolen) expect(s.status).toBe(202);
    await t.seal();
    expect((await audit(t)).ok).toBe(true);

    const current = await t.keyIdOf(owner);
    const revoked = await submitAs(t, owner, spare, [
      { type: KEY_REVOKE_TYPE, data: { keyId: current, compromisedSince } },
    ]);
    expect(revoked.status).toBe(202);
    const refused = await submitAs(t, owner, undefined);
    expect([refused.status, refused.code]).toEqual([401, "KEY_NOT_VALID"]);
    await t.seal();

    const report = await audit(t);
    expect(report.findings.map((f) => [f.code, f.entryId])).toEqual(
      stolen.flatMap((s) => s.ids).map((id: string) => ["KEY_REVOKED", id]),
    );
    expect(report.findings.map((f) => f.entryId)).not.toContain(before.ids[0]);
  });
});

describe("the audit reads the key records of every member", () => {
  it("also of a member whose key the trust bundle leaves out (a disabled KMS key): no mismatch, its entries judged by the ledger", async () => {
    const all = t.node.consortium;
    const members = [...all.departments, ...all.auditors].map((m) => m.id);
    const bundle = StaticKeyDirectory.fromFile(trustFile(t.node.home));
    const without = {
      getKey: (id: string) => (id.startsWith("market-regulation/") ? undefined : bundle.getKey(id)),
      listKeys: () => bundle.listKeys().filter((k) => k.owner !== "market-regulation"),
    };
    const deps = { source: store, keys: without, log: all.log, suite: INTL, keyRecords: store };
    // The same findings as with the whole bundle (the revoke above left its KEY_REVOKED).
    const whole = await auditChain({ ...deps, keys: bundle, members });
    expect(whole.findings.map((f) => f.code)).not.toContain("KEY_HISTORY_MISMATCH");
    expect((await auditChain({ ...deps, members })).findings).toEqual(whole.findings);
    // Without the members, the bundle's owners are all it knows: market-regulation's
    // sealed key record is one it was not given.
    expect((await auditChain(deps)).findings.map((f) => f.code)).toContain("KEY_HISTORY_MISMATCH");
  });
});

describe("the key index is only what the audit is given", () => {
  it("a sealed key record the index no longer lists is KEY_HISTORY_MISMATCH", async () => {
    const owner = "market-regulation";
    const [genesis] = await loadKeyRecords(store, owner);
    expect(genesis?.type).toBe(KEY_ADD_TYPE);
    const entryId = genesis?.entryId as string;
    await t.client.send(
      new DeleteItemCommand({
        TableName: t.table,
        Key: itemKeys.index(keyIndex(owner), genesis?.receivedAt as string, entryId),
      }),
    );
    const report = await audit(t);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ code: "KEY_HISTORY_MISMATCH", entryId }),
    );
  });
});
