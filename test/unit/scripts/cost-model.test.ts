import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { BatchMeasurement } from "../../../scripts/cost/measure.js";
import {
  batchReads,
  batchWrites,
  idleMonth,
  keptMonthly,
  type Prices,
  perEntries,
  type TemplateFacts,
  total,
} from "../../../scripts/cost/model.js";

// scripts/cost/model.ts: the arithmetic of docs/COST.md, on a measurement whose every
// figure is known, so each rule (1 KB write units, the larger size of an update, a page's
// share, 4 KB strongly consistent reads) shows in the totals.

const prices = (JSON.parse(readFileSync("scripts/cost/prices.json", "utf8")) as { prices: Prices }).prices;

const batch: BatchMeasurement = {
  size: 10,
  requestBytes: 1400,
  submitMs: 45,
  items: [
    ...Array.from({ length: 10 }, () => ({ family: "payload" as const, submitted: 242, sealed: 242 })),
    ...Array.from({ length: 10 }, () => ({ family: "index entry" as const, submitted: 344, sealed: 344 })),
    // The head grows at the seal (2,100 B → 2,200 B): the update is charged 3 units.
    { family: "batch head", submitted: 2100, sealed: 2200 },
    { family: "batch body", submitted: 12_300, sealed: 12_300 },
    // This batch's leaves on the block's page, and a block of its own in the measurement.
    { family: "page", submitted: 0, sealed: 1024 },
    { family: "block", submitted: 0, sealed: 1100 },
  ],
};

const facts: TemplateFacts = {
  memoryMb: { submit: 1024, seal: 1769, verify: 1769 },
  memberKeys: 7,
  otherKeys: 4,
  rotatingKeys: 2,
  alarmMetrics: 15,
  dashboards: 1,
  customMetrics: 8,
  sealEveryMinutes: 1,
  backup: { dailyDays: 7, monthlyDays: 3653 },
};

describe("the cost model", () => {
  it("counts write units per item, rounded up per KB, an update at the larger size, the page by its share", () => {
    const w = batchWrites(batch, 1000);
    // 10 payloads + 10 index entries + head 3 + body 13 + the pending index 1.
    expect(w.submit).toBe(10 + 10 + 3 + 13 + 1);
    // Head update 3 + page 1 KB + the block's 2 units shared by 1,000 entries (10 of them here) + index removal 1.
    expect(w.seal).toBeCloseTo(3 + 1 + (2 * 10) / 1000 + 1, 10);
  });

  it("counts strongly consistent reads per 4 KB: the sealer re-reads head and body", () => {
    expect(batchReads(batch)).toEqual({ submit: 1, seal: 1 + 4 });
  });

  it("prices a million entries line by line, each a quantity times its unit price", () => {
    const lines = perEntries(1e6, batch, facts, prices);
    const byWhat = (start: string) => lines.find((l) => l.what.startsWith(start));
    expect(byWhat("API requests")?.quantity).toBe(100_000);
    expect(byWhat("API requests")?.usd).toBeCloseTo(0.1, 10);
    expect(byWhat("DynamoDB writes at submit")?.quantity).toBe(100_000 * 37);
    expect(byWhat("DynamoDB writes at submit")?.usd).toBeCloseTo(3.7 * 0.625, 10);
    for (const l of lines)
      expect(l.usd, l.what).toBeCloseTo((l.quantity * prices[l.price].usd) / prices[l.price].per, 12);
    expect(total(lines)).toBeCloseTo(
      lines.reduce((n, l) => n + l.usd, 0),
      12,
    );
  });

  it("keeps a year of backups: the daily copies and twelve monthly points, three warm and nine cold", () => {
    const lines = keptMonthly(1e6, batch, facts.backup, prices);
    const gb = (1e6 * (10 * 242 + 10 * 344 + 2200 + 12_300 + 1024 + 1100)) / 10 / 1e9;
    expect(lines.map((l) => l.quantity)).toEqual(
      [gb, gb, 7 * gb, 3 * gb, 9 * gb].map((x) => expect.closeTo(x, 9)),
    );
  });

  it("an idle month: keys, dashboard, alarms, metrics and a scheduled seal a minute", () => {
    const first = idleMonth(facts, prices, 0);
    expect(first.find((l) => l.what.startsWith("scheduled seals (invocations)"))?.quantity).toBe(43_200);
    expect(first.some((l) => l.what.startsWith("rotated"))).toBe(false);
    const later = idleMonth(facts, prices, 2);
    expect(total(later) - total(first)).toBeCloseTo(2 * 2 * prices.kmsKey.usd, 10);
  });
});
