import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { publishSealMetrics } from "../../../../functions/ledger/seal-run.js";
import { metricsEnabled } from "../../../../functions/telemetry/metrics.js";
import { captureStdout } from "./emf.js";

// Metrics are EMF documents on stdout (Powertools); CloudWatch reads exactly that, so
// the tests read it too, rather than spying on Powertools' methods.

const ENV_KEYS = [
  "AWS_LAMBDA_FUNCTION_NAME",
  "POWERTOOLS_METRICS_DISABLED",
  "POWERTOOLS_METRICS_NAMESPACE",
  "POWERTOOLS_SERVICE_NAME",
];
let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  vi.resetModules();
});
afterEach(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

/** A fresh metrics module (its Metrics instance is per process, like in Lambda). */
const freshMetrics = () => import("../../../../functions/telemetry/metrics.js");

describe("metricsEnabled: on in Lambda, off elsewhere, POWERTOOLS_METRICS_DISABLED overrides", () => {
  it.each([
    [{}, false],
    [{ AWS_LAMBDA_FUNCTION_NAME: "zhixin-seal" }, true],
    [{ AWS_LAMBDA_FUNCTION_NAME: "zhixin-seal", POWERTOOLS_METRICS_DISABLED: "true" }, false],
    [{ AWS_LAMBDA_FUNCTION_NAME: "zhixin-seal", POWERTOOLS_METRICS_DISABLED: "1" }, false],
    [{ POWERTOOLS_METRICS_DISABLED: "false" }, true],
    [{ POWERTOOLS_METRICS_DISABLED: "0" }, true],
    [{ POWERTOOLS_METRICS_DISABLED: "true" }, false],
  ] as const)("%j → %s", (env, enabled) => {
    expect(metricsEnabled(env)).toBe(enabled);
  });
});

describe("emitMetrics", () => {
  it("writes one EMF document: namespace Zhixin, the dimension set [service, Consortium]", async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "zhixin-demo-verify";
    process.env.POWERTOOLS_SERVICE_NAME = "zhixin-verify";
    const { emitMetrics } = await freshMetrics();
    const out = captureStdout();
    try {
      emitMetrics("demo", [
        { name: "AuditsRun", unit: "Count", value: 1 },
        { name: "AuditFindings", unit: "Count", value: 3 },
      ]);
    } finally {
      out.restore();
    }
    const [doc, ...more] = out.emf();
    expect(more).toEqual([]);
    expect(doc?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: "Zhixin",
        Dimensions: [["service", "Consortium"]],
        Metrics: [
          { Name: "AuditsRun", Unit: "Count" },
          { Name: "AuditFindings", Unit: "Count" },
        ],
      },
    ]);
    expect(doc).toMatchObject({
      service: "zhixin-verify",
      Consortium: "demo",
      AuditsRun: 1,
      AuditFindings: 3,
    });
  });

  it("takes the namespace from POWERTOOLS_METRICS_NAMESPACE; service defaults to zhixin", async () => {
    Object.assign(process.env, {
      POWERTOOLS_METRICS_DISABLED: "false",
      POWERTOOLS_METRICS_NAMESPACE: "Zhixin/prod",
    });
    const { emitMetrics } = await freshMetrics();
    const out = captureStdout();
    try {
      emitMetrics("demo", [{ name: "AuditsRun", unit: "Count", value: 1 }]);
    } finally {
      out.restore();
    }
    expect(out.emf()[0]?._aws.CloudWatchMetrics[0]?.Namespace).toBe("Zhixin/prod");
    expect(out.emf()[0]).toMatchObject({ service: "zhixin" });
  });

  it("prints nothing outside Lambda (local mode, tests, the CLI)", async () => {
    const { emitMetrics } = await freshMetrics();
    const out = captureStdout();
    try {
      emitMetrics("demo", [{ name: "AuditsRun", unit: "Count", value: 1 }]);
    } finally {
      out.restore();
    }
    expect(out.lines()).toEqual([]);
  });
});

describe("publishSealMetrics", () => {
  const clock = { now: () => new Date("2026-11-21T08:00:42.000Z") };
  const seals = [
    { sealed: true as const, height: 1, entries: 7, hash: "h1", logSize: 7 },
    { sealed: false as const, reason: "nothing-pending" as const, height: 1 },
    { sealed: true as const, height: 2, entries: 5, hash: "h2", logSize: 12 },
  ];

  it("emits EntriesSealed (sum) and OldestPendingAgeSeconds", async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "zhixin-seal";
    const store = {
      listPendingBatches: async () => [{ key: "k#n", receivedAt: "2026-11-21T08:00:00.000Z" }],
    };
    const out = captureStdout();
    try {
      await publishSealMetrics({ store, clock, consortium: "demo" }, seals);
    } finally {
      out.restore();
    }
    expect(out.emf()).toEqual([
      expect.objectContaining({ Consortium: "demo", EntriesSealed: 12, OldestPendingAgeSeconds: 42 }),
    ]);
    expect(out.emf()[0]?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: "EntriesSealed", Unit: "Count" },
      { Name: "OldestPendingAgeSeconds", Unit: "Seconds" },
    ]);
  });

  it("still emits EntriesSealed when the pending index cannot be read, and does not throw", async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "zhixin-seal";
    const store = {
      listPendingBatches: async (): Promise<never> => {
        throw new Error("throttled");
      },
    };
    const errors: string[] = [];
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      errors.push(String(chunk));
      return true;
    });
    const out = captureStdout();
    try {
      await publishSealMetrics({ store, clock, consortium: "demo" }, seals);
    } finally {
      out.restore();
      stderr.mockRestore();
    }
    const [doc] = out.emf();
    expect(doc).toMatchObject({ EntriesSealed: 12 });
    expect(doc).not.toHaveProperty("OldestPendingAgeSeconds");
    expect(errors.join("")).toContain("cannot read the oldest pending batch");
  });

  it("does not even query the store when metrics are off", async () => {
    const store = { listPendingBatches: vi.fn(async () => []) };
    await publishSealMetrics({ store, clock, consortium: "demo" }, seals);
    expect(store.listPendingBatches).not.toHaveBeenCalled();
  });
});
