import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Bytes, toHex, utf8 } from "#chain";
import { handleApiRequest } from "../../../functions/api/api.js";
import { StaticKeyDirectory } from "../../../functions/auth/key-directory.js";
import { readOwnerSignerFile } from "../../../functions/auth/signer-file.js";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import {
  checkFileDigest,
  formatEvidenceBundle,
  parseEvidenceBundle,
  type TrustRoot,
  verifyEvidenceBundle,
} from "../../../lib/evidence/index.js";
import { keyFile, trustFile } from "../../../lib/local-home.js";
import { startTestNode, type TestNode, testSuite } from "../../support/local-node.js";
import { readObject, writeObject } from "../../support/s3.js";
import { signRequestNow } from "../../support/sign-request.js";
import { CHECKS, firstKeyRecord, freshKey, keyAddRecord, trustRootOf } from "./node.js";

// GET /v1/entries/{id}/evidence against npm start: the bundle of a sealed entry under the
// published, witnessed checkpoint, which lib/evidence verifies against the consortium's
// trust root alone; the payload only for whom GET /v1/entries/{id} gives it; the owner's
// key records below the checkpoint and no others; and each refusal (NOT_FOUND,
// EVIDENCE_NOT_READY) changing nothing in the store.

let t: TestNode;
let root: TrustRoot;
const ids: Record<string, string> = {};
const FILE = utf8("Screenshot of the seller page, 2026-12-01 10:00, case 2026-ZJ0192-1234\n");

beforeAll(async () => {
  t = await startTestNode();
  root = await trustRootOf(t.node);
});
afterAll(async () => {
  await t?.stop();
});

function evidenceRecord(file: Uint8Array, caseId: string) {
  return {
    type: "evidence.digest",
    data: { sha256: toHex(sha256Bytes(file)), capturedAt: "2026-12-01T10:00:00Z", caseId },
  };
}

async function submitOne(as: string, record: { type: string; data: unknown }): Promise<string> {
  const res = await t.submit(as, [record]);
  expect(res.status, res.text).toBe(202);
  return res.body.entries[0].id as string;
}

const evidence = (id: string, as = "internet-court") =>
  t.send({ method: "GET", path: `/v1/entries/${id}/evidence`, as });

/** A request that must be refused with `code` and leave every item of the table as it was. */
async function refusedUnchanged(id: string, status: number, code: string) {
  const before = await t.snapshot();
  const res = await evidence(id);
  expect([res.status, res.body?.error?.code]).toEqual([status, code]);
  expect(await t.snapshot()).toEqual(before);
  return res;
}

describe("GET /v1/entries/{id}/evidence", () => {
  it("is NOT_FOUND for an entry the ledger never had", async () => {
    await refusedUnchanged("0".repeat(32), 404, "NOT_FOUND");
  });

  it("is EVIDENCE_NOT_READY, with Retry-After, while the entry is pending", async () => {
    ids.add = await submitOne("internet-court", await firstKeyRecord(t.node.home, "internet-court"));
    ids.evidence = await submitOne("internet-court", evidenceRecord(FILE, "2026-ZJ0192-1234"));
    const res = await refusedUnchanged(ids.evidence, 409, "EVIDENCE_NOT_READY");
    expect(res.body.error.details).toEqual({ status: "pending", publishedSize: 0, retryAfterSeconds: 10 });
    expect(res.headers.get("retry-after")).toBe("10");
  });

  it("gives the writer a bundle that verifies against the trust root alone, payload included", async () => {
    expect(await t.seal()).toMatchObject({ sealed: true });
    const res = await evidence(ids.evidence as string);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    // The file's one spelling: what formatEvidenceBundle writes for its parts.
    expect(formatEvidenceBundle(parseEvidenceBundle(res.text))).toBe(res.text);
    const proven = verifyEvidenceBundle(res.text, root, CHECKS);
    expect(proven.entry).toMatchObject({
      id: ids.evidence,
      type: "evidence.digest",
      writer: "internet-court",
      logIndex: 1,
    });
    expect(proven.signingKey.keyId).toBe(await t.keyIdOf("internet-court"));
    expect(proven.keyRecords.map((r) => [r.entryId, r.logIndex])).toEqual([[ids.add, 0]]);
    expect(proven.checkpoint).toMatchObject({ size: 2, minWitnesses: 2 });
    expect(proven.checkpoint.witnesses).toHaveLength(3);
    expect(checkFileDigest(FILE, proven)).toEqual({ field: "sha256", sha256: toHex(sha256Bytes(FILE)) });
  });

  it("withholds the payload from a reader that may not read it, and the bundle still verifies", async () => {
    for (const as of ["auditor", "hf-haikou"]) {
      const res = await evidence(ids.evidence as string, as);
      expect(res.status, as).toBe(200);
      expect(parseEvidenceBundle(res.text).entry.payload, as).toBeNull();
      expect(verifyEvidenceBundle(res.text, root, CHECKS).payload, as).toBeNull();
    }
  });

  it("proves a key record itself, which is among its own key records", async () => {
    const res = await evidence(ids.add as string);
    expect(res.status).toBe(200);
    const proven = verifyEvidenceBundle(res.text, root, CHECKS);
    expect([proven.entry.type, proven.entry.logIndex]).toEqual(["zhixin.key.add", 0]);
    expect(proven.keyRecords.map((r) => r.entryId)).toEqual([ids.add]);
  });

  it("leaves out key records past the published checkpoint, and refuses entries it does not cover", async () => {
    const { client } = t.node.s3;
    const bucket = t.node.tilesBucket;
    const published = await readObject(client, bucket, "checkpoint");
    // The court adds a second key, signed by its first: sealed in the next block.
    ids.add2 = await submitOne("internet-court", keyAddRecord("internet-court", freshKey()));
    expect(await t.seal()).toMatchObject({ sealed: true });
    const latest = await readObject(client, bucket, "checkpoint");
    try {
      // As if that block's publication had not happened yet: the checkpoint of size 2.
      await writeObject(client, bucket, "checkpoint", published);
      const res = await refusedUnchanged(ids.add2, 409, "EVIDENCE_NOT_READY");
      expect(res.body.error.details).toEqual({
        status: "sealed",
        logIndex: 2,
        publishedSize: 2,
        retryAfterSeconds: 10,
      });
      const older = await evidence(ids.evidence as string);
      expect(verifyEvidenceBundle(older.text, root, CHECKS).keyRecords.map((r) => r.entryId)).toEqual([
        ids.add,
      ]);
      // Nothing published yet at all.
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: "checkpoint" }));
      const none = await refusedUnchanged(ids.evidence as string, 409, "EVIDENCE_NOT_READY");
      expect(none.body.error.details).toMatchObject({ status: "sealed", logIndex: 1, publishedSize: 0 });
    } finally {
      await writeObject(client, bucket, "checkpoint", latest);
    }
    const now = verifyEvidenceBundle((await evidence(ids.evidence as string)).text, root, CHECKS);
    expect(now.keyRecords.map((r) => r.entryId)).toEqual([ids.add, ids.add2]);
    expect(now.checkpoint.size).toBe(3);
  });

  it("is NOT_FOUND on a ledger that publishes no tiles", async () => {
    const store = new DynamoDbLedgerStore(t.client, t.table);
    const keys = StaticKeyDirectory.fromFile(trustFile(t.node.home));
    const path = `/v1/entries/${ids.evidence}/evidence`;
    const signer = await readOwnerSignerFile(testSuite, keyFile(t.node.home, "auditor"), "auditor");
    const headers = await signRequestNow({ method: "GET", path, signer, department: "auditor" });
    const before = await t.snapshot();
    const res = await handleApiRequest(
      { method: "GET", path, query: "", headers: { ...headers }, body: new Uint8Array() },
      {
        store,
        keys,
        consortium: t.node.consortium,
        clock: { now: () => new Date() },
        subjectKey: t.subjectKey,
      },
    );
    expect([res.statusCode, JSON.parse(res.body).error.code]).toEqual([404, "NOT_FOUND"]);
    expect(await t.snapshot()).toEqual(before);
  });

  it("takes no query, and ids of the entry id's form only", async () => {
    const bad = await t.send({
      method: "GET",
      path: `/v1/entries/${ids.evidence}/evidence`,
      query: "x=1",
      as: "auditor",
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, "INVALID_PARAMETER"]);
    const id = await t.send({ method: "GET", path: "/v1/entries/ABC/evidence", as: "auditor" });
    expect([id.status, id.body.error.code]).toEqual([400, "INVALID_PARAMETER"]);
  });
});
