import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromHex, INTL, verifyInclusion } from "#chain";
import { orphanBodies, withoutOrphanBodies } from "../../support/batch-bodies.js";
import { batchRootOf, startTestNode, type TestNode, type TestRequest } from "../../support/local-node.js";

// S1 end to end over HTTP with real signatures against dynalite, and every refusal of
// ARCHITECTURE §5 / issue #3 — each asserting its code AND that the store is unchanged.

const CERT = "housing-fund.deposit-certificate";
const cert = (citizen: string, months: number) => ({
  type: CERT,
  data: { citizen, months, status: "active" },
});

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t?.stop();
});

describe("S1: Haikou writes a deposit certificate; Sanya and the auditor check it", () => {
  it("submit → 202 receipt → pending → seal → sealed with a proof that verifies → audit ok", async () => {
    const res = await t.submit("hf-haikou", [cert("460100199001011234", 36)]);
    expect(res.status).toBe(202);
    expect(res.body.entries).toHaveLength(1);
    const { id, leafHash } = res.body.entries[0];
    expect(id).toMatch(/^[0-9a-f]{32}$/);

    const pending = await t.send({ method: "GET", path: `/v1/entries/${id}`, as: "hf-haikou" });
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({
      id,
      status: "pending",
      leafHash,
      payload: { citizen: "460100199001011234", months: 36 },
    });

    const sealed = await t.seal();
    expect(sealed).toMatchObject({ sealed: true, height: 1, entries: 1 });

    // Another department sees the sealed entry and its proof, but not the payload.
    const bySanya = await t.send({ method: "GET", path: `/v1/entries/${id}`, as: "hf-sanya" });
    expect(bySanya.status).toBe(200);
    expect(bySanya.body.status).toBe("sealed");
    expect(bySanya.body.payload).toBeUndefined();
    const { sealed: where } = bySanya.body;
    verifyInclusion(
      INTL,
      fromHex(leafHash),
      where.index,
      where.block.header.count,
      where.proof.map(fromHex),
      fromHex(where.block.header.root),
    );

    const byAuditor = await t.send({ method: "GET", path: `/v1/entries/${id}`, as: "auditor" });
    expect(byAuditor.body).toMatchObject({ status: "sealed" });

    const latest = await t.send({ method: "GET", path: "/v1/blocks/latest", as: "auditor" });
    expect(latest.body.header).toMatchObject({ height: 1, logSize: 1 });
    const checkpoint = await t.send({ method: "GET", path: "/v1/checkpoint", as: "auditor" });
    expect(checkpoint.text.split("\n").slice(0, 2)).toEqual(["zhixin.example/demo", "1"]);

    const audit = await fetch(`${t.url}/local/verify`, { method: "POST", body: "{}" }).then((r) => r.json());
    expect(audit).toMatchObject({ ok: true, blocksChecked: 1, entriesChecked: 1, findings: [] });
  });

  it("a batch of 100 records is one signature and 100 entries, each provable alone", async () => {
    const records = Array.from({ length: 100 }, (_, i) => cert(`4601002000${String(i).padStart(8, "0")}`, i));
    const res = await t.submit("hf-haikou", records);
    expect(res.status).toBe(202);
    expect(res.body.entries).toHaveLength(100);
    await t.seal();
    const entryAudit = await fetch(`${t.url}/local/verify`, {
      method: "POST",
      body: JSON.stringify({ entry: res.body.entries[57].id }),
    }).then((r) => r.json());
    expect(entryAudit).toMatchObject({ ok: true, status: "sealed", height: 2 });
  });

  it("health needs no signature", async () => {
    const res = await t.send({ method: "GET", path: "/v1/health", unsigned: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", log: "zhixin.example/demo" });
  });
});

const one = [cert("460100199912120000", 12)];
const body = JSON.stringify({ records: one });
const root = batchRootOf(INTL, one);
const post = (extra: Partial<TestRequest>): TestRequest => ({
  method: "POST",
  path: "/v1/entries",
  as: "hf-haikou",
  body,
  batchRoot: root,
  ...extra,
});
const big = (n: number) => "x".repeat(n);

const refusals: Array<{ name: string; request: () => TestRequest; status: number; code: string }> = [
  {
    name: "no signature headers",
    request: () => post({ unsigned: true }),
    status: 401,
    code: "SIGNATURE_MISSING",
  },
  {
    name: "unparseable Signature-Input",
    request: () =>
      post({
        editHeaders: (h) => {
          h["signature-input"] = "sig1=(((garbage";
        },
      }),
    status: 401,
    code: "SIGNATURE_MALFORMED",
  },
  {
    name: "unknown key id",
    request: () => post({ keyId: "hf-haikou/key-9" }),
    status: 401,
    code: "UNKNOWN_KEY",
  },
  {
    name: "a signature that does not verify",
    request: () =>
      post({
        editHeaders: (h) => {
          const sig = Buffer.from((h.signature as string).slice(6, -1), "base64");
          sig[0] = (sig[0] as number) ^ 1;
          h.signature = `sig1=:${sig.toString("base64")}:`;
        },
      }),
    status: 401,
    code: "SIGNATURE_INVALID",
  },
  {
    name: "a key of another department",
    request: () => post({ signAs: "hf-sanya" }),
    status: 403,
    code: "KEY_NOT_OWNED",
  },
  {
    name: "created 6 minutes in the past",
    request: () => post({ created: Math.floor(Date.now() / 1000) - 360 }),
    status: 401,
    code: "CLOCK_SKEW",
  },
  {
    name: "created 6 minutes in the future",
    request: () => post({ created: Math.floor(Date.now() / 1000) + 360 }),
    status: 401,
    code: "CLOCK_SKEW",
  },
  {
    name: "Content-Digest that does not match the body",
    request: () => post({ sendBody: body.replace("12", "13") }),
    status: 400,
    code: "DIGEST_MISMATCH",
  },
  {
    name: "batch root that is not the records' root",
    request: () => post({ batchRoot: new Uint8Array(32) }),
    status: 400,
    code: "BATCH_ROOT_MISMATCH",
  },
  {
    name: "body over 1 MiB",
    request: () =>
      post({ body: JSON.stringify({ records: [{ type: CERT, data: { pad: big(1024 * 1024) } }] }) }),
    status: 413,
    code: "BODY_TOO_LARGE",
  },
  {
    name: "a record over 64 KiB",
    request: () => {
      const records = [{ type: CERT, data: { pad: big(65 * 1024) } }];
      return post({ body: JSON.stringify({ records }), batchRoot: batchRootOf(INTL, records) });
    },
    status: 413,
    code: "RECORD_TOO_LARGE",
  },
  { name: "invalid JSON", request: () => post({ body: '{"records": [' }), status: 400, code: "INVALID_JSON" },
  {
    name: "schema violation: data not an object",
    request: () => post({ body: JSON.stringify({ records: [{ type: CERT, data: 5 }] }) }),
    status: 400,
    code: "SCHEMA_VIOLATION",
  },
  {
    name: "schema violation: unknown field",
    request: () => post({ body: JSON.stringify({ records: one, extra: 1 }) }),
    status: 400,
    code: "SCHEMA_VIOLATION",
  },
  {
    name: "0 records",
    request: () => post({ body: JSON.stringify({ records: [] }) }),
    status: 400,
    code: "BATCH_SIZE_INVALID",
  },
  {
    name: "101 records",
    request: () => {
      const records = Array.from({ length: 101 }, (_, i) => cert(String(i), i));
      return post({ body: JSON.stringify({ records }), batchRoot: batchRootOf(INTL, records) });
    },
    status: 400,
    code: "BATCH_SIZE_INVALID",
  },
  {
    name: "unknown record type",
    request: () => {
      const records = [{ type: "housing-fund.unknown", data: { a: 1 } }];
      return post({ body: JSON.stringify({ records }), batchRoot: batchRootOf(INTL, records) });
    },
    status: 400,
    code: "UNKNOWN_RECORD_TYPE",
  },
  {
    name: "a record type the department may not write",
    request: () => {
      const records = [{ type: "licence.business", data: { company: "91460100MA5T000000" } }];
      return post({ body: JSON.stringify({ records }), batchRoot: batchRootOf(INTL, records) });
    },
    status: 403,
    code: "RECORD_TYPE_FORBIDDEN",
  },
  { name: "an auditor writing", request: () => post({ as: "auditor" }), status: 403, code: "ROLE_FORBIDDEN" },
  {
    name: "the sealer's key signing a request",
    request: () => ({ method: "GET", path: "/v1/blocks/latest", as: "sealer" }),
    status: 403,
    code: "ROLE_FORBIDDEN",
  },
  {
    name: "batch root not covered",
    request: () => post({ batchRoot: undefined as unknown as Uint8Array }),
    status: 401,
    code: "SIGNATURE_COMPONENTS_MISSING",
  },
  {
    name: "unsigned read",
    request: () => ({ method: "GET", path: "/v1/blocks/latest", unsigned: true }),
    status: 401,
    code: "SIGNATURE_MISSING",
  },
  {
    name: "unknown route",
    request: () => ({ method: "GET", path: "/v1/nothing", as: "auditor" }),
    status: 404,
    code: "ROUTE_NOT_FOUND",
  },
  {
    name: "wrong method",
    request: () => ({ method: "DELETE", path: "/v1/entries", as: "hf-haikou" }),
    status: 405,
    code: "METHOD_NOT_ALLOWED",
  },
  {
    name: "malformed entry id",
    request: () => ({ method: "GET", path: "/v1/entries/xyz", as: "auditor" }),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  {
    name: "absent entry",
    request: () => ({ method: "GET", path: `/v1/entries/${"0".repeat(32)}`, as: "auditor" }),
    status: 404,
    code: "NOT_FOUND",
  },
];

describe("refusals: a 4xx with its own code, and nothing stored or changed", () => {
  it.each(refusals)("$name → $status $code", async ({ request, status, code }) => {
    const before = await t.snapshot();
    const res = await t.send(request());
    expect(res.status).toBe(status);
    expect(res.body?.error?.code).toBe(code);
    expect(typeof res.body.error.message).toBe("string");
    expect(await t.snapshot()).toEqual(before);
  });

  it.each([
    ["the same records", one],
    ["different records", [cert("460100199912129999", 99)]],
  ])("a reused (keyid, nonce) with %s → 409 NONCE_REPLAYED, store unchanged", async (_, replay) => {
    const nonce = `replay-${Math.random().toString(36).slice(2)}-nonce`;
    const first = await t.submit("hf-haikou", one, { nonce });
    expect(first.status).toBe(202);
    const before = await t.snapshot();
    const again = await t.submit("hf-haikou", replay, { nonce });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("NONCE_REPLAYED");
    // Unchanged but for the replay's own batch body (unless it arrived in the same
    // millisecond with the same records): an orphan no head names (docs/STORAGE.md).
    const after = await t.snapshot();
    expect(withoutOrphanBodies(after)).toEqual(withoutOrphanBodies(before));
    expect(orphanBodies(after).length - orphanBodies(before).length).toBeLessThanOrEqual(1);
  });
});

// Last: it fills the table, which would slow every snapshot above.
describe("large blocks", () => {
  it("a block over several pages: 1,200 entries, proofs for leaves on the second page", async () => {
    await t.seal(); // whatever earlier tests left pending
    const ids: string[] = [];
    for (let b = 0; b < 12; b++) {
      const records = Array.from({ length: 100 }, (_, i) =>
        cert(`46010030${String(b * 100 + i).padStart(10, "0")}`, i),
      );
      const res = await t.submit("hf-sanya", records);
      expect(res.status).toBe(202);
      ids.push(...res.body.entries.map((e: { id: string }) => e.id));
    }
    const sealed = await t.seal();
    expect(sealed).toMatchObject({ sealed: true, entries: 1200 });
    const last = await t.send({ method: "GET", path: `/v1/entries/${ids[1150]}`, as: "auditor" });
    const { sealed: where } = last.body;
    expect(where.index).toBeGreaterThan(1000);
    verifyInclusion(
      INTL,
      fromHex(last.body.leafHash),
      where.index,
      where.block.header.count,
      where.proof.map(fromHex),
      fromHex(where.block.header.root),
    );
    const audit = await fetch(`${t.url}/local/verify`, {
      method: "POST",
      body: JSON.stringify({ from: sealed.height, to: sealed.height }),
    }).then((r) => r.json());
    expect(audit).toMatchObject({ ok: true, entriesChecked: 1200 });
  });
});
