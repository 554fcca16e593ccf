import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type BlockHeader, canonicalJson, type EntryEnvelope } from "#chain";
import { DynamoDbLedgerStore, itemSizeBytes } from "../../../functions/store/dynamodb-store.js";
import {
  type BlockPage,
  type CosignMark,
  type IndexEntry,
  PAGE_SIZE,
  type StoredBatch,
  type StoredBlock,
  type StoredPayload,
  StoreInvariantError,
} from "../../../functions/store/ports.js";
import { countItems, scanAll } from "../../../functions/store/snapshot.js";
import { createLedgerTable, itemKeys, PENDING_SHARDS, pendingShard } from "../../../functions/store/table.js";
import { bodyTextOf } from "../../support/batch-bodies.js";
import { freshTable, type LocalDynamo, startDynalite } from "../../support/dynalite.js";

// ---- fixtures: plausible envelopes, batches and blocks -------------------------------

function hex(seed: string, bytes = 32): string {
  return createHash("sha256")
    .update(seed)
    .digest("hex")
    .slice(0, bytes * 2);
}

function b64(seed: string, bytes: number): string {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 32) createHash("sha256").update(`${seed}/${i}`).digest().copy(out, i);
  return out.toString("base64");
}

/** ~400 characters, shaped like the RFC 9421 base a department signs for POST /v1/entries. */
function signatureBase(dept: string, keyId: string, nonce: string, root: string): string {
  return [
    `"@method": POST`,
    `"@path": /v1/entries`,
    `"content-digest": sha-256=:${b64(`cd/${nonce}`, 32)}:`,
    `"zhixin-department": ${dept}`,
    `"zhixin-batch-root": :${Buffer.from(root, "hex").toString("base64")}:`,
    `"@signature-params": ("@method" "@path" "content-digest" "zhixin-department" "zhixin-batch-root")` +
      `;created=1767225600;keyid="${keyId}";alg="ed25519";nonce="${nonce}"`,
  ].join("\n");
}

function makeBatch(
  opts: { keyId?: string; nonce?: string; receivedAt?: string; size?: number; dept?: string } = {},
): StoredBatch {
  const dept = opts.dept ?? "housing-fund";
  const keyId = opts.keyId ?? `${dept}-2025`;
  const nonce = opts.nonce ?? randomBytes(12).toString("base64url");
  const receivedAt = opts.receivedAt ?? "2026-01-15T08:30:00.123Z";
  const size = opts.size ?? 3;
  const root = hex(`root/${keyId}/${nonce}`);
  const base = signatureBase(dept, keyId, nonce, root);
  const signature = b64(`sig/${nonce}`, 64);
  const envelopes: EntryEnvelope[] = Array.from({ length: size }, (_, index) => ({
    v: 1,
    id: hex(`id/${keyId}/${nonce}/${index}`, 16),
    dept,
    type: "housing-fund.deposit-certificate",
    contentDigest: hex(`content/${nonce}/${index}`),
    keyId,
    alg: "ed25519",
    signatureBase: base,
    signature,
    batch: {
      size,
      index,
      root,
      path: Array.from({ length: 7 }, (_, level) => hex(`path/${nonce}/${index}/${level}`)),
    },
    receivedAt,
  }));
  return { key: `${keyId}#${nonce}`, dept, keyId, nonce, receivedAt, envelopes };
}

function makeBlock(height: number, variant = "a"): StoredBlock {
  const first = (height - 1) * 10;
  const logSize = first + 10;
  const header: BlockHeader = {
    v: 1,
    log: "zhixin.example/demo",
    height,
    prev: height === 1 ? "0".repeat(64) : hex(`block/${height - 1}/${variant}`),
    root: hex(`root/${height}/${variant}`),
    first,
    count: 10,
    logSize,
    logRoot: hex(`logroot/${height}/${variant}`),
    sealedAt: "2026-01-15T08:31:00.000Z",
    sealer: "sealer-2025",
  };
  const popcount = logSize.toString(2).replaceAll("0", "").length;
  return {
    header,
    hash: hex(`block/${height}/${variant}`),
    signature: { keyId: "sealer-2025", alg: "ed25519", value: b64(`blocksig/${height}/${variant}`, 64) },
    checkpoint: `zhixin.example/demo\n${logSize}\n${b64(`cp/${height}`, 32)}\n\n— sealer-2025 ${b64("n", 68)}\n`,
    logRange: {
      size: logSize,
      hashes: Array.from({ length: popcount }, (_, i) => hex(`range/${height}/${i}`)),
    },
    pageCount: 1,
  };
}

function makePage(page: number, leaves: number, seed: string): BlockPage {
  return {
    page,
    leafHashes: Array.from({ length: leaves }, () => new Uint8Array(randomBytes(32))),
    entryIds: Array.from({ length: leaves }, (_, i) => hex(`${seed}/id/${page}/${i}`, 16)),
    batchKeys: Array.from({ length: leaves }, (_, i) => `housing-fund-2025#${seed}-${page}-${i >> 4}`),
  };
}

function makePayload(batch: StoredBatch, index: number): StoredPayload {
  const e = batch.envelopes[index];
  if (e === undefined) throw new Error(`no envelope ${index}`);
  return {
    entryId: e.id,
    batchKey: batch.key,
    dept: batch.dept,
    type: e.type,
    data: JSON.stringify({ amount: 1200 + index, applicant: "张三", month: "2026-01" }),
  };
}

function receivedAtPlus(seconds: number): string {
  return new Date(Date.parse("2026-01-15T08:00:00.000Z") + seconds * 1000).toISOString();
}

/** Names of the commands `client` sends from now on (removed again after each test). */
function commandLog(client: DynamoDBClient): string[] {
  const names: string[] = [];
  const name = `command-log-${randomBytes(4).toString("hex")}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      names.push(context.commandName ?? "?");
      return next(args);
    },
    { step: "initialize", name },
  );
  cleanups.push(() => client.middlewareStack.remove(name));
  return names;
}
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

// ---- setup -------------------------------------------------------------------------

let dynamo: LocalDynamo;
let table: string;
let store: DynamoDbLedgerStore;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.stop();
});
beforeEach(async () => {
  table = await freshTable(dynamo.client);
  store = new DynamoDbLedgerStore(dynamo.client, table);
});

const snapshot = () => scanAll(dynamo.client, table);

/** Submit's two writes of a batch: its body (putEntryItems), then its head (commitBatch). */
async function commit(
  batch: StoredBatch,
  on: DynamoDbLedgerStore = store,
): Promise<"committed" | "replayed"> {
  await on.putEntryItems({ batch });
  return on.commitBatch(batch);
}

// ---- payloads ------------------------------------------------------------------------

describe("payloads", () => {
  it("round-trip, including more than one BatchWriteItem's worth", async () => {
    const batch = makeBatch({ size: 60 });
    const payloads = batch.envelopes.map((_, i) => makePayload(batch, i));
    await store.putEntryItems({ payloads });
    expect(await countItems(dynamo.client, table)).toBe(60);
    for (const p of [payloads[0], payloads[31], payloads[59]]) {
      expect(await store.getPayload(p?.entryId ?? "")).toEqual(p);
    }
    expect(await store.getPayload(hex("absent", 16))).toBeUndefined();
  });

  it("getPayloads reads many at once, leaving out missing ids and duplicates", async () => {
    const batch = makeBatch({ size: 100 });
    const more = makeBatch({ size: 30 });
    const payloads = [...batch.envelopes.map((_, i) => makePayload(batch, i)), makePayload(more, 0)];
    await store.putEntryItems({ payloads });
    const ids = [...payloads.map((p) => p.entryId), hex("absent", 16), payloads[0]?.entryId ?? ""];
    const got = await store.getPayloads(ids);
    const byId = (a: StoredPayload, b: StoredPayload) => (a.entryId < b.entryId ? -1 : 1);
    expect(got.sort(byId)).toEqual([...payloads].sort(byId));
    expect(await store.getPayloads([])).toEqual([]);
  });

  it("are idempotent: a retried put leaves the table as it was", async () => {
    const batch = makeBatch({ size: 5 });
    const payloads = batch.envelopes.map((_, i) => makePayload(batch, i));
    await store.putEntryItems({ payloads });
    const before = await snapshot();
    await store.putEntryItems({ payloads });
    await store.putEntryItems({ payloads: [...payloads, ...payloads] });
    expect(await snapshot()).toEqual(before);
  });

  it("deletePayloads removes exactly the given ids, idempotently", async () => {
    const batch = makeBatch({ size: 40 });
    const payloads = batch.envelopes.map((_, i) => makePayload(batch, i));
    await store.putEntryItems({ payloads });
    const doomed = payloads.slice(3, 33).map((p) => p.entryId);
    await store.deletePayloads([...doomed, doomed[0] ?? "", hex("never-written", 16)]);
    for (const p of payloads) {
      const want = doomed.includes(p.entryId) ? undefined : p;
      expect(await store.getPayload(p.entryId)).toEqual(want);
    }
    const before = await snapshot();
    await store.deletePayloads(doomed);
    await store.deletePayloads([]);
    expect(await snapshot()).toEqual(before);
    expect(before).toHaveLength(10);
  });

  it("refuse two different payloads for one entry id in a call", async () => {
    const batch = makeBatch({ size: 1 });
    const p = makePayload(batch, 0);
    await expect(store.putEntryItems({ payloads: [p, { ...p, data: '{"other":true}' }] })).rejects.toThrow(
      RangeError,
    );
    expect(await countItems(dynamo.client, table)).toBe(0);
  });
});

describe("putEntryItems", () => {
  it("writes a request's payloads, cosign marks and index entries in one call, idempotently", async () => {
    const batch = makeBatch({ size: 30 });
    const payloads = batch.envelopes.map((_, i) => makePayload(batch, i));
    const marks: CosignMark[] = ["tax", "civil-affairs"].map((dept) => ({
      target: hex("signed-record", 16),
      dept,
      entryId: payloads[0]?.entryId ?? "",
      batchKey: batch.key,
      receivedAt: batch.receivedAt,
    }));
    const index: IndexEntry[] = payloads.map((p, position) => ({
      index: `S#${hex(`subject/${position % 3}`)}`,
      entryId: p.entryId,
      batchKey: batch.key,
      receivedAt: batch.receivedAt,
      position,
      attrs: { type: p.type, dept: p.dept },
    }));
    // 62 items: three BatchWriteItems' worth, sent as one call.
    await store.putEntryItems({ payloads, marks, index });
    expect(await countItems(dynamo.client, table)).toBe(62);
    const byId = (a: StoredPayload, b: StoredPayload) => (a.entryId < b.entryId ? -1 : 1);
    expect((await store.getPayloads(payloads.map((p) => p.entryId))).sort(byId)).toEqual(
      [...payloads].sort(byId),
    );
    expect(await store.listCosignMarks(marks[0]?.target ?? "")).toEqual(
      expect.arrayContaining(marks.map((m) => expect.objectContaining(m))),
    );
    expect(await store.listIndexEntries(index[0]?.index ?? "")).toHaveLength(10);

    const before = await snapshot();
    await store.putEntryItems({ payloads, marks: [...marks, ...marks], index: [...index, ...index] });
    await store.putEntryItems({});
    expect(await snapshot()).toEqual(before);
  });
});

// ---- batches -------------------------------------------------------------------------

describe("commitBatch", () => {
  it("commits once, then reports replays and leaves the head and its body unchanged", async () => {
    const batch = makeBatch();
    expect(await commit(batch)).toBe("committed");
    const before = await snapshot();

    expect(await commit(batch)).toBe("replayed");
    expect(await snapshot()).toEqual(before);
    // Same (keyId, nonce), different content and time: still a replay, nothing overwritten.
    // Its body is written beside the winner's, under its own digest: an orphan no head names.
    const impostor = makeBatch({
      keyId: batch.keyId,
      nonce: batch.nonce,
      receivedAt: receivedAtPlus(99),
      size: 5,
    });
    expect(await commit(impostor)).toBe("replayed");

    const after = await snapshot();
    expect(after.filter((i) => !before.some((b) => b.sk?.S === i.sk?.S))).toEqual([
      expect.objectContaining({
        pk: { S: `B#${batch.key}` },
        sk: { S: expect.stringMatching(/^E#[0-9a-f]{64}$/) },
      }),
    ]);
    expect(after.filter((i) => before.some((b) => b.sk?.S === i.sk?.S))).toEqual(before);
    expect(await store.getBatch(batch.key)).toEqual(batch);
    expect(await store.getBatches([batch.key])).toEqual([batch]);
  });

  it("lets exactly one of several racing submits with one nonce commit, each body under its own key", async () => {
    const first = makeBatch({ nonce: "race-nonce" });
    const rivals = [first, ...[1, 2, 4, 5].map((n) => makeBatch({ nonce: "race-nonce", size: n }))];
    await Promise.all(rivals.map((b) => store.putEntryItems({ batch: b })));
    const outcomes = await Promise.all(rivals.map((b) => store.commitBatch(b)));
    expect(outcomes.filter((o) => o === "committed")).toHaveLength(1);
    const winner = rivals[outcomes.indexOf("committed")];
    expect(await store.getBatch(first.key)).toEqual(winner);
    expect(await store.getBatches([first.key])).toEqual([winner]);
    expect(await store.listPendingBatches(10)).toHaveLength(1);
    expect((await snapshot()).filter((i) => i.sk?.S?.startsWith("E#"))).toHaveLength(5);
  });

  it("keeps the envelopes of a 100-envelope batch in its body, its head small", async () => {
    const batch = makeBatch({ size: 100 });
    expect(await commit(batch)).toBe("committed");
    const [head, body] = await snapshot();
    expect(head?.sk).toEqual({ S: "B" });
    expect(head?.envelopes).toBeUndefined();
    expect(itemSizeBytes(head ?? {})).toBeLessThan(8 * 1024);
    // ~140 KB of canonical JSON, gzip-compressed: its envelopes repeat the batch's signature.
    const text = canonicalJson(batch.envelopes);
    expect(text.length).toBeGreaterThan(100_000);
    expect(bodyTextOf(body ?? {})).toBe(text);
    expect(itemSizeBytes(body ?? {})).toBeLessThan(text.length / 3);
    expect(await store.getBatch(batch.key)).toEqual(batch);
  });

  it("refuses, before writing, a batch whose body would be too large", async () => {
    const batch = makeBatch({ size: 100 });
    const huge = {
      ...batch,
      // Random text, which gzip cannot shrink: ~5.3 KB an envelope, over the limit compressed.
      envelopes: batch.envelopes.map((e) => ({ ...e, signatureBase: randomBytes(4000).toString("base64") })),
    };
    await expect(store.putEntryItems({ batch: huge })).rejects.toThrow(/over the 358400-byte limit/);
    expect(await countItems(dynamo.client, table)).toBe(0);
  });

  it("refuses batches that could not be read back, in either write", async () => {
    const batch = makeBatch();
    const unreadable = [
      { ...batch, key: "other#key" },
      { ...batch, receivedAt: "2026-01-15T08:30:00Z" },
      { ...batch, envelopes: [...batch.envelopes].reverse() },
      { ...batch, sealed: { height: 1, offset: 0 } },
    ];
    for (const b of unreadable) {
      await expect(store.putEntryItems({ batch: b })).rejects.toThrow(RangeError);
      await expect(store.commitBatch(b)).rejects.toThrow(RangeError);
    }
    expect(await countItems(dynamo.client, table)).toBe(0);
  });

  it("a head committed without its body reads as corrupt, never as a batch without envelopes", async () => {
    const batch = makeBatch();
    expect(await store.commitBatch(batch)).toBe("committed");
    await expect(store.getBatch(batch.key)).rejects.toThrow(/body E#[0-9a-f]{64} is missing/);
    await expect(store.getBatches([batch.key])).rejects.toThrow(StoreInvariantError);
    expect(await store.getRawBatches([batch.key])).toEqual([
      { key: batch.key, envelopes: undefined, sealedHeight: undefined, sealedOffset: undefined },
    ]);
  });
});

describe("getBatch / getBatches", () => {
  it("return undefined / leave out missing keys and ignore duplicate keys", async () => {
    const a = makeBatch();
    const b = makeBatch({ dept: "civil-affairs" });
    await commit(a);
    await commit(b);
    expect(await store.getBatch("nobody#nothing")).toBeUndefined();
    const got = await store.getBatches(["nobody#nothing", b.key, a.key, b.key]);
    expect(got.sort((x, y) => x.key.localeCompare(y.key))).toEqual(
      [a, b].sort((x, y) => x.key.localeCompare(y.key)),
    );
    expect(await store.getBatches([])).toEqual([]);
  });

  it("read more than one response's worth of large batches (UnprocessedKeys retried)", async () => {
    // dynalite answers BatchGetItem with at most ~1.4 MB: 12 full batches take several rounds.
    const batches = Array.from({ length: 12 }, () => makeBatch({ size: 100 }));
    for (const b of batches) await commit(b);
    const calls = commandLog(dynamo.client);
    const got = await store.getBatches(batches.map((b) => b.key));
    expect(calls.filter((c) => c === "BatchGetItemCommand").length).toBeGreaterThan(1);
    expect(new Set(got.map((b) => b.key))).toEqual(new Set(batches.map((b) => b.key)));
    expect(got.find((b) => b.key === batches[7]?.key)).toEqual(batches[7]);
  });

  it("read more than 100 keys (several BatchGetItem calls)", async () => {
    const batches = Array.from({ length: 130 }, () => makeBatch({ size: 1 }));
    await Promise.all(batches.map((b) => commit(b)));
    const got = await store.getBatches(batches.map((b) => b.key));
    expect(got).toHaveLength(130);
  });

  it("raise StoreInvariantError on a corrupted item instead of returning it", async () => {
    const batch = makeBatch();
    await commit(batch);
    const body = (await snapshot()).find((i) => i.sk?.S?.startsWith("E#"));
    const bodyKey = { pk: body?.pk ?? { S: "" }, sk: body?.sk ?? { S: "" } };
    // Envelopes that do not parse, and envelopes that parse but are not the ones the head committed.
    const corrupt = '[{"v":1,"id":"not-hex"}]';
    const other = canonicalJson(
      makeBatch({ keyId: batch.keyId, nonce: batch.nonce, receivedAt: receivedAtPlus(5) }).envelopes,
    );
    for (const text of [corrupt, other]) {
      await dynamo.client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: bodyKey,
          UpdateExpression: "SET envelopesGzip = :e",
          ExpressionAttributeValues: { ":e": { B: gzipSync(Buffer.from(text, "utf8")) } },
        }),
      );
      await expect(store.getBatch(batch.key)).rejects.toThrow(/do not hash to/);
      await expect(store.getBatches([batch.key])).rejects.toThrow(StoreInvariantError);
    }
    // A head of the old format, its envelopes inline, is checked the same way.
    await updateBatchItem(batch.key, "SET envelopes = :e REMOVE body", { ":e": { S: corrupt } });
    await expect(store.getBatch(batch.key)).rejects.toThrow(StoreInvariantError);
    await expect(store.getBatches([batch.key])).rejects.toThrow(StoreInvariantError);
  });
});

async function updateBatchBody(
  key: { pk: AttributeValue; sk: AttributeValue },
  expression: string,
  values: Record<string, AttributeValue>,
): Promise<void> {
  await dynamo.client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: key,
      UpdateExpression: expression,
      ExpressionAttributeValues: values,
    }),
  );
}

describe("a batch body's compression", () => {
  it("refuses, as damaged, a body that would inflate past 4 MB or holds its envelopes twice — and the audit gets no envelopes from it", async () => {
    const batch = makeBatch();
    await commit(batch);
    const body = (await snapshot()).find((i) => i.sk?.S?.startsWith("E#"));
    const bodyKey = { pk: body?.pk ?? { S: "" }, sk: body?.sk ?? { S: "" } };
    // 8 MB of one byte: a few KB compressed, a memory bomb inflated.
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
    for (const [expression, values, why] of [
      ["SET envelopesGzip = :e", { ":e": { B: bomb } }, /larger than 4194304 bytes/],
      ["SET envelopes = :e", { ":e": { S: canonicalJson(batch.envelopes) } }, /holds the envelopes twice/],
    ] as const) {
      if (expression.includes("envelopes =")) {
        // The genuine compressed text back, with a plain copy beside it.
        await updateBatchBody(bodyKey, "SET envelopesGzip = :g", {
          ":g": { B: gzipSync(Buffer.from(canonicalJson(batch.envelopes), "utf8")) },
        });
      }
      await updateBatchBody(bodyKey, expression, values);
      await expect(store.getBatch(batch.key)).rejects.toThrow(StoreInvariantError);
      await expect(store.getBatch(batch.key)).rejects.toThrow(why);
      await expect(store.getBatches([batch.key])).rejects.toThrow(StoreInvariantError);
      const [raw] = await store.getRawBatches([batch.key]);
      expect(raw?.envelopes).toBeUndefined();
    }
  });
});

describe("batches written before bodies existed (envelopes in the head)", () => {
  it("read, seal and audit as before", async () => {
    const batch = makeBatch({ size: 4 });
    await commit(batch);
    // Rewrite it as the old format: the head holds the envelopes, names no body, and has no body.
    const [head, body] = await snapshot();
    await dynamo.client.send(
      new DeleteItemCommand({
        TableName: table,
        Key: { pk: body?.pk ?? { S: "" }, sk: body?.sk ?? { S: "" } },
      }),
    );
    await updateBatchItem(batch.key, "SET envelopes = :e REMOVE body", {
      ":e": { S: body ? bodyTextOf(body) : "" },
    });
    expect(head?.body).toBeDefined();
    expect(await countItems(dynamo.client, table)).toBe(1);

    expect(await store.getBatch(batch.key)).toEqual(batch);
    expect(await store.getBatches([batch.key])).toEqual([batch]);
    expect(await store.getBatchHeads([batch.key])).toEqual([
      { key: batch.key, receivedAt: batch.receivedAt, entryIds: batch.envelopes.map((e) => e.id) },
    ]);
    await store.markBatchSealed(batch.key, 2, 7);
    await store.markBatchSealed(batch.key, 2, 7);
    expect(await store.getBatch(batch.key)).toEqual({ ...batch, sealed: { height: 2, offset: 7 } });
    expect(await store.getRawBatches([batch.key])).toEqual([
      {
        key: batch.key,
        envelopes: JSON.parse(canonicalJson(batch.envelopes)),
        sealedHeight: 2,
        sealedOffset: 7,
      },
    ]);
  });
});

/** Changes a stored batch item behind the store's back, as a corrupt or tampered table would. */
async function updateBatchItem(key: string, expression: string, values?: Record<string, AttributeValue>) {
  await dynamo.client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: itemKeys.batch(key),
      UpdateExpression: expression,
      ...(values ? { ExpressionAttributeValues: values } : {}),
    }),
  );
}

describe("listPendingBatches", () => {
  async function commitMany(): Promise<StoredBatch[]> {
    // 40 batches, committed in an order unrelated to their receive times; some share a
    // receive time so that the key breaks the tie.
    const batches = Array.from({ length: 40 }, (_, i) =>
      makeBatch({
        dept: `dept-${i % 5}`,
        nonce: `n-${String(i).padStart(3, "0")}-${randomBytes(3).toString("hex")}`,
        receivedAt: receivedAtPlus(((i * 17) % 40) >> 1),
        size: 1,
      }),
    );
    await Promise.all(batches.map((b) => commit(b)));
    return batches;
  }

  const order = (batches: readonly StoredBatch[]) =>
    [...batches]
      .sort((a, b) =>
        a.receivedAt === b.receivedAt ? (a.key < b.key ? -1 : 1) : a.receivedAt < b.receivedAt ? -1 : 1,
      )
      .map((b) => ({ key: b.key, receivedAt: b.receivedAt }));

  it("lists the oldest first across all shards, at most `limit`", async () => {
    const batches = await commitMany();
    expect(new Set(batches.map((b) => pendingShard(b.key))).size).toBeGreaterThanOrEqual(PENDING_SHARDS / 2);
    const expected = order(batches);

    expect(await store.listPendingBatches(100)).toEqual(expected);
    expect(await store.listPendingBatches(40)).toEqual(expected);
    expect(await store.listPendingBatches(7)).toEqual(expected.slice(0, 7));
    expect(await store.listPendingBatches(1)).toEqual(expected.slice(0, 1));
    expect(await store.listPendingBatches(0)).toEqual([]);
    await expect(store.listPendingBatches(-1)).rejects.toThrow(RangeError);

    // Same answer when every shard has to be read in several pages.
    const paged = new DynamoDbLedgerStore(dynamo.client, table, { queryPageLimit: 2 });
    const calls = commandLog(dynamo.client);
    expect(await paged.listPendingBatches(100)).toEqual(expected);
    expect(calls.filter((c) => c === "QueryCommand").length).toBeGreaterThan(2 * PENDING_SHARDS);
    expect(await paged.listPendingBatches(9)).toEqual(expected.slice(0, 9));
  });

  it("drops batches once they are marked sealed", async () => {
    const batches = await commitMany();
    const expected = order(batches);
    const sealed = new Set(expected.filter((_, i) => i % 3 === 0).map((r) => r.key));
    let offset = 0;
    for (const key of sealed) await store.markBatchSealed(key, 1, offset++);
    const remaining = expected.filter((r) => !sealed.has(r.key));
    expect(await store.listPendingBatches(100)).toEqual(remaining);
    expect(await store.listPendingBatches(5)).toEqual(remaining.slice(0, 5));
  });

  it("is empty on an empty table", async () => {
    expect(await store.listPendingBatches(10)).toEqual([]);
  });
});

describe("markBatchSealed", () => {
  it("records the seal, and is idempotent for the same height and offset", async () => {
    const batch = makeBatch();
    await commit(batch);
    await store.markBatchSealed(batch.key, 4, 120);
    expect(await store.getBatch(batch.key)).toEqual({ ...batch, sealed: { height: 4, offset: 120 } });
    const before = await snapshot();
    await store.markBatchSealed(batch.key, 4, 120);
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a second seal at another height (or offset), leaving the batch as it was", async () => {
    const batch = makeBatch();
    await commit(batch);
    await store.markBatchSealed(batch.key, 4, 120);
    const before = await snapshot();
    await expect(store.markBatchSealed(batch.key, 5, 0)).rejects.toThrow(StoreInvariantError);
    await expect(store.markBatchSealed(batch.key, 5, 0)).rejects.toThrow(/already sealed in block 4/);
    await expect(store.markBatchSealed(batch.key, 4, 121)).rejects.toThrow(StoreInvariantError);
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a batch that does not exist, creating nothing", async () => {
    await expect(store.markBatchSealed("nobody#nothing", 1, 0)).rejects.toThrow(StoreInvariantError);
    await expect(store.markBatchSealed("nobody#nothing", 1, 0)).rejects.toThrow(/does not exist/);
    expect(await countItems(dynamo.client, table)).toBe(0);
  });

  it("refuses a batch that is unsealed but off the pending index, changing nothing", async () => {
    // No writer leaves a batch so (commitBatch sets the index attributes, only the seal
    // removes them): the condition stands for "exists and unsealed", and this item shows
    // it is not mistaken for a repeated mark.
    const batch = makeBatch();
    await commit(batch);
    await updateBatchItem(batch.key, "REMOVE gsi1pk, gsi1sk");
    const before = await snapshot();
    await expect(store.markBatchSealed(batch.key, 1, 0)).rejects.toThrow(
      /neither sealed nor on the pending index/,
    );
    expect(await snapshot()).toEqual(before);
  });

  it("rejects impossible positions", async () => {
    await expect(store.markBatchSealed("a#b", 0, 0)).rejects.toThrow(RangeError);
    await expect(store.markBatchSealed("a#b", 1, -1)).rejects.toThrow(RangeError);
    await expect(store.markBatchSealed("a#b", 1.5, 0)).rejects.toThrow(RangeError);
  });
});

// ---- blocks ----------------------------------------------------------------------------

describe("blocks", () => {
  it("commit once per height; the loser's different block does not overwrite the winner's", async () => {
    expect(await store.getLatestBlock()).toBeUndefined();
    expect(await store.commitBlock(makeBlock(1))).toBe("committed");
    expect(await store.commitBlock(makeBlock(2))).toBe("committed");
    const before = await snapshot();

    expect(await store.commitBlock(makeBlock(2, "rival"))).toBe("conflict");
    expect(await store.commitBlock(makeBlock(2))).toBe("conflict");

    expect(await snapshot()).toEqual(before);
    expect(await store.getBlock(2)).toEqual(makeBlock(2));
    expect(await store.getBlock(3)).toBeUndefined();
  });

  it("let exactly one of several racing sealers commit a height", async () => {
    await store.commitBlock(makeBlock(1));
    const rivals = ["a", "b", "c", "d", "e"].map((v) => makeBlock(2, v));
    const outcomes = await Promise.all(rivals.map((b) => store.commitBlock(b)));
    expect(outcomes.filter((o) => o === "committed")).toHaveLength(1);
    const winner = rivals[outcomes.indexOf("committed")];
    expect(await store.getLatestBlock()).toEqual(winner);
  });

  it("getLatestBlock returns the highest height, not the last written", async () => {
    for (const h of [1, 2, 3, 10, 11]) await store.commitBlock(makeBlock(h));
    await store.commitBlock(makeBlock(9));
    expect(await store.getLatestBlock()).toEqual(makeBlock(11));
  });

  it("listBlocks returns a height range in order, across many query pages", async () => {
    for (let h = 1; h <= 25; h++) await store.commitBlock(makeBlock(h));
    const paged = new DynamoDbLedgerStore(dynamo.client, table, { queryPageLimit: 3 });
    const calls = commandLog(dynamo.client);
    expect(await paged.listBlocks(1, 25)).toHaveLength(25);
    expect(calls).toEqual(Array(9).fill("QueryCommand"));
    for (const s of [store, paged]) {
      expect((await s.listBlocks(1, 25)).map((b) => b.header.height)).toEqual(range(1, 25));
      expect((await s.listBlocks(5, 12)).map((b) => b.header.height)).toEqual(range(5, 12));
      expect((await s.listBlocks(20, 1000)).map((b) => b.header.height)).toEqual(range(20, 25));
      expect(await s.listBlocks(12, 5)).toEqual([]);
      expect(await s.listBlocks(26, 30)).toEqual([]);
    }
    expect(await paged.listBlocks(7, 7)).toEqual([makeBlock(7)]);
  });

  it("refuses a block that could not be read back", async () => {
    const block = makeBlock(1);
    await expect(store.commitBlock({ ...block, hash: "ABC" })).rejects.toThrow(RangeError);
    await expect(
      store.commitBlock({ ...block, logRange: { size: block.header.logSize, hashes: [] } }),
    ).rejects.toThrow();
    await expect(store.commitBlock({ ...block, header: { ...block.header, logSize: 3 } })).rejects.toThrow();
    expect(await countItems(dynamo.client, table)).toBe(0);
  });

  it("markBlockFinished sets the flag idempotently, and never creates a block", async () => {
    await store.commitBlock(makeBlock(1));
    expect((await store.getBlock(1))?.finished).toBeUndefined();
    await store.markBlockFinished(1);
    await store.markBlockFinished(1);
    expect(await store.getBlock(1)).toEqual({ ...makeBlock(1), finished: true });
    expect((await store.getLatestBlock())?.finished).toBe(true);
    await expect(store.markBlockFinished(7)).rejects.toThrow();
    expect(await store.getBlock(7)).toBeUndefined();
  });

  it("raise StoreInvariantError on a corrupted block item", async () => {
    await store.commitBlock(makeBlock(1));
    await dynamo.client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: itemKeys.block(1),
        UpdateExpression: "SET #h = :h",
        ExpressionAttributeNames: { "#h": "header" },
        ExpressionAttributeValues: { ":h": { S: JSON.stringify({ ...makeBlock(2).header }) } },
      }),
    );
    await expect(store.getBlock(1)).rejects.toThrow(StoreInvariantError);
    await expect(store.getLatestBlock()).rejects.toThrow(StoreInvariantError);
  });
});

describe("block pages", () => {
  const hash = hex("block/7");

  it("round-trip several pages with their binary leaf hashes intact", async () => {
    const pages = [makePage(0, PAGE_SIZE, "a"), makePage(1, PAGE_SIZE, "a"), makePage(2, 17, "a")];
    await store.putBlockPages(hash, pages);
    expect(await store.getBlockPages(hash, 3)).toEqual(pages);
    expect(await store.getBlockPages(hash, 2)).toEqual(pages.slice(0, 2));
    expect(await store.getBlockPages(hash, 0)).toEqual([]);
    const paged = new DynamoDbLedgerStore(dynamo.client, table, { queryPageLimit: 1 });
    expect(await paged.getBlockPages(hash, 3)).toEqual(pages);
  });

  it("are idempotent and keyed by block hash", async () => {
    const pages = [makePage(0, 300, "a"), makePage(1, 5, "a")];
    await store.putBlockPages(hash, pages);
    const before = await snapshot();
    await store.putBlockPages(hash, pages);
    expect(await snapshot()).toEqual(before);

    // A losing sealer's pages for its own block hash never touch the winner's.
    const rival = [makePage(0, 40, "rival")];
    await store.putBlockPages(hex("block/7/rival"), rival);
    expect(await store.getBlockPages(hash, 2)).toEqual(pages);
    expect(await store.getBlockPages(hex("block/7/rival"), 1)).toEqual(rival);
    expect(await store.getBlockPages(hex("block/unknown"), 4)).toEqual([]);
  });

  it("writes more than 25 pages (several BatchWriteItem calls)", async () => {
    const pages = Array.from({ length: 30 }, (_, p) => makePage(p, 3, "many"));
    await store.putBlockPages(hash, pages);
    expect(await store.getBlockPages(hash, 30)).toEqual(pages);
  });

  it("refuses malformed pages before writing", async () => {
    const good = makePage(0, 4, "a");
    await expect(store.putBlockPages(hash, [{ ...good, entryIds: good.entryIds.slice(1) }])).rejects.toThrow(
      RangeError,
    );
    await expect(
      store.putBlockPages(hash, [{ ...good, leafHashes: [new Uint8Array(31), ...good.leafHashes.slice(1)] }]),
    ).rejects.toThrow(RangeError);
    await expect(store.putBlockPages(hash, [good, good])).rejects.toThrow(RangeError);
    await expect(store.putBlockPages(hash, [makePage(0, PAGE_SIZE + 1, "a")])).rejects.toThrow(RangeError);
    expect(await countItems(dynamo.client, table)).toBe(0);
  });

  it("raise StoreInvariantError when stored leaves are not whole hashes", async () => {
    await dynamo.client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...itemKeys.page(hash, 0),
          leaves: { B: new Uint8Array(33) },
          ids: { S: JSON.stringify(["x"]) },
          batches: { S: JSON.stringify(["y"]) },
        },
      }),
    );
    await expect(store.getBlockPages(hash, 1)).rejects.toThrow(StoreInvariantError);
  });
});

// ---- the table itself ------------------------------------------------------------------

describe("createLedgerTable", () => {
  it("is idempotent", async () => {
    await commit(makeBatch());
    await createLedgerTable(dynamo.client, table);
    expect(await countItems(dynamo.client, table)).toBe(2);
  });

  it("refuses an existing table with another layout", async () => {
    const other = `other-${randomBytes(4).toString("hex")}`;
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: other,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      }),
    );
    await expect(createLedgerTable(dynamo.client, other)).rejects.toThrow(/not a ledger table/);
  });
});

describe("dynalite on disk", () => {
  it("keeps the ledger across a restart on the same directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zhixin-store-test-"));
    try {
      const first = await startDynalite({ path: dir });
      const name = await freshTable(first.client);
      const batch = makeBatch();
      await commit(batch, new DynamoDbLedgerStore(first.client, name));
      await first.stop();

      const second = await startDynalite({ path: dir });
      try {
        const reopened = new DynamoDbLedgerStore(second.client, name);
        expect(await reopened.getBatch(batch.key)).toEqual(batch);
        expect(await reopened.commitBatch(batch)).toBe("replayed");
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
