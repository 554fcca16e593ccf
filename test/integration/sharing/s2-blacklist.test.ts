import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../../support/local-node.js";
import {
  approve,
  auditNode,
  type ContractDoc,
  matchAs,
  proposeContract,
  trailOf,
} from "../../support/sharing.js";

// S2 (SCENARIOS.md): each housing-fund centre uploads its blacklist; another centre asks
// whether an applicant is listed there. Listing and lifting are both new records — the
// latest one the provider wrote decides the answer — and only the provider's own records
// count, never a listing the consumer wrote itself. Here the consumer (Sanya) proposes
// the contract and the provider (Haikou) approves it.

const CONTRACT = JSON.parse(readFileSync("examples/contracts/s2-blacklist.json", "utf8")) as ContractDoc;
const LISTED = "460100198805051234";
const SANYA_ONLY = "460200199106062345";
const NEVER = "460100199707073456";

const blacklist = (citizen: string, action: "add" | "lift", reason: string) => ({
  type: "housing-fund.blacklist",
  data: { citizen, action, reason },
});

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t?.stop();
});

const isListed = (subject: string) =>
  matchAs(t, "hf-sanya", {
    contract: CONTRACT.id,
    subject,
    where: [{ field: "action", op: "=", value: "add" }],
  });

describe("S2: Sanya checks Haikou's blacklist", () => {
  let version: string;
  const answers: Array<{ id: string; result: "match" | "no-match" }> = [];

  it("Sanya (the consumer) proposes, Haikou (the provider) approves: in effect", async () => {
    expect(CONTRACT).toMatchObject({ provider: "hf-haikou", consumer: "hf-sanya" });
    version = await proposeContract(t, "hf-sanya", CONTRACT);
    const pending = await t.send({ method: "GET", path: `/v1/contracts/${CONTRACT.id}`, as: "hf-haikou" });
    expect(pending.body.effective.version).toBeNull();
    const approved = await t.submit("hf-haikou", [approve(CONTRACT.id, version)]);
    expect(approved.status, approved.text).toBe(202);
    const view = await t.send({ method: "GET", path: `/v1/contracts/${CONTRACT.id}`, as: "auditor" });
    expect(view.body.effective).toEqual({ version });
    expect(view.body.versions).toHaveLength(1);
    expect(view.body.versions[0]).toMatchObject({
      status: "approved",
      proposedBy: "hf-sanya",
      approvedBy: "hf-haikou",
    });
  });

  it("a citizen Haikou lists: yes; one it never listed: no", async () => {
    const added = await t.submit("hf-haikou", [blacklist(LISTED, "add", "defaulted on a fund loan")]);
    expect(added.status, added.text).toBe(202);

    const yes = await isListed(LISTED);
    expect(yes.status, yes.text).toBe(200);
    expect(yes.body).toEqual({
      match: true,
      contract: { id: CONTRACT.id, version },
      accessEntryId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(JSON.stringify(yes.body)).not.toContain(LISTED);
    answers.push({ id: yes.body.accessEntryId, result: "match" });

    const no = await isListed(NEVER);
    expect(no.status, no.text).toBe(200);
    expect(no.body.match).toBe(false);
  });

  it("after Haikou writes a lift, the same question is no: the latest record wins", async () => {
    const lifted = await t.submit("hf-haikou", [blacklist(LISTED, "lift", "loan repaid in full")]);
    expect(lifted.status, lifted.text).toBe(202);
    const after = await isListed(LISTED);
    expect(after.status, after.text).toBe(200);
    expect(after.body.match).toBe(false);
    answers.push({ id: after.body.accessEntryId, result: "no-match" });
    // Lifting was a new record: the listing is still on the ledger, unchanged.
    const entry = await t.send({
      method: "GET",
      path: `/v1/entries/${(await trailOf(t, "hf-sanya", LISTED))[0]?.access.record}`,
      as: "hf-haikou",
    });
    expect(entry.status, entry.text).toBe(200);
    expect(entry.body.payload).toMatchObject({ citizen: LISTED, action: "add" });
  });

  it("Sanya's own listing is not Haikou's: it never makes the answer yes", async () => {
    // A citizen only Sanya lists.
    expect((await t.submit("hf-sanya", [blacklist(SANYA_ONLY, "add", "listed in Sanya")])).status).toBe(202);
    const own = await isListed(SANYA_ONLY);
    expect(own.status, own.text).toBe(200);
    expect(own.body.match).toBe(false);
    // Sanya's listing of the citizen Haikou lifted is newer, but not Haikou's.
    expect((await t.submit("hf-sanya", [blacklist(LISTED, "add", "listed in Sanya")])).status).toBe(202);
    const still = await isListed(LISTED);
    expect(still.status, still.text).toBe(200);
    expect(still.body.match).toBe(false);
    answers.push({ id: still.body.accessEntryId, result: "no-match" });

    const trail = await trailOf(t, "hf-sanya", SANYA_ONLY);
    expect(trail).toHaveLength(1);
    // No record of Haikou's answered it.
    expect(trail[0]?.access).toMatchObject({ result: "no-match", provider: "hf-haikou" });
    expect(trail[0]?.access.record).toBeUndefined();
  });

  it("sealed, the trail shows every access with its proof, to both parties and the auditor only", async () => {
    expect(await t.seal()).toMatchObject({ sealed: true });
    for (const as of ["hf-sanya", "hf-haikou", "auditor"]) {
      const trail = await trailOf(t, as, LISTED);
      expect(trail.map((a) => ({ id: a.entry.id, result: a.access.result }))).toEqual(answers);
      for (const a of trail) {
        expect(a.consumer).toBe("hf-sanya");
        expect(a.access).toMatchObject({
          contract: CONTRACT.id,
          version,
          provider: "hf-haikou",
          want: "match",
          fieldsTested: ["action"],
          fieldsReturned: [],
        });
        expect(a.access.refusal).toBeUndefined();
        expect(a.entry.status).toBe("sealed");
        expect(a.entry.sealed?.proof).toBeInstanceOf(Array);
      }
      // Each answer names the provider's record it was drawn from: the listing, then the lift.
      const [first, second, third] = trail;
      expect(first?.access.record).toMatch(/^[0-9a-f]{32}$/);
      expect(second?.access.record).toMatch(/^[0-9a-f]{32}$/);
      expect(second?.access.record).not.toBe(first?.access.record);
      expect(third?.access.record).toBe(second?.access.record);
    }
    expect(await trailOf(t, "market-regulation", LISTED)).toEqual([]);
    expect(await auditNode(t)).toMatchObject({ ok: true, findings: [] });
  });
});
