import type { Context } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { runVerifyRequest } from "../../../functions/audit/verify-request.js";
import { StaticKeyDirectory } from "../../../functions/auth/key-directory.js";
import type { sealBlock } from "../../../functions/ledger/sealer.js";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import { sealBlockHandler } from "../../../functions/seal-block/handler.js";
import { verifyHandler } from "../../../functions/verify/handler.js";
import type { AuditReport } from "../../../lib/protocol/audit.js";
import type { SealResult } from "../../../lib/protocol/entries.js";
import { captureStdout } from "./telemetry/emf.js";

// The seal-block and verify handlers as Lambda runs them (a context, metrics on) and as
// local mode does (no context, metrics off), with their ports replaced: what is tested
// here is the wiring — loop or not, the result's shape, the metrics. The seal loop runs
// on a fake clock: `sleep` moves it, and the invocation's deadline is on it.

const consortium = loadConsortium("consortium.example.json");
const clock = { now: () => new Date("2026-11-21T08:00:30.000Z") };
const store = {
  listPendingBatches: vi.fn(async () => [{ key: "k#n", receivedAt: "2026-11-21T08:00:00.000Z" }]),
};

let t = 0;
const now = () => t;
const sleep = async (ms: number) => {
  t += ms;
};

function lambdaContext(remainingMs: number): Context {
  const deadline = now() + remainingMs;
  return {
    functionName: "zhixin-demo-seal-block",
    awsRequestId: "req-1",
    getRemainingTimeInMillis: () => deadline - now(),
  } as unknown as Context;
}

const seal = vi.fn<typeof sealBlock>();
const sealHandler = sealBlockHandler({
  runtime: async () => ({
    store: store as never,
    sealer: { keyId: "alias/zhixin/demo/sealer", alg: "ed25519" } as never,
    clock,
    consortium,
    sealLoopMs: 1000,
  }),
  seal,
  now,
  sleep,
});

const verify = vi.fn<typeof runVerifyRequest>();
const verifyRequestHandler = verifyHandler({
  runtime: async () => ({ store: {} as never, keys: new StaticKeyDirectory([]), consortium }),
  verify,
});

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
  t = 1_000_000;
  process.env.LOG_LEVEL = "WARN";
});
afterEach(() => {
  delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  seal.mockReset();
  verify.mockReset();
});

describe("seal-block handler", () => {
  it("in Lambda, loops on ZHIXIN_SEAL_LOOP_SECONDS while time allows, returns the summary, emits metrics", async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "zhixin-demo-seal-block";
    seal
      .mockResolvedValueOnce(sealed(3))
      .mockResolvedValueOnce(sealed(4))
      .mockResolvedValue({ sealed: false, reason: "nothing-pending", height: 2 });
    const out = captureStdout();
    let result: unknown;
    try {
      // 11.5 s left: a second seal 1 s later still leaves 10 s; a third would not.
      result = await sealHandler({}, lambdaContext(11_500));
    } finally {
      out.restore();
    }
    expect(seal).toHaveBeenCalledTimes(2);
    expect(seal.mock.calls[0]?.[0]).toMatchObject({ log: consortium.log, clock });
    expect(result).toMatchObject({ blocks: 2, entries: 7, height: 2 });
    expect(out.emf()).toEqual([
      expect.objectContaining({ Consortium: "demo", EntriesSealed: 7, OldestPendingAgeSeconds: 30 }),
    ]);
  });

  it("with no context (local mode's timer, `zhixin seal`) seals once, returns the SealResult, prints nothing", async () => {
    seal.mockResolvedValue(sealed(1));
    const out = captureStdout();
    let result: unknown;
    try {
      result = await sealHandler();
    } finally {
      out.restore();
    }
    expect(seal).toHaveBeenCalledTimes(1);
    expect(result).toEqual({ sealed: true, height: 1, entries: 1, hash: "ab".repeat(32), logSize: 0 });
    expect(out.lines()).toEqual([]);
  });

  it("a failed seal propagates, and the metrics are still emitted", async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "zhixin-demo-seal-block";
    seal.mockRejectedValue(new Error("store down"));
    const out = captureStdout();
    try {
      await expect(sealHandler({}, lambdaContext(60_000))).rejects.toThrow("store down");
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
    verify.mockResolvedValueOnce(report(2)).mockResolvedValueOnce(report(0));
    const warnings: string[] = [];
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      warnings.push(String(chunk));
      return true;
    });
    const out = captureStdout();
    try {
      expect(await verifyRequestHandler({}, lambdaContext(60_000))).toMatchObject({ ok: false });
      expect(await verifyRequestHandler({ from: 1, to: 3 })).toMatchObject({ ok: true });
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
    verify.mockResolvedValue(report(0));
    const out = captureStdout();
    try {
      process.env.AWS_LAMBDA_FUNCTION_NAME = "zhixin-demo-verify";
      expect(await verifyRequestHandler({ from: "x" })).toMatchObject({
        error: { code: "INVALID_PARAMETER" },
      });
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      expect(await verifyRequestHandler({})).toMatchObject({ ok: true });
    } finally {
      out.restore();
    }
    expect(out.lines()).toEqual([]);
  });
});
