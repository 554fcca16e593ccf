import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../../support/local-node.js";
import { captured } from "../../support/output.js";

// Multi-party records (S4 fund transfers, S7 approvals), over HTTP with real signatures
// against dynalite. fund.transfer and approval.decision name three signers each
// (consortium.example.json); the writer's submission is its signature, every other signer
// submits a zhixin.cosign { entryId, contentDigest }. Refusals change nothing stored.

const transfer = (stage: string) => ({
  type: "fund.transfer",
  data: {
    project: "Xiong'an R-7",
    stage,
    payer: "Developer Co.",
    payee: "Builder Co.",
    amount: 1_250_000,
    currency: "CNY",
  },
});
const cosign = (entryId: string, contentDigest: string) => ({
  type: "zhixin.cosign",
  data: { entryId, contentDigest },
});

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t?.stop();
});

async function unchangedBy<T>(action: () => Promise<T>): Promise<T> {
  const before = await t.snapshot();
  const result = await action();
  expect(await t.snapshot()).toEqual(before);
  return result;
}

async function read(id: string, as = "auditor") {
  const res = await t.send({ method: "GET", path: `/v1/entries/${id}`, as });
  expect(res.status).toBe(200);
  return res.body;
}

/** Submits one record as `as`; returns its entry id and contentDigest. */
async function submitOne(as: string, record: { type: string; data: unknown }) {
  const res = await t.submit(as, [record]);
  expect(res.status, res.text).toBe(202);
  const id = res.body.entries[0].id as string;
  return { id, digest: (await read(id)).envelope.contentDigest as string };
}

async function audit(): Promise<{
  ok: boolean;
  findings: Array<{ code: string } & Record<string, unknown>>;
}> {
  return fetch(`${t.url}/local/verify`, { method: "POST", body: "{}" }).then(
    (r) => r.json() as Promise<never>,
  );
}

describe("S4: a fund transfer is complete only when all three signers have signed", () => {
  let target: { id: string; digest: string };
  const cosignIds: string[] = [];

  it("after the writer's submission it is pending-signatures, signed by the writer", async () => {
    target = await submitOne("hf-haikou", transfer("foundation"));
    const view = await read(target.id);
    expect(view.signatures).toEqual({
      required: ["hf-haikou", "hf-sanya", "market-regulation"],
      signed: [{ department: "hf-haikou", entryId: target.id, receivedAt: view.envelope.receivedAt }],
      complete: false,
    });
  });

  it("the second signer's cosign is accepted; still pending", async () => {
    const res = await t.submit("hf-sanya", [cosign(target.id, target.digest)]);
    expect(res.status, res.text).toBe(202);
    cosignIds.push(res.body.entries[0].id);
    const view = await read(target.id);
    expect(view.signatures.complete).toBe(false);
    expect(view.signatures.signed.map((s: { department: string }) => s.department)).toEqual([
      "hf-haikou",
      "hf-sanya",
    ]);
    expect(view.signatures.signed[1]).toMatchObject({
      entryId: cosignIds[0],
      receivedAt: res.body.receivedAt,
    });
  });

  it("refuses cosigns that name no entry, the wrong digest, a non-signer, the writer or a second signature", async () => {
    const cases: Array<[string, { type: string; data: unknown }, number, string]> = [
      ["market-regulation", cosign("0".repeat(32), target.digest), 404, "COSIGN_TARGET_NOT_FOUND"],
      ["market-regulation", cosign(target.id, "0".repeat(64)), 400, "COSIGN_DIGEST_MISMATCH"],
      ["civil-affairs", cosign(target.id, target.digest), 403, "COSIGN_NOT_SIGNER"],
      ["hf-haikou", cosign(target.id, target.digest), 409, "COSIGN_DUPLICATE"],
      ["hf-sanya", cosign(target.id, target.digest), 409, "COSIGN_DUPLICATE"],
      ["market-regulation", { type: "zhixin.cosign", data: { entryId: target.id } }, 400, "SCHEMA_VIOLATION"],
    ];
    for (const [as, record, status, code] of cases) {
      const res = await unchangedBy(() => t.submit(as, [record]));
      expect(res.status, `${as} ${code}`).toBe(status);
      expect(res.body.error.code).toBe(code);
    }
    // A record of a type without signers cannot be co-signed.
    const cert = await submitOne("hf-sanya", {
      type: "housing-fund.deposit-certificate",
      data: { citizen: "460100199001011234", months: 12, status: "active" },
    });
    const res = await unchangedBy(() => t.submit("hf-haikou", [cosign(cert.id, cert.digest)]));
    expect(res.body.error.code).toBe("COSIGN_NOT_SIGNER");
  });

  it("the third signer completes it", async () => {
    const res = await t.submit("market-regulation", [cosign(target.id, target.digest)]);
    expect(res.status, res.text).toBe(202);
    cosignIds.push(res.body.entries[0].id);
    const view = await read(target.id);
    expect(view.signatures.complete).toBe(true);
    expect(view.signatures.signed.map((s: { entryId: string }) => s.entryId)).toEqual([
      target.id,
      ...cosignIds,
    ]);
  });

  it("two concurrent cosigns by one department: one 202, one 409 COSIGN_DUPLICATE", async () => {
    const other = await submitOne("hf-sanya", transfer("structure"));
    const results = await Promise.all([
      t.submit("hf-haikou", [cosign(other.id, other.digest)]),
      t.submit("hf-haikou", [cosign(other.id, other.digest)]),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([202, 409]);
    expect(results.find((r) => r.status === 409)?.body.error.code).toBe("COSIGN_DUPLICATE");
    const signed = (await read(other.id)).signatures.signed;
    expect(signed.map((s: { department: string }) => s.department)).toEqual(["hf-sanya", "hf-haikou"]);
  });

  it("once sealed, each signature is an entry the audit checks, and the audit passes", async () => {
    expect(await t.seal()).toMatchObject({ sealed: true });
    const view = await read(target.id);
    expect(view).toMatchObject({ status: "sealed", signatures: { complete: true } });
    for (const id of cosignIds) {
      const c = await read(id);
      expect(c).toMatchObject({ status: "sealed", envelope: { type: "zhixin.cosign" } });
      expect(c.signatures).toBeUndefined();
    }
    expect(await audit()).toMatchObject({ ok: true, findings: [] });
  });
});

describe("S7: an approval is approved when all three departments have signed", () => {
  it("pending with one or two signatures, complete with three", async () => {
    const approval = await submitOne("civil-affairs", {
      type: "approval.decision",
      data: { project: "Old-town block 12", decision: "approve", department: "civil-affairs" },
    });
    expect((await read(approval.id)).signatures).toMatchObject({ complete: false });
    expect((await t.submit("service-centre", [cosign(approval.id, approval.digest)])).status).toBe(202);
    expect((await read(approval.id)).signatures).toMatchObject({ complete: false });
    const refused = await unchangedBy(() => t.submit("hf-haikou", [cosign(approval.id, approval.digest)]));
    expect(refused.body.error.code).toBe("COSIGN_NOT_SIGNER");
    expect((await t.submit("market-regulation", [cosign(approval.id, approval.digest)])).status).toBe(202);
    const view = await read(approval.id);
    expect(view.signatures).toMatchObject({
      required: ["civil-affairs", "market-regulation", "service-centre"],
      complete: true,
    });
    expect(view.signatures.signed).toHaveLength(3);
    // Sealed, the approval and its three signatures pass the audit, each signature checked.
    expect(await t.seal()).toMatchObject({ sealed: true });
    expect(await audit()).toMatchObject({ ok: true, findings: [] });
  });
});

describe("audit of co-signatures", () => {
  it("finds a cosign whose payload names another digest than its target's", async () => {
    const target = await submitOne("hf-haikou", transfer("roof"));
    const res = await t.submit("hf-sanya", [cosign(target.id, target.digest)]);
    expect(res.status).toBe(202);
    const cosignId = res.body.entries[0].id as string;
    expect(await t.seal()).toMatchObject({ sealed: true });
    expect(await audit()).toMatchObject({ ok: true });

    await t.client.send(
      new UpdateItemCommand({
        TableName: t.table,
        Key: { pk: { S: `E#${cosignId}` }, sk: { S: "P" } },
        UpdateExpression: "SET #d = :d",
        ExpressionAttributeNames: { "#d": "data" },
        ExpressionAttributeValues: {
          ":d": { S: JSON.stringify({ contentDigest: "f".repeat(64), entryId: target.id }) },
        },
      }),
    );
    const { result: report, output } = await captured(audit);
    expect(report.ok).toBe(false);
    const codes = report.findings.map((f) => f.code);
    expect(codes).toContain("COSIGN_TARGET_MISMATCH");
    // The verify function logs an audit with findings as one warning.
    expect(output.logLines()).toEqual([
      expect.objectContaining({ level: "WARN", message: "audit findings", findings: codes.length }),
    ]);
    expect(report.findings.find((f) => f.code === "COSIGN_TARGET_MISMATCH")).toMatchObject({
      entryId: cosignId,
      found: target.digest,
    });
  });
});
