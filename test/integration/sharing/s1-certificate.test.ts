import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../../support/local-node.js";

// S1 (SCENARIOS.md): Haikou's fund centre writes deposit certificates; Sanya, under a
// contract both signed and with the citizen's authorisation, asks "is there a valid
// certificate with at least 12 months?" and gets yes/no — never the record. Every
// question is an access entry on the ledger, found again through the subject's trail.

const CONTRACT = JSON.parse(readFileSync("examples/contracts/s1-housing-fund-certificate.json", "utf8"));
const CITIZEN = "460100199001011234";
const LIFTED = "460100199202022345";
const ABSENT = "460100199303033456";
const AUTH = { ref: "sanya-mortgage-2026-0001", digest: "a".repeat(64) };

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t?.stop();
});

const certificate = (citizen: string, months: number, status = "active") => ({
  type: "housing-fund.deposit-certificate",
  data: { citizen, months, status },
});

function match(as: string, body: unknown) {
  return t.send({ method: "POST", path: "/v1/match", as, body: JSON.stringify(body) });
}

async function audit() {
  const res = await fetch(`${t.url}/local/verify`, { method: "POST", body: "{}" });
  return (await res.json()) as { ok: boolean; findings: unknown[] };
}

describe("S1: a Haikou deposit certificate checked by Sanya", () => {
  let version: string;

  it("Haikou proposes the contract, Sanya approves that version: it is in effect", async () => {
    const proposed = await t.submit("hf-haikou", [{ type: "zhixin.contract.propose", data: CONTRACT }]);
    expect(proposed.status, proposed.text).toBe(202);
    const before = await t.send({ method: "GET", path: `/v1/contracts/${CONTRACT.id}`, as: "hf-sanya" });
    expect(before.status).toBe(200);
    expect(before.body.effective.version).toBeNull();
    version = before.body.versions[0].version;

    const approved = await t.submit("hf-sanya", [
      { type: "zhixin.contract.approve", data: { contractId: CONTRACT.id, version } },
    ]);
    expect(approved.status, approved.text).toBe(202);
    const after = await t.send({ method: "GET", path: `/v1/contracts/${CONTRACT.id}`, as: "auditor" });
    expect(after.body.effective).toEqual({ version });
    expect(after.body.versions[0]).toMatchObject({
      status: "approved",
      proposedBy: "hf-haikou",
      approvedBy: "hf-sanya",
    });
  });

  it("yes for a certificate of at least 12 months, no below, no when absent or closed since", async () => {
    expect((await t.submit("hf-haikou", [certificate(CITIZEN, 30), certificate(LIFTED, 24)])).status).toBe(
      202,
    );
    // A later certificate replaces the earlier one: the account was closed.
    expect((await t.submit("hf-haikou", [certificate(LIFTED, 24, "closed")])).status).toBe(202);

    const ask = (subject: string, months: number) =>
      match("hf-sanya", {
        contract: CONTRACT.id,
        subject,
        where: [
          { field: "months", op: ">=", value: months },
          { field: "status", op: "=", value: "active" },
        ],
        authorisation: AUTH,
      });
    const yes = await ask(CITIZEN, 12);
    expect(yes.status, yes.text).toBe(200);
    expect(yes.body).toEqual({
      match: true,
      contract: { id: CONTRACT.id, version },
      accessEntryId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(JSON.stringify(yes.body)).not.toContain(CITIZEN);
    expect((await ask(CITIZEN, 36)).body.match).toBe(false);
    expect((await ask(LIFTED, 12)).body.match).toBe(false);
    expect((await ask(ABSENT, 12)).body.match).toBe(false);
  });

  it("a predicate whose value is not of the field's schema type is 400 SCHEMA_VIOLATION, nothing stored", async () => {
    const before = await t.snapshot();
    const res = await match("hf-sanya", {
      contract: CONTRACT.id,
      subject: CITIZEN,
      where: [{ field: "months", op: ">=", value: "12" }],
      authorisation: AUTH,
    });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe("SCHEMA_VIOLATION");
    expect(res.body.error.details).toEqual([
      { path: "where.0.value", message: "months is number, not string" },
    ]);
    expect(await t.snapshot()).toEqual(before);
  });

  it("the answer's access entry seals and the citizen's trail shows every question, with proofs", async () => {
    await t.seal();
    for (const as of ["hf-haikou", "hf-sanya", "auditor"]) {
      const trail = await t.send({ method: "GET", path: "/v1/access", query: `subject=${CITIZEN}`, as });
      expect(trail.status, trail.text).toBe(200);
      expect(trail.body.accesses).toHaveLength(2);
      for (const a of trail.body.accesses) {
        expect(a.consumer).toBe("hf-sanya");
        expect(a.access).toMatchObject({
          contract: CONTRACT.id,
          version,
          provider: "hf-haikou",
          fieldsTested: ["months", "status"],
        });
        expect(a.entry.status).toBe("sealed");
        expect(a.entry.sealed.proof).toBeInstanceOf(Array);
      }
      expect(trail.body.accesses.map((a: { access: { result: string } }) => a.access.result)).toEqual([
        "match",
        "no-match",
      ]);
    }
    // Another department is neither consumer nor provider: it sees nothing.
    const other = await t.send({
      method: "GET",
      path: "/v1/access",
      query: `subject=${CITIZEN}`,
      as: "market-regulation",
    });
    expect(other.body.accesses).toEqual([]);
    // Only the provider's own record holds the subject in clear: no index, no access entry.
    const items = (await t.snapshot()) as Array<Record<string, { S?: string }>>;
    const holding = items.filter((i) => JSON.stringify(i).includes(CITIZEN));
    expect(holding.map((i) => [i.pk?.S?.slice(0, 2), i.type?.S])).toEqual([
      ["E#", "housing-fund.deposit-certificate"],
    ]);
    expect(await audit()).toMatchObject({ ok: true, findings: [] });
  });
});
