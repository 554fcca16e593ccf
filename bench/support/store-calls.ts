import type { LedgerStore } from "../../functions/store/ports.js";

/**
 * `inner` with every method call run through `around(method, call)`, which runs `call`
 * once and returns what it returns: a place to count and time a store's calls without
 * touching the store. Properties that are not functions pass through unchanged.
 */
export function aroundStoreCalls(
  inner: LedgerStore,
  around: (method: string, call: () => Promise<unknown>) => Promise<unknown>,
): LedgerStore {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const method = String(property);
      return (...args: unknown[]) => around(method, async () => value.apply(target, args));
    },
  });
}
