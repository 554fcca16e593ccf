import type { TileObjectKind, TileStore } from "../../functions/store/tile-store.js";

/**
 * Fault injection at the TileStore port, around a real tile store (S3TileStore on
 * s3rver), as FaultyStore (faulty-store.ts) is for the table: counts every call and can
 * crash before the N-th call reaches S3 or after it landed. Either way that call throws
 * TileCrashError, and so does every later one — a dead process makes no more requests.
 * Puts already in flight still land; wait for `idle()` before recovering.
 */

export interface TileCall {
  /** 1-based position among all calls through this wrapper. */
  index: number;
  method: "get" | "put";
  path: string;
}

export class TileCrashError extends Error {
  override readonly name = "TileCrashError";
  constructor(
    readonly call: TileCall,
    readonly when: "before" | "after" | "dead",
  ) {
    super(`injected crash ${when} tile call ${call.index} (${call.method} ${call.path})`);
  }
}

export class FaultyTileStore implements TileStore {
  readonly calls: TileCall[] = [];
  crashed: TileCrashError | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    readonly inner: TileStore,
    readonly crash?: { when: "before" | "after"; call: number },
  ) {}

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  get(path: string): Promise<Uint8Array | undefined> {
    return this.run({ method: "get", path }, () => this.inner.get(path));
  }

  put(path: string, data: Uint8Array, kind: TileObjectKind): Promise<void> {
    return this.run({ method: "put", path }, () => this.inner.put(path, data, kind));
  }

  private async run<T>(what: Omit<TileCall, "index">, real: () => Promise<T>): Promise<T> {
    const call: TileCall = { index: this.calls.length + 1, ...what };
    this.calls.push(call);
    if (this.crashed) throw new TileCrashError(call, "dead");
    const here = this.crash?.call === call.index;
    if (here && this.crash?.when === "before") {
      this.crashed = new TileCrashError(call, "before");
      throw this.crashed;
    }
    const work = real();
    this.inFlight.add(work);
    try {
      const result = await work;
      if (here) this.crashed = new TileCrashError(call, "after");
      if (this.crashed) throw here ? this.crashed : new TileCrashError(call, "dead");
      return result;
    } finally {
      this.inFlight.delete(work);
    }
  }
}
