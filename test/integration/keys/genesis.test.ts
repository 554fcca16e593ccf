import { generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveKeyId, INTL, KEY_ADD_TYPE, KEY_RETIRE_TYPE, KEY_REVOKE_TYPE, keyPopMessage } from "#chain";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import { loadKeyRecords } from "../../../functions/store/key-records.js";
import { introduceDepartmentKeys } from "../../../local/genesis.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";

// The key history's genesis under npm start (local/genesis.ts) and key records through
// the API (functions/rules/key-records.ts) over dynalite: every department introduces its
// own key once, sealed like any record; what lib/chain's fold would not count is refused
// with its own code and leaves the store as it was.

let t: TestNode;
let store: DynamoDbLedgerStore;
beforeAll(async () => {
  t = await startTestNode({ introduceKeys: true });
  store = new DynamoDbLedgerStore(t.client, t.table);
});
afterAll(async () => {
  await t?.stop();
});

function newKey(owner: string) {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const spki = publicKey.export({ format: "der", type: "spki" });
  const keyId = deriveKeyId(INTL, owner, spki);
  return {
    keyId,
    add: {
      alg: "ed25519",
      keyId,
      owner,
      pop: sign(null, keyPopMessage(keyId), privateKey).toString("base64"),
      role: "department",
      spki: spki.toString("base64"),
    },
  };
}

describe("npm start introduces every department's key", () => {
  it("one self-signed zhixin.key.add per department, sealed in the next block, under K#<department>", async () => {
    const departments = t.node.consortium.departments.map((d) => d.id);
    expect(t.node.introducedKeys.map((k) => k.owner)).toEqual(departments);
    for (const k of t.node.introducedKeys) expect(k.keyId).toBe(await t.keyIdOf(k.owner));
    const sealed = await t.seal();
    expect(sealed).toMatchObject({ sealed: true, height: 1, entries: departments.length });
    for (const d of departments) {
      const records = await loadKeyRecords(store, d);
      expect(records.map((r) => [r.type, r.writer, r.signedBy])).toEqual([
        [KEY_ADD_TYPE, d, await t.keyIdOf(d)],
      ]);
    }
    const report = await t.send({
      method: "GET",
      path: `/v1/entries/${t.node.introducedKeys[0]?.entryId}`,
      as: "hf-haikou",
    });
    expect(report.body).toMatchObject({
      status: "sealed",
      envelope: { type: KEY_ADD_TYPE, dept: "hf-haikou" },
    });
  });

  it("refuses, with its own code and nothing written, what the key history would not count", async () => {
    const haikou = await t.keyIdOf("hf-haikou");
    const fresh = newKey("hf-haikou");
    const cases: Array<[string, Array<{ type: string; data: unknown }>, string, number]> = [
      ["its key again", [{ type: KEY_ADD_TYPE, data: await ownAdd() }], "KEY_ID_TAKEN", 409],
      [
        "a key under an id not derived from it",
        [{ type: KEY_ADD_TYPE, data: { ...fresh.add, keyId: newKey("hf-haikou").keyId } }],
        "KEY_ID_INVALID",
        400,
      ],
      [
        "a key record with another record",
        [
          { type: KEY_ADD_TYPE, data: fresh.add },
          { type: KEY_RETIRE_TYPE, data: { keyId: haikou } },
        ],
        "KEY_RECORD_NOT_ALONE",
        400,
      ],
      [
        "a retire of a key never added",
        [{ type: KEY_RETIRE_TYPE, data: { keyId: fresh.keyId } }],
        "KEY_STATE_CONFLICT",
        409,
      ],
      [
        "a revoke compromised in the future",
        [{ type: KEY_REVOKE_TYPE, data: { keyId: haikou, compromisedSince: "2999-01-01T00:00:00.000Z" } }],
        "KEY_STATE_CONFLICT",
        409,
      ],
      [
        "a key record's data not of its form",
        [{ type: KEY_RETIRE_TYPE, data: { keyId: haikou, why: "x" } }],
        "SCHEMA_VIOLATION",
        400,
      ],
    ];
    for (const [what, records, code, status] of cases) {
      const before = await t.snapshot();
      const refused = await t.submit("hf-haikou", records);
      expect([refused.status, refused.body?.error?.code], what).toEqual([status, code]);
      expect(await t.snapshot(), what).toEqual(before);
    }
    // hf-sanya may not retire hf-haikou's key. (It may propose an add or a revoke of it: a
    // recovery, which counts once a majority of the departments cosign it, governance.test.ts.)
    const before = await t.snapshot();
    const foreign = await t.submit("hf-sanya", [{ type: KEY_RETIRE_TYPE, data: { keyId: haikou } }]);
    expect([foreign.status, foreign.body?.error?.code]).toEqual([403, "KEY_NOT_OWNED"]);
    expect(await t.snapshot()).toEqual(before);

    async function ownAdd() {
      // hf-haikou's own add, as it was introduced: the same key id again.
      const [first] = await loadKeyRecords(store, "hf-haikou");
      return first?.data as Record<string, unknown>;
    }
  });

  it("a rotation: the next key is added by the current one, and a restart introduces nothing again", async () => {
    const next = newKey("hf-haikou");
    const added = await t.submit("hf-haikou", [{ type: KEY_ADD_TYPE, data: next.add }]);
    expect(added.status).toBe(202);
    await t.seal();
    expect((await loadKeyRecords(store, "hf-haikou")).map((r) => r.type)).toEqual([
      KEY_ADD_TYPE,
      KEY_ADD_TYPE,
    ]);
    // What a restart of npm start runs: every department has key records, so nothing is introduced.
    const again = await introduceDepartmentKeys({
      url: t.url,
      home: t.node.home,
      consortium: t.node.consortium,
      store,
    });
    expect(again).toEqual([]);
  });
});
