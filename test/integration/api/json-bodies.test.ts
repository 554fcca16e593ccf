import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, contentDigest, INTL, type JsonValue, parseJson } from "#chain";
import { batchRootOf, startTestNode, type TestNode, type TestRequest } from "../../support/local-node.js";
import { agreeContract, auditNode, type ContractDoc, daysFromNow, propose } from "../../support/sharing.js";

// Issue #10, item 3: what a department signed is exactly what the ledger keeps. A body
// is read as I-JSON (docs/FORMATS.md §1.1): a member name used twice, a lone surrogate or
// a number its canonical form would change is refused with its own code and leaves the
// table as it was; "__proto__", "constructor" and every other name are kept, through
// the stored payload, the contentDigest, GET and the audit.

const CERT = "housing-fund.deposit-certificate";
const CITIZEN = "460100199001011234";

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t?.stop();
});

/** A signed submit of the body `text`, its batch root over `records` (default: parsed from the text, as the CLI does). */
function submitText(text: string, records?: Array<{ type: string; data: unknown }>): TestRequest {
  const rs = records ?? (parseJson(text) as { records: Array<{ type: string; data: unknown }> }).records;
  return {
    method: "POST",
    path: "/v1/entries",
    as: "hf-haikou",
    body: text,
    batchRoot: batchRootOf(INTL, rs),
  };
}

/** A submit of one certificate whose data is the JSON text `data`. */
function certText(data: string): string {
  return `{"records":[{"type":"${CERT}","data":${data}}]}`;
}

const certData = (extra: string) => `{"citizen":"${CITIZEN}","months":36,"status":"active"${extra}}`;

/** The batch root over `text` read as JSON.parse reads it: the last of two members wins. */
const lastWinsRoot = (text: string) => submitText(text, JSON.parse(text).records);

describe("refused bodies: a 400 with its own code, and the table unchanged", () => {
  const refusals: Array<{ name: string; request: () => TestRequest; code: string }> = [
    {
      name: "two `records` members, the first empty (JSON.parse keeps the last)",
      request: () => lastWinsRoot(`{"records":[],"records":[{"type":"${CERT}","data":${certData("")}}]}`),
      code: "DUPLICATE_KEY",
    },
    {
      name: "a record's data naming `months` twice",
      request: () =>
        lastWinsRoot(certText(`{"citizen":"${CITIZEN}","months":1,"months":36,"status":"active"}`)),
      code: "DUPLICATE_KEY",
    },
    {
      name: "`__proto__` twice in a record's data",
      request: () => lastWinsRoot(certText(certData(',"__proto__":{"a":1},"__proto__":{"a":2}'))),
      code: "DUPLICATE_KEY",
    },
    {
      name: "a duplicate deep inside a record's data",
      request: () => lastWinsRoot(certText(certData(',"x":[{"k":1,"k":1}]'))),
      code: "DUPLICATE_KEY",
    },
    {
      name: "a record naming `type` twice",
      request: () =>
        lastWinsRoot(`{"records":[{"type":"licence.business","type":"${CERT}","data":${certData("")}}]}`),
      code: "DUPLICATE_KEY",
    },
    {
      name: "a lone surrogate in a record's data",
      request: () => submitText(certText(certData(',"note":"a\\ud800b"')), [{ type: CERT, data: {} }]),
      code: "LONE_SURROGATE",
    },
    {
      name: "a lone surrogate in a member name",
      request: () => submitText(certText(certData(',"\\udc00":1')), [{ type: CERT, data: {} }]),
      code: "LONE_SURROGATE",
    },
    {
      name: "an integer past 2^53 that a double rounds (JSON.parse: 9007199254740992)",
      request: () =>
        lastWinsRoot(certText(`{"citizen":"${CITIZEN}","months":9007199254740993,"status":"active"}`)),
      code: "NUMBER_NOT_EXACT",
    },
    {
      name: "more digits than a double holds",
      request: () => lastWinsRoot(certText(certData(',"rate":0.10000000000000000001'))),
      code: "NUMBER_NOT_EXACT",
    },
    {
      name: "a number past a double's range",
      request: () => submitText(certText(certData(',"big":1e400')), [{ type: CERT, data: {} }]),
      code: "NUMBER_NOT_EXACT",
    },
    {
      name: "a `__proto__` member beside a record's type and data",
      request: () => submitText(`{"records":[{"type":"${CERT}","data":${certData("")},"__proto__":{}}]}`),
      code: "SCHEMA_VIOLATION",
    },
    {
      name: "a body that is only a `__proto__` holding the records",
      request: () => submitText(`{"__proto__":{"records":[{"type":"${CERT}","data":${certData("")}}]}}`, []),
      code: "SCHEMA_VIOLATION",
    },
    {
      name: "a megabyte less a little of nested arrays",
      request: () =>
        submitText(certText(certData(`,"deep":${"[".repeat(500_000)}${"]".repeat(500_000)}`)), []),
      code: "SCHEMA_VIOLATION",
    },
  ];

  it.each(refusals)("$name → 400 $code", async ({ request, code }) => {
    const before = await t.snapshot();
    const res = await t.send(request());
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 400, code });
    expect(await t.snapshot()).toEqual(before);
  });

  it("a duplicate's details say where: the member's JSON Pointer", async () => {
    const res = await t.send(lastWinsRoot(certText(certData(',"x":[{"k":1,"k":1}]'))));
    expect(res.body.error).toMatchObject({
      code: "DUPLICATE_KEY",
      details: { path: "/records/0/data/x/0/k" },
    });
  });
});

describe("special member names are kept exactly: payload, contentDigest, GET, audit", () => {
  const data = certData(
    ',"__proto__":{"isAdmin":true},"constructor":{"name":"c"},"prototype":1,"toString":"s",' +
      '"hasOwnProperty":null,"toJSON":{"t":1},"0":"zero","10":[{"__proto__":[1,2]}]',
  );

  it("the batch root over the data with `__proto__` (as the CLI computes it): 202, stored and served exactly", async () => {
    const signed = parseJson(data);
    const res = await t.send(submitText(certText(data)));
    expect(res.status, res.text).toBe(202);
    const id = res.body.entries[0].id as string;

    const payload = (await t.snapshot()).find(
      (i) =>
        (i as { pk?: { S?: string } }).pk?.S === `E#${id}` && (i as { sk?: { S?: string } }).sk?.S === "P",
    ) as { data: { S: string } };
    expect(payload.data.S).toBe(canonicalJson(signed));
    expect(payload.data.S).toContain('"__proto__":{"isAdmin":true}');

    const got = await t.send({ method: "GET", path: `/v1/entries/${id}`, as: "hf-haikou" });
    expect(got.status).toBe(200);
    const view = parseJson(got.text) as { payload: JsonValue; envelope: { contentDigest: string } };
    expect(canonicalJson(view.payload)).toBe(canonicalJson(signed));
    expect(view.envelope.contentDigest).toBe(contentDigest(INTL, signed));
    expect(({} as { isAdmin?: unknown }).isAdmin).toBeUndefined();

    await t.seal();
    expect(await auditNode(t)).toMatchObject({ ok: true, findings: [] });
  });

  it("a batch root over the data without `__proto__` (what the server used to keep): BATCH_ROOT_MISMATCH, unchanged", async () => {
    const withoutProto = Object.fromEntries(
      Object.entries(parseJson(data) as Record<string, unknown>).filter(([k]) => k !== "__proto__"),
    );
    expect(Object.hasOwn(withoutProto, "__proto__")).toBe(false);
    const before = await t.snapshot();
    const res = await t.send(submitText(certText(data), [{ type: CERT, data: withoutProto }]));
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({
      status: 400,
      code: "BATCH_ROOT_MISMATCH",
    });
    expect(await t.snapshot()).toEqual(before);
  });

  it("numbers in any exact form are kept as their canonical form: 1.50, 36e0, -0", async () => {
    const text = certText(`{"citizen":"${CITIZEN}","months":36e0,"status":"active","rate":1.50,"z":-0}`);
    const res = await t.send(submitText(text));
    expect(res.status, res.text).toBe(202);
    const got = await t.send({
      method: "GET",
      path: `/v1/entries/${res.body.entries[0].id}`,
      as: "hf-haikou",
    });
    expect(canonicalJson(got.body.payload)).toBe(
      `{"citizen":"${CITIZEN}","months":36,"rate":1.5,"status":"active","z":0}`,
    );
  });
});

const contract: ContractDoc = {
  id: "json-bodies",
  provider: "hf-haikou",
  consumer: "hf-sanya",
  type: "housing-fund.blacklist",
  purpose: "issue 10: JSON bodies",
  share: "unconditional",
  match: ["action"],
  validFrom: daysFromNow(-1),
  validUntil: daysFromNow(365),
  rateLimit: { perMinute: 600 },
};

describe("a contract's match and fields name members of the type's schema, not inherited names", () => {
  it.each(["constructor", "__proto__", "toString"])(
    "match: [%s] → 400 CONTRACT_INVALID, unchanged",
    async (field) => {
      const doc = { ...contract, id: `json-${field.replaceAll("_", "").toLowerCase()}`, match: [field] };
      const before = await t.snapshot();
      const res = await t.submit("hf-haikou", [propose(doc)]);
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({
        status: 400,
        code: "CONTRACT_INVALID",
      });
      expect(await t.snapshot()).toEqual(before);
    },
  );
});

describe("POST /v1/match bodies: the same rule, refused before anything is recorded", () => {
  beforeAll(async () => {
    await agreeContract(t, contract, "hf-haikou", "hf-sanya");
  });

  const matchText = (text: string): TestRequest => ({
    method: "POST",
    path: "/v1/match",
    as: "hf-sanya",
    body: text,
  });
  const subject = `"subject":"${CITIZEN}"`;

  it.each([
    ["`contract` twice", `{"contract":"nope","contract":"${contract.id}",${subject}}`, "DUPLICATE_KEY"],
    [
      "a predicate naming `op` twice",
      `{"contract":"${contract.id}",${subject},"where":[{"field":"action","op":"!=","op":"=","value":"add"}]}`,
      "DUPLICATE_KEY",
    ],
    [
      "a lone surrogate in the subject",
      `{"contract":"${contract.id}","subject":"\\ud800"}`,
      "LONE_SURROGATE",
    ],
    [
      "a lone surrogate in a predicate's field (recorded as a refusal, it was a 500)",
      `{"contract":"${contract.id}",${subject},"where":[{"field":"\\ud800","op":"=","value":"add"}]}`,
      "LONE_SURROGATE",
    ],
    [
      "a predicate value past 2^53",
      `{"contract":"${contract.id}",${subject},"where":[{"field":"action","op":"=","value":9007199254740993}]}`,
      "NUMBER_NOT_EXACT",
    ],
  ])("%s → 400, nothing recorded", async (_, text, code) => {
    const before = await t.snapshot();
    const res = await t.send(matchText(text));
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 400, code });
    expect(await t.snapshot()).toEqual(before);
  });
});
