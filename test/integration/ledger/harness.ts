import { BatchWriteItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { expect } from "vitest";
import {
  batchRootOf,
  GENESIS_PREV,
  hashBlockHeader,
  type JsonValue,
  type SignatureAlgorithm,
  SUITE_SEALER_ALGORITHM,
  SUITE_SIGNATURE_ALGORITHMS,
  toHex,
  utf8,
} from "#chain";
import { auditChain } from "../../../functions/audit/audit.js";
import type { Caller } from "../../../functions/auth/caller.js";
import { StaticKeyDirectory } from "../../../functions/auth/key-directory.js";
import { type SealerDeps, sealBlock } from "../../../functions/ledger/sealer.js";
import { submitEntries } from "../../../functions/ledger/submit.js";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import type { LedgerStore, StoredBatch } from "../../../functions/store/ports.js";
import { scanAll } from "../../../functions/store/snapshot.js";
import type { Item } from "../../../functions/store/table.js";
import type { Clock } from "../../../lib/clock.js";
import { type Consortium, parseConsortium } from "../../../lib/consortium/consortium.js";
import type { PublicKeyRecord } from "../../../lib/crypto/key-directory.js";
import { generateKeyPair } from "../../../lib/crypto/key-pairs.js";
import { LocalSigner } from "../../../lib/crypto/local-signer.js";
import { signRequest, verifyRequest } from "../../../lib/http-signature/index.js";
import type { AuditReport } from "../../../lib/protocol/audit.js";
import type { Receipt, SealResult } from "../../../lib/protocol/entries.js";
import { freshTable } from "../../support/dynalite.js";
import { TEST_SUITE, testExampleConsortium, testSuite } from "../../support/test-suite.js";

/** A fixed subject key: these tests index subjects but never compare HMACs across processes. */
export const TEST_SUBJECT_KEY = new Uint8Array(32).fill(7);

/**
 * A ledger on a fresh dynalite table, driven through the real services — submitEntries
 * with callers authenticated from real RFC 9421 signatures, sealBlock with a real
 * sealer key — and checkLedger, the "no lost data" invariants every fault test ends with.
 * Under ZHIXIN_TEST_SUITE=gm (the gm project) its keys are SM2 and its hashes SM3.
 */

export const LOG = "zhixin.test/sealer-faults";
export const CERT = "housing-fund.deposit-certificate";
export const DEPTS = ["hf-haikou", "hf-sanya"] as const;
export type Dept = (typeof DEPTS)[number];

/** Every call returns a time 1 ms later: receive times and seal times are distinct and repeatable. */
export class TickClock implements Clock {
  constructor(public ms = Date.parse("2026-11-21T08:00:00.000Z")) {}
  now(): Date {
    this.ms += 1;
    return new Date(this.ms);
  }
}

export interface Members {
  keys: StaticKeyDirectory;
  sealer: LocalSigner;
  depts: Map<string, LocalSigner>;
  consortium: Consortium;
}

/** Fresh keys of the test suite for the two housing-fund departments and the sealer, and their trust bundle. */
export async function makeMembers(): Promise<Members> {
  const validFrom = "2026-01-01T00:00:00.000Z";
  const records: PublicKeyRecord[] = [];
  const signer = async (owner: string, role: PublicKeyRecord["role"]) => {
    const alg =
      role === "sealer"
        ? SUITE_SEALER_ALGORITHM[TEST_SUITE]
        : (SUITE_SIGNATURE_ALGORITHMS[TEST_SUITE][0] as SignatureAlgorithm);
    const s = new LocalSigner(`${owner}/key-1`, generateKeyPair(alg).privateKey, alg, testSuite.sm2Id);
    records.push({ keyId: s.keyId, owner, role, alg: s.alg, spki: await s.publicKey(), validFrom });
    return s;
  };
  const depts = new Map<string, LocalSigner>();
  for (const d of DEPTS) depts.set(d, await signer(d, "department"));
  const sealer = await signer("sealer", "sealer");
  return {
    keys: new StaticKeyDirectory(records),
    sealer,
    depts,
    consortium: parseConsortium(testExampleConsortium(), "consortium.example.json"),
  };
}

export interface Ledger {
  members: Members;
  client: DynamoDBClient;
  table: string;
  /** The real store, unwrapped. */
  store: DynamoDbLedgerStore;
  clock: Clock;
  /** Entry ids of every accepted submission, in submit order. */
  submitted: string[];
}

export async function openLedger(
  members: Members,
  client: DynamoDBClient,
  clock = new TickClock(),
): Promise<Ledger> {
  const table = await freshTable(client, "faults");
  return { members, client, table, store: new DynamoDbLedgerStore(client, table), clock, submitted: [] };
}

export interface LedgerSnapshot {
  members: Members;
  client: DynamoDBClient;
  items: Item[];
  submitted: string[];
  clockMs: number;
}

/** Every item of the ledger's table and where its clock stands, to start identical ledgers from. */
export async function snapshotLedger(ledger: Ledger): Promise<LedgerSnapshot> {
  if (!(ledger.clock instanceof TickClock)) throw new Error("only a TickClock ledger can be copied exactly");
  return {
    members: ledger.members,
    client: ledger.client,
    items: await scanAll(ledger.client, ledger.table),
    submitted: [...ledger.submitted],
    clockMs: ledger.clock.ms,
  };
}

/** A fresh table holding exactly the snapshot's items, with the clock where it stood. */
export async function restoreLedger(snapshot: LedgerSnapshot): Promise<Ledger> {
  const ledger = await openLedger(snapshot.members, snapshot.client, new TickClock(snapshot.clockMs));
  for (let i = 0; i < snapshot.items.length; i += 25) {
    const requests = snapshot.items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    let pending: typeof requests | undefined = requests;
    while (pending && pending.length > 0) {
      const res = await snapshot.client.send(
        new BatchWriteItemCommand({ RequestItems: { [ledger.table]: pending } }),
      );
      pending = res.UnprocessedItems?.[ledger.table] as typeof requests | undefined;
    }
  }
  ledger.submitted.push(...snapshot.submitted);
  return ledger;
}

export type Records = Array<{ type: string; data: JsonValue }>;

export function certificates(tag: string, n: number): Records {
  return Array.from({ length: n }, (_, i) => ({
    type: CERT,
    data: { citizen: "460100199001011234", months: 12 + i, status: "active", tag: `${tag}-${i}` },
  }));
}

export interface SignedSubmit {
  caller: Caller;
  body: Uint8Array;
}

/**
 * A POST /v1/entries request signed by `dept`'s key, authenticated the way the API does:
 * the Caller is what verifyRequest makes of the signed headers. Re-sending it is a
 * client retry (same nonce, same signature).
 */
export async function signSubmit(
  ledger: Ledger,
  dept: Dept,
  records: Records,
  nonce: string,
): Promise<SignedSubmit> {
  const signer = ledger.members.depts.get(dept);
  if (!signer) throw new Error(`no key for ${dept}`);
  const body = utf8(JSON.stringify({ records }));
  const now = ledger.clock.now();
  const batchRoot = batchRootOf(testSuite, records);
  const headers = await signRequest({
    method: "POST",
    path: "/v1/entries",
    body,
    signer,
    department: dept,
    nonce,
    created: Math.floor(now.getTime() / 1000),
    batchRoot,
  });
  const caller = verifyRequest(
    { method: "POST", path: "/v1/entries", headers: { ...headers }, body },
    { keys: ledger.members.keys, now, requireBatchRoot: true, suite: testSuite },
  );
  return { caller, body };
}

/** submitEntries against `store` (the real one unless a wrapper is given); records the ids. */
export async function send(ledger: Ledger, request: SignedSubmit, store: LedgerStore = ledger.store) {
  const receipt: Receipt = await submitEntries(request.caller, request.body, {
    store,
    consortium: ledger.members.consortium,
    clock: ledger.clock,
    subjectKey: TEST_SUBJECT_KEY,
  });
  ledger.submitted.push(...receipt.entries.map((e) => e.id));
  return receipt;
}

/** Signs and sends one batch of `n` certificates. Nonces must be 16+ characters of [A-Za-z0-9_-]. */
export async function submit(ledger: Ledger, dept: Dept, n: number, nonce: string, store?: LedgerStore) {
  return send(ledger, await signSubmit(ledger, dept, certificates(nonce, n), nonce), store);
}

/** sealBlock on `store`; with `publishing`, the seal also publishes tiles and asks witnesses. */
export function seal(
  ledger: Ledger,
  store: LedgerStore = ledger.store,
  publishing: Pick<SealerDeps, "tiles" | "witnessing"> = {},
): Promise<SealResult> {
  return sealBlock({
    suite: testSuite,
    store,
    signer: ledger.members.sealer,
    clock: ledger.clock,
    log: LOG,
    ...publishing,
  });
}

/** Seals until nothing is pending; returns every result. Bounded, so a sealer that never drains fails. */
export async function drain(ledger: Ledger, store: LedgerStore = ledger.store): Promise<SealResult[]> {
  const results: SealResult[] = [];
  for (let i = 0; i < 50; i++) {
    const r = await seal(ledger, store);
    results.push(r);
    if (!r.sealed && r.reason === "nothing-pending") return results;
  }
  throw new Error(`still sealing after 50 rounds: ${JSON.stringify(results.slice(-3))}`);
}

export function audit(ledger: Ledger): Promise<AuditReport> {
  return auditChain({
    suite: testSuite,
    source: ledger.store,
    keys: ledger.members.keys,
    log: LOG,
    keyRecords: ledger.store,
  });
}

export interface LedgerFacts {
  height: number;
  /** Block height of each sealed entry id. */
  sealedAt: Map<string, number>;
  /** Page items under hashes that are no block's: pages of crashed or losing sealers. */
  orphanPages: number;
}

/**
 * The "no lost data" invariants, read back from the raw table and through the store:
 *   - blocks 1..H, one item per height, each stored hash the hash of its header, each
 *     prev the hash of the block before (genesis for 1): no gap, no fork;
 *   - every submitted entry id is in exactly one block's pages, and nothing else is;
 *   - every batch is sealed, at the height and offset where its envelopes sit in that
 *     block's pages, and none is pending (no index attributes, empty pending list);
 *   - the chain audit from height 1 is ok and checked exactly the submitted entries.
 */
export async function checkLedger(ledger: Ledger, expectedHeight?: number): Promise<LedgerFacts> {
  const { store } = ledger;
  const items = await scanAll(ledger.client, ledger.table);
  const chainItems = items.filter((i) => i.pk?.S === "CHAIN");
  const latest = await store.getLatestBlock();
  const height = latest?.header.height ?? 0;
  if (expectedHeight !== undefined) expect(height).toBe(expectedHeight);
  expect(chainItems).toHaveLength(height);

  const blocks = await store.listBlocks(1, height);
  expect(blocks.map((b) => b.header.height)).toEqual(Array.from({ length: height }, (_, i) => i + 1));
  let prev = GENESIS_PREV;
  const where = new Map<string, { height: number; position: number; batchKey: string }>();
  const duplicates: string[] = [];
  for (const block of blocks) {
    expect(block.hash).toBe(toHex(hashBlockHeader(testSuite, block.header)));
    expect(block.header.prev).toBe(prev);
    prev = block.hash;
    const pages = await store.getBlockPages(block.hash, block.pageCount);
    expect(pages).toHaveLength(block.pageCount);
    const ids = pages.flatMap((p) => p.entryIds);
    const keys = pages.flatMap((p) => p.batchKeys);
    expect(ids).toHaveLength(block.header.count);
    ids.forEach((id, position) => {
      if (where.has(id)) duplicates.push(id);
      where.set(id, { height: block.header.height, position, batchKey: keys[position] as string });
    });
  }
  expect(duplicates, "entry ids sealed in more than one place").toEqual([]);
  expect([...where.keys()].sort()).toEqual([...ledger.submitted].sort());

  // Batch heads (sk B); each is read with the body it names.
  const batchKeys = items
    .filter((i) => i.pk?.S?.startsWith("B#") && i.sk?.S === "B")
    .map((i) => (i.pk?.S ?? "").slice(2));
  const batches: StoredBatch[] = await store.getBatches(batchKeys);
  expect(batches).toHaveLength(batchKeys.length);
  for (const b of batches) {
    expect(b.sealed, `batch ${b.key} is not sealed`).toBeDefined();
    b.envelopes.forEach((e, i) => {
      expect(where.get(e.id)).toEqual({
        height: b.sealed?.height,
        position: (b.sealed?.offset ?? Number.NaN) + i,
        batchKey: b.key,
      });
    });
  }
  const indexed = items.filter((i) => i.gsi1pk !== undefined || i.gsi1sk !== undefined);
  expect(indexed, "items still listed as pending").toEqual([]);
  expect(await store.listPendingBatches(1000)).toEqual([]);
  expect(await store.getPayloads(ledger.submitted)).toHaveLength(ledger.submitted.length);

  const report = await audit(ledger);
  expect(report.findings).toEqual([]);
  expect(report).toMatchObject({ ok: true, blocksChecked: height, entriesChecked: ledger.submitted.length });

  const blockHashes = new Set(blocks.map((b) => b.hash));
  const orphanPages = items.filter(
    (i) => i.pk?.S?.startsWith("G#") && !blockHashes.has((i.pk?.S ?? "").slice(2)),
  ).length;
  return { height, sealedAt: new Map([...where].map(([id, w]) => [id, w.height])), orphanPages };
}
