import type { LedgerStore } from "../../functions/store/ports.js";

/**
 * Counts the store round trips of whatever runs on the store it wraps: the length of the
 * longest chain of store calls each made after the one before it had answered. Calls
 * made together (Promise.all) and in flight at once count as one round trip; a call
 * made after another answered counts one more than it. On DynamoDB each round trip is
 * a network wait, whatever the number of requests in it.
 *
 * A call's depth is one more than the deepest call that had answered when it was made,
 * so the count is exact for any interleaving, without timing anything.
 */
export class RoundTrips {
  /** Every call made, with its depth, in the order made. */
  readonly calls: Array<{ method: string; depth: number }> = [];
  private answeredDepth = 0;
  readonly store: LedgerStore;

  constructor(inner: LedgerStore) {
    this.store = new Proxy(inner, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        const method = String(property);
        return async (...args: unknown[]) => {
          const depth = this.answeredDepth + 1;
          this.calls.push({ method, depth });
          try {
            return await value.apply(target, args);
          } finally {
            this.answeredDepth = Math.max(this.answeredDepth, depth);
          }
        };
      },
    });
  }

  /** Round trips so far. */
  get count(): number {
    return this.calls.reduce((max, c) => Math.max(max, c.depth), 0);
  }

  /** The calls of each round trip, in order: e.g. ["listIndexEntries listIndexEntries", "getBatchHeads getPayloads", …]. */
  get trips(): string[] {
    return Array.from({ length: this.count }, (_, i) =>
      this.calls
        .filter((c) => c.depth === i + 1)
        .map((c) => c.method)
        .join(" "),
    );
  }

  /** Starts counting afresh (the wrapped store is unchanged). */
  reset(): void {
    this.calls.length = 0;
    this.answeredDepth = 0;
  }
}
