import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KEY_ADD_TYPE, KEY_COSIGN_TYPE } from "#chain";
import { readOwnerSignerFile } from "../../../functions/auth/signer-file.js";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import { loadKeyRecords } from "../../../functions/store/key-records.js";
import { keyAddRecord } from "../../../lib/crypto/key-records.js";
import { keyFile } from "../../../lib/local-home.js";
import { introduceDepartmentKeys } from "../../../local/genesis.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";
import { testExampleConsortium, testSuite } from "../../support/test-suite.js";

// npm start's genesis under keyRecords.cosigns = 1 (local/genesis.ts): local mode holds
// every department's key file, so it cosigns each first key as the next department — on
// every start, so that one cut short between the adds and their cosigns is completed by
// the next. Its own file: the functions' runtime keeps one trust bundle per process.

describe("a genesis cut short between its adds and their cosigns", () => {
  let cut: TestNode;
  afterAll(async () => {
    await cut?.stop();
  });

  it("is completed by the next start: the department already introduced is cosigned, the others introduced and cosigned", async () => {
    const file = join(tmpdir(), `zhixin-governance-cut-${process.pid}.json`);
    await writeFile(file, JSON.stringify({ ...testExampleConsortium(), keyRecords: { cosigns: 1 } }));
    cut = await startTestNode({ consortiumFile: file });
    const cutStore = new DynamoDbLedgerStore(cut.client, cut.table);
    const home = cut.node.home;
    const haikou = await readOwnerSignerFile(testSuite, keyFile(home, "hf-haikou"), "hf-haikou");
    const added = await cut.submit("hf-haikou", [await keyAddRecord(haikou, "hf-haikou")]);
    expect(added.status).toBe(202);
    expect(
      (await cut.send({ method: "GET", path: "/v1/keys/hf-haikou", as: "hf-haikou" })).body.pending,
    ).toMatchObject([{ entryId: added.body.entries[0].id, cosignsNeeded: 1 }]);

    const introduced = await introduceDepartmentKeys({
      url: cut.url,
      home,
      consortium: cut.node.consortium,
      store: cutStore,
    });
    const departments = cut.node.consortium.departments.map((d) => d.id);
    expect(introduced.map((k) => k.owner)).toEqual(departments.filter((d) => d !== "hf-haikou"));
    for (const d of departments) {
      const res = await cut.send({ method: "GET", path: `/v1/keys/${d}`, as: "hf-haikou" });
      expect([d, res.body.pending, res.body.keys.length]).toEqual([d, [], 1]);
    }
    // A second run finds nothing left to do.
    expect(
      await introduceDepartmentKeys({ url: cut.url, home, consortium: cut.node.consortium, store: cutStore }),
    ).toEqual([]);
    expect((await loadKeyRecords(cutStore, "hf-haikou")).map((r) => r.type)).toEqual([
      KEY_ADD_TYPE,
      KEY_COSIGN_TYPE,
    ]);
  });
});
