import { describe, expect, it } from "vitest";
import { loadConsortium } from "../../../../functions/runtime/consortium-file.js";
import { parseConsortium, schemaOf } from "../../../../lib/consortium/consortium.js";
import { type RecordSchema, recordDataProblems } from "../../../../lib/consortium/record-schemas.js";

// The demo consortium's record-type schemas (consortium.example.json), one table per
// scenario type: records that must pass, and records that must not — each saying what
// is wrong with it and the JSON Pointers (into the record's data) the problems name.

const consortium = loadConsortium("consortium.example.json");

function schema(type: string): RecordSchema {
  const s = schemaOf(consortium, type);
  if (!s) throw new Error(`${type} has no schema`);
  return s;
}

const pathsOf = (type: string, data: unknown) =>
  recordDataProblems(0, schema(type), data)
    .map((p) => p.path)
    .sort();

interface Cases {
  valid: Array<{ what: string; data: Record<string, unknown> }>;
  invalid: Array<{ wrong: string; data: Record<string, unknown>; paths: string[] }>;
}

const ID = "460100199001011234";
const CERT = { citizen: ID, months: 36, status: "active" };
const BLACKLIST = { citizen: ID, action: "add", reason: "three months of arrears on a fund loan" };
const BUSINESS = {
  creditCode: "91460100MA5T000000",
  name: "Haikou Example Trading Co., Ltd.",
  holder: "Li Hua",
  validUntil: "2030-12-31",
};
const MARRIAGE = {
  certificateNo: "J460100-2024-000123",
  spouses: [ID, "46010019920202456X"],
  registeredOn: "2024-05-20",
};
const DB_OPERATION = {
  department: "hf-haikou",
  post: "counter-clerk",
  operation: "read",
  table: "deposit_accounts",
  at: "2026-01-15T08:30:00.000Z",
};
const EVIDENCE = {
  sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  capturedAt: "2026-03-01T10:15:30+08:00",
  caseId: "(2026)浙0192民初1234号",
};
const INVOICE = {
  invoiceNo: "04400123456789012345",
  amount: 1280.5,
  claimant: "Wang Fang",
  claimedAt: "2026-11-20",
};

const TRANSFER = {
  project: "Xiong'an R-7",
  stage: "foundation",
  payer: "Developer Co.",
  payee: "Builder Co.",
  amount: 1_250_000,
  currency: "CNY",
};
const APPROVAL = { project: "Old-town block 12", decision: "approve", department: "civil-affairs" };

const SCENARIOS: Record<string, Cases> = {
  "housing-fund.deposit-certificate": {
    valid: [
      { what: "the README's certificate", data: CERT },
      {
        what: "a closed account, no months yet, X check character",
        data: { ...CERT, citizen: "46010019900101123X", months: 0, status: "closed" },
      },
      { what: "with its optional issue date", data: { ...CERT, issuedAt: "2024-02-29" } },
      {
        what: "with fields the schema does not name (left open)",
        data: { ...CERT, remarks: "continuous since 2015" },
      },
    ],
    invalid: [
      {
        wrong: "citizen has 17 characters",
        data: { ...CERT, citizen: "46010019900101123" },
        paths: ["/citizen"],
      },
      {
        wrong: "citizen's check character is a lowercase x",
        data: { ...CERT, citizen: "46010019900101123x" },
        paths: ["/citizen"],
      },
      { wrong: "citizen is a number", data: { ...CERT, citizen: 4601001990 }, paths: ["/citizen"] },
      { wrong: "months is negative", data: { ...CERT, months: -1 }, paths: ["/months"] },
      { wrong: "months is fractional", data: { ...CERT, months: 1.5 }, paths: ["/months"] },
      { wrong: "months is a string", data: { ...CERT, months: "36" }, paths: ["/months"] },
      { wrong: "status is not active or closed", data: { ...CERT, status: "suspended" }, paths: ["/status"] },
      {
        wrong: "issuedAt is not a calendar date",
        data: { ...CERT, issuedAt: "2023-02-29" },
        paths: ["/issuedAt"],
      },
      {
        wrong: "issuedAt is a date-time",
        data: { ...CERT, issuedAt: "2024-06-30T00:00:00Z" },
        paths: ["/issuedAt"],
      },
      { wrong: "status is missing", data: { citizen: ID, months: 36 }, paths: ["/status"] },
      {
        wrong: "everything is missing: all three are named",
        data: {},
        paths: ["/citizen", "/months", "/status"],
      },
    ],
  },
  "housing-fund.blacklist": {
    valid: [
      { what: "a listing", data: BLACKLIST },
      {
        what: "a lift (a new record, never an edit)",
        data: { ...BLACKLIST, action: "lift", reason: "debt repaid" },
      },
    ],
    invalid: [
      {
        wrong: "action is neither add nor lift",
        data: { ...BLACKLIST, action: "remove" },
        paths: ["/action"],
      },
      { wrong: "reason is empty", data: { ...BLACKLIST, reason: "" }, paths: ["/reason"] },
      { wrong: "reason is missing", data: { citizen: ID, action: "add" }, paths: ["/reason"] },
      {
        wrong: "citizen is not an ID-card number",
        data: { ...BLACKLIST, citizen: "Zhang San" },
        paths: ["/citizen"],
      },
    ],
  },
  "licence.business": {
    valid: [
      { what: "a licence", data: BUSINESS },
      { what: "a code with every letter class", data: { ...BUSINESS, creditCode: "Y2110000MA00ABCDXY" } },
    ],
    invalid: [
      {
        wrong: "credit code has 17 characters",
        data: { ...BUSINESS, creditCode: "91460100MA5T00000" },
        paths: ["/creditCode"],
      },
      {
        wrong: "credit code uses the letter O",
        data: { ...BUSINESS, creditCode: "91460100MA5TO00000" },
        paths: ["/creditCode"],
      },
      {
        wrong: "credit code is lowercase",
        data: { ...BUSINESS, creditCode: "91460100ma5t000000" },
        paths: ["/creditCode"],
      },
      {
        wrong: "validUntil has month 13",
        data: { ...BUSINESS, validUntil: "2030-13-01" },
        paths: ["/validUntil"],
      },
      {
        wrong: "holder is missing",
        data: { creditCode: BUSINESS.creditCode, name: BUSINESS.name, validUntil: "2030-12-31" },
        paths: ["/holder"],
      },
      { wrong: "name is empty", data: { ...BUSINESS, name: "" }, paths: ["/name"] },
    ],
  },
  "licence.marriage": {
    valid: [{ what: "a certificate", data: MARRIAGE }],
    invalid: [
      { wrong: "one spouse", data: { ...MARRIAGE, spouses: [ID] }, paths: ["/spouses"] },
      { wrong: "the same person twice", data: { ...MARRIAGE, spouses: [ID, ID] }, paths: ["/spouses"] },
      {
        wrong: "the second spouse's ID is malformed",
        data: { ...MARRIAGE, spouses: [ID, "4601"] },
        paths: ["/spouses/1"],
      },
      {
        wrong: "certificate number without its J prefix",
        data: { ...MARRIAGE, certificateNo: "460100-2024-000123" },
        paths: ["/certificateNo"],
      },
      {
        wrong: "registeredOn is missing",
        data: { certificateNo: MARRIAGE.certificateNo, spouses: MARRIAGE.spouses },
        paths: ["/registeredOn"],
      },
    ],
  },
  "audit.db-operation": {
    valid: [
      { what: "a read", data: DB_OPERATION },
      { what: "a delete, with its row count", data: { ...DB_OPERATION, operation: "delete", rows: 3 } },
    ],
    invalid: [
      {
        wrong: "operation is not read, write or delete",
        data: { ...DB_OPERATION, operation: "update" },
        paths: ["/operation"],
      },
      {
        wrong: "at has no time zone and no T",
        data: { ...DB_OPERATION, at: "2026-01-15 08:30:00" },
        paths: ["/at"],
      },
      { wrong: "at is a date only", data: { ...DB_OPERATION, at: "2026-01-15" }, paths: ["/at"] },
      {
        wrong: "department is not a member id",
        data: { ...DB_OPERATION, department: "HF Haikou" },
        paths: ["/department"],
      },
      { wrong: "rows is negative", data: { ...DB_OPERATION, rows: -3 }, paths: ["/rows"] },
      {
        wrong: "post and table are missing",
        data: { department: "hf-sanya", operation: "write", at: DB_OPERATION.at },
        paths: ["/post", "/table"],
      },
    ],
  },
  "evidence.digest": {
    valid: [
      { what: "a digest with a +08:00 capture time", data: EVIDENCE },
      { what: "with its media type", data: { ...EVIDENCE, mediaType: "video/mp4" } },
    ],
    invalid: [
      {
        wrong: "sha256 is uppercase hex",
        data: { ...EVIDENCE, sha256: EVIDENCE.sha256.toUpperCase() },
        paths: ["/sha256"],
      },
      {
        wrong: "sha256 has 63 digits",
        data: { ...EVIDENCE, sha256: EVIDENCE.sha256.slice(1) },
        paths: ["/sha256"],
      },
      {
        wrong: "capturedAt is a date only",
        data: { ...EVIDENCE, capturedAt: "2026-03-01" },
        paths: ["/capturedAt"],
      },
      {
        wrong: "capturedAt has hour 25",
        data: { ...EVIDENCE, capturedAt: "2026-03-01T25:00:00Z" },
        paths: ["/capturedAt"],
      },
      {
        wrong: "caseId is missing",
        data: { sha256: EVIDENCE.sha256, capturedAt: EVIDENCE.capturedAt },
        paths: ["/caseId"],
      },
    ],
  },
  "invoice.claim": {
    valid: [
      { what: "a fully digital invoice's 20-digit number", data: INVOICE },
      {
        what: "a paper invoice's 8-digit number, whole yuan",
        data: { ...INVOICE, invoiceNo: "12345678", amount: 300 },
      },
    ],
    invalid: [
      { wrong: "invoiceNo has 7 digits", data: { ...INVOICE, invoiceNo: "1234567" }, paths: ["/invoiceNo"] },
      { wrong: "invoiceNo has a letter", data: { ...INVOICE, invoiceNo: "1234567A" }, paths: ["/invoiceNo"] },
      { wrong: "invoiceNo is a number", data: { ...INVOICE, invoiceNo: 12345678 }, paths: ["/invoiceNo"] },
      { wrong: "amount is zero", data: { ...INVOICE, amount: 0 }, paths: ["/amount"] },
      {
        wrong: "claimedAt is not a date",
        data: { ...INVOICE, claimedAt: "2026-02-30" },
        paths: ["/claimedAt"],
      },
      {
        wrong: "invoiceNo and claimant are missing",
        data: { amount: 1, claimedAt: "2026-11-20" },
        paths: ["/claimant", "/invoiceNo"],
      },
    ],
  },
  "fund.transfer": {
    valid: [{ what: "a stage payment in CNY", data: TRANSFER }],
    invalid: [
      { wrong: "amount is zero", data: { ...TRANSFER, amount: 0 }, paths: ["/amount"] },
      { wrong: "the currency is not CNY", data: { ...TRANSFER, currency: "USD" }, paths: ["/currency"] },
      {
        wrong: "payer and stage are missing",
        data: { project: "R-7", payee: "B", amount: 1, currency: "CNY" },
        paths: ["/payer", "/stage"],
      },
    ],
  },
  "approval.decision": {
    valid: [
      { what: "an approval", data: APPROVAL },
      { what: "a rejection", data: { ...APPROVAL, decision: "reject" } },
    ],
    invalid: [
      {
        wrong: "the decision is neither approve nor reject",
        data: { ...APPROVAL, decision: "maybe" },
        paths: ["/decision"],
      },
      { wrong: "department is missing", data: { project: "P", decision: "approve" }, paths: ["/department"] },
    ],
  },
};

describe.each(Object.entries(SCENARIOS))("%s", (type, { valid, invalid }) => {
  it.each(valid)("accepts $what", ({ data }) => {
    expect(recordDataProblems(0, schema(type), data)).toEqual([]);
  });

  it.each(invalid)("refuses a record where $wrong, at $paths", ({ data, paths }) => {
    expect(pathsOf(type, data)).toEqual([...paths].sort());
  });
});

it("every record type of the demo consortium has its table here", () => {
  expect(Object.keys(SCENARIOS).sort()).toEqual(consortium.recordTypes.map((t) => t.type).sort());
});

describe("problems", () => {
  it("carry the record's index, a JSON Pointer and a message", () => {
    const problems = recordDataProblems(7, schema("housing-fund.deposit-certificate"), {
      ...CERT,
      months: -1,
    });
    expect(problems).toEqual([{ index: 7, path: "/months", message: expect.any(String) }]);
  });

  it("escape ~ and / in property names (RFC 6901)", () => {
    const c = parseConsortium({
      ...JSON.parse(JSON.stringify(consortium)),
      recordTypes: [
        {
          type: "test.closed",
          writers: ["hf-haikou"],
          schema: {
            type: "object",
            properties: { "a/b": { type: "object", properties: { "c~d": { type: "integer" } } } },
            required: ["a/b"],
            additionalProperties: false,
          },
        },
      ],
    });
    const closed = schemaOf(c, "test.closed") as RecordSchema;
    expect(recordDataProblems(0, closed, { "a/b": { "c~d": "x" }, "e~f/g": 1 })).toEqual([
      { index: 0, path: "/e~0f~1g", message: expect.any(String) },
      { index: 0, path: "/a~1b/c~0d", message: expect.any(String) },
    ]);
    expect(recordDataProblems(0, closed, {})).toEqual([
      { index: 0, path: "/a~1b", message: expect.any(String) },
    ]);
  });

  it("never change the data: no defaults, no coercion, no removal", () => {
    const c = parseConsortium({
      ...JSON.parse(JSON.stringify(consortium)),
      recordTypes: [
        {
          type: "test.defaults",
          writers: ["hf-haikou"],
          schema: { type: "object", properties: { months: { type: "integer", default: 12 } } },
        },
      ],
    });
    const data = { extra: true };
    expect(recordDataProblems(0, schemaOf(c, "test.defaults") as RecordSchema, data)).toEqual([]);
    expect(data).toEqual({ extra: true });
    const text = { months: "12" };
    expect(recordDataProblems(0, schemaOf(c, "test.defaults") as RecordSchema, text)).toHaveLength(1);
    expect(text).toEqual({ months: "12" });
  });
});
