import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CompactRange, type CompactRangeState, INTL, rootFromLeafHashes, toHex, utf8 } from "#chain";
import { expectChainError } from "../../../support/chain-errors.js";

const leaves = Array.from({ length: 300 }, (_, i) => INTL.hashLeaf(utf8(`entry ${i}`)));
const h = (c: string): string => c.repeat(64);

describe("state() / fromState() round trip", () => {
  it("at every size 0..300 restores a range with the same state, size and root", () => {
    const range = CompactRange.empty(INTL);
    for (let n = 0; n <= 300; n++) {
      const state = range.state();
      expect(state.size).toBe(n);
      expect(state.hashes).toHaveLength(n.toString(2).split("1").length - 1);
      for (const hash of state.hashes) expect(hash).toMatch(/^[0-9a-f]{64}$/);
      // Through JSON, as the sealer stores it.
      const restored = CompactRange.fromState(INTL, JSON.parse(JSON.stringify(state)) as CompactRangeState);
      expect(restored.state()).toEqual(state);
      expect(restored.size).toBe(n);
      expect(toHex(restored.root())).toBe(toHex(range.root()));
      if (n < 300) range.append(leaves[n] as Uint8Array);
    }
  });

  it("a restored range keeps growing exactly like the original", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 150 }), (a, b) => {
        const first = CompactRange.empty(INTL);
        first.appendAll(leaves.slice(0, a));
        const resumed = CompactRange.fromState(INTL, first.state());
        resumed.appendAll(leaves.slice(a, a + b));
        expect(toHex(resumed.root())).toBe(toHex(rootFromLeafHashes(INTL, leaves.slice(0, a + b))));
      }),
      { numRuns: 100 },
    );
  });

  it("accepts upper-case hex and writes it back lower-case", () => {
    const range = CompactRange.empty(INTL);
    range.appendAll(leaves.slice(0, 3));
    const upper = { size: 3, hashes: range.state().hashes.map((x) => x.toUpperCase()) };
    expect(CompactRange.fromState(INTL, upper).state()).toEqual(range.state());
  });

  it("restores the largest size there is, and refuses to grow past it", () => {
    const full = { size: Number.MAX_SAFE_INTEGER, hashes: Array.from({ length: 53 }, () => h("a")) };
    const range = CompactRange.fromState(INTL, full);
    expect(range.size).toBe(Number.MAX_SAFE_INTEGER);
    expectChainError(() => range.append(leaves[0] as Uint8Array), "INVALID_SIZE");
    expect(range.state()).toEqual(full);
  });
});

describe("clone()", () => {
  it("is independent of the original", () => {
    const a = CompactRange.empty(INTL);
    a.appendAll(leaves.slice(0, 5));
    const b = a.clone();
    b.append(leaves[5] as Uint8Array);
    expect(a.size).toBe(5);
    expect(b.size).toBe(6);
    expect(toHex(a.root())).toBe(toHex(rootFromLeafHashes(INTL, leaves.slice(0, 5))));
    expect(toHex(b.root())).toBe(toHex(rootFromLeafHashes(INTL, leaves.slice(0, 6))));
  });
});

describe("fromState rejects states that do not describe a tree: INVALID_COMPACT_RANGE", () => {
  const good = (() => {
    const r = CompactRange.empty(INTL);
    r.appendAll(leaves.slice(0, 5));
    return r.state();
  })();

  it.each<[string, unknown]>([
    ["size -1", { size: -1, hashes: [] }],
    ["size 1.5", { size: 1.5, hashes: [h("0")] }],
    ["size NaN", { size: Number.NaN, hashes: [] }],
    ["size 2^53", { size: 2 ** 53, hashes: [h("0")] }],
    ["size as a string", { size: "5", hashes: good.hashes }],
    ["size missing", { hashes: good.hashes }],
    ["one hash too few", { size: 5, hashes: good.hashes.slice(1) }],
    ["one hash too many", { size: 5, hashes: [...good.hashes, h("0")] }],
    ["hashes for size 4 under size 5", { size: 5, hashes: [h("0")] }],
    ["size 0 with one hash", { size: 0, hashes: [h("0")] }],
    ["hashes missing", { size: 5 }],
    ["hashes not an array", { size: 1, hashes: h("0") }],
    ["a hash of 63 digits", { size: 1, hashes: ["0".repeat(63)] }],
    ["a hash of 66 digits", { size: 1, hashes: ["0".repeat(66)] }],
    ["a hash with a non-hex digit", { size: 1, hashes: [`${"0".repeat(63)}g`] }],
    ["a hash with a 0x prefix", { size: 1, hashes: [`0x${"0".repeat(62)}`] }],
    ["a hash with spaces", { size: 1, hashes: [` ${"0".repeat(62)} `] }],
    ["a hash that is a number", { size: 1, hashes: [0] }],
    ["a hash that is null", { size: 1, hashes: [null] }],
    // Array.prototype.map would skip the hole and never check it.
    ["a hash array with a hole", { size: 3, hashes: Object.assign(new Array(2), { 0: h("0") }) }],
    ["a null state", null],
    ["a state that is a string", JSON.stringify(good)],
  ])("%s", (_, state) => {
    expectChainError(() => CompactRange.fromState(INTL, state as CompactRangeState), "INVALID_COMPACT_RANGE");
  });
});

describe("append", () => {
  it.each([0, 31, 33, 64])("refuses a %i-byte leaf hash with INVALID_HASH_SIZE, and stays unchanged", (n) => {
    const range = CompactRange.empty(INTL);
    range.appendAll(leaves.slice(0, 3));
    const before = range.state();
    expectChainError(() => range.append(new Uint8Array(n)), "INVALID_HASH_SIZE");
    expect(range.state()).toEqual(before);
  });

  it("refuses non-byte leaves with INVALID_HASH_SIZE", () => {
    const range = CompactRange.empty(INTL);
    expectChainError(() => range.append("00".repeat(32) as unknown as Uint8Array), "INVALID_HASH_SIZE");
    expectChainError(
      () => range.appendAll([leaves[0] as Uint8Array, new Uint8Array(1)]),
      "INVALID_HASH_SIZE",
    );
    // appendAll stops at the bad leaf; the good one before it was appended.
    expect(range.size).toBe(1);
  });

  it("gives the empty-tree hash before any append", () => {
    expect(toHex(CompactRange.empty(INTL).root())).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });
});
