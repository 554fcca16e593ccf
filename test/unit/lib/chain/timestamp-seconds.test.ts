import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { timestampSeconds } from "../../../../lib/chain/fields.js";

// lib/chain may not use Date; its calendar arithmetic is checked against Date here.
describe("timestampSeconds", () => {
  it.each([
    ["1970-01-01T00:00:00.000Z", 0],
    ["2000-02-29T12:00:00.500Z", 951825600.5],
    ["2026-11-21T17:25:16.073Z", 1795281916.073],
    ["2100-03-01T00:00:00.000Z", 4107542400],
  ])("%s is %d", (ts, seconds) => {
    expect(timestampSeconds(ts)).toBeCloseTo(seconds, 6);
  });

  it("agrees with Date.parse on any millisecond from 1970 to 9999", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799999 }), (ms) => {
        const ts = new Date(ms).toISOString();
        expect(Math.round(timestampSeconds(ts) * 1000)).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });
});
