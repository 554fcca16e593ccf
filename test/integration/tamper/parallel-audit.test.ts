import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type AuditDeps, type AuditOptions, auditChain } from "../../../functions/audit/audit.js";
import { MIN_PARALLEL_CHECKS } from "../../../functions/audit/audit-signatures.js";
import { SignaturePool, SignatureWorkerError } from "../../../functions/audit/signature-pool.js";
import { StaticKeyDirectory } from "../../../functions/auth/key-directory.js";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import { type Item, type ItemKey, itemKeys } from "../../../functions/store/table.js";
import { INTL } from "../../../lib/chain/index.js";
import { keyGovernanceOf } from "../../../lib/consortium/consortium.js";
import { trustFile } from "../../../lib/local-home.js";
import type { AuditReport } from "../../../lib/protocol/audit.js";
import { bodyKeyOf, bodyTextOf, withBodyText } from "../../support/batch-bodies.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";

// The audit checks department signatures on worker threads (functions/audit/
// signature-pool.ts) while it reads the next blocks: its report must be the one the audit
// makes on one thread, finding for finding and in the same order, on a clean ledger and on
// ledgers tampered with where the signatures are (the envelope fields a signature covers,
// in single-record and batched requests, Ed25519 and ECDSA P-256 keys), and a worker that
// fails must fail the audit rather than leave checks unmade.

const CERT = "housing-fund.deposit-certificate";
const BLOCKS = 34;
const LICENCE = "licence.business";
const LICENCE_DATA = { creditCode: "91460100MA5T000000", name: "Haikou Example Co.", holder: "Li Hua" };
let t: TestNode;
let deps: AuditDeps;
const keyIds: Record<string, string> = {};
/** Batch keys of the requests sent, by name. */
const batches: Record<string, { key: ItemKey; ids: string[] }> = {};

async function submit(name: string, as: string, records: Array<{ type: string; data: unknown }>) {
  const nonce = `parallel-audit-${name}`;
  const res = await t.submit(as, records, { nonce });
  expect(res.status).toBe(202);
  batches[name] = {
    key: itemKeys.batch(`${keyIds[as]}#${nonce}`),
    ids: res.body.entries.map((e: { id: string }) => e.id),
  };
}

beforeAll(async () => {
  vi.stubEnv("LOG_LEVEL", "ERROR");
  // Key records on the ledger: the ledger's key history, not the bundle, decides its keys.
  t = await startTestNode({ introduceKeys: true });
  for (const dept of ["hf-haikou", "hf-sanya", "market-regulation"]) keyIds[dept] = await t.keyIdOf(dept);
  const cert = (i: number) => ({
    type: CERT,
    data: { citizen: "460100199001011234", months: i, status: "active" },
  });
  const dept = (i: number) => (i % 2 ? "hf-sanya" : "hf-haikou");
  // Blocks 1–32 of one request each fill the first chunk of blocks the audit reads (32,
  // functions/audit/audit.ts); blocks 33 and 34 are the second, read and checked on the
  // workers while the first is verified.
  for (let i = 0; i < 32; i++) {
    await submit(`single-${i}`, dept(i), [cert(i)]);
    expect(await t.seal()).toMatchObject({ sealed: true });
  }
  for (let i = 32; i < 40; i++) await submit(`single-${i}`, dept(i), [cert(i)]);
  for (let i = 0; i < 4; i++) {
    await submit(`ecdsa-${i}`, "market-regulation", [
      { type: LICENCE, data: { ...LICENCE_DATA, validUntil: `203${i}-12-31` } },
    ]);
  }
  expect(await t.seal()).toMatchObject({ sealed: true });
  for (let i = 40; i < 48; i++) await submit(`single-${i}`, dept(i), [cert(i)]);
  await submit("batch", "hf-haikou", [48, 49, 50, 51, 52].map(cert));
  expect(await t.seal()).toMatchObject({ sealed: true, height: BLOCKS });
  const store = new DynamoDbLedgerStore(t.client, t.table);
  const consortium = t.node.consortium;
  deps = {
    source: store,
    keyRecords: store,
    keys: StaticKeyDirectory.fromFile(trustFile(t.node.home)),
    log: consortium.log,
    suite: INTL,
    members: [...consortium.departments, ...consortium.auditors].map((m) => m.id),
    keyGovernance: keyGovernanceOf(consortium),
  };
});
afterAll(async () => {
  await t?.stop();
  vi.unstubAllEnvs();
});

/** The audit on this thread and on three workers; both reports, once shown equal. */
async function bothWays(options: AuditOptions = {}): Promise<AuditReport> {
  const sequential = await auditChain({ ...deps, signatureThreads: 1 }, options);
  const pool = new SignaturePool(3);
  try {
    const parallel = await auditChain({ ...deps, signaturePool: pool }, options);
    // The workers made the checks: the comparison is not of two sequential audits.
    expect(pool.checked).toBeGreaterThanOrEqual(MIN_PARALLEL_CHECKS);
    expect(parallel).toStrictEqual(sequential);
  } finally {
    await pool.close();
  }
  return sequential;
}

async function get(key: ItemKey): Promise<Item> {
  const item = (
    await t.client.send(new GetItemCommand({ TableName: t.table, Key: key, ConsistentRead: true }))
  ).Item;
  if (!item) throw new Error(`no item ${key.pk.S}`);
  return item;
}
const put = (item: Item) => t.client.send(new PutItemCommand({ TableName: t.table, Item: item }));

/** Edits envelope `index` of batch `name` for the length of `check`, then puts the item back. */
async function withEnvelope(
  name: string,
  index: number,
  edit: (envelope: Record<string, string>) => void,
  check: () => Promise<void>,
): Promise<void> {
  // The envelopes are in the body the batch's head names.
  const key = await bodyKeyOf(t.client, t.table, batches[name]?.key as ItemKey);
  const original = await get(key);
  const envelopes = JSON.parse(bodyTextOf(original)) as Array<Record<string, string>>;
  edit(envelopes[index] as Record<string, string>);
  await put(withBodyText(original, JSON.stringify(envelopes)));
  try {
    await check();
  } finally {
    await put(original);
  }
}

const codesOf = (report: AuditReport) => report.findings.map((f) => f.code);
const flip = (base64: string) =>
  Buffer.from(Buffer.from(base64, "base64").map((b) => b ^ 1)).toString("base64");

describe("the audit on worker threads", () => {
  it("reports a clean ledger as the one-thread audit does", async () => {
    const report = await bothWays();
    expect(report).toMatchObject({ ok: true, findings: [], blocksChecked: BLOCKS });
    expect(report.entriesChecked).toBeGreaterThan(MIN_PARALLEL_CHECKS);
    expect(await bothWays({ from: 2, to: BLOCKS - 1 })).toMatchObject({
      ok: true,
      blocksChecked: BLOCKS - 2,
    });
  });

  it.each([
    ["a single-record request's signature (Ed25519)", "single-35", 0, "signature"],
    ["a single-record request's signature (ECDSA P-256)", "ecdsa-2", 0, "signature"],
    ["one envelope's signature in a batched request", "batch", 2, "signature"],
    ["a signature base", "single-44", 0, "signatureBase"],
    ["a key id, to another department's key", "single-41", 0, "keyId"],
    ["a signature in the first chunk of blocks", "single-20", 0, "signature"],
  ] as const)("reports %s tampered with as the one-thread audit does", async (_, name, index, field) => {
    await withEnvelope(
      name,
      index,
      (envelope) => {
        if (field === "signature") envelope.signature = flip(envelope.signature as string);
        if (field === "signatureBase") envelope.signatureBase = `${envelope.signatureBase} `;
        if (field === "keyId") envelope.keyId = keyIds["hf-haikou"] as string;
      },
      async () => {
        const report = await bothWays();
        expect(report.ok).toBe(false);
        expect(codesOf(report)).toContain("ENTRY_SIGNATURE_INVALID");
        expect(report.findings.every((f) => f.entryId === batches[name]?.ids[index])).toBe(true);
      },
    );
  });

  it("fails, naming the worker, when a worker fails: no check is left unmade", async () => {
    for (const source of ["throw new Error('worker down')", "process.exit(3)"]) {
      const pool = new SignaturePool(2, source);
      try {
        const audit = auditChain({ ...deps, signaturePool: pool });
        await expect(audit).rejects.toBeInstanceOf(SignatureWorkerError);
        await expect(audit).rejects.toThrow(/a signature worker (failed: worker down|exited \(code 3\))/);
      } finally {
        await pool.close();
      }
    }
  });
});
