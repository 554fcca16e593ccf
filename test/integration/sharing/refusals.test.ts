import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentDigest, INTL, type JsonValue } from "#chain";
import { orphanBodies } from "../../support/batch-bodies.js";
import { AheadClock, startTestNode, type TestNode } from "../../support/local-node.js";
import {
  agreeContract,
  approve,
  auditNode,
  type ContractDoc,
  daysFromNow,
  diffSnapshots,
  freshNonce,
  matchAs,
  propose,
  proposeContract,
  revoke,
  trailOf,
  unchangedBy,
} from "../../support/sharing.js";

// Every refusal of POST /v1/match and of contract records, over HTTP with real
// signatures. A policy refusal by an authenticated consumer is recorded — exactly one
// access entry (its batch, payload and index items) and nothing else; any other
// refusal, of a match or of a contract record, leaves the table exactly as it was
// (docs/design/sharing.md §2, §4).
//
// Past 400 lines: one case per refusal code, all against one running consortium and one
// store snapshot, so that "leaves the table exactly as it was" is checked the same way for each.

const SUBJECT = "460100198512120017";
const TYPE = "housing-fund.blacklist";

/**
 * A blacklist contract, Haikou providing to Sanya, in effect from yesterday for a year;
 * a change to `undefined` leaves that member out.
 */
function contract(id: string, changes: Record<string, unknown> = {}): ContractDoc {
  const doc: Record<string, unknown> = {
    id,
    provider: "hf-haikou",
    consumer: "hf-sanya",
    type: TYPE,
    purpose: `refusal tests: ${id}`,
    share: "unconditional",
    match: ["action"],
    validFrom: daysFromNow(-1),
    validUntil: daysFromNow(365),
    rateLimit: { perMinute: 600 },
    ...changes,
  };
  for (const [k, v] of Object.entries(doc)) if (v === undefined) delete doc[k];
  return doc as unknown as ContractDoc;
}

const OPEN = contract("rf-open");
const PROPOSED = contract("rf-proposed");
const REVOKED = contract("rf-revoked");
const EXPIRED = contract("rf-expired", { validFrom: daysFromNow(-730), validUntil: daysFromNow(-365) });
const FUTURE = contract("rf-future", { validFrom: daysFromNow(365), validUntil: daysFromNow(730) });
const NONE = contract("rf-none", { share: "none", match: undefined });
const CONDITIONAL = contract("rf-conditional", { share: "conditional" });
const RATE = contract("rf-rate", { rateLimit: { perMinute: 2 } });

const listed = { field: "action", op: "=", value: "add" } as const;
const question = (contractId: string, extra: Record<string, unknown> = {}) => ({
  contract: contractId,
  subject: SUBJECT,
  where: [listed],
  ...extra,
});

let t: TestNode;
const clock = new AheadClock();
const versions = new Map<string, string>();
/** Every access entry recorded for SUBJECT, in the order the requests were made. */
const recorded: string[] = [];
beforeAll(async () => {
  t = await startTestNode({ clock });
  for (const doc of [OPEN, REVOKED, EXPIRED, FUTURE, NONE, CONDITIONAL, RATE])
    versions.set(doc.id, await agreeContract(t, doc, "hf-haikou", "hf-sanya"));
  versions.set(PROPOSED.id, await proposeContract(t, "hf-haikou", PROPOSED));
  const revoked = await t.submit("hf-sanya", [revoke(REVOKED.id, "no longer needed")]);
  expect(revoked.status, revoked.text).toBe(202);
  const listing = await t.submit("hf-haikou", [
    { type: TYPE, data: { citizen: SUBJECT, action: "add", reason: "defaulted on a fund loan" } },
  ]);
  expect(listing.status, listing.text).toBe(202);
});
afterAll(async () => {
  await t?.stop();
});

/**
 * Sends a match as `as` that must be refused with `status`/`code` and recorded: the
 * error names the access entry; the table gained exactly that entry's batch item
 * (B#<keyId>#<nonce>), payload (E#<id>) and index items (A#<subjectHmac>, and
 * T#<consumer> and T#<provider> when the contract names one), and
 * counted itself in the department's refusal budget (R#refused#<dept>, added or changed);
 * nothing else changed — no contract's rate counter, as a refused request is no answer;
 * the consumer reads the entry as a refusal with that code, and finds it in its trail.
 */
async function recordedRefusal(as: string, body: { subject: string }, status: number, code: string) {
  const nonce = freshNonce("recorded");
  const before = await t.snapshot();
  const res = await matchAs(t, as, body, { nonce });
  const after = await t.snapshot();
  expect(res.status, res.text).toBe(status);
  expect(res.body.error.code).toBe(code);
  const id = res.body.error.details?.accessEntryId as string;
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  recorded.push(id);

  const entry = await t.send({ method: "GET", path: `/v1/entries/${id}`, as });
  expect(entry.status, entry.text).toBe(200);
  expect(entry.body.envelope).toMatchObject({
    kind: "access",
    id,
    dept: as,
    type: "zhixin.access",
    keyId: await t.keyIdOf(as),
  });
  expect(entry.body.status).toBe("pending");
  expect(entry.body.payload).toMatchObject({
    contract: (body as { contract?: string }).contract,
    result: "refused",
    refusal: code,
    fieldsReturned: [],
  });
  expect(JSON.stringify(entry.body)).not.toContain(SUBJECT);

  const { subjectHmac } = entry.body.payload as { subjectHmac: string };
  const receivedAt = entry.body.envelope.receivedAt as string;
  const diff = diffSnapshots(before, after);
  const budget = new RegExp(`^R#refused#${as} \\| \\d+$`);
  const batch = `B#${await t.keyIdOf(as)}#${nonce}`;
  const batchBody = new RegExp(`^${batch} \\| E#[0-9a-f]{64}$`);
  const provider = (entry.body.payload as { provider?: string }).provider;
  const departmentLists = [...new Set([as, ...(provider ? [provider] : [])])].map(
    (d) => `T#${d} | ${receivedAt}#${id}`,
  );
  expect(diff.added.filter((k) => !budget.test(k) && !batchBody.test(k))).toEqual(
    [`A#${subjectHmac} | ${receivedAt}#${id}`, ...departmentLists, `${batch} | B`, `E#${id} | P`].sort(),
  );
  // The batch's body, beside its head (docs/STORAGE.md); refused RATE_LIMITED, the
  // answer's body written with its count stays too, an orphan no head names.
  expect(diff.added.filter((k) => batchBody.test(k))).toHaveLength(code === "RATE_LIMITED" ? 2 : 1);
  expect(orphanBodies(after).length - orphanBodies(before).length).toBe(code === "RATE_LIMITED" ? 1 : 0);
  expect([...diff.added, ...diff.changed].filter((k) => budget.test(k))).toHaveLength(1);
  expect(diff.changed.filter((k) => !budget.test(k))).toEqual([]);
  expect(diff.removed).toEqual([]);

  const trail = await trailOf(t, as, body.subject);
  expect(trail.filter((a) => a.entry.id === id)).toEqual([
    expect.objectContaining({
      consumer: as,
      access: expect.objectContaining({ result: "refused", refusal: code }),
    }),
  ]);
  return { res, payload: entry.body.payload as Record<string, unknown> };
}

describe("recorded refusals of POST /v1/match: exactly one access entry each", () => {
  it("CONTRACT_NOT_FOUND: no such contract (404)", async () => {
    const { payload } = await recordedRefusal(
      "hf-sanya",
      question("rf-no-such-contract"),
      404,
      "CONTRACT_NOT_FOUND",
    );
    expect(payload).not.toHaveProperty("version");
    expect(payload).not.toHaveProperty("provider");
  });

  it("NOT_CONSUMER: the provider asks, or a third department (403)", async () => {
    for (const as of ["hf-haikou", "market-regulation"]) {
      const { payload } = await recordedRefusal(as, question(OPEN.id), 403, "NOT_CONSUMER");
      expect(payload).toMatchObject({ provider: "hf-haikou" });
    }
  });

  it("CONTRACT_NOT_EFFECTIVE: proposed only, revoked, expired, not yet valid (403)", async () => {
    for (const doc of [PROPOSED, REVOKED]) {
      const { payload } = await recordedRefusal("hf-sanya", question(doc.id), 403, "CONTRACT_NOT_EFFECTIVE");
      // No version is in effect, so none is named.
      expect(payload).not.toHaveProperty("version");
    }
    for (const doc of [EXPIRED, FUTURE]) {
      const { payload } = await recordedRefusal("hf-sanya", question(doc.id), 403, "CONTRACT_NOT_EFFECTIVE");
      // The approved version outside its window is the one considered.
      expect(payload).toMatchObject({ version: versions.get(doc.id), type: TYPE });
    }
  });

  it("SHARE_NONE: the contract shares nothing (403)", async () => {
    await recordedRefusal("hf-sanya", question(NONE.id, { where: [] }), 403, "SHARE_NONE");
  });

  it("AUTHORISATION_REQUIRED: a conditional contract without the subject's authorisation (403)", async () => {
    await recordedRefusal("hf-sanya", question(CONDITIONAL.id), 403, "AUTHORISATION_REQUIRED");
    // With it, the same question is answered.
    const answered = await matchAs(
      t,
      "hf-sanya",
      question(CONDITIONAL.id, { authorisation: { ref: "consent-0001", digest: "b".repeat(64) } }),
    );
    expect(answered.status, answered.text).toBe(200);
    expect(answered.body.match).toBe(true);
    recorded.push(answered.body.accessEntryId);
  });

  it("FIELD_NOT_ALLOWED: a predicate outside `match`, or fields under a yes/no contract (403)", async () => {
    const { res } = await recordedRefusal(
      "hf-sanya",
      question(OPEN.id, { where: [listed, { field: "reason", op: "!=", value: "" }] }),
      403,
      "FIELD_NOT_ALLOWED",
    );
    expect(res.body.error.details.fields).toEqual(["reason"]);
    await recordedRefusal("hf-sanya", question(OPEN.id, { want: "fields" }), 403, "FIELD_NOT_ALLOWED");
  });

  it("RATE_LIMITED: the third request in a minute under perMinute 2 (429)", async () => {
    // The window is the node's clock minute: move it to 1 s into the next one, so that
    // all three requests share it.
    clock.aheadMs += 61_000 - (clock.now().getTime() % 60_000);
    const counter = "R#contract#rf-rate#hf-sanya";
    let before = await t.snapshot();
    for (const n of [1, 2]) {
      const res = await matchAs(t, "hf-sanya", question(RATE.id));
      expect(res.status, res.text).toBe(200);
      recorded.push(res.body.accessEntryId);
      const after = await t.snapshot();
      const diff = diffSnapshots(before, after);
      // An answer adds its access entry's six items (payload, its subject's trail item and
      // its consumer's and provider's list items, batch head and body) and counts itself.
      expect(diff.added.filter((k) => !k.startsWith("R#"))).toHaveLength(6);
      expect(diff.removed).toEqual([]);
      if (n === 1) {
        expect(diff.added.filter((k) => k.startsWith("R#"))).toEqual([
          expect.stringMatching(new RegExp(`^${counter} \\| \\d+$`)),
        ]);
        expect(diff.changed).toEqual([]);
      } else {
        expect(diff.changed).toEqual([expect.stringMatching(new RegExp(`^${counter} \\| \\d+$`))]);
      }
      before = after;
    }
    const { res } = await recordedRefusal("hf-sanya", question(RATE.id), 429, "RATE_LIMITED");
    // The rest of the minute the first request began 1 s into (on the node's clock).
    expect(res.body.error.details.retryAfterSeconds).toBeGreaterThan(30);
    expect(res.body.error.details.retryAfterSeconds).toBeLessThanOrEqual(59);
  });
});

describe("refusals of POST /v1/match that store nothing", () => {
  it("an unsigned request: 401 SIGNATURE_MISSING", async () => {
    const res = await unchangedBy(t, () => matchAs(t, "hf-sanya", question(OPEN.id), { unsigned: true }));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("SIGNATURE_MISSING");
  });

  it("an auditor identity asking: 403 ROLE_FORBIDDEN", async () => {
    const res = await unchangedBy(t, () => matchAs(t, "auditor", question(OPEN.id)));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("ROLE_FORBIDDEN");
  });

  it("malformed JSON: 400 INVALID_JSON", async () => {
    const res = await unchangedBy(t, () =>
      t.send({ method: "POST", path: "/v1/match", as: "hf-sanya", body: '{"contract": "rf-open",' }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("INVALID_JSON");
  });

  it.each([
    ["an unknown key", question(OPEN.id, { purpose: "curiosity" })],
    ["operator ~", question(OPEN.id, { where: [{ field: "action", op: "~", value: "add" }] })],
    ["no subject", { contract: OPEN.id, where: [listed] }],
    ["an empty subject", question(OPEN.id, { subject: "" })],
    ["want neither match nor fields", question(OPEN.id, { want: "record" })],
    [
      "a predicate value that is an object",
      question(OPEN.id, { where: [{ field: "action", op: "=", value: {} }] }),
    ],
  ])("a body of the wrong shape (%s): 400 SCHEMA_VIOLATION", async (_what, body) => {
    const res = await unchangedBy(t, () => matchAs(t, "hf-sanya", body));
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe("SCHEMA_VIOLATION");
  });

  it("the nonce of a match already answered, or already refused: 409 NONCE_REPLAYED", async () => {
    const nonce = freshNonce("answered");
    const first = await matchAs(t, "hf-sanya", question(OPEN.id), { nonce });
    expect(first.status, first.text).toBe(200);
    recorded.push(first.body.accessEntryId);
    for (const body of [question(OPEN.id), question(OPEN.id, { where: [] }), question(PROPOSED.id)]) {
      const res = await unchangedBy(t, () => matchAs(t, "hf-sanya", body, { nonce }));
      expect(res.status, res.text).toBe(409);
      expect(res.body.error.code).toBe("NONCE_REPLAYED");
    }
    const refusedNonce = freshNonce("refused");
    const refused = await matchAs(t, "hf-sanya", question(PROPOSED.id), { nonce: refusedNonce });
    expect(refused.body.error.code).toBe("CONTRACT_NOT_EFFECTIVE");
    recorded.push(refused.body.error.details.accessEntryId);
    const again = await unchangedBy(t, () =>
      matchAs(t, "hf-sanya", question(PROPOSED.id), { nonce: refusedNonce }),
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("NONCE_REPLAYED");
  });

  it("a body over 16 KB: 413 BODY_TOO_LARGE (16 KB exactly is read, and judged on its shape)", async () => {
    const sized = (bytes: number) => {
      const base = JSON.stringify(question(OPEN.id, { pad: "" }));
      return JSON.stringify(question(OPEN.id, { pad: "x".repeat(bytes - base.length) }));
    };
    const over = sized(16 * 1024 + 1);
    expect(new TextEncoder().encode(over).length).toBe(16 * 1024 + 1);
    const res = await unchangedBy(t, () =>
      t.send({ method: "POST", path: "/v1/match", as: "hf-sanya", body: over }),
    );
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("BODY_TOO_LARGE");
    const limit = await unchangedBy(t, () =>
      t.send({ method: "POST", path: "/v1/match", as: "hf-sanya", body: sized(16 * 1024) }),
    );
    expect(limit.status).toBe(400);
    expect(limit.body.error.code).toBe("SCHEMA_VIOLATION");
  });
});

describe("refusals of contract records (POST /v1/entries): 4xx, store unchanged", () => {
  const W = contract("rf-writes");

  async function refused(
    as: string,
    records: Array<{ type: string; data: unknown }>,
    status: number,
    code: string,
  ) {
    const res = await unchangedBy(t, () => t.submit(as, records));
    expect(res.status, `${as} ${code}: ${res.text}`).toBe(status);
    expect(res.body.error.code).toBe(code);
    return res;
  }

  it("CONTRACT_INVALID: a malformed document", async () => {
    const { purpose: _purpose, ...withoutPurpose } = W;
    const cases: unknown[] = [
      withoutPurpose,
      { ...W, validFrom: daysFromNow(10), validUntil: daysFromNow(5) },
      { ...W, validUntil: W.validFrom },
      { ...W, consumer: "hf-haikou" },
      { ...W, authority: "the governor" },
      { ...W, share: "sometimes" },
      contract(W.id, { match: undefined }),
      { ...W, match: ["action", "action"] },
      { ...W, rateLimit: { perMinute: 0 } },
      { ...W, id: "Has Capitals" },
    ];
    for (const doc of cases) await refused("hf-haikou", [propose(doc)], 400, "CONTRACT_INVALID");
    // Approve and revoke records are parsed as strictly.
    await refused("hf-sanya", [approve(W.id, "not-a-version")], 400, "CONTRACT_INVALID");
    await refused(
      "hf-sanya",
      [{ type: "zhixin.contract.approve", data: { contractId: OPEN.id, version: "0".repeat(64), extra: 1 } }],
      400,
      "CONTRACT_INVALID",
    );
    await refused(
      "hf-sanya",
      [{ type: "zhixin.contract.revoke", data: { contractId: OPEN.id } }],
      400,
      "CONTRACT_INVALID",
    );
  });

  it("CONTRACT_INVALID: the provider does not write the type; a field the type does not have", async () => {
    await refused("hf-sanya", [propose({ ...W, provider: "market-regulation" })], 400, "CONTRACT_INVALID");
    await refused("hf-haikou", [propose({ ...W, match: ["action", "colour"] })], 400, "CONTRACT_INVALID");
    // A type with no subject field cannot be matched.
    await refused(
      "internet-court",
      [propose({ ...W, provider: "internet-court", type: "evidence.digest", match: ["sha256"] })],
      400,
      "CONTRACT_INVALID",
    );
  });

  it("CONTRACT_UNKNOWN_DEPARTMENT and CONTRACT_UNKNOWN_TYPE", async () => {
    await refused(
      "hf-haikou",
      [propose({ ...W, consumer: "hf-wenchang" })],
      400,
      "CONTRACT_UNKNOWN_DEPARTMENT",
    );
    // An auditor identity is no department.
    await refused("hf-haikou", [propose({ ...W, consumer: "auditor" })], 400, "CONTRACT_UNKNOWN_DEPARTMENT");
    await refused("hf-haikou", [propose({ ...W, type: "housing-fund.loan" })], 400, "CONTRACT_UNKNOWN_TYPE");
  });

  it("CONTRACT_NOT_PARTY: a third department proposes, approves or revokes", async () => {
    await refused("market-regulation", [propose(W)], 403, "CONTRACT_NOT_PARTY");
    await refused(
      "market-regulation",
      [approve(PROPOSED.id, versions.get(PROPOSED.id) as string)],
      403,
      "CONTRACT_NOT_PARTY",
    );
    await refused("civil-affairs", [revoke(OPEN.id, "not mine to revoke")], 403, "CONTRACT_NOT_PARTY");
  });

  it("CONTRACT_SELF_APPROVAL: the proposer approves its own version, alone or in the same batch", async () => {
    await refused(
      "hf-haikou",
      [approve(PROPOSED.id, versions.get(PROPOSED.id) as string)],
      403,
      "CONTRACT_SELF_APPROVAL",
    );
    // The batch's own propose is refused with it: nothing of the batch is stored.
    const doc = contract("rf-same-batch");
    const version = contentDigest(INTL, doc as unknown as JsonValue);
    const res = await refused(
      "hf-sanya",
      [propose(doc), approve(doc.id, version)],
      403,
      "CONTRACT_SELF_APPROVAL",
    );
    expect(res.body.error.details).toMatchObject({ index: 1, contractId: doc.id });
    expect((await t.send({ method: "GET", path: `/v1/contracts/${doc.id}`, as: "hf-sanya" })).status).toBe(
      404,
    );
  });

  it("CONTRACT_NOT_FOUND: approve or revoke an unknown contract, approve an unknown version (404)", async () => {
    await refused("hf-sanya", [approve("rf-nowhere", "0".repeat(64))], 404, "CONTRACT_NOT_FOUND");
    await refused("hf-sanya", [revoke("rf-nowhere", "never existed")], 404, "CONTRACT_NOT_FOUND");
    await refused("hf-sanya", [approve(PROPOSED.id, "0".repeat(64))], 404, "CONTRACT_NOT_FOUND");
  });

  it("CONTRACT_STATE_CONFLICT: approve twice, revoke twice, propose the identical version twice (409)", async () => {
    await refused(
      "hf-sanya",
      [approve(OPEN.id, versions.get(OPEN.id) as string)],
      409,
      "CONTRACT_STATE_CONFLICT",
    );
    await refused("hf-sanya", [revoke(REVOKED.id, "again")], 409, "CONTRACT_STATE_CONFLICT");
    await refused("hf-haikou", [revoke(REVOKED.id, "and again")], 409, "CONTRACT_STATE_CONFLICT");
    await refused("hf-haikou", [propose(OPEN)], 409, "CONTRACT_STATE_CONFLICT");
    // By the other party too: the version exists, whoever proposes it.
    await refused("hf-sanya", [propose(OPEN)], 409, "CONTRACT_STATE_CONFLICT");
    // A revoked contract's version cannot be approved back into effect.
    await refused(
      "hf-sanya",
      [approve(REVOKED.id, versions.get(REVOKED.id) as string)],
      409,
      "CONTRACT_STATE_CONFLICT",
    );
  });

  it("a contract's parties never change: a new version between others is CONTRACT_INVALID", async () => {
    await refused(
      "hf-haikou",
      [propose({ ...OPEN, consumer: "service-centre", purpose: "changed parties" })],
      400,
      "CONTRACT_INVALID",
    );
  });
});

describe("afterwards", () => {
  it("every recorded refusal and answer seals, and the audit passes", async () => {
    expect(await t.seal()).toMatchObject({ sealed: true });
    // Nothing but the recorded refusals and the answers is in the trail, each once.
    const trail = await trailOf(t, "auditor", SUBJECT);
    expect(trail.map((a) => a.entry.id)).toEqual(recorded);
    for (const a of trail) {
      expect(a.entry.status).toBe("sealed");
      expect(a.entry.sealed?.proof).toBeInstanceOf(Array);
    }
    expect(await auditNode(t)).toMatchObject({ ok: true, findings: [] });
  });
});
