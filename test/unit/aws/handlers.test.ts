import type { Context } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AuditReport } from "../../../functions/audit/audit.js";
import { StaticKeyDirectory } from "../../../functions/auth/key-directory.js";
import type { SealResult } from "../../../functions/ledger/sealer.js";
import { loadConsortium } from "../../../functions/rules/consortium.js";
import { captureStdout } from "./emf.js";

// The seal-block and verify handlers as Lambda runs them (a context, metrics on) and as
// local mode does (no context, metrics off), with their services replaced: what is
// tested here is the wiring — loop or not, the result's shape, the metrics.

vi.mock("../../../functions/runtime/runtime.js", () => ({ getRuntime: vi.fn(), getSealerRuntime: vi.fn() }));
vi.mock("../../../functions/ledger/sealer.js", () => ({ sealBlock: vi.fn() }));
vi.mock("../../../functions/audit/audit.js", async (original) => ({
  ...(await original<typeof import("../../../functions/audit/audit.js")>()),
  auditChain: vi.fn(),
}));

const runtime = await import("../../../functions/runtime/runtime.js");
const sealer = await import("../../../functions/ledger/sealer.js");
const audit = await import("../../../functions/audit/audit.js");
const sealBlockFn = await import("../../../functions/seal-block/handler.js");
const verifyFn = await import("../../../functions/verify/handler.js");

const consortium = loadConsortium("consortium.example.json");
const clock = { now: () => new Date("2026-11-21T08:00:30.000Z") };
const store = {
  listPendingBatches: vi.fn(async () => [{ key: "k#n", receivedAt: "2026-11-21T08:00:00.000Z" }]),
};

function lambdaContext(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return {
    functionName: "zhixin-demo-seal-block",
    awsRequestId: "req-1",
    getRemainingTimeInMillis: () => deadline - Date.now(),
  } as unknown as Context;
}

let height = 0;
const sealed = (entries: number): SealResult => ({
  sealed: true,
  height: ++height,
  entries,
  hash: "ab".repeat(32),
  logSize: 0,
});

beforeEach(() => {
  height = 0;
  vi.mocked(runtime.getSealerRuntime).mockResolvedValue({
    store: store as never,
    sealer: { keyId: "alias/zhixin/demo/sealer", alg: "ed25519" } as never,
    clock,
    consortium,
    sealLoopMs: 1000,
  });
  vi.mocked(runtime.getRuntime).mockResolvedValue({
    store: {} as never,
    keys: new StaticKeyDirectory([]),
    clock,
    consortium,
  });
  process.env.LOG_LEVEL = "WARN";
});
afterEach(() => {
  delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  vi.mocked(sealer.sealBlock).mockReset();
});

describe("seal-block handler", () => {
  it("in Lambda, loops on ZHIXIN_SEAL_LOOP_SECONDS while time allows, returns the summary, emits metrics", async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "zhixin-demo-seal-block";
    vi.mocked(sealer.sealBlock)
      .mockResolvedValueOnce(sealed(3))
      .mockResolvedValueOnce(sealed(4))
      .mockResolvedValue({ sealed: false, reason: "nothing-pending", height: 2 });
    const out = captureStdout();
    let result: unknown;
    try {
      // 11.5 s left: a second seal 1 s later still leaves 10 s; a third would not.
      result = await sealBlockFn.handler({}, lambdaContext(11_500));
    } finally {
      out.restore();
    }
    expect(sealer.sealBlock).toHaveBeenCalledTimes(2);
    expect(vi.mocked(sealer.sealBlock).mock.calls[0]?.[0]).toMatchObject({ log: consortium.log, clock });
    expect(result).toMatchObject({ blocks: 2, entries: 7, height: 2 });
    expect(out.emf()).toEqual([
      expect.objectContaining({ Consortium: "demo", EntriesSealed: 7, OldestPendingAgeSeconds: 30 }),
    ]);
  });

  it("with no context (local mode's timer, `zhixin seal`) seals once, returns the SealResult, prints nothing", async () => {
    vi.mocked(sealer.sealBlock).mockResolvedValue(sealed(1));
    const out = captureStdout();
    let result: unknown;
    try {
      result = await sealBlockFn.handler();
    } finally {
      out.restore();
    }
    expect(sealer.sealBlock).toHaveBeenCalledTimes(1);
    expect(result).toEqual({ sealed: true, height: 1, entries: 1, hash: "ab".repeat(32), logSize: 0 });
    expect(out.lines()).toEqual([]);
  });

  it("a failed seal propagates, and the metrics are still emitted", async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "zhixin-demo-seal-block";
    vi.mocked(sealer.sealBlock).mockRejectedValue(new Error("store down"));
    const out = captureStdout();
    try {
      await expect(sealBlockFn.handler({}, lambdaContext(60_000))).rejects.toThrow("store down");
    } finally {
      out.restore();
    }
    expect(out.emf()).toEqual([expect.objectContaining({ EntriesSealed: 0, OldestPendingAgeSeconds: 30 })]);
  });
});

describe("verify handler", () => {
  const report = (findings: number): AuditReport => ({
    ok: findings === 0,
    blocksChecked: 3,
    entriesChecked: 9,
    findings: Array.from({ length: findings }, () => ({ code: "PAYLOAD_MISSING", message: "gone" }) as never),
    from: 1,
    to: 3,
  });

  it("emits AuditsRun 1 and AuditFindings per audit", async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "zhixin-demo-verify";
    vi.mocked(audit.auditChain).mockResolvedValueOnce(report(2)).mockResolvedValueOnce(report(0));
    const warnings: string[] = [];
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      warnings.push(String(chunk));
      return true;
    });
    const out = captureStdout();
    try {
      expect(await verifyFn.handler({}, lambdaContext(60_000))).toMatchObject({ ok: false });
      expect(await verifyFn.handler({ from: 1, to: 3 })).toMatchObject({ ok: true });
    } finally {
      out.restore();
      stderr.mockRestore();
    }
    expect(JSON.parse(warnings.join(""))).toMatchObject({
      level: "WARN",
      message: "audit findings",
      findings: 2,
    });
    expect(out.emf()).toEqual([
      expect.objectContaining({ Consortium: "demo", AuditsRun: 1, AuditFindings: 2 }),
      expect.objectContaining({ Consortium: "demo", AuditsRun: 1, AuditFindings: 0 }),
    ]);
  });

  it("emits nothing for a payload it refuses, or outside Lambda", async () => {
    vi.mocked(audit.auditChain).mockResolvedValue(report(0));
    const out = captureStdout();
    try {
      process.env.AWS_LAMBDA_FUNCTION_NAME = "zhixin-demo-verify";
      expect(await verifyFn.handler({ from: "x" })).toMatchObject({ error: { code: "INVALID_PARAMETER" } });
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      expect(await verifyFn.handler({})).toMatchObject({ ok: true });
    } finally {
      out.restore();
    }
    expect(out.lines()).toEqual([]);
  });
});
