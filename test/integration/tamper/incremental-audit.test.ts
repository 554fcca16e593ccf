import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditChain } from "../../../functions/audit/audit.js";
import { STATE_KEY } from "../../../functions/audit/audit-state.js";
import type { IncrementalReport } from "../../../functions/audit/incremental.js";
import { runVerifyRequest, VerifyRequestError } from "../../../functions/audit/verify-request.js";
import { type AuditFixture, startAuditFixture } from "../../support/audit-fixture.js";

// The incremental audit (functions/audit/incremental.ts) over a local ledger: each run
// audits the blocks since its own state (kept in s3rver), stops in time and goes on,
// keeps its state only when clean, and holds the log to the block it verified last — so
// the removal of the newest blocks, which the chain alone cannot show, is a finding.

let f: AuditFixture;
beforeAll(async () => {
  vi.stubEnv("LOG_LEVEL", "ERROR");
  f = await startAuditFixture();
  await f.seal(40);
});
afterAll(async () => {
  await f?.t.stop();
  vi.unstubAllEnvs();
});

const incremental = async (deps: Awaited<ReturnType<AuditFixture["request"]>>) =>
  (await runVerifyRequest({ audit: "incremental" }, deps)) as IncrementalReport;
const savedHeight = async (deps: Awaited<ReturnType<AuditFixture["request"]>>) => {
  const bytes = await deps.auditState.get(STATE_KEY);
  return bytes && (JSON.parse(new TextDecoder().decode(bytes)) as { height: number }).height;
};

describe("the incremental audit", () => {
  it("audits from genesis without a state, then only the blocks sealed since", async () => {
    const deps = await f.request();
    const first = await incremental(deps);
    const whole = await auditChain(f.deps, { to: 40 });
    expect(first).toMatchObject({
      ok: true,
      complete: true,
      resumedFrom: 0,
      stateSaved: 40,
      from: 1,
      to: 40,
    });
    expect(first.blocksChecked).toBe(whole.blocksChecked);
    expect(first.entriesChecked).toBe(whole.entriesChecked);
    // Its state's access check is a full audit's: nothing is skipped.
    expect(first.skipped).toBeUndefined();
    expect(first.published).toMatchObject({ size: 40 });
    await f.seal(3);
    const second = await incremental(deps);
    expect(second).toMatchObject({
      ok: true,
      complete: true,
      resumedFrom: 40,
      from: 41,
      to: 43,
      stateSaved: 43,
    });
    expect(second.blocksChecked).toBe(3);
    const idle = await incremental(deps);
    expect(idle).toMatchObject({ ok: true, complete: true, resumedFrom: 43, blocksChecked: 0 });
    expect(idle.stateSaved).toBeUndefined();
  });

  it("stops in time at a block boundary, saves its progress, and the next run goes on from there", async () => {
    const deps = { ...(await f.request()), stop: () => true };
    const first = await incremental(deps);
    // The first 32 blocks are read together; it stops before the next.
    expect(first).toMatchObject({ ok: true, complete: false, from: 1, to: 32, stateSaved: 32 });
    expect(first.published).toBeUndefined();
    const second = await incremental({ ...deps, stop: () => false });
    expect(second).toMatchObject({ ok: true, complete: true, resumedFrom: 32, from: 33, stateSaved: 43 });
  });

  it("newest blocks removed → LOG_TRUNCATED, and the state is kept for the next run", async () => {
    const deps = await f.request();
    expect(await incremental(deps)).toMatchObject({ ok: true, stateSaved: 43 });
    await f.withEdit(
      f.blockKey(43),
      () => undefined,
      async () => {
        const report = await incremental(deps);
        expect(report.ok).toBe(false);
        expect(report.findings.map((x) => x.code)).toContain("LOG_TRUNCATED");
        expect(report.stateSaved).toBeUndefined();
        expect(await savedHeight(deps)).toBe(43);
      },
    );
  });

  it("the block it verified last rewritten → LOG_REWRITTEN", async () => {
    const deps = await f.request();
    await incremental(deps);
    await f.withEdit(
      f.blockKey(43),
      (item) => ({ ...item, hash: { S: "00".repeat(32) } }),
      async () => {
        const report = await incremental(deps);
        expect(report.findings).toEqual([expect.objectContaining({ code: "LOG_REWRITTEN", height: 43 })]);
      },
    );
  });

  it("findings in new blocks: reported on every run, the old state kept until they are mended", async () => {
    const deps = await f.request();
    await incremental(deps);
    await f.seal(2);
    await f.withEdit(
      f.blockKey(45),
      (item) => ({ ...item, hash: { S: "00".repeat(32) } }),
      async () => {
        for (let run = 0; run < 2; run++) {
          const report = await incremental(deps);
          expect(report).toMatchObject({ ok: false, complete: true, resumedFrom: 43 });
          expect(report.findings.map((x) => x.code)).toContain("BLOCK_HASH_MISMATCH");
          expect(await savedHeight(deps)).toBe(43);
        }
      },
    );
    expect(await incremental(deps)).toMatchObject({ ok: true, resumedFrom: 43, stateSaved: 45 });
  });

  it("a state that does not hold together is refused as AUDIT_STATE_INVALID; deleted, the next run starts at genesis", async () => {
    const deps = await f.request();
    await incremental(deps);
    const bytes = (await deps.auditState.get(STATE_KEY)) as Uint8Array;
    const state = JSON.parse(new TextDecoder().decode(bytes));
    await deps.auditState.put(STATE_KEY, new TextEncoder().encode(JSON.stringify({ ...state, height: 7 })));
    // Height 7 with the hash of another block: the check of the stored block says so (and
    // the blocks after 7 do not grow from the state's compact range).
    const moved = await incremental(deps);
    expect(moved.findings[0]).toMatchObject({ code: "LOG_REWRITTEN", height: 7 });
    expect(moved.findings.map((x) => x.code)).toContain("LOG_ROOT_MISMATCH");
    expect(await savedHeight(deps)).toBe(7);
    const range = { ...state.logRange, size: state.logRange.size - 1 };
    await deps.auditState.put(
      STATE_KEY,
      new TextEncoder().encode(JSON.stringify({ ...state, logRange: range })),
    );
    const refused = await runVerifyRequest({ audit: "incremental" }, deps).catch((e) => e);
    expect(refused).toBeInstanceOf(VerifyRequestError);
    expect(refused.code).toBe("AUDIT_STATE_INVALID");
    await deps.auditState.put(STATE_KEY, new TextEncoder().encode("{"));
    expect((await runVerifyRequest({ audit: "incremental" }, deps).catch((e) => e)).code).toBe(
      "AUDIT_STATE_INVALID",
    );
    // What an operator may do: delete it. The next run is a full audit from genesis.
    const fresh = await f.request();
    expect(await incremental(fresh)).toMatchObject({ ok: true, resumedFrom: 0, from: 1, to: 45 });
  });

  it("without a state store the scheduled payloads are refused as AUDIT_STATE_UNAVAILABLE", async () => {
    const { auditState: _, ...deps } = await f.request();
    for (const payload of [
      { audit: "incremental" as const },
      { audit: "fan-out-join" as const, run: "r1" },
    ]) {
      const refused = await runVerifyRequest(payload, deps).catch((e) => e);
      expect(refused.code).toBe("AUDIT_STATE_UNAVAILABLE");
    }
  });
});
