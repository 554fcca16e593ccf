import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChainError } from "#chain";
// Internal helpers, not exported from the package: the verifier's bit arithmetic on
// positions up to 2^53 - 1, which JavaScript's 32-bit bitwise operators cannot do.
import {
  assertIndex,
  assertSize,
  bit,
  bitLength,
  onesCount,
  shiftRight,
  trailingZeros,
  xor,
} from "../../../../lib/chain/numbers.js";

// BigInt references, as Go's math/bits would compute them on uint64.
const refBitLength = (x: number): number => BigInt(x).toString(2).replace(/^0+/, "").length;
const refOnesCount = (x: number): number => [...BigInt(x).toString(2)].filter((c) => c === "1").length;
const refTrailingZeros = (x: number): number => {
  if (x === 0) return 64;
  let n = 0;
  for (let v = BigInt(x); (v & 1n) === 0n; v >>= 1n) n++;
  return n;
};

// Safe integers, biased towards the word boundaries and powers of two.
const safe = fc.oneof(
  fc.maxSafeNat(),
  fc.integer({ min: 0, max: 2 ** 31 }),
  fc
    .tuple(fc.integer({ min: 0, max: 52 }), fc.integer({ min: -2, max: 2 }))
    .map(([k, d]) => Math.min(Math.max(2 ** k + d, 0), Number.MAX_SAFE_INTEGER)),
  fc.constantFrom(
    0,
    1,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 32 + 1,
    2 ** 52,
    Number.MAX_SAFE_INTEGER,
  ),
);

describe("bit helpers on 53-bit safe integers agree with BigInt", () => {
  it("bitLength", () => {
    fc.assert(
      fc.property(safe, (x) => {
        expect(bitLength(x)).toBe(refBitLength(x));
      }),
      { numRuns: 1000 },
    );
  });

  it("onesCount", () => {
    fc.assert(
      fc.property(safe, (x) => {
        expect(onesCount(x)).toBe(refOnesCount(x));
      }),
      { numRuns: 1000 },
    );
  });

  it("trailingZeros (64 for 0, like Go's bits.TrailingZeros64)", () => {
    fc.assert(
      fc.property(safe, (x) => {
        expect(trailingZeros(x)).toBe(refTrailingZeros(x));
      }),
      { numRuns: 1000 },
    );
  });

  it("xor", () => {
    fc.assert(
      fc.property(safe, safe, (a, b) => {
        expect(BigInt(xor(a, b))).toBe(BigInt(a) ^ BigInt(b));
      }),
      { numRuns: 1000 },
    );
  });

  it("shiftRight and bit", () => {
    fc.assert(
      fc.property(safe, fc.integer({ min: 0, max: 63 }), (x, n) => {
        expect(BigInt(shiftRight(x, n))).toBe(BigInt(x) >> BigInt(n));
        expect(BigInt(bit(x, n))).toBe((BigInt(x) >> BigInt(n)) & 1n);
      }),
      { numRuns: 1000 },
    );
  });

  it("known values at the edges", () => {
    expect([0, 1, 2, 3, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER].map(bitLength)).toEqual([
      0, 1, 2, 2, 32, 33, 53,
    ]);
    expect(onesCount(Number.MAX_SAFE_INTEGER)).toBe(53);
    expect(trailingZeros(2 ** 31)).toBe(31);
    expect(trailingZeros(2 ** 32)).toBe(32);
    expect(trailingZeros(2 ** 52)).toBe(52);
    expect(xor(Number.MAX_SAFE_INTEGER, 2 ** 32)).toBe(Number.MAX_SAFE_INTEGER - 2 ** 32);
  });
});

describe("assertIndex / assertSize", () => {
  it.each([0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER])("accept %d", (x) => {
    expect(() => assertIndex(x)).not.toThrow();
    expect(() => assertSize(x)).not.toThrow();
  });

  it.each<[string, unknown]>([
    ["-1", -1],
    ["-0.5", -0.5],
    ["1.5", 1.5],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
    ["2^53", 2 ** 53],
    ["'1'", "1"],
    ["1n", 1n],
    ["null", null],
    ["undefined", undefined],
    ["a Number object", new Number(1)],
  ])("reject %s with INVALID_INDEX / INVALID_SIZE", (_, x) => {
    const code = (fn: () => void): string => {
      try {
        fn();
      } catch (e) {
        return e instanceof ChainError ? e.code : "not a ChainError";
      }
      return "ok";
    };
    expect(code(() => assertIndex(x as number))).toBe("INVALID_INDEX");
    expect(code(() => assertSize(x as number))).toBe("INVALID_SIZE");
  });
});
