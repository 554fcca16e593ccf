import type {
  BatchHead,
  BlockPage,
  CosignMark,
  EntryItems,
  IndexEntry,
  LedgerStore,
  PendingBatchRef,
  StoredBatch,
  StoredBlock,
  StoredPayload,
  UniqueClaim,
} from "../../functions/store/ports.js";

/**
 * Fault injection at the LedgerStore port, around a real store (DynamoDbLedgerStore on
 * dynalite): counts every call, and can
 *   - crash before or after the N-th call overall or of one method. "Before": the call
 *     never reaches the store. "After": the real write happened, then the process died
 *     before seeing the result. Either way the call throws CrashError, and so does
 *     every later call — a dead process makes no more requests. Calls already in flight
 *     (Promise.all siblings) still land, as their requests were already sent; wait
 *     for `idle()` before recovering so they cannot land afterwards;
 *   - play a stale pending index: listPendingBatches also returns every ref it has
 *     ever returned (shared between wrappers through a StaleIndex), as a lagging GSI
 *     still lists batches that were sealed since;
 *   - delay calls, or hold them on a promise, to interleave concurrent sealers.
 */

export type StoreMethod = keyof LedgerStore;

export interface StoreCall {
  /** 1-based position among all calls through this wrapper. */
  index: number;
  method: StoreMethod;
  /** 1-based position among calls of this method. */
  nth: number;
}

export type CrashPoint =
  | { when: "before" | "after"; call: number }
  | { when: "before" | "after"; method: StoreMethod; nth: number };

export class CrashError extends Error {
  override readonly name = "CrashError";
  constructor(
    readonly call: StoreCall,
    readonly when: "before" | "after" | "dead",
  ) {
    super(`injected crash ${when} call ${call.index} (${call.method} #${call.nth})`);
  }
}

/** The refs a lagging index still shows; share one between wrappers to share the lag. */
export class StaleIndex {
  readonly refs = new Map<string, PendingBatchRef>();
  /** listPendingBatches results that included a ref the real index no longer has. */
  staleHits = 0;
}

export interface FaultPlan {
  crash?: CrashPoint;
  staleIndex?: StaleIndex;
  /** Milliseconds to wait before the call reaches the store and after it returns. */
  delay?: (call: StoreCall) => { before?: number; after?: number } | undefined;
  /** Awaited before the call reaches the store (a barrier, a gate the test opens). */
  hold?: (call: StoreCall) => Promise<void> | undefined;
}

export class FaultyStore implements LedgerStore {
  readonly calls: StoreCall[] = [];
  /** Set once the injected crash has fired. */
  crashed: CrashError | undefined;
  private readonly perMethod = new Map<StoreMethod, number>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    readonly inner: LedgerStore,
    readonly plan: FaultPlan = {},
  ) {}

  /** Resolves once no call is still running against the real store. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** How many calls of `method` were made (crashed ones included). */
  count(method: StoreMethod): number {
    return this.perMethod.get(method) ?? 0;
  }

  private async run<T>(method: StoreMethod, real: () => Promise<T>): Promise<T> {
    // Counted synchronously, so concurrent calls are numbered in the order they were made.
    const nth = (this.perMethod.get(method) ?? 0) + 1;
    this.perMethod.set(method, nth);
    const call: StoreCall = { index: this.calls.length + 1, method, nth };
    this.calls.push(call);
    if (this.crashed) throw new CrashError(call, "dead");
    const crash = this.plan.crash;
    const crashHere =
      crash !== undefined &&
      ("call" in crash ? crash.call === call.index : crash.method === method && crash.nth === nth);
    if (crashHere && crash.when === "before") {
      this.crashed = new CrashError(call, "before");
      throw this.crashed;
    }
    const delay = this.plan.delay?.(call);
    const work = (async () => {
      if (delay?.before) await sleep(delay.before);
      await this.plan.hold?.(call);
      if (this.crashed) throw new CrashError(call, "dead");
      return real();
    })();
    this.inFlight.add(work);
    let result: T;
    try {
      result = await work;
    } finally {
      this.inFlight.delete(work);
    }
    if (crashHere) {
      this.crashed = new CrashError(call, "after");
      throw this.crashed;
    }
    if (delay?.after) await sleep(delay.after);
    if (this.crashed) throw new CrashError(call, "dead");
    return result;
  }

  putEntryItems(items: EntryItems): Promise<void> {
    return this.run("putEntryItems", () => this.inner.putEntryItems(items));
  }
  commitBatch(batch: StoredBatch): Promise<"committed" | "replayed"> {
    return this.run("commitBatch", () => this.inner.commitBatch(batch));
  }
  deletePayloads(entryIds: readonly string[]): Promise<void> {
    return this.run("deletePayloads", () => this.inner.deletePayloads(entryIds));
  }
  claimUnique(claim: UniqueClaim): Promise<"claimed" | { holder: UniqueClaim }> {
    return this.run("claimUnique", () => this.inner.claimUnique(claim));
  }
  takeOverClaim(claim: UniqueClaim, holder: UniqueClaim): Promise<boolean> {
    return this.run("takeOverClaim", () => this.inner.takeOverClaim(claim, holder));
  }
  releaseClaims(claims: readonly UniqueClaim[]): Promise<void> {
    return this.run("releaseClaims", () => this.inner.releaseClaims(claims));
  }
  getClaim(key: string): Promise<UniqueClaim | undefined> {
    return this.run("getClaim", () => this.inner.getClaim(key));
  }
  getPayload(entryId: string): Promise<StoredPayload | undefined> {
    return this.run("getPayload", () => this.inner.getPayload(entryId));
  }
  deleteCosignMarks(marks: readonly CosignMark[]): Promise<void> {
    return this.run("deleteCosignMarks", () => this.inner.deleteCosignMarks(marks));
  }
  listCosignMarks(target: string): Promise<CosignMark[]> {
    return this.run("listCosignMarks", () => this.inner.listCosignMarks(target));
  }
  getBatchHeads(keys: readonly string[]): Promise<BatchHead[]> {
    return this.run("getBatchHeads", () => this.inner.getBatchHeads(keys));
  }
  deleteIndexEntries(entries: readonly IndexEntry[]): Promise<void> {
    return this.run("deleteIndexEntries", () => this.inner.deleteIndexEntries(entries));
  }
  listIndexEntries(
    index: string,
    options?: { newestFirst?: boolean; limit?: number },
  ): Promise<IndexEntry[]> {
    return this.run("listIndexEntries", () => this.inner.listIndexEntries(index, options));
  }
  countRequest(counter: string, window: string, limit: number, expiresAt: number): Promise<boolean> {
    return this.run("countRequest", () => this.inner.countRequest(counter, window, limit, expiresAt));
  }
  getPayloads(entryIds: readonly string[]): Promise<StoredPayload[]> {
    return this.run("getPayloads", () => this.inner.getPayloads(entryIds));
  }
  getBatch(key: string): Promise<StoredBatch | undefined> {
    return this.run("getBatch", () => this.inner.getBatch(key));
  }
  getBatches(keys: readonly string[]): Promise<StoredBatch[]> {
    return this.run("getBatches", () => this.inner.getBatches(keys));
  }
  listPendingBatches(limit: number): Promise<PendingBatchRef[]> {
    return this.run("listPendingBatches", async () => {
      const fresh = await this.inner.listPendingBatches(limit);
      const stale = this.plan.staleIndex;
      if (!stale) return fresh;
      for (const r of fresh) stale.refs.set(r.key, r);
      const listed = new Set(fresh.map((r) => r.key));
      const ghosts = [...stale.refs.values()].filter((r) => !listed.has(r.key));
      if (ghosts.length > 0) stale.staleHits++;
      return [...fresh, ...ghosts].sort(byReceiveOrder).slice(0, limit);
    });
  }
  getLatestBlock(): Promise<StoredBlock | undefined> {
    return this.run("getLatestBlock", () => this.inner.getLatestBlock());
  }
  getBlock(height: number): Promise<StoredBlock | undefined> {
    return this.run("getBlock", () => this.inner.getBlock(height));
  }
  listBlocks(fromHeight: number, toHeight: number): Promise<StoredBlock[]> {
    return this.run("listBlocks", () => this.inner.listBlocks(fromHeight, toHeight));
  }
  putBlockPages(blockHash: string, pages: readonly BlockPage[]): Promise<void> {
    return this.run("putBlockPages", () => this.inner.putBlockPages(blockHash, pages));
  }
  getBlockPages(blockHash: string, pageCount: number): Promise<BlockPage[]> {
    return this.run("getBlockPages", () => this.inner.getBlockPages(blockHash, pageCount));
  }
  commitBlock(block: StoredBlock): Promise<"committed" | "conflict"> {
    return this.run("commitBlock", () => this.inner.commitBlock(block));
  }
  markBlockFinished(height: number): Promise<void> {
    return this.run("markBlockFinished", () => this.inner.markBlockFinished(height));
  }

  markBatchSealed(key: string, height: number, offset: number): Promise<void> {
    return this.run("markBatchSealed", () => this.inner.markBatchSealed(key, height, offset));
  }
}

function byReceiveOrder(a: PendingBatchRef, b: PendingBatchRef): number {
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
