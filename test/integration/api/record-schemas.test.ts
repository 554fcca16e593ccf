import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode, type TestRequest } from "../../support/local-node.js";

// Record-type schemas on POST /v1/entries, over HTTP with real signatures against
// dynalite: each record's data is checked against its type's schema from the consortium
// file before anything is written; one bad record refuses the whole batch with 400
// SCHEMA_VIOLATION naming every problem, and the table is left exactly as it was.

const CERT = "housing-fund.deposit-certificate";
const cert = (citizen: string, months: number, extra: Record<string, unknown> = {}) => ({
  type: CERT,
  data: { citizen, months, status: "active", ...extra },
});

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t?.stop();
});

/** Submits, expecting a refusal, and checks that the table did not change. */
async function refused(
  as: string,
  records: Array<{ type: string; data: unknown }>,
  extra: Partial<TestRequest> = {},
) {
  const before = await t.snapshot();
  const res = await t.submit(as, records, extra);
  expect(await t.snapshot()).toEqual(before);
  return res;
}

describe("a record that matches its type's schema", () => {
  it.each([
    ["hf-haikou", CERT, { citizen: "460100199001011234", months: 36, status: "active" }],
    [
      "hf-sanya",
      "housing-fund.blacklist",
      { citizen: "460100199001011234", action: "add", reason: "arrears" },
    ],
    [
      "market-regulation",
      "licence.business",
      {
        creditCode: "91460100MA5T000000",
        name: "Haikou Example Co.",
        holder: "Li Hua",
        validUntil: "2030-12-31",
      },
    ],
    [
      "civil-affairs",
      "licence.marriage",
      {
        certificateNo: "J460100-2024-000123",
        spouses: ["460100199001011234", "46010019920202456X"],
        registeredOn: "2024-05-20",
      },
    ],
    [
      "service-centre",
      "audit.db-operation",
      {
        department: "service-centre",
        post: "clerk",
        operation: "read",
        table: "licences",
        at: "2026-01-15T08:30:00Z",
      },
    ],
    [
      "internet-court",
      "evidence.digest",
      {
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        capturedAt: "2026-03-01T10:15:30+08:00",
        caseId: "(2026)浙0192民初1234号",
      },
    ],
  ])("%s writes a valid %s → 202", async (as, type, data) => {
    const res = await t.submit(as, [{ type, data }]);
    expect(res.status).toBe(202);
    expect(res.body.entries).toHaveLength(1);
  });
});

describe("records that do not match → 400 SCHEMA_VIOLATION, nothing stored", () => {
  it("names every problem of the record: its index and a JSON Pointer into its data", async () => {
    const res = await refused("hf-haikou", [
      { type: CERT, data: { citizen: "46010019900101", months: -3, status: "suspended" } },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("SCHEMA_VIOLATION");
    const details = res.body.error.details as Array<{ index: number; path: string; message: string }>;
    expect(details.map((d) => `${d.index} ${d.path}`).sort()).toEqual([
      "0 /citizen",
      "0 /months",
      "0 /status",
    ]);
    for (const d of details) expect(d.message).toEqual(expect.any(String));
  });

  it("a missing property is named by its own path", async () => {
    const res = await refused("hf-haikou", [
      { type: CERT, data: { citizen: "460100199001011234", months: 36 } },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: "SCHEMA_VIOLATION",
      details: [{ index: 0, path: "/status", message: expect.any(String) }],
    });
  });

  it("nested paths point into arrays", async () => {
    const res = await refused("civil-affairs", [
      {
        type: "licence.marriage",
        data: {
          certificateNo: "J460100-2024-000124",
          spouses: ["460100199001011234", "46"],
          registeredOn: "2024-05-20",
        },
      },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: "SCHEMA_VIOLATION",
      details: [{ index: 0, path: "/spouses/1" }],
    });
  });

  it("a batch where only record 3 is invalid is refused whole", async () => {
    const records = [0, 1, 2, 3, 4].map((i) =>
      i === 3
        ? cert("460100199001011234", 12, { status: "lost" })
        : cert(`46010019900101${1000 + i}`, 12 + i),
    );
    const nonce = "record-schemas-only-record-3";
    const res = await refused("hf-haikou", records, { nonce });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: "SCHEMA_VIOLATION",
      details: [{ index: 3, path: "/status", message: expect.any(String) }],
    });

    // Nothing of it was kept, not even the nonce: the batch, corrected, goes through whole.
    const fixed = records.map((r, i) => (i === 3 ? cert("460100199001011234", 12) : r));
    const ok = await t.submit("hf-haikou", fixed, { nonce });
    expect(ok.status).toBe(202);
    expect(ok.body.entries).toHaveLength(5);
  });

  it("problems of several records are all listed, each with its record's index", async () => {
    const records = [
      cert("460100199001011234", -1),
      cert("460100199001011235", 3),
      {
        type: CERT,
        data: { citizen: "460100199001011236", months: 3, status: "active", issuedAt: "2024-13-01" },
      },
      {
        type: "housing-fund.blacklist",
        data: { citizen: "460100199001011234", action: "remove", reason: "" },
      },
    ];
    const res = await refused("hf-haikou", records);
    expect(res.status).toBe(400);
    const details = res.body.error.details as Array<{ index: number; path: string }>;
    expect(details.map((d) => `${d.index} ${d.path}`).sort()).toEqual([
      "0 /months",
      "2 /issuedAt",
      "3 /action",
      "3 /reason",
    ]);
  });

  it("type and writer are checked first: a department that may not write the type gets 403", async () => {
    const res = await refused("hf-haikou", [{ type: "licence.business", data: { creditCode: "nope" } }]);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("RECORD_TYPE_FORBIDDEN");
  });

  it("the audit of what was accepted still passes", async () => {
    await t.seal();
    const audit = await fetch(`${t.url}/local/verify`, { method: "POST", body: "{}" }).then((r) => r.json());
    expect(audit).toMatchObject({ ok: true, findings: [] });
  });
});
