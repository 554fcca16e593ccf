import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { FanOutPlan, FanOutReport } from "../../../functions/audit/fan-out.js";
import { runVerifyRequest } from "../../../functions/audit/verify-request.js";
import type { Item } from "../../../functions/store/table.js";
import type { AuditReport } from "../../../lib/protocol/audit.js";
import { type AuditFixture, startAuditFixture } from "../../support/audit-fixture.js";

// The full re-audit fanned out over height ranges (functions/audit/fan-out.ts), as the
// Step Functions Distributed Map runs it (cdk/lib/audit.ts), simulated over the local
// store: plan, every range audited on its own, join. Its report must be the one-run
// audit's, finding for finding, on a clean chain and on chains tampered with inside a
// range and at the link between two ranges (the stored block a range starts from).

const BLOCKS = 200;
let f: AuditFixture;
beforeAll(async () => {
  vi.stubEnv("LOG_LEVEL", "ERROR");
  f = await startAuditFixture();
  await f.seal(BLOCKS);
}, 120_000);
afterAll(async () => {
  await f?.t.stop();
  vi.unstubAllEnvs();
});

let runs = 0;
/** Plan, chunks (in a shuffled order, as a Map runs them), join. */
async function fanOut(limits: { chunkBlocks?: number; chunkEntries?: number } = { chunkBlocks: 64 }) {
  const deps = await f.request();
  const run = `test-${++runs}`;
  const plan = (await runVerifyRequest({ audit: "fan-out-plan", run, ...limits }, deps)) as FanOutPlan;
  for (const c of [...plan.chunks].reverse()) {
    await runVerifyRequest({ audit: "fan-out-chunk", run, from: c.from, to: c.to }, deps);
  }
  const report = (await runVerifyRequest({ audit: "fan-out-join", run }, deps)) as FanOutReport;
  return { plan, report };
}
async function oneRun() {
  return (await runVerifyRequest({}, await f.request())) as AuditReport;
}
/** The join's report without what only a fan-out has. */
function asOneRun(report: FanOutReport): AuditReport {
  const { mode: _m, run: _r, chunks: _c, relinked: _l, ...rest } = report;
  return rest;
}

describe("the fanned-out full audit", () => {
  it("plans ranges on the 32-block grid, by blocks and by entries, covering 1 to the latest", async () => {
    const { plan, report } = await fanOut();
    expect(plan.chunks).toEqual([
      { from: 1, to: 64 },
      { from: 65, to: 128 },
      { from: 129, to: 192 },
      { from: 193, to: 200 },
    ]);
    expect(report).toMatchObject({ ok: true, chunks: 4, relinked: [] });
    // One entry a block: 70 entries a range is two grid steps of 32 blocks.
    const byEntries = await fanOut({ chunkEntries: 70 });
    expect(byEntries.plan.chunks.map((c) => c.to - c.from + 1)).toEqual([64, 64, 64, 8]);
    expect(asOneRun(byEntries.report)).toEqual(asOneRun(report));
  });

  it("joins into the one-run audit's report on a clean chain", async () => {
    const whole = await oneRun();
    expect(whole).toMatchObject({ ok: true, blocksChecked: BLOCKS, to: BLOCKS });
    expect(whole.published).toMatchObject({ size: BLOCKS });
    expect(asOneRun((await fanOut()).report)).toEqual(whole);
  });

  const tampered: Array<[string, number, (item: Item) => Item | undefined, number[]]> = [
    // Inside a range: every range starts from the stored block it trusts, unchanged.
    ["a block's header signature inside a range", 100, (i) => ({ ...i, signature: { S: "{}" } }), []],
    // At a link: the range after it starts from the tampered stored block, and the join
    // audits it again from the state the range before computed. A stored hash that is
    // not the header's also loses the block's pages (they are found by it), so the log
    // the one-run audit computes is short of one leaf from there on: every range after
    // is audited again from that state, and reports what the one-run audit reports.
    [
      "the stored hash of a range's last block",
      64,
      (i) => ({ ...i, hash: { S: "00".repeat(32) } }),
      [65, 129, 193],
    ],
    [
      "the stored compact range of a range's last block",
      128,
      (i) => {
        const range = JSON.parse(i.logRange?.S as string);
        range.hashes[0] = "11".repeat(32);
        return { ...i, logRange: { S: JSON.stringify(range) } };
      },
      [129],
    ],
    ["a range's last block deleted", 192, () => undefined, [193]],
  ];
  for (const [what, height, edit, relinked] of tampered) {
    it(`${what} (block ${height}) → the one-run audit's findings`, async () => {
      await f.withEdit(f.blockKey(height), edit, async () => {
        const whole = await oneRun();
        expect(whole.ok).toBe(false);
        const { report } = await fanOut();
        expect(report.relinked).toEqual(relinked);
        expect(asOneRun(report)).toEqual(whole);
      });
    });
  }
});
