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
  type Item,
  itemKeys,
  PENDING_SHARDS,
  pendingPartition,
  pendingShard,
  pendingSortKey,
} from "../table.js";
import { A, assertCount, assertItemFits, decode, lenientInteger, lenientJson, TIMESTAMP } from "./items.js";
import type { StoreActions, TableClient } from "./table-client.js";

/**
 * Batch items, their heads and the pending index (docs/STORAGE.md "Items").
 *
 *   pk                 sk  attributes
 *   B#<keyId>#<nonce>  B   dept keyId nonce receivedAt
 *                          envelopes(S: canonical JSON array)
 *                          ids(S: JSON array of the envelopes' entry ids: the head, with receivedAt)
 *                          pending: gsi1pk=PENDING#<shard> gsi1sk=<receivedAt>#<key>
 *                          sealed:  sealedHeight(N) sealedOffset(N)
 *
 *   index gsi1 (gsi1pk, gsi1sk), KEYS_ONLY, sparse: exactly the pending batches.
 *
 * commitBatch is submit's commit point (a conditional put); markBatchSealed is a
 * conditional update that takes the batch off the pending index.
 */

/** The batch is on the pending index: committed and not sealed (markBatchSealed). */
const STILL_PENDING = "attribute_exists(#gpk)";

/** What each method sends (StoreActions). */
export const BATCH_STORE_ACTIONS = {
  commitBatch: { table: ["dynamodb:PutItem"] },
  getBatch: { table: ["dynamodb:GetItem"] },
  getBatches: { table: ["dynamodb:BatchGetItem"] },
  getBatchHeads: { table: ["dynamodb:BatchGetItem"] },
  listPendingBatches: { table: [], pendingIndex: ["dynamodb:Query"] },
  // GetItem: to say why the condition failed when the error carries no item (dynalite).
  markBatchSealed: { table: ["dynamodb:UpdateItem", "dynamodb:GetItem"] },
  getRawBatches: { table: ["dynamodb:BatchGetItem"] },
} as const satisfies StoreActions<DynamoDbBatches>;

export class DynamoDbBatches implements BatchStore {
  constructor(private readonly table: TableClient) {}

  async commitBatch(batch: StoredBatch): Promise<"committed" | "replayed"> {
    // Replay guard and commit point in one write: two submits with the same
    // (keyId, nonce) — a replay, or a client retry racing the original — cannot both
    // create the batch, and the loser must not overwrite the winner's envelopes.
    return (await this.table.putIfNew(batchItem(batch))) ? "committed" : "replayed";
  }

  async getBatch(key: string): Promise<StoredBatch | undefined> {
    const item = await this.table.getItem(itemKeys.batch(key));
    return item && parseBatchItem(item);
  }

  async getBatches(keys: readonly string[]): Promise<StoredBatch[]> {
    const unique = [...new Set(keys)];
    const items = await this.table.batchGet(unique.map((k) => itemKeys.batch(k)));
    return items.map(parseBatchItem);
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
          Key: itemKeys.batch(key),
          // Setting the seal and dropping the index attributes in one write takes the
          // batch off the pending list exactly when it is recorded as sealed.
          UpdateExpression: "SET #sealedHeight = :height, #sealedOffset = :offset REMOVE #gpk, #gsk",
          // STILL_PENDING: only a committed, unsealed batch carries the index attributes
          // (batchItem sets them, this update alone removes them), so the condition holds
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

  /** AuditSource: batch items by key, nothing validated. */
  async getRawBatches(keys: readonly string[]): Promise<RawBatch[]> {
    const items = await this.table.batchGet([...new Set(keys)].map((k) => itemKeys.batch(k)));
    return items.map((item) => ({
      key: (item[A.pk]?.S ?? "").slice(BATCH_PK_PREFIX.length),
      envelopes: lenientJson(item.envelopes),
      sealedHeight: lenientInteger(item[A.sealedHeight]),
      sealedOffset: lenientInteger(item[A.sealedOffset]),
    }));
  }
}

function batchItem(batch: StoredBatch): Item {
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
  const item: Item = {
    ...itemKeys.batch(batch.key),
    dept: { S: batch.dept },
    keyId: { S: batch.keyId },
    nonce: { S: batch.nonce },
    receivedAt: { S: batch.receivedAt },
    envelopes: { S: canonicalJson(envelopes) },
    // The entry ids again, so that getBatchHeads can answer "is it committed?" without the envelopes.
    ids: { S: JSON.stringify(envelopes.map((e) => e.id)) },
    [A.gsi1pk]: { S: pendingPartition(pendingShard(batch.key)) },
    [A.gsi1sk]: { S: pendingSortKey(batch.receivedAt, batch.key) },
  };
  // A batch is at most 100 envelopes of ~1.5 KB (~150 KB), so this never fires for a
  // batch the submit API accepted; it stops a future change from meeting DynamoDB's
  // 400 KB limit as an opaque ValidationException.
  assertItemFits(item, `batch ${batch.key}`);
  return item;
}

function parseBatchItem(item: Item): StoredBatch {
  return decode(item, (r) => {
    const key = r.keyAfter(A.pk, BATCH_PK_PREFIX);
    const keyId = r.string("keyId");
    const nonce = r.string("nonce");
    if (key !== batchKeyFor(keyId, nonce)) throw new Error(`key is not ${batchKeyFor(keyId, nonce)}`);
    const raw = r.json("envelopes");
    if (!Array.isArray(raw) || raw.length === 0) throw new Error("envelopes is not a non-empty array");
    const envelopes: LedgerEnvelope[] = raw.map((value: unknown, i) => {
      const e = parseEntryEnvelope(value);
      if (batchIndexOf(e) !== i) throw new Error(`envelope ${i} has batch index ${batchIndexOf(e)}`);
      return e;
    });
    const height = r.optionalInteger(A.sealedHeight);
    const offset = r.optionalInteger(A.sealedOffset);
    if ((height === undefined) !== (offset === undefined)) throw new Error("half-sealed");
    const batch: StoredBatch = {
      key,
      dept: r.string("dept"),
      keyId,
      nonce,
      receivedAt: r.string("receivedAt"),
      envelopes,
    };
    if (height !== undefined && offset !== undefined) batch.sealed = { height, offset };
    return batch;
  });
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
  const at = parseBatchItem(item).sealed;
  return at !== undefined && at.height === height && at.offset === offset;
}

function sealRefusal(key: string, height: number, offset: number, current: Item | undefined): Error {
  if (current === undefined) {
    return new StoreInvariantError(`cannot mark batch ${key} sealed in block ${height}: it does not exist`);
  }
  const batch = parseBatchItem(current);
  const at = batch.sealed;
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
