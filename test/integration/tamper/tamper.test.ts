import { DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { BlockHeader, CompactRangeState, FindingCode } from "#chain";
import { type Item, type ItemKey, itemKeys } from "../../../functions/store/table.js";
import { bodyKeyOf, bodyTextOf, withBodyText } from "../../support/batch-bodies.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";

// ARCHITECTURE §8: the chain audit names every problem — code, height, entry id. Here
// the problems are made the way an insider with table access would: items edited or
// deleted directly in the embedded DynamoDB with the SDK, bypassing every API. Each case
// starts from the same sealed chain, runs the verify Lambda handler (POST /local/verify)
// over the whole chain and for one entry, asserts exactly what it reports, then puts
// the original items back and checks the audit is clean and the table byte-identical.
//
// Past 400 lines: one case per tampering of each item family, all from the same sealed
// chain and restored after each, so they must share one file's fixture.

const CERT = "housing-fund.deposit-certificate";
let t: TestNode;
let pristine: unknown[];
/** Entry ids of each batch, in batch order. */
const ids: Record<"a" | "b" | "c" | "d" | "e" | "f", string[]> = { a: [], b: [], c: [], d: [], e: [], f: [] };
const nonceOf = (batch: string) => `tamper-fixture-batch-${batch}`;
const TOTAL_ENTRIES = 11;
/** A valid record of each type used (the consortium file's schemas), told apart by batch and index below. */
const VALID: Record<string, object> = {
  [CERT]: { citizen: "460100199001011234", months: 36, status: "active" },
  "housing-fund.blacklist": { citizen: "460100199001011234", action: "add", reason: "loan default" },
  "licence.business": {
    creditCode: "91460100MA5T000000",
    name: "Haikou Example Co.",
    holder: "Li Hua",
    validUntil: "2030-12-31",
  },
  "audit.db-operation": {
    department: "hf-haikou",
    post: "teller",
    operation: "read",
    table: "deposits",
    at: "2026-01-15T08:30:00Z",
  },
};

beforeAll(async () => {
  // The verify handler logs a WARN line per failed audit (to stderr, past any console
  // spy); dozens are expected here.
  vi.stubEnv("LOG_LEVEL", "ERROR");
  t = await startTestNode();
  for (const dept of ["hf-haikou", "hf-sanya", "market-regulation"]) keyIds[dept] = await t.keyIdOf(dept);
  const submit = async (batch: keyof typeof ids, as: string, type: string, n: number) => {
    const records = Array.from({ length: n }, (_, i) => ({
      type,
      data: { ...VALID[type], batch, i, note: `record ${i}` },
    }));
    const res = await t.submit(as, records, { nonce: nonceOf(batch) });
    expect(res.status).toBe(202);
    ids[batch] = res.body.entries.map((e: { id: string }) => e.id);
  };
  // Block 1: a; block 2: b (3 entries), c; block 3: d (ECDSA P-256 key), e; block 4: f.
  await submit("a", "hf-haikou", CERT, 2);
  expect(await t.seal()).toMatchObject({ sealed: true, height: 1 });
  await submit("b", "hf-sanya", CERT, 3);
  await submit("c", "hf-haikou", "housing-fund.blacklist", 1);
  expect(await t.seal()).toMatchObject({ sealed: true, height: 2, entries: 4 });
  await submit("d", "market-regulation", "licence.business", 2);
  await submit("e", "hf-sanya", CERT, 1);
  expect(await t.seal()).toMatchObject({ sealed: true, height: 3, entries: 3 });
  await submit("f", "hf-haikou", "audit.db-operation", 2);
  expect(await t.seal()).toMatchObject({ sealed: true, height: 4, entries: 2 });
  pristine = await t.snapshot();
  expect(await verify({})).toEqual({
    ok: true,
    blocksChecked: 4,
    entriesChecked: TOTAL_ENTRIES,
    findings: [],
    from: 1,
    to: 4,
    checkpoint: expect.stringMatching(/^zhixin\.example\/demo\n11\n/),
    // The checkpoint published with the tiles, cosigned by npm start's three witnesses.
    published: { size: TOTAL_ENTRIES, witnesses: 3, threshold: 2 },
  });
});
afterAll(async () => {
  await t?.stop();
  vi.unstubAllEnvs();
});

// ---- direct table access ----------------------------------------------------------

const id = (batch: keyof typeof ids, index: number): string => {
  const value = ids[batch][index];
  if (value === undefined) throw new Error(`batch ${batch} has no entry ${index}`);
  return value;
};
/** Each department's key id, derived from its key (read once the node is up). */
const keyIds: Record<string, string> = {};
const keyIdOf = (dept: string): string => {
  const keyId = keyIds[dept];
  if (keyId === undefined) throw new Error(`no key id read for ${dept}`);
  return keyId;
};
const batchKey = (batch: string, dept: string) => itemKeys.batch(`${keyIdOf(dept)}#${nonceOf(batch)}`);
const BATCH_B = () => batchKey("b", "hf-sanya");
const BATCH_D = () => batchKey("d", "market-regulation");

async function rawGet(key: ItemKey): Promise<Item | undefined> {
  return (await t.client.send(new GetItemCommand({ TableName: t.table, Key: key, ConsistentRead: true })))
    .Item;
}
async function get(key: ItemKey): Promise<Item> {
  const item = await rawGet(key);
  if (!item) throw new Error(`no item ${key.pk.S} / ${key.sk.S}`);
  return item;
}
async function put(item: Item): Promise<void> {
  await t.client.send(new PutItemCommand({ TableName: t.table, Item: item }));
}
async function remove(key: ItemKey): Promise<void> {
  await t.client.send(new DeleteItemCommand({ TableName: t.table, Key: key }));
}
function text(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new Error(`item has no string attribute ${name}`);
  return value;
}
/** Rewrites one JSON-text attribute of one item in place; T is what the test knows is stored there. */
async function editJson<T>(key: ItemKey, name: string, edit: (value: T) => void): Promise<void> {
  const item = await get(key);
  const value = JSON.parse(text(item, name)) as T;
  edit(value);
  await put({ ...item, [name]: { S: JSON.stringify(value) } });
}
/** Edits the envelopes of a batch body, kept compressed (test/support/batch-bodies.ts). */
async function editBody<T>(key: ItemKey, edit: (envelopes: T) => void): Promise<void> {
  const item = await get(key);
  const envelopes = JSON.parse(bodyTextOf(item)) as T;
  edit(envelopes);
  await put(withBodyText(item, JSON.stringify(envelopes)));
}
async function block(height: number): Promise<{ key: ItemKey; hash: string }> {
  const key = itemKeys.block(height);
  return { key, hash: text(await get(key), "hash") };
}
async function firstPage(height: number): Promise<ItemKey> {
  return itemKeys.page((await block(height)).hash, 0);
}
/** Swaps leaves i and j of a page (and, if `withIds`, their entry ids and batch keys too). */
async function swapLeaves(key: ItemKey, i: number, j: number, withIds: boolean): Promise<void> {
  const item = await get(key);
  const leaves = Buffer.from(item.leaves?.B ?? new Uint8Array());
  const a = Buffer.from(leaves.subarray(i * 32, i * 32 + 32));
  leaves.copy(leaves, i * 32, j * 32, j * 32 + 32);
  a.copy(leaves, j * 32);
  const swap = (s: string) => {
    const list = JSON.parse(s) as string[];
    [list[i], list[j]] = [list[j] as string, list[i] as string];
    return JSON.stringify(list);
  };
  await put({
    ...item,
    leaves: { B: leaves },
    ...(withIds ? { ids: { S: swap(text(item, "ids")) }, batches: { S: swap(text(item, "batches")) } } : {}),
  });
}

// ---- the audit, through the verify handler ----------------------------------------

/** The verify handler's report (AuditReport or EntryAuditReport), as JSON. */
interface VerifyReport {
  ok: boolean;
  findings: Array<Named & { message: string }>;
  [field: string]: unknown;
}

async function verify(payload: unknown): Promise<VerifyReport> {
  const res = await fetch(`${t.url}/local/verify`, { method: "POST", body: JSON.stringify(payload) });
  expect(res.status).toBe(200);
  return (await res.json()) as VerifyReport;
}

interface Named {
  code: FindingCode;
  height?: number;
  entryId?: string;
}
const at = (code: FindingCode, height?: number, entryId?: string): Named => ({
  code,
  ...(height === undefined ? {} : { height }),
  ...(entryId === undefined ? {} : { entryId }),
});
const order = (f: Named) => `${String(f.height ?? 0).padStart(4, "0")} ${f.code} ${f.entryId ?? ""}`;
const sorted = (list: Named[]) => [...list].sort((x, y) => (order(x) < order(y) ? -1 : 1));
function named(report: { findings: Named[] }): Named[] {
  return sorted(report.findings.map((f) => at(f.code, f.height, f.entryId)));
}

/**
 * Captures `keys`, runs `mutate`, hands the chain audit and (if `entry`) the entry
 * audit to `check`, then restores the captured items and proves the restore complete.
 */
async function tampered(
  keys: ItemKey[],
  mutate: () => Promise<void>,
  expected: { chain: Named[]; entry?: { id: string; status: string; findings: Named[] } },
): Promise<void> {
  const originals = await Promise.all(keys.map((k) => rawGet(k)));
  await mutate();
  try {
    const chain = await verify({});
    expect(chain).toMatchObject({ ok: false, from: 1, to: expect.any(Number) });
    expect(named(chain)).toEqual(sorted(expected.chain));
    if (expected.entry) {
      const entry = await verify({ entry: expected.entry.id });
      expect(entry).toMatchObject({ ok: false, entryId: expected.entry.id, status: expected.entry.status });
      expect(named(entry)).toEqual(sorted(expected.entry.findings));
    }
  } finally {
    for (const [i, key] of keys.entries()) {
      const original = originals[i];
      if (original) await put(original);
      else await remove(key);
    }
  }
  expect(await verify({})).toMatchObject({ ok: true, findings: [], entriesChecked: TOTAL_ENTRIES });
  expect(await t.snapshot()).toEqual(pristine);
}

// ---- the cases --------------------------------------------------------------------

describe("payload items", () => {
  it("record data edited → PAYLOAD_DIGEST_MISMATCH naming the entry", async () => {
    const key = itemKeys.payload(id("b", 1));
    await tampered(
      [key],
      async () => {
        const item = await get(key);
        await put({ ...item, data: { S: text(item, "data").replace('"i":1', '"i":7') } });
      },
      {
        chain: [at("PAYLOAD_DIGEST_MISMATCH", 2, id("b", 1))],
        entry: { id: id("b", 1), status: "sealed", findings: [at("PAYLOAD_DIGEST_MISMATCH", 2, id("b", 1))] },
      },
    );
  });

  it("payload deleted → PAYLOAD_MISSING naming the entry", async () => {
    const key = itemKeys.payload(id("b", 1));
    // Without the payload item (its index to the batch), the entry check finds the entry
    // through the block page that lists it.
    await tampered([key], () => remove(key), {
      chain: [at("PAYLOAD_MISSING", 2, id("b", 1))],
      entry: { id: id("b", 1), status: "sealed", findings: [at("PAYLOAD_MISSING", 2, id("b", 1))] },
    });
  });
});

describe("envelopes inside a batch item", () => {
  // One field of one envelope; every finding is at that entry, in its block.
  const cases: Array<{
    field: string;
    batch: "b" | "d";
    edit: (value: string) => string;
    codes: FindingCode[];
  }> = [
    {
      field: "receivedAt",
      batch: "b",
      edit: (v) => v.replace(/\.\d{3}Z$/, ".999Z"),
      codes: ["LEAF_HASH_MISMATCH"],
    },
    {
      field: "type",
      batch: "b",
      edit: () => "housing-fund.blacklist",
      codes: ["LEAF_HASH_MISMATCH", "BATCH_PROOF_INVALID"],
    },
    {
      field: "contentDigest",
      batch: "b",
      edit: () => "ab".repeat(32),
      codes: ["LEAF_HASH_MISMATCH", "BATCH_PROOF_INVALID", "PAYLOAD_DIGEST_MISMATCH"],
    },
    {
      field: "signature",
      batch: "b",
      edit: () => Buffer.alloc(64, 1).toString("base64"),
      codes: ["LEAF_HASH_MISMATCH", "ENTRY_SIGNATURE_INVALID"],
    },
    {
      field: "signature",
      batch: "d",
      edit: () => Buffer.alloc(64, 1).toString("base64"),
      codes: ["LEAF_HASH_MISMATCH", "ENTRY_SIGNATURE_INVALID"],
    },
    {
      field: "keyId",
      batch: "b",
      edit: () => keyIdOf("hf-haikou"),
      // The page still files the entry under its request's key, <hf-sanya's key id>#<nonce>.
      codes: [
        "LEAF_HASH_MISMATCH",
        "SIGNATURE_BASE_INVALID",
        "ENTRY_SIGNATURE_INVALID",
        "BATCH_KEY_MISMATCH",
      ],
    },
    {
      field: "signatureBase",
      batch: "b",
      edit: (v) => v.replace('"@method": POST', '"@method": PUT'),
      codes: ["LEAF_HASH_MISMATCH", "SIGNATURE_BASE_INVALID", "ENTRY_SIGNATURE_INVALID"],
    },
  ];
  it.each(cases)("$field of an envelope in batch $batch edited → $codes", async (c) => {
    // The envelopes are in the body the batch's head names.
    const key = await bodyKeyOf(t.client, t.table, c.batch === "b" ? BATCH_B() : BATCH_D());
    const entry = id(c.batch, 1);
    const height = c.batch === "b" ? 2 : 3;
    const findings = c.codes.map((code) => at(code, height, entry));
    await tampered(
      [key],
      () =>
        editBody(key, (envelopes: Array<Record<string, string>>) => {
          const envelope = envelopes[1];
          const value = envelope?.[c.field];
          if (envelope === undefined || value === undefined) throw new Error(`no envelope 1 ${c.field}`);
          envelope[c.field] = c.edit(value);
        }),
      { chain: findings, entry: { id: entry, status: "sealed", findings } },
    );
  });

  it("batch item deleted → ENTRY_MISSING for each of its entries", async () => {
    const key = BATCH_B();
    await tampered([key], () => remove(key), {
      chain: [0, 1, 2].map((i) => at("ENTRY_MISSING", 2, id("b", i))),
      entry: { id: id("b", 2), status: "missing", findings: [at("ENTRY_MISSING", undefined, id("b", 2))] },
    });
  });
});

describe("block items", () => {
  // Any edit of a signed header breaks its hash and signature, and the next block's link.
  const broken = [at("BLOCK_HASH_MISMATCH", 2), at("HEADER_SIGNATURE_INVALID", 2)];
  const cases: Array<{
    field: string;
    edit: (h: BlockHeader) => void;
    extra: Named[];
    entryExtra?: Named[];
  }> = [
    {
      field: "root",
      edit: (h) => {
        h.root = "cd".repeat(32);
      },
      // The entry check names the block's root once, not again per entry.
      extra: [at("BLOCK_ROOT_MISMATCH", 2)],
    },
    {
      field: "sealedAt",
      edit: (h) => {
        h.sealedAt = "2020-01-01T00:00:00.000Z";
      },
      extra: [],
    },
    {
      field: "count (with logSize, so the header still parses)",
      edit: (h) => {
        h.count -= 1;
        h.logSize -= 1;
      },
      extra: [at("ENTRY_COUNT_MISMATCH", 2), at("CHECKPOINT_INVALID", 2)],
    },
    {
      field: "logRoot",
      edit: (h) => {
        h.logRoot = "ef".repeat(32);
      },
      extra: [at("LOG_ROOT_MISMATCH", 2), at("CHECKPOINT_INVALID", 2)],
    },
    {
      field: "prev",
      edit: (h) => {
        h.prev = "12".repeat(32);
      },
      extra: [at("PREV_HASH_MISMATCH", 2)],
    },
    {
      field: "sealer",
      edit: (h) => {
        h.sealer = keyIdOf("hf-haikou");
      },
      // The checkpoint itself is still the genuine sealer's, for this log size and root.
      extra: [],
    },
  ];
  it.each(cases)("header.$field edited → BLOCK_HASH_MISMATCH, HEADER_SIGNATURE_INVALID, …", async (c) => {
    const { key } = await block(2);
    const entryExtra = (c.entryExtra ?? c.extra).map((f) =>
      f.entryId === "b1" ? { ...f, entryId: id("b", 1) } : f,
    );
    await tampered([key], () => editJson(key, "header", c.edit), {
      chain: [...broken, ...c.extra, at("PREV_HASH_MISMATCH", 3)],
      entry: { id: id("b", 1), status: "sealed", findings: [...broken, ...entryExtra] },
    });
  });

  it("stored block hash replaced → BLOCK_HASH_MISMATCH, and its pages are not found under it", async () => {
    const { key } = await block(2);
    const lostLeaves = [
      "ENTRY_COUNT_MISMATCH",
      "BLOCK_ROOT_MISMATCH",
      "LOG_ROOT_MISMATCH",
      "LOG_RANGE_MISMATCH",
    ] as const;
    await tampered([key], async () => put({ ...(await get(key)), hash: { S: "ab".repeat(32) } }), {
      chain: [
        at("BLOCK_HASH_MISMATCH", 2),
        ...lostLeaves.map((code) => at(code, 2)),
        // The log after block 2 is short by its 4 leaves, so every later block is off too.
        ...[3, 4].flatMap((h) => [
          at("FIRST_INDEX_MISMATCH", h),
          at("LOG_ROOT_MISMATCH", h),
          at("LOG_RANGE_MISMATCH", h),
        ]),
      ],
      entry: {
        id: id("b", 1),
        status: "sealed",
        findings: [
          at("BLOCK_HASH_MISMATCH", 2),
          ...lostLeaves.map((code) => at(code, 2)),
          // With no pages, the block no longer lists the entry at all.
          at("ENTRY_MISSING", 2, id("b", 1)),
        ],
      },
    });
  });

  it("header signature replaced → HEADER_SIGNATURE_INVALID", async () => {
    const { key } = await block(2);
    await tampered(
      [key],
      () =>
        editJson(key, "signature", (s: { value: string }) => {
          s.value = Buffer.alloc(64, 2).toString("base64");
        }),
      { chain: [at("HEADER_SIGNATURE_INVALID", 2)] },
    );
  });

  it("middle block deleted → HEIGHT_MISMATCH, and the chain after it no longer links", async () => {
    const { key } = await block(2);
    await tampered([key], () => remove(key), {
      chain: [
        at("HEIGHT_MISMATCH", 3),
        at("PREV_HASH_MISMATCH", 3),
        ...[3, 4].flatMap((h) => [
          at("FIRST_INDEX_MISMATCH", h),
          at("LOG_ROOT_MISMATCH", h),
          at("LOG_RANGE_MISMATCH", h),
        ]),
      ],
      entry: { id: id("b", 1), status: "sealed", findings: [at("HEIGHT_MISMATCH", 2, id("b", 1))] },
    });
  });

  it("checkpoint replaced by the (genuine) checkpoint of block 1 → CHECKPOINT_INVALID", async () => {
    const { key } = await block(2);
    const earlier = text(await get(itemKeys.block(1)), "checkpoint");
    await tampered([key], async () => put({ ...(await get(key)), checkpoint: { S: earlier } }), {
      chain: [at("CHECKPOINT_INVALID", 2)],
    });
  });

  it("checkpoint's log size edited → CHECKPOINT_INVALID", async () => {
    const { key } = await block(2);
    await tampered(
      [key],
      async () => {
        const item = await get(key);
        const edited = text(item, "checkpoint").replace(
          /\n(\d+)\n/,
          (_m, n: string) => `\n${Number(n) + 1}\n`,
        );
        expect(edited).not.toBe(text(item, "checkpoint"));
        await put({ ...item, checkpoint: { S: edited } });
      },
      { chain: [at("CHECKPOINT_INVALID", 2)] },
    );
  });

  it("stored compact range edited → LOG_RANGE_MISMATCH", async () => {
    const { key } = await block(2);
    await tampered(
      [key],
      () =>
        editJson(key, "logRange", (r: CompactRangeState) => {
          r.hashes[0] = "00".repeat(32);
        }),
      { chain: [at("LOG_RANGE_MISMATCH", 2)] },
    );
  });
});

describe("page items", () => {
  // Block 2's leaves are b0 b1 b2 c0; the log root of every block from 2 on changes.
  const logFrom2 = [2, 3, 4].flatMap((h) => [at("LOG_ROOT_MISMATCH", h), at("LOG_RANGE_MISMATCH", h)]);

  it("two leaves swapped, with their entry ids → BLOCK_ROOT_MISMATCH", async () => {
    const key = await firstPage(2);
    await tampered([key], () => swapLeaves(key, 0, 1, true), {
      chain: [at("BLOCK_ROOT_MISMATCH", 2), ...logFrom2],
      entry: {
        id: id("b", 0),
        status: "sealed",
        findings: [
          at("BLOCK_ROOT_MISMATCH", 2),
          at("LOG_ROOT_MISMATCH", 2),
          at("LOG_RANGE_MISMATCH", 2),
          // The page now puts the entry where its batch says it is not.
          at("BATCH_SEAL_MISMATCH", 2, id("b", 0)),
        ],
      },
    });
  });

  it("two leaves swapped, ids left → BLOCK_ROOT_MISMATCH and LEAF_HASH_MISMATCH for both entries", async () => {
    const key = await firstPage(2);
    await tampered([key], () => swapLeaves(key, 0, 1, false), {
      chain: [
        at("BLOCK_ROOT_MISMATCH", 2),
        at("LEAF_HASH_MISMATCH", 2, id("b", 0)),
        at("LEAF_HASH_MISMATCH", 2, id("b", 1)),
        ...logFrom2,
      ],
    });
  });

  it("page deleted → ENTRY_COUNT_MISMATCH and BLOCK_ROOT_MISMATCH", async () => {
    const key = await firstPage(2);
    await tampered([key], () => remove(key), {
      chain: [
        at("ENTRY_COUNT_MISMATCH", 2),
        at("BLOCK_ROOT_MISMATCH", 2),
        ...logFrom2,
        at("FIRST_INDEX_MISMATCH", 3),
        at("FIRST_INDEX_MISMATCH", 4),
      ],
    });
  });
});
