import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../../support/local-node.js";

// Records take effect in ledger order — batches by (receivedAt, batch key), then their
// position in the batch — never in the order of their (hashed) entry ids. Two records
// in one batch share a receive time, so only the position can order them.

const S2 = JSON.parse(readFileSync("examples/contracts/s2-blacklist.json", "utf8"));

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t?.stop();
});

describe("ledger order within one batch", () => {
  it("a propose followed by its revoke in one batch leaves the contract revoked", async () => {
    const id = "order-propose-revoke";
    for (let i = 0; i < 4; i++) {
      const doc = { ...S2, id: `${id}-${i}`, purpose: `ordering check ${i}` };
      const res = await t.submit("hf-haikou", [
        { type: "zhixin.contract.propose", data: doc },
        { type: "zhixin.contract.revoke", data: { contractId: doc.id, reason: "withdrawn at once" } },
      ]);
      expect(res.status, res.text).toBe(202);
      const state = await t.send({ method: "GET", path: `/v1/contracts/${doc.id}`, as: "hf-sanya" });
      expect(state.body.versions[0].status).toBe("revoked");
    }
  });

  it("an add followed by its lift in one batch: the lift is the effective record", async () => {
    const proposed = await t.submit("hf-sanya", [{ type: "zhixin.contract.propose", data: S2 }]);
    expect(proposed.status, proposed.text).toBe(202);
    const state = await t.send({ method: "GET", path: `/v1/contracts/${S2.id}`, as: "hf-haikou" });
    const approve = { contractId: S2.id, version: state.body.versions[0].version };
    expect((await t.submit("hf-haikou", [{ type: "zhixin.contract.approve", data: approve }])).status).toBe(
      202,
    );

    // Several citizens, so that some add/lift pairs have ids in either order.
    for (let i = 0; i < 6; i++) {
      const citizen = `46010019900101${String(1000 + i)}`;
      const listing = (action: string) => ({
        type: "housing-fund.blacklist",
        data: { citizen, action, reason: `case ${i}` },
      });
      expect((await t.submit("hf-haikou", [listing("add"), listing("lift")])).status).toBe(202);
      const asked = await t.send({
        method: "POST",
        path: "/v1/match",
        as: "hf-sanya",
        body: JSON.stringify({
          contract: S2.id,
          subject: citizen,
          where: [{ field: "action", op: "=", value: "add" }],
        }),
      });
      expect(asked.status, asked.text).toBe(200);
      expect(asked.body.match).toBe(false);
    }
  });
});
