import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueKeyFor } from "../../../functions/rules/unique-keys.js";
import { withoutOrphanBodies } from "../../support/batch-bodies.js";
import { startTestNode, type TestNode, testSuite } from "../../support/local-node.js";

// Uniqueness keys on POST /v1/entries (S8: one invoice, one claim), over HTTP with real
// signatures against dynalite. invoice.claim is unique by invoiceNo (consortium.example.json):
// the first claim is accepted, every later one — by any department, in any batch — is
// refused with 409 DUPLICATE_RECORD, and a refusal leaves the table exactly as it was.

const INVOICE = "invoice.claim";
const claim = (invoiceNo: string, claimant = "Wang Fang", amount = 1280.5) => ({
  type: INVOICE,
  data: { invoiceNo, amount, claimant, claimedAt: "2026-11-20" },
});

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t?.stop();
});

/** Every claim item in the table. */
async function claimItems() {
  return (await t.snapshot()).filter((i) => (i as { pk?: { S?: string } }).pk?.S?.startsWith("U#"));
}

async function unchangedBy<T>(action: () => Promise<T>): Promise<T> {
  const before = await t.snapshot();
  const result = await action();
  // A refused replay may leave its batch body, an orphan no head names (docs/STORAGE.md).
  expect(withoutOrphanBodies(await t.snapshot())).toEqual(withoutOrphanBodies(before));
  return result;
}

describe("S8: an invoice number can be claimed once", () => {
  const nonce = "s8-first-claim-0001";
  const first = [claim("04400123456789012345")];

  it("accepts the first claim (202) and stores a claim keyed by a hash, not the number", async () => {
    const res = await t.submit("service-centre", first, { nonce });
    expect(res.status).toBe(202);
    const claims = await claimItems();
    expect(claims).toHaveLength(1);
    expect(JSON.stringify(claims)).not.toContain("04400123456789012345");
    expect(claims[0]).toMatchObject({
      pk: { S: `U#${uniqueKeyFor(testSuite, t.subjectKey, INVOICE, ["04400123456789012345"])}` },
      batchKey: { S: `${await t.keyIdOf("service-centre")}#${nonce}` },
      entryId: { S: res.body.entries[0].id },
    });
  });

  it("refuses a second claim of the same number by another department: 409 DUPLICATE_RECORD, nothing written", async () => {
    const res = await unchangedBy(() =>
      t.submit("market-regulation", [claim("04400123456789012345", "Li Lei", 99)]),
    );
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: "DUPLICATE_RECORD",
      details: { index: 0, fields: ["invoiceNo"] },
    });
  });

  it("refuses it inside a larger batch too, releasing the claims that batch had already taken", async () => {
    const res = await unchangedBy(() =>
      t.submit("service-centre", [claim("12345678"), claim("87654321"), claim("04400123456789012345")]),
    );
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "DUPLICATE_RECORD", details: { index: 2 } });
    // The released numbers are free again.
    expect((await t.submit("market-regulation", [claim("12345678"), claim("87654321")])).status).toBe(202);
  });

  it("a retry of the first request under its nonce is NONCE_REPLAYED, as before, and changes nothing", async () => {
    const res = await unchangedBy(() => t.submit("service-centre", first, { nonce }));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("NONCE_REPLAYED");
  });

  it("a replay of the nonce with different records leaves no claims behind", async () => {
    const res = await unchangedBy(() =>
      t.submit("service-centre", [claim("55555555"), claim("04400123456789012345")], { nonce }),
    );
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("NONCE_REPLAYED");
    const other = await unchangedBy(() => t.submit("service-centre", [claim("66666666")], { nonce }));
    expect(other.body.error.code).toBe("NONCE_REPLAYED");
    // Neither 55555555 nor 66666666 is held: another department claims them at once.
    expect((await t.submit("market-regulation", [claim("55555555"), claim("66666666")])).status).toBe(202);
  });

  it("refuses two records with the same number in one batch, naming both, before any write", async () => {
    const res = await unchangedBy(() =>
      t.submit("service-centre", [claim("77777777"), claim("11111111"), claim("77777777", "Other")]),
    );
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: "DUPLICATE_RECORD",
      details: { index: 2, sameAs: 0, fields: ["invoiceNo"] },
    });
  });

  it("still refuses the number once sealed, and the audit passes", async () => {
    expect(await t.seal()).toMatchObject({ sealed: true });
    const res = await unchangedBy(() => t.submit("market-regulation", [claim("04400123456789012345")]));
    expect(res.body.error.code).toBe("DUPLICATE_RECORD");
    const audit = await fetch(`${t.url}/local/verify`, { method: "POST", body: "{}" }).then((r) => r.json());
    expect(audit).toMatchObject({ ok: true, findings: [] });
  });
});

describe("concurrent claims of the same number", () => {
  it("with different nonces: exactly one is accepted, the others get DUPLICATE_RECORD", async () => {
    const results = await Promise.all([
      t.submit("service-centre", [claim("20261121000000000001", "A")]),
      t.submit("market-regulation", [claim("20261121000000000001", "B")]),
      t.submit("service-centre", [claim("20261121000000000001", "C")]),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([202, 409, 409]);
    for (const r of results.filter((x) => x.status === 409))
      expect(r.body.error.code).toBe("DUPLICATE_RECORD");
    const key = uniqueKeyFor(testSuite, t.subjectKey, INVOICE, ["20261121000000000001"]);
    expect((await claimItems()).filter((i) => (i as { pk: { S: string } }).pk.S === `U#${key}`)).toHaveLength(
      1,
    );
  });
});

describe("types without a uniqueness key are unaffected", () => {
  it("accepts the same certificate twice and writes no claim", async () => {
    const cert = {
      type: "housing-fund.deposit-certificate",
      data: { citizen: "460100199001011234", months: 12, status: "active" },
    };
    const before = (await claimItems()).length;
    expect((await t.submit("hf-haikou", [cert])).status).toBe(202);
    expect((await t.submit("hf-haikou", [cert])).status).toBe(202);
    expect(await claimItems()).toHaveLength(before);
  });
});

describe("afterwards", () => {
  it("everything accepted above seals, and the audit passes", async () => {
    expect(await t.seal()).toMatchObject({ sealed: true });
    const audit = await fetch(`${t.url}/local/verify`, { method: "POST", body: "{}" }).then((r) => r.json());
    expect(audit).toMatchObject({ ok: true, findings: [] });
  });
});
