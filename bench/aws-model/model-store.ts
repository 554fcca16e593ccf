import { setTimeout as sleep } from "node:timers/promises";
import { canonicalJson, type LedgerEnvelope, parseEntryEnvelope } from "#chain";
import type { SealStore } from "../../functions/ledger/sealer.js";
import {
  type BlockPage,
  type PendingBatchRef,
  type StoredBatch,
  type StoredBlock,
  StoreInvariantError,
} from "../../functions/store/ports.js";
import { PENDING_SHARDS, pendingShard, pendingSortKey } from "../../functions/store/table.js";

/**
 * The sealer's store port (functions/ledger/sealer.ts SealStore) over memory, each method
 * charged as the DynamoDB requests the real store sends (functions/store/dynamodb/): a
 * per-request latency, a cap on requests in flight, and the write limit of one partition
 * key value on the pending index's shards. It is a model of DynamoDB for `npm run bench --
 * aws-model`, not a store: dynalite would measure its own CPU per request (~1 ms, more
 * than the modelled latency) where DynamoDB spends none of the caller's.
 *
 * Kept from the real store: every condition sealing relies on (commitBlock creates only,
 * markBatchSealed only while pending or at the same place), the pending order (receivedAt,
 * batch key) and the envelopes kept as canonical JSON text and parsed on every read, so
 * the sealer pays the CPU it pays against DynamoDB. A batch is read as the real store reads
 * it, its head and then its body. Not modelled: the index's eventual
 * consistency (the crash and race tests cover it on dynalite), item sizes and throttling of
 * anything but the pending shards.
 */

export interface DynamoDbModel {
  /** Milliseconds per single-item request (GetItem, PutItem, UpdateItem, a Query page). */
  singleMs: number;
  /** Milliseconds per BatchGetItem or BatchWriteItem. */
  batchMs: number;
  /** Requests in flight at once from the sealer: the SDK's default of 50 sockets per client. */
  maxInFlight: number;
  /**
   * Writes per second to one partition key value (DynamoDB: 1,000 write units). Each
   * pending shard (`PENDING#<n>` of the sparse index) is one: a commit adds an index item
   * there and a seal mark removes it, so a batch costs two of its writes.
   */
  shardWritesPerSecond: number;
}

/** Modelled on DynamoDB in one region, as the issue asks: ~5 ms single-item, ~10 ms batch. */
export const DYNAMODB: DynamoDbModel = {
  singleMs: 5,
  batchMs: 10,
  maxInFlight: 50,
  shardWritesPerSecond: 1_000,
};

/** What one Query page of the KEYS_ONLY index holds: 1 MB of ~150-byte keys. */
const KEYS_PER_QUERY_PAGE = 6_900;
const BATCH_GET_MAX = 100;
const BATCH_WRITE_MAX = 25;
/** The real store's BatchGet/BatchWrite requests in flight per call (table-client.ts). */
const PARALLEL_REQUESTS = 8;

interface ModelBatch {
  dept: string;
  keyId: string;
  nonce: string;
  receivedAt: string;
  /** Canonical JSON array, as the batch item's `envelopes` attribute. */
  envelopes: string;
  sealed?: { height: number; offset: number };
}

/** Counts of what the model did, for the report. */
export interface ModelCounts {
  requests: number;
  /** Requests that waited for a pending shard's write capacity (DynamoDB would throttle them). */
  throttled: number;
}

export class ModelStore implements SealStore {
  private readonly batches = new Map<string, ModelBatch>();
  /** Per shard: pending refs in sort-key order (commits arrive in time order; sorted on read otherwise). */
  private readonly pending: Array<Map<string, PendingBatchRef & { sortKey: string }>> = Array.from(
    { length: PENDING_SHARDS },
    () => new Map(),
  );
  private readonly blocks = new Map<number, StoredBlock>();
  private readonly pages = new Map<string, BlockPage[]>();
  private readonly shardTokens: ShardBudget;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  readonly counts: ModelCounts = { requests: 0, throttled: 0 };

  constructor(readonly model: DynamoDbModel) {
    this.shardTokens = new ShardBudget(PENDING_SHARDS, model.shardWritesPerSecond);
  }

  // ---- the producers' side: submit's commit point, free of the sealer's latency -------

  /**
   * commitBatch as the submit functions send it (their own latency is theirs); waits for
   * shard capacity. `envelopesText`, the canonical JSON of the envelopes, if the caller
   * has it: serialising them is submit's CPU, not the sealer's, so producers that share
   * the sealer's process pass it made in advance.
   */
  async commitBatch(batch: StoredBatch, envelopesText?: string): Promise<"committed" | "replayed"> {
    if (this.batches.has(batch.key)) return "replayed";
    const shard = pendingShard(batch.key);
    await this.takeShardWrite(shard);
    this.batches.set(batch.key, {
      dept: batch.dept,
      keyId: batch.keyId,
      nonce: batch.nonce,
      receivedAt: batch.receivedAt,
      envelopes: envelopesText ?? canonicalJson(batch.envelopes),
    });
    const sortKey = pendingSortKey(batch.receivedAt, batch.key);
    this.pending[shard]?.set(batch.key, { key: batch.key, receivedAt: batch.receivedAt, sortKey });
    return "committed";
  }

  /** Batches still pending (for the lag): the oldest receive time, or undefined. */
  oldestPending(): string | undefined {
    let oldest: string | undefined;
    for (const shard of this.pending) {
      for (const ref of shard.values())
        if (oldest === undefined || ref.receivedAt < oldest) oldest = ref.receivedAt;
    }
    return oldest;
  }

  pendingCount(): number {
    return this.pending.reduce((n, shard) => n + shard.size, 0);
  }

  /** Every batch's seal, for the bench's own check that nothing was lost or sealed twice. */
  sealedEntries(): number {
    let n = 0;
    for (const b of this.batches.values()) if (b.sealed) n += (JSON.parse(b.envelopes) as unknown[]).length;
    return n;
  }

  // ---- SealStore ------------------------------------------------------------------------

  async listPendingBatches(limit: number): Promise<PendingBatchRef[]> {
    // One Query per shard, in parallel, each following its pages.
    const perShard = await Promise.all(
      this.pending.map(async (shard) => {
        const refs = [...shard.values()].sort((a, b) => (a.sortKey < b.sortKey ? -1 : 1)).slice(0, limit);
        const pages = Math.max(1, Math.ceil(refs.length / KEYS_PER_QUERY_PAGE));
        for (let p = 0; p < pages; p++) await this.request(this.model.singleMs);
        return refs;
      }),
    );
    return perShard
      .flat()
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : 1))
      .slice(0, limit)
      .map(({ key, receivedAt }) => ({ key, receivedAt }));
  }

  async getBatches(keys: readonly string[]): Promise<StoredBatch[]> {
    // Two reads in a row, as the real store sends them: the heads, then the bodies they
    // name (a body's key holds its digest, which only its head knows).
    const found = [...new Set(keys)].filter((k) => this.batches.has(k)).length;
    await this.batchRequests(new Set(keys).size, BATCH_GET_MAX);
    if (found > 0) await this.batchRequests(found, BATCH_GET_MAX);
    const out: StoredBatch[] = [];
    for (const key of new Set(keys)) {
      const b = this.batches.get(key);
      if (!b) continue;
      const envelopes = (JSON.parse(b.envelopes) as unknown[]).map(
        (e): LedgerEnvelope => parseEntryEnvelope(e),
      );
      out.push({
        key,
        dept: b.dept,
        keyId: b.keyId,
        nonce: b.nonce,
        receivedAt: b.receivedAt,
        envelopes,
        ...(b.sealed ? { sealed: { ...b.sealed } } : {}),
      });
    }
    return out;
  }

  async markBatchSealed(key: string, height: number, offset: number): Promise<void> {
    const shard = pendingShard(key);
    await this.takeShardWrite(shard);
    await this.request(this.model.singleMs);
    const b = this.batches.get(key);
    if (!b)
      throw new StoreInvariantError(`cannot mark batch ${key} sealed in block ${height}: it does not exist`);
    if (b.sealed && (b.sealed.height !== height || b.sealed.offset !== offset)) {
      throw new StoreInvariantError(`batch ${key} is already sealed in block ${b.sealed.height}`);
    }
    b.sealed = { height, offset };
    this.pending[shard]?.delete(key);
  }

  async getLatestBlock(): Promise<StoredBlock | undefined> {
    await this.request(this.model.singleMs);
    return this.blocks.get(this.blocks.size);
  }

  async getBlock(height: number): Promise<StoredBlock | undefined> {
    await this.request(this.model.singleMs);
    return this.blocks.get(height);
  }

  async getBlockPages(blockHash: string, pageCount: number): Promise<BlockPage[]> {
    await this.batchRequests(pageCount, BATCH_GET_MAX);
    return (this.pages.get(blockHash) ?? []).slice(0, pageCount);
  }

  async putBlockPages(blockHash: string, pages: readonly BlockPage[]): Promise<void> {
    await this.batchRequests(pages.length, BATCH_WRITE_MAX);
    this.pages.set(blockHash, [...pages]);
  }

  async commitBlock(block: StoredBlock): Promise<"committed" | "conflict"> {
    await this.request(this.model.singleMs);
    if (this.blocks.has(block.header.height)) return "conflict";
    this.blocks.set(block.header.height, { ...block });
    return "committed";
  }

  async markBlockFinished(height: number): Promise<void> {
    await this.request(this.model.singleMs);
    const block = this.blocks.get(height);
    if (!block) throw new StoreInvariantError(`block ${height} does not exist`);
    block.finished = true;
  }

  // ---- the model ------------------------------------------------------------------------

  /** `count` items in requests of up to `perRequest`, PARALLEL_REQUESTS at a time. */
  private async batchRequests(count: number, perRequest: number): Promise<void> {
    const requests = Math.ceil(count / perRequest);
    const lanes = Array.from({ length: Math.min(PARALLEL_REQUESTS, requests) }, async (_, lane) => {
      for (let r = lane; r < requests; r += PARALLEL_REQUESTS) await this.request(this.model.batchMs);
    });
    await Promise.all(lanes);
  }

  /** One request: a slot among maxInFlight, held for the modelled latency. */
  private async request(ms: number): Promise<void> {
    this.counts.requests++;
    if (this.inFlight >= this.model.maxInFlight) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlight++;
    try {
      if (ms > 0) await sleep(ms);
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  private async takeShardWrite(shard: number): Promise<void> {
    const wait = this.shardTokens.take(shard, performance.now());
    if (wait > 0) {
      this.counts.throttled++;
      await sleep(wait);
    }
  }
}

/**
 * One token bucket per shard, refilled at `perSecond` with a burst of one second's worth
 * (DynamoDB keeps up to 300 s of unused capacity for bursts; one second keeps the model
 * honest about sustained rates). `take` reserves a write and returns how long to wait for it.
 */
class ShardBudget {
  private readonly nextFree: number[];
  private readonly intervalMs: number;

  constructor(shards: number, perSecond: number) {
    this.intervalMs = 1_000 / perSecond;
    this.nextFree = Array.from({ length: shards }, () => Number.NEGATIVE_INFINITY);
  }

  take(shard: number, now: number): number {
    const burstStart = now - 1_000;
    const at = Math.max(this.nextFree[shard] ?? burstStart, burstStart);
    this.nextFree[shard] = at + this.intervalMs;
    return Math.max(0, at - now);
  }
}
