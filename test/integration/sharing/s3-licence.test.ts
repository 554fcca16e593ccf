import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../../support/local-node.js";
import {
  agreeContract,
  auditNode,
  type ContractDoc,
  matchAs,
  today,
  trailOf,
} from "../../support/sharing.js";

// S3 (SCENARIOS.md): market regulation issues electronic business licences; the service
// centre, during an application, checks a licence's holder and validity without the
// citizen uploading it. The contract lets it test, and have returned, exactly `holder`
// and `validUntil` — never the company name, never the credit code.

const CONTRACT = JSON.parse(
  readFileSync("examples/contracts/s3-business-licence.json", "utf8"),
) as ContractDoc;
const VALID = "91460100MA5T12345X";
const EXPIRED = "91460100MA5T67890Y";
const HOLDER = "Chen Jing";

const licence = (creditCode: string, validUntil: string, name: string) => ({
  type: "licence.business",
  data: { creditCode, name, holder: HOLDER, validUntil },
});

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t?.stop();
});

const ask = (subject: string, holder: string, want?: "fields") =>
  matchAs(t, "service-centre", {
    contract: CONTRACT.id,
    subject,
    where: [
      { field: "holder", op: "=", value: holder },
      { field: "validUntil", op: ">=", value: today() },
    ],
    ...(want ? { want } : {}),
  });

describe("S3: the service centre checks a business licence", () => {
  let version: string;
  const fieldsAnswer: { id?: string } = {};

  it("market regulation proposes, the service centre approves; licences are written", async () => {
    version = await agreeContract(t, CONTRACT, "market-regulation", "service-centre");
    const view = await t.send({ method: "GET", path: `/v1/contracts/${CONTRACT.id}`, as: "service-centre" });
    expect(view.body.effective).toEqual({ version });
    const res = await t.submit("market-regulation", [
      licence(VALID, "2031-06-30", "Hainan Coconut Trading Co., Ltd."),
      licence(EXPIRED, "2025-06-30", "Sanya Pearl Seafood Co., Ltd."),
    ]);
    expect(res.status, res.text).toBe(202);
  });

  it("holder and validity hold: yes; wrong holder: no; expired licence: no", async () => {
    const yes = await ask(VALID, HOLDER);
    expect(yes.status, yes.text).toBe(200);
    expect(yes.body).toEqual({
      match: true,
      contract: { id: CONTRACT.id, version },
      accessEntryId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    const wrongHolder = await ask(VALID, "Someone Else");
    expect(wrongHolder.status, wrongHolder.text).toBe(200);
    expect(wrongHolder.body.match).toBe(false);
    const expired = await ask(EXPIRED, HOLDER);
    expect(expired.status, expired.text).toBe(200);
    expect(expired.body.match).toBe(false);
  });

  it("want fields returns exactly holder and validUntil, and records their names", async () => {
    const res = await ask(VALID, HOLDER, "fields");
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      match: true,
      contract: { id: CONTRACT.id, version },
      accessEntryId: expect.stringMatching(/^[0-9a-f]{32}$/),
      fields: { holder: HOLDER, validUntil: "2031-06-30" },
    });
    expect(res.text).not.toContain("Coconut");
    expect(res.text).not.toContain(VALID);
    fieldsAnswer.id = res.body.accessEntryId;

    const entry = await t.send({
      method: "GET",
      path: `/v1/entries/${fieldsAnswer.id}`,
      as: "service-centre",
    });
    expect(entry.status, entry.text).toBe(200);
    expect(entry.body.payload).toMatchObject({
      contract: CONTRACT.id,
      version,
      provider: "market-regulation",
      type: "licence.business",
      want: "fields",
      fieldsTested: ["holder", "validUntil"],
      fieldsReturned: ["holder", "validUntil"],
      result: "match",
    });
    // The access entry holds names, never values.
    expect(entry.text).not.toContain(HOLDER);
    expect(entry.text).not.toContain(VALID);

    // No match, no fields.
    const none = await ask(EXPIRED, HOLDER, "fields");
    expect(none.status, none.text).toBe(200);
    expect(none.body).not.toHaveProperty("fields");
    expect(none.body.match).toBe(false);
    const noneEntry = await t.send({
      method: "GET",
      path: `/v1/entries/${none.body.accessEntryId}`,
      as: "service-centre",
    });
    expect(noneEntry.body.payload).toMatchObject({ result: "no-match", fieldsReturned: [] });
  });

  it("a predicate on name is refused 403 FIELD_NOT_ALLOWED, and recorded", async () => {
    const res = await matchAs(t, "service-centre", {
      contract: CONTRACT.id,
      subject: VALID,
      where: [{ field: "name", op: "=", value: "Hainan Coconut Trading Co., Ltd." }],
    });
    expect(res.status, res.text).toBe(403);
    expect(res.body.error).toMatchObject({
      code: "FIELD_NOT_ALLOWED",
      details: { fields: ["name"], accessEntryId: expect.stringMatching(/^[0-9a-f]{32}$/) },
    });
    const entry = await t.send({
      method: "GET",
      path: `/v1/entries/${res.body.error.details.accessEntryId}`,
      as: "service-centre",
    });
    expect(entry.body.payload).toMatchObject({
      result: "refused",
      refusal: "FIELD_NOT_ALLOWED",
      fieldsTested: ["name"],
      fieldsReturned: [],
    });
  });

  it("sealed: the licence's trail shows each access with its proof, and the audit passes", async () => {
    expect(await t.seal()).toMatchObject({ sealed: true });
    for (const as of ["service-centre", "market-regulation", "auditor"]) {
      const trail = await trailOf(t, as, VALID);
      expect(trail.map((a) => a.access.result)).toEqual(["match", "no-match", "match", "refused"]);
      expect(trail[2]?.entry.id).toBe(fieldsAnswer.id);
      expect(trail[2]?.access.fieldsReturned).toEqual(["holder", "validUntil"]);
      for (const a of trail) {
        expect(a.consumer).toBe("service-centre");
        expect(a.entry.status).toBe("sealed");
        expect(a.entry.sealed?.proof).toBeInstanceOf(Array);
      }
    }
    expect(await trailOf(t, "hf-haikou", VALID)).toEqual([]);
    expect(await auditNode(t)).toMatchObject({ ok: true, findings: [] });
  });
});
