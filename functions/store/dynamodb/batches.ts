import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  ConditionalCheckFailedException,
  type QueryCommandInput,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { batchIndexOf, batchKeyFor, canonicalJson, type LedgerEnvelope, parseEntryEnvelope } from "#chain";
import { BATCH_PK_PREFIX, LEDGER_TABLE } from "../../../lib/store-layout.js";
import {
  type BatchHead,
  type BatchStore,
  type PendingBatchRef,
  type RawBatch,
  type StoredBatch,
  StoreInvariantError,
} from "../ports.js";
import {
  BATCH_BODY_SK_PREFIX,
  BATCH_HEAD_SK,
  type Item,
  type ItemKey,
  itemKeys,
  PENDING_SHARDS,
  pendingPartition,
  pendingShard,
  pendingSortKey,
} from "../table.js";
import {
  A,
  assertCount,
  assertItemFits,
  decode,
  type ItemReader,
  lenientInteger,
  lenientJson,
  TIMESTAMP,
} from "./items.js";
import type { StoreActions, TableClient } from "./table-client.js";

/**
 * Batch items — a small head and a body written once — and the pending index
 * (docs/STORAGE.md "Items").
 *
 *   pk                 sk             attributes
 *   B#<keyId>#<nonce>  B              the head: dept keyId nonce receivedAt
 *                                     ids(S: JSON array of the envelopes' entry ids)
 *                                     body(S: hex SHA-256 of the body's envelopes text)
 *                                     pending: gsi1pk=PENDING#<shard> gsi1sk=<receivedAt>#<key>
 *                                     sealed:  sealedHeight(N) sealedOffset(N)
 *   B#<keyId>#<nonce>  E#<body>       the body: envelopesGzip(B: gzip of the canonical JSON
 *                                     array's UTF-8 text; bodies written before hold
 *                                     envelopes(S: the text itself))
 *
 *   index gsi1 (gsi1pk, gsi1sk), KEYS_ONLY, sparse: exactly the pending batches.
 *
 * putBatchBody writes the body before the commit (with the request's other items,
 * entry-items.ts); commitBatch, submit's commit point, is a conditional put of the head;
 * markBatchSealed is a conditional update of the head alone, so the envelopes (~141 KB
 * for 100 records) are written once and never rewritten: DynamoDB charges an update on
 * the larger of the item's sizes before and after. Bodies are keyed by their digest, so
 * two requests with one (keyId, nonce) never write over each other's: the head names the
 * body it committed, and a loser's body is an orphan that readers never reach.
 *
 * Heads written before bodies existed hold `envelopes` themselves and no `body`: they
 * are read as before.
 */

/**
 * The body's envelopes are kept gzip-compressed: an envelope repeats its batch's signature
 * base, signature and key id, so a 100-record body shrinks ~10× (143 KB → 15 KB,
 * docs/COST.md), and it is written once and read by every seal and audit. Compression is
 * lossless: the text read back is the text whose digest names the body, checked on every
 * read. A body inflates to at most MAX_ENVELOPES_TEXT bytes (100 envelopes are ~150 KB);
 * one that would inflate further is refused as damaged rather than read into memory.
 */
const BODY_GZIP = "envelopesGzip";
const MAX_ENVELOPES_TEXT = 4 * 1024 * 1024;

/** A body's envelopes text: inflated, or as written before bodies were compressed; undefined when absent. */
function bodyText(body: Item | undefined): string | undefined {
  const gz = body?.[BODY_GZIP]?.B;
  if (gz !== undefined) {
    if (body?.envelopes !== undefined) throw new Error("its body holds the envelopes twice");
    return gunzipSync(gz, { maxOutputLength: MAX_ENVELOPES_TEXT }).toString("utf8");
  }
  return body?.envelopes?.S;
}

/** bodyText for AuditSource: what cannot be inflated is reported by the audit, not thrown. */
function lenientBodyText(body: Item | undefined): string | undefined {
  try {
    return bodyText(body);
  } catch {
    return undefined;
  }
}

/** The batch is on the pending index: committed and not sealed (markBatchSealed). */
const STILL_PENDING = "attribute_exists(#gpk)";

/** What each method sends (StoreActions). */
export const BATCH_STORE_ACTIONS = {
  commitBatch: { table: ["dynamodb:PutItem"] },
  // One Query of the batch's partition: its head and its body in one round trip.
  getBatch: { table: ["dynamodb:Query"] },
  getBatches: { table: ["dynamodb:BatchGetItem"] },
  getBatchHeads: { table: ["dynamodb:BatchGetItem"] },
  listPendingBatches: { table: [], pendingIndex: ["dynamodb:Query"] },
  // GetItem: to say why the condition failed when the error carries no item (dynalite).
  markBatchSealed: { table: ["dynamodb:UpdateItem", "dynamodb:GetItem"] },
  getRawBatches: { table: ["dynamodb:BatchGetItem"] },
} as const satisfies StoreActions<DynamoDbBatches>;

/**
 * Writes a batch's body (its envelopes) before its head is committed: a conditional
 * create, so no write ever changes a body. Bodies are keyed by the digest of their
 * envelopes text, so an item already there holds these very envelopes (a retry in the
 * same millisecond, whose envelopes are identical) and the failed condition is success.
 * Requires what commitBatch requires of the batch.
 */
export async function putBatchBody(table: TableClient, batch: StoredBatch): Promise<void> {
  await table.putIfNew(bodyItem(batch));
}

/** The two items of a committed batch as first written: its head and its body (for sizing them: bench/item-sizes.ts). */
export function batchItems(batch: StoredBatch): { head: Item; body: Item } {
  return { head: headItem(batch), body: bodyItem(batch) };
}

export class DynamoDbBatches implements BatchStore {
  constructor(private readonly table: TableClient) {}

  async commitBatch(batch: StoredBatch): Promise<"committed" | "replayed"> {
    // Replay guard and commit point in one write: two submits with the same
    // (keyId, nonce) — a replay, or a client retry racing the original — cannot both
    // create the head, and the head names the one body that is the batch's. The body
    // was written first (putBatchBody), so a committed head always has its body.
    return (await this.table.putIfNew(headItem(batch))) ? "committed" : "replayed";
  }

  async getBatch(key: string): Promise<StoredBatch | undefined> {
    // The partition holds the head, its body, and any orphan bodies of requests that lost
    // the commit or crashed before it (rare): one consistent Query reads them together.
    const items: Item[] = [];
    for await (const item of this.table.query({
      TableName: this.table.tableName,
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": A.pk },
      ExpressionAttributeValues: { ":pk": { S: BATCH_PK_PREFIX + key } },
      ConsistentRead: true,
    })) {
      items.push(item);
    }
    const head = items.find((i) => i[A.sk]?.S === BATCH_HEAD_SK);
    if (head === undefined) return undefined;
    const digest = head.body?.S;
    const body = items.find((i) => digest !== undefined && i[A.sk]?.S === BATCH_BODY_SK_PREFIX + digest);
    return parseBatch(head, body);
  }

  async getBatches(keys: readonly string[]): Promise<StoredBatch[]> {
    // Heads first, then the bodies they name: a body's key holds its digest, which only
    // the head knows.
    const heads = await this.table.batchGet([...new Set(keys)].map((k) => itemKeys.batch(k)));
    const bodies = await this.bodiesOf(heads);
    return heads.map((head) => parseBatch(head, bodies.get(bodyKeyOf(head) ?? "")));
  }

  async getBatchHeads(keys: readonly string[]): Promise<BatchHead[]> {
    const unique = [...new Set(keys)];
    // Items written before entry ids were kept beside the envelopes lack `ids`: those
    // are read whole.
    const heads = await this.table.batchGet(
      unique.map((k) => itemKeys.batch(k)),
      "#pk, receivedAt, ids",
      { "#pk": A.pk },
    );
    const whole = heads
      .filter((i) => i.ids === undefined)
      .map((i) => i[A.pk]?.S?.slice(BATCH_PK_PREFIX.length) ?? "");
    const old = whole.length > 0 ? await this.getBatches(whole) : [];
    return [
      ...heads.filter((i) => i.ids !== undefined).map(parseBatchHead),
      ...old.map((b) => ({ key: b.key, receivedAt: b.receivedAt, entryIds: b.envelopes.map((e) => e.id) })),
    ];
  }

  async listPendingBatches(limit: number): Promise<PendingBatchRef[]> {
    assertCount(limit, "limit");
    if (limit === 0) return [];
    const shards = Array.from({ length: PENDING_SHARDS }, (_, shard) => this.oldestPending(shard, limit));
    const refs = (await Promise.all(shards)).flat();
    // Each shard is in gsi1sk order; merging by the same bytes gives the global order.
    refs.sort((a, b) => compareUtf8(a.sortKey, b.sortKey));
    return refs.slice(0, limit).map(({ key, receivedAt }) => ({ key, receivedAt }));
  }

  private async oldestPending(
    shard: number,
    limit: number,
  ): Promise<Array<PendingBatchRef & { sortKey: string }>> {
    const out: Array<PendingBatchRef & { sortKey: string }> = [];
    const input: QueryCommandInput = {
      TableName: this.table.tableName,
      IndexName: LEDGER_TABLE.pendingIndex.indexName,
      KeyConditionExpression: "#gpk = :shard",
      ExpressionAttributeNames: { "#gpk": A.gsi1pk },
      ExpressionAttributeValues: { ":shard": { S: pendingPartition(shard) } },
      ScanIndexForward: true,
    };
    for await (const item of this.table.query(input, limit)) out.push(parsePendingRef(item));
    return out;
  }

  async markBatchSealed(key: string, height: number, offset: number): Promise<void> {
    assertCount(height, "height", 1);
    assertCount(offset, "offset");
    try {
      await this.table.client.send(
        new UpdateItemCommand({
          TableName: this.table.tableName,
          // The head only: a few hundred bytes to a few KB, where rewriting the envelopes
          // would be charged on their ~141 KB (100 records) once more.
          Key: itemKeys.batch(key),
          // Setting the seal and dropping the index attributes in one write takes the
          // batch off the pending list exactly when it is recorded as sealed.
          UpdateExpression: "SET #sealedHeight = :height, #sealedOffset = :offset REMOVE #gpk, #gsk",
          // STILL_PENDING: only a committed, unsealed batch carries the index attributes
          // (headItem sets them, this update alone removes them), so the condition holds
          // exactly for a batch that exists and is not sealed — an update would otherwise
          // create a bare batch item out of nothing, or move a batch already in another
          // block. A sealer finishing a crashed run may repeat the write: that repeat
          // fails the condition, and the item read below shows it sealed at this very
          // place, which is success. One attribute test rather than the three it stands
          // for: conditions are parsed per request, and this write is the one sealing
          // sends per batch (docs/PERFORMANCE.md "Seal marks").
          ConditionExpression: STILL_PENDING,
          ExpressionAttributeNames: {
            "#sealedHeight": A.sealedHeight,
            "#sealedOffset": A.sealedOffset,
            "#gpk": A.gsi1pk,
            "#gsk": A.gsi1sk,
          },
          ExpressionAttributeValues: { ":height": { N: String(height) }, ":offset": { N: String(offset) } },
          // DynamoDB returns the item with the failure; dynalite ignores this and we GetItem.
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = err.Item ?? (await this.table.getItem(itemKeys.batch(key)));
      if (isSealedAt(current, height, offset)) return;
      throw sealRefusal(key, height, offset, current);
    }
  }

  /** AuditSource: batch items by key — the head, with the envelopes of the body it names — nothing validated. */
  async getRawBatches(keys: readonly string[]): Promise<RawBatch[]> {
    const heads = await this.table.batchGet([...new Set(keys)].map((k) => itemKeys.batch(k)));
    const bodies = await this.bodiesOf(heads);
    return heads.map((head) => {
      const bodyKey = bodyKeyOf(head);
      return {
        key: (head[A.pk]?.S ?? "").slice(BATCH_PK_PREFIX.length),
        envelopes: lenientJson(
          bodyKey === undefined ? head.envelopes : textAttribute(lenientBodyText(bodies.get(bodyKey))),
        ),
        sealedHeight: lenientInteger(head[A.sealedHeight]),
        sealedOffset: lenientInteger(head[A.sealedOffset]),
      };
    });
  }

  /** The bodies `heads` name (by bodyKeyOf); heads of the old format name none. */
  private async bodiesOf(heads: readonly Item[]): Promise<Map<string, Item>> {
    const keys = new Map<string, ItemKey>();
    for (const head of heads) {
      const pk = head[A.pk]?.S;
      const digest = head.body?.S;
      if (pk !== undefined && digest !== undefined) {
        keys.set(`${pk}\u0000${BATCH_BODY_SK_PREFIX}${digest}`, {
          pk: { S: pk },
          sk: { S: BATCH_BODY_SK_PREFIX + digest },
        });
      }
    }
    if (keys.size === 0) return new Map();
    const items = await this.table.batchGet([...keys.values()]);
    return new Map(items.map((i) => [`${i[A.pk]?.S}\u0000${i[A.sk]?.S}`, i]));
  }
}

const textAttribute = (text: string | undefined) => (text === undefined ? undefined : { S: text });

/** The key bodiesOf files a head's body under, or undefined for a head that names none. */
function bodyKeyOf(head: Item): string | undefined {
  const digest = head.body?.S;
  return digest === undefined ? undefined : `${head[A.pk]?.S}\u0000${BATCH_BODY_SK_PREFIX}${digest}`;
}

/** A batch's envelopes as checked and stored: canonical JSON text, its digest, the entry ids. */
interface EncodedBatch {
  text: string;
  digest: string;
  ids: string[];
}

/**
 * Encodings per batch object: submit hands the same StoredBatch to putBatchBody and then
 * to commitBatch, and serialising 100 envelopes twice would be wasted CPU.
 */
const encodings = new WeakMap<StoredBatch, EncodedBatch>();

function encodeBatch(batch: StoredBatch): EncodedBatch {
  const known = encodings.get(batch);
  if (known !== undefined) return known;
  if (batch.key !== batchKeyFor(batch.keyId, batch.nonce)) {
    throw new RangeError(`batch key ${batch.key} is not ${batchKeyFor(batch.keyId, batch.nonce)}`);
  }
  if (!TIMESTAMP.test(batch.receivedAt)) {
    throw new RangeError(`batch receivedAt ${batch.receivedAt} is not RFC 3339 UTC with milliseconds`);
  }
  if (batch.sealed !== undefined) throw new RangeError("a batch is committed unsealed");
  if (batch.envelopes.length === 0) throw new RangeError("a batch has at least one envelope");
  const envelopes = batch.envelopes.map((e, i) => {
    const parsed = parseEntryEnvelope(e);
    if (batchIndexOf(parsed) !== i)
      throw new RangeError(`envelope ${i} has batch index ${batchIndexOf(parsed)}`);
    return parsed;
  });
  const text = canonicalJson(envelopes);
  const encoded = { text, digest: bodyDigest(text), ids: envelopes.map((e) => e.id) };
  encodings.set(batch, encoded);
  return encoded;
}

function bodyDigest(envelopesText: string): string {
  return createHash("sha256").update(envelopesText, "utf8").digest("hex");
}

function bodyItem(batch: StoredBatch): Item {
  const { text, digest } = encodeBatch(batch);
  const item: Item = {
    ...itemKeys.batchBody(batch.key, digest),
    [BODY_GZIP]: { B: gzipSync(Buffer.from(text, "utf8")) },
  };
  // A batch is at most 100 envelopes of ~1.5 KB (~150 KB), so this never fires for a
  // batch the submit API accepted; it stops a future change from meeting DynamoDB's
  // 400 KB limit as an opaque ValidationException.
  assertItemFits(item, `batch ${batch.key} body`);
  return item;
}

function headItem(batch: StoredBatch): Item {
  const { digest, ids } = encodeBatch(batch);
  const item: Item = {
    ...itemKeys.batch(batch.key),
    dept: { S: batch.dept },
    keyId: { S: batch.keyId },
    nonce: { S: batch.nonce },
    receivedAt: { S: batch.receivedAt },
    // The entry ids, so that getBatchHeads can answer "is it committed?" without the envelopes.
    ids: { S: JSON.stringify(ids) },
    body: { S: digest },
    [A.gsi1pk]: { S: pendingPartition(pendingShard(batch.key)) },
    [A.gsi1sk]: { S: pendingSortKey(batch.receivedAt, batch.key) },
  };
  // ~45 bytes per entry id: ~5 KB for 100 records.
  assertItemFits(item, `batch ${batch.key}`);
  return item;
}

/**
 * A batch from its head and the body the head names (`body` undefined when it is missing,
 * or for a head of the old format, which holds its envelopes itself).
 */
function parseBatch(head: Item, body: Item | undefined): StoredBatch {
  return decode(head, (r) => {
    const key = r.keyAfter(A.pk, BATCH_PK_PREFIX);
    const keyId = r.string("keyId");
    const nonce = r.string("nonce");
    if (key !== batchKeyFor(keyId, nonce)) throw new Error(`key is not ${batchKeyFor(keyId, nonce)}`);
    let text: string;
    if (head.body === undefined) text = r.string("envelopes");
    else {
      const digest = r.string("body");
      const stored = bodyText(body);
      if (stored === undefined) throw new Error(`its body ${BATCH_BODY_SK_PREFIX}${digest} is missing`);
      if (bodyDigest(stored) !== digest) throw new Error(`its body's envelopes do not hash to ${digest}`);
      text = stored;
    }
    const raw: unknown = JSON.parse(text);
    if (!Array.isArray(raw) || raw.length === 0) throw new Error("envelopes is not a non-empty array");
    const envelopes: LedgerEnvelope[] = raw.map((value: unknown, i) => {
      const e = parseEntryEnvelope(value);
      if (batchIndexOf(e) !== i) throw new Error(`envelope ${i} has batch index ${batchIndexOf(e)}`);
      return e;
    });
    if (
      head.body !== undefined &&
      JSON.stringify(envelopes.map((e) => e.id)) !== JSON.stringify(r.stringArray("ids"))
    ) {
      throw new Error("ids are not its envelopes' entry ids");
    }
    const batch: StoredBatch = {
      key,
      dept: r.string("dept"),
      keyId,
      nonce,
      receivedAt: r.string("receivedAt"),
      envelopes,
    };
    const sealed = readSeal(r);
    if (sealed !== undefined) batch.sealed = sealed;
    return batch;
  });
}

function readSeal(r: ItemReader): { height: number; offset: number } | undefined {
  const height = r.optionalInteger(A.sealedHeight);
  const offset = r.optionalInteger(A.sealedOffset);
  if ((height === undefined) !== (offset === undefined)) throw new Error("half-sealed");
  return height !== undefined && offset !== undefined ? { height, offset } : undefined;
}

/** Where a head says its batch is sealed, if it is. */
function parseSeal(head: Item): { height: number; offset: number } | undefined {
  return decode(head, readSeal);
}

function parseBatchHead(item: Item): BatchHead {
  return decode(item, (r) => ({
    key: r.keyAfter(A.pk, BATCH_PK_PREFIX),
    receivedAt: r.string("receivedAt"),
    entryIds: r.stringArray("ids"),
  }));
}

function parsePendingRef(item: Item): PendingBatchRef & { sortKey: string } {
  return decode(item, (r) => {
    const key = r.keyAfter(A.pk, BATCH_PK_PREFIX);
    const sortKey = r.string(A.gsi1sk);
    const suffix = `#${key}`;
    const receivedAt = sortKey.slice(0, sortKey.length - suffix.length);
    if (!sortKey.endsWith(suffix) || !TIMESTAMP.test(receivedAt)) {
      throw new Error(`${A.gsi1sk} ${sortKey} is not <receivedAt>#${key}`);
    }
    return { key, receivedAt, sortKey };
  });
}

/** A batch item sealed at exactly (height, offset): a repeated mark, which is success. */
function isSealedAt(item: Item | undefined, height: number, offset: number): boolean {
  if (item === undefined) return false;
  const at = parseSeal(item);
  return at !== undefined && at.height === height && at.offset === offset;
}

function sealRefusal(key: string, height: number, offset: number, current: Item | undefined): Error {
  if (current === undefined) {
    return new StoreInvariantError(`cannot mark batch ${key} sealed in block ${height}: it does not exist`);
  }
  const at = parseSeal(current);
  if (at !== undefined && at.height !== height) {
    return new StoreInvariantError(
      `batch ${key} is already sealed in block ${at.height} (offset ${at.offset}); ` +
        `sealing it in block ${height} too would be a double seal`,
    );
  }
  if (at !== undefined) {
    return new StoreInvariantError(
      `batch ${key} is sealed in block ${height} at offset ${at.offset}, not ${offset}`,
    );
  }
  return new StoreInvariantError(
    `batch ${key} is neither sealed nor on the pending index, so it cannot be marked sealed in block ${height}`,
  );
}

/** DynamoDB orders strings by their UTF-8 bytes, which differs from UTF-16 order above U+FFFF. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
