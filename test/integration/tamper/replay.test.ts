import { createHash } from "node:crypto";
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type EntryEnvelope, type FindingCode, parseEntryEnvelope } from "#chain";
import {
  type Item,
  type ItemKey,
  itemKeys,
  pendingPartition,
  pendingShard,
  pendingSortKey,
} from "../../../functions/store/table.js";
import { bodyKeyOf, bodyTextOf } from "../../support/batch-bodies.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";
import { readObject, writeObject } from "../../support/s3.js";

// Issue 10 item 5: a replayed record. Whoever can write the table can put a copy of a
// real, department-signed record into a fresh pending batch item; the sealer then seals
// it with the sealer key like any batch (the operator holding that key could equally
// seal it by hand). S8 rests on one invoice.claim per invoice, so a second sealed copy
// of a claim is a second reimbursement. The audit must name the copy: its id must be
// derived from its signed request, its batch key must be the request's keyId#nonce, and
// no (keyId, nonce, index) may be sealed twice — in a full audit and in one that starts
// at the copy's block.

const CLAIM = {
  type: "invoice.claim",
  data: { invoiceNo: "12345678", amount: 880.5, claimant: "Li Hua", claimedAt: "2026-11-20" },
};
const NONCE = "replay-original-claim-0001";
/** service-centre's key id, derived from its key (read once the node is up). */
let KEY_ID = "";
let t: TestNode;
let claimId: string;

beforeAll(async () => {
  // The verify handler logs a WARN line per failed audit, which these tests expect.
  vi.stubEnv("LOG_LEVEL", "ERROR");
  t = await startTestNode();
  KEY_ID = await t.keyIdOf("service-centre");
  const res = await t.submit("service-centre", [CLAIM], { nonce: NONCE });
  expect(res.status).toBe(202);
  claimId = res.body.entries[0].id;
  expect(await t.seal()).toMatchObject({ sealed: true, height: 1 });
  expect(await verify({})).toMatchObject({ ok: true, findings: [] });
});
afterAll(async () => {
  await t?.stop();
  vi.unstubAllEnvs();
});

async function get(key: ItemKey): Promise<Item> {
  const item = (
    await t.client.send(new GetItemCommand({ TableName: t.table, Key: key, ConsistentRead: true }))
  ).Item;
  if (!item) throw new Error(`no item ${key.pk.S} / ${key.sk.S}`);
  return item;
}
const put = (item: Item) => t.client.send(new PutItemCommand({ TableName: t.table, Item: item }));
const remove = (key: ItemKey) => t.client.send(new DeleteItemCommand({ TableName: t.table, Key: key }));

interface Report {
  ok: boolean;
  findings: Array<{ code: FindingCode; height?: number; entryId?: string }>;
}
/**
 * The forgeries below are sealed and then removed, as an operator rewriting the table
 * would; the witnesses remember them (a second forgery at the same height is a fork they
 * refuse to cosign: test/integration/witness/ is about that), so these chain audits ask for
 * no cosignatures, and `forged` puts the published checkpoint back with the table.
 */
async function verify(payload: object): Promise<Report> {
  const body = "entry" in payload ? payload : { minWitnesses: 0, ...payload };
  const res = await fetch(`${t.url}/local/verify`, { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as Report;
}

/**
 * Puts a copy of the claim's envelope, under `id`, into a new pending batch item keyed
 * `batchKey` (with a payload item for a new id), lets the sealer seal it as block 2, runs
 * `check`, then deletes every item the forgery and its block added.
 */
async function forged(copy: { id: string; batchKey: string }, check: () => Promise<void>): Promise<void> {
  const original = await get(itemKeys.batch(`${KEY_ID}#${NONCE}`));
  const body = await get(await bodyKeyOf(t.client, t.table, itemKeys.batch(`${KEY_ID}#${NONCE}`)));
  const envelope = parseEntryEnvelope(JSON.parse(bodyTextOf(body))[0]) as EntryEnvelope;
  const nonce = copy.batchKey.slice(copy.batchKey.indexOf("#") + 1);
  const added: ItemKey[] = [itemKeys.batch(copy.batchKey)];
  // The forgery holds its envelope in its head, as batches written before bodies did (still read).
  const { sealedHeight: _h, sealedOffset: _o, body: _b, ...head } = original;
  await put({
    ...head,
    ...itemKeys.batch(copy.batchKey),
    nonce: { S: nonce },
    envelopes: { S: JSON.stringify([{ ...envelope, id: copy.id }]) },
    ids: { S: JSON.stringify([copy.id]) },
    gsi1pk: { S: pendingPartition(pendingShard(copy.batchKey)) },
    gsi1sk: { S: pendingSortKey(envelope.receivedAt, copy.batchKey) },
  });
  if (copy.id !== claimId) {
    const payload = await get(itemKeys.payload(claimId));
    await put({ ...payload, ...itemKeys.payload(copy.id), batch: { S: copy.batchKey } });
    added.push(itemKeys.payload(copy.id));
  }
  const checkpoint = await publishedCheckpoint();
  try {
    expect(await t.seal()).toMatchObject({ sealed: true, height: 2, entries: 1 });
    await check();
  } finally {
    const block = await get(itemKeys.block(2));
    added.push(itemKeys.page(block.hash?.S as string, 0), itemKeys.block(2));
    for (const key of added) await remove(key);
    await writeObject(t.node.s3.client, t.node.tilesBucket, "checkpoint", checkpoint);
  }
  expect(await verify({})).toMatchObject({ ok: true, findings: [] });
}

async function publishedCheckpoint(): Promise<Uint8Array> {
  return readObject(t.node.s3.client, t.node.tilesBucket, "checkpoint");
}

const fakeId = (seed: string) => createHash("sha256").update(seed).digest("hex").slice(0, 32);
const codes = (report: { findings: Array<{ code: FindingCode }> }) =>
  report.findings.map((f) => f.code).sort();

describe("a real record sealed a second time", () => {
  it("under a new id in a fresh batch key: the id is not derived, the batch key is not its request's, and the request is sealed twice", async () => {
    const copy = { id: fakeId("second claim"), batchKey: `${KEY_ID}#replay-forged-batch-00001` };
    await forged(copy, async () => {
      const full = await verify({});
      expect(full.ok).toBe(false);
      expect(codes(full)).toEqual(["BATCH_KEY_MISMATCH", "ENTRY_DUPLICATE", "SIGNATURE_BASE_INVALID"]);
      expect(full.findings.every((f) => f.height === 2 && f.entryId === copy.id)).toBe(true);
      // An audit of block 2 alone cannot see the original, and still names the copy.
      const partial = await verify({ from: 2 });
      expect(codes(partial)).toEqual(["BATCH_KEY_MISMATCH", "SIGNATURE_BASE_INVALID"]);
      expect(await verify({ entry: copy.id })).toMatchObject({ ok: false });
    });
  });

  it("under its own id in a fresh batch key: a duplicate, and the batch key is not its request's", async () => {
    const copy = { id: claimId, batchKey: `${KEY_ID}#replay-forged-batch-00002` };
    await forged(copy, async () => {
      const full = await verify({});
      expect(codes(full)).toEqual(["BATCH_KEY_MISMATCH", "ENTRY_DUPLICATE"]);
      const partial = await verify({ from: 2 });
      expect(codes(partial)).toEqual(["BATCH_KEY_MISMATCH"]);
    });
  });
});
