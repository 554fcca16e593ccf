import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  oldestPendingAgeSeconds,
  runSealer,
  SEAL_LOOP_BUDGET_MS,
  SEAL_LOOP_SPARE_MS,
  sealMetrics,
  sealRepeatedly,
  summarizeSeals,
} from "../../../../functions/ledger/seal-run.js";
import type { SealResult } from "../../../../lib/protocol/entries.js";

// The seal loop of one seal-block invocation, on a fake clock: `sleep` and each seal
// move the clock, and the invocation's remaining time is its deadline minus the clock.

interface FakeInvocation {
  /** Clock (ms) at the start of each seal. */
  starts: number[];
  /** Clock (ms) at the end of each seal. */
  ends: number[];
  sleeps: number[];
  clock: () => number;
  remainingMs: () => number;
  sleep: (ms: number) => Promise<void>;
  seal: () => Promise<SealResult>;
}

function invocation(
  timeoutMs: number,
  sealMs: number | ((i: number) => number),
  entries = 3,
): FakeInvocation {
  let t = 1_000_000;
  const deadline = t + timeoutMs;
  const inv: FakeInvocation = {
    starts: [],
    ends: [],
    sleeps: [],
    clock: () => t,
    remainingMs: () => deadline - t,
    sleep: async (ms) => {
      inv.sleeps.push(ms);
      t += ms;
    },
    seal: async () => {
      const i = inv.starts.length;
      inv.starts.push(t);
      t += typeof sealMs === "number" ? sealMs : sealMs(i);
      inv.ends.push(t);
      return { sealed: true, height: i + 1, entries, hash: "ab".repeat(32), logSize: (i + 1) * entries };
    },
  };
  return inv;
}

const relative = (inv: FakeInvocation, times: number[]) => times.map((x) => x - (inv.starts[0] ?? 0));

describe("sealRepeatedly", () => {
  it("seals every interval, fixed rate, and stops so that the loop ends within 50 s", async () => {
    const inv = invocation(900_000, 1_000);
    const seals = await sealRepeatedly(inv.seal, {
      intervalMs: 10_000,
      remainingMs: inv.remainingMs,
      sleep: inv.sleep,
      now: inv.clock,
    });
    expect(relative(inv, inv.starts)).toEqual([0, 10_000, 20_000, 30_000, 40_000]);
    expect(inv.sleeps).toEqual([9_000, 9_000, 9_000, 9_000]);
    expect(seals.map((s) => s.height)).toEqual([1, 2, 3, 4, 5]);
  });

  it("seals again at once after a full block (`more`), and on the interval once the backlog is gone", async () => {
    const inv = invocation(900_000, 1_000);
    const full = inv.seal;
    // The first three blocks are full: a backlog.
    inv.seal = async () => {
      const result = await full();
      return result.sealed && result.height <= 3 ? { ...result, more: true } : result;
    };
    await sealRepeatedly(inv.seal, {
      intervalMs: 10_000,
      remainingMs: inv.remainingMs,
      sleep: inv.sleep,
      now: inv.clock,
    });
    expect(relative(inv, inv.starts).slice(0, 6)).toEqual([0, 1_000, 2_000, 3_000, 13_000, 23_000]);
    expect(inv.sleeps.slice(0, 2)).toEqual([9_000, 9_000]);
  });

  it("stops at the first seal that finds nothing pending, so an idle ledger sleeps no Lambda time", async () => {
    const inv = invocation(900_000, 200);
    const busy = inv.seal;
    // Two seals with entries, then nothing arrives.
    inv.seal = async () => {
      const result = await busy();
      return result.height <= 2 ? result : { sealed: false, reason: "nothing-pending", height: 2 };
    };
    const seals = await sealRepeatedly(inv.seal, {
      intervalMs: 10_000,
      remainingMs: inv.remainingMs,
      sleep: inv.sleep,
      now: inv.clock,
    });
    expect(seals.map((s) => s.sealed)).toEqual([true, true, false]);
    expect(relative(inv, inv.ends).at(-1)).toBe(20_200);
    expect(inv.sleeps).toEqual([9_800, 9_800]);
  });

  it("keeps sealing past an empty seal only when it lost a race (another sealer holds the work)", async () => {
    const inv = invocation(900_000, 200);
    const busy = inv.seal;
    inv.seal = async () => {
      const result = await busy();
      return result.height === 1 ? { sealed: false, reason: "lost-race", height: 1 } : result;
    };
    const seals = await sealRepeatedly(inv.seal, {
      intervalMs: 10_000,
      remainingMs: inv.remainingMs,
      sleep: inv.sleep,
      now: inv.clock,
    });
    expect(seals).toHaveLength(5);
  });

  it("under load — something pending at every seal — never stops before its budget", async () => {
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1_000, max: 25_000 }),
        fc.integer({ min: 0, max: 900 }),
        async (interval, sealMs) => {
          const inv = invocation(900_000, sealMs);
          await sealRepeatedly(inv.seal, {
            intervalMs: interval,
            remainingMs: inv.remainingMs,
            sleep: inv.sleep,
            now: inv.clock,
          });
          // The next seal would have started past the 50 s budget: the loop stopped for time alone.
          const last = relative(inv, inv.starts).at(-1) ?? 0;
          expect(last + interval + sealMs).toBeGreaterThan(SEAL_LOOP_BUDGET_MS);
        },
      ),
    );
  });

  it("uses the whole 50 s when seals take no time", async () => {
    const inv = invocation(900_000, 0);
    await sealRepeatedly(inv.seal, {
      intervalMs: 10_000,
      remainingMs: inv.remainingMs,
      sleep: inv.sleep,
      now: inv.clock,
    });
    expect(relative(inv, inv.starts)).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000]);
  });

  it("stops with at least 10 s of the invocation to spare", async () => {
    const inv = invocation(25_000, 1_000);
    await sealRepeatedly(inv.seal, {
      intervalMs: 5_000,
      remainingMs: inv.remainingMs,
      sleep: inv.sleep,
      now: inv.clock,
    });
    expect(relative(inv, inv.starts)).toEqual([0, 5_000, 10_000]);
    expect(inv.remainingMs()).toBeGreaterThanOrEqual(SEAL_LOOP_SPARE_MS);
  });

  it("seals once when the invocation has too little time for a second", async () => {
    const inv = invocation(12_000, 500);
    const seals = await sealRepeatedly(inv.seal, {
      intervalMs: 5_000,
      remainingMs: inv.remainingMs,
      sleep: inv.sleep,
      now: inv.clock,
    });
    expect(seals).toHaveLength(1);
    expect(inv.sleeps).toEqual([]);
  });

  it("starts the next seal at once when a seal took longer than the interval", async () => {
    const inv = invocation(900_000, 7_000);
    await sealRepeatedly(inv.seal, {
      intervalMs: 5_000,
      remainingMs: inv.remainingMs,
      sleep: inv.sleep,
      now: inv.clock,
    });
    expect(relative(inv, inv.starts)).toEqual([0, 7_000, 14_000, 21_000, 28_000, 35_000, 42_000]);
    expect(inv.sleeps).toEqual([]);
  });

  it("expects each seal to take as long as the slowest so far", async () => {
    // The third seal takes 15 s; with that expectation no fourth fits in 50 s.
    const inv = invocation(900_000, (i) => (i === 2 ? 15_000 : 1_000));
    await sealRepeatedly(inv.seal, {
      intervalMs: 10_000,
      remainingMs: inv.remainingMs,
      sleep: inv.sleep,
      now: inv.clock,
    });
    expect(relative(inv, inv.starts)).toEqual([0, 10_000, 20_000, 35_000]);
    expect(relative(inv, inv.ends).at(-1)).toBeLessThanOrEqual(SEAL_LOOP_BUDGET_MS);
  });

  it("with seals of constant duration: never past 50 s, never under 10 s to spare after the first seal", () => {
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 1_000, max: 900_000 }),
        async (intervalSeconds, sealMs, timeoutMs) => {
          const inv = invocation(timeoutMs, sealMs);
          await sealRepeatedly(inv.seal, {
            intervalMs: intervalSeconds * 1000,
            remainingMs: inv.remainingMs,
            sleep: inv.sleep,
            now: inv.clock,
          });
          expect(inv.starts.length).toBeGreaterThanOrEqual(1);
          if (inv.starts.length > 1) {
            expect(relative(inv, inv.ends).at(-1)).toBeLessThanOrEqual(SEAL_LOOP_BUDGET_MS);
            expect(inv.remainingMs()).toBeGreaterThanOrEqual(SEAL_LOOP_SPARE_MS);
          }
          for (let i = 1; i < inv.starts.length; i++) {
            const gap = (inv.starts[i] as number) - (inv.starts[i - 1] as number);
            expect(gap).toBe(Math.max(intervalSeconds * 1000, sealMs));
          }
        },
      ),
    );
  });

  it("propagates a failed seal after reporting the ones before it", async () => {
    const inv = invocation(900_000, 0);
    let n = 0;
    const seen: SealResult[] = [];
    const seal = async () => {
      if (++n === 3) throw new Error("store down");
      return inv.seal();
    };
    await expect(
      sealRepeatedly(
        seal,
        { intervalMs: 1_000, remainingMs: inv.remainingMs, sleep: inv.sleep, now: inv.clock },
        (r) => seen.push(r),
      ),
    ).rejects.toThrow("store down");
    expect(seen).toHaveLength(2);
  });
});

describe("runSealer", () => {
  const nothing: SealResult = { sealed: false, reason: "nothing-pending", height: 4 };

  it("without a loop seals once and returns that SealResult (local mode's shape)", async () => {
    const after: number[] = [];
    const result = await runSealer({
      seal: async () => nothing,
      after: async (s) => void after.push(s.length),
    });
    expect(result).toEqual(nothing);
    expect(after).toEqual([1]);
  });

  it("with a loop returns the summary of every seal", async () => {
    const inv = invocation(30_000, 0, 5);
    const result = await runSealer({
      seal: inv.seal,
      loop: { intervalMs: 5_000, remainingMs: inv.remainingMs, sleep: inv.sleep, now: inv.clock },
    });
    // Seals at 0, 5, 10, 15, 20 s; one at 25 s would leave under 10 s of the 30.
    expect(result).toMatchObject({ blocks: 5, entries: 25, height: 5 });
    expect((result as { seals: SealResult[] }).seals).toHaveLength(5);
  });

  it("runs `after` with the completed seals when a seal fails", async () => {
    let seen: readonly SealResult[] | undefined;
    await expect(
      runSealer({
        seal: async () => {
          throw new Error("no");
        },
        after: async (s) => {
          seen = s;
        },
      }),
    ).rejects.toThrow("no");
    expect(seen).toEqual([]);
  });
});

describe("summarizeSeals", () => {
  it("counts committed blocks and their entries; lost races and empty runs count nothing", () => {
    expect(
      summarizeSeals([
        { sealed: true, height: 7, entries: 10, hash: "h", logSize: 70 },
        { sealed: false, reason: "lost-race", height: 8 },
        { sealed: false, reason: "nothing-pending", height: 8 },
      ]),
    ).toMatchObject({ blocks: 1, entries: 10, height: 8 });
    expect(summarizeSeals([])).toMatchObject({ blocks: 0, entries: 0, height: 0 });
  });
});

describe("oldestPendingAgeSeconds", () => {
  const clock = { now: () => new Date("2026-11-21T08:01:00.500Z") };

  it("is the whole seconds since the oldest pending batch was received, asking for one", async () => {
    const limits: number[] = [];
    const store = {
      listPendingBatches: async (limit: number) => {
        limits.push(limit);
        return [{ key: "k#n", receivedAt: "2026-11-21T08:00:00.000Z" }];
      },
    };
    expect(await oldestPendingAgeSeconds(store, clock)).toBe(60);
    expect(limits).toEqual([1]);
  });

  it("is 0 when nothing is pending", async () => {
    expect(await oldestPendingAgeSeconds({ listPendingBatches: async () => [] }, clock)).toBe(0);
  });
});

describe("sealMetrics", () => {
  const sealed = (height: number, witnesses?: boolean[]): SealResult => ({
    sealed: true,
    height,
    entries: 10,
    hash: "h",
    logSize: 10 * height,
    ...(witnesses
      ? {
          tiles: {
            published: 10 * height,
            witnesses: witnesses.map((c, i) => ({ witness: `w${i}`, cosigned: c })),
          },
        }
      : {}),
  });
  const named = (values: ReturnType<typeof sealMetrics>) =>
    Object.fromEntries(values.map((v) => [v.name, v.value]));

  it("reports how many witnesses cosigned the last checkpoint published, only when witnesses were asked", () => {
    expect(named(sealMetrics([sealed(1, [true, true, true]), sealed(2, [true, false, false])], 3))).toEqual({
      EntriesSealed: 20,
      OldestPendingAgeSeconds: 3,
      CheckpointWitnesses: 1,
    });
    // A last seal that published nothing new still says where the last checkpoint stood.
    const quiet: SealResult = {
      sealed: false,
      reason: "nothing-pending",
      height: 2,
      tiles: { published: 20 },
    };
    expect(named(sealMetrics([sealed(2, [true, true, false]), quiet], undefined))).toEqual({
      EntriesSealed: 10,
      CheckpointWitnesses: 2,
    });
    expect(named(sealMetrics([sealed(1)], 0))).toEqual({ EntriesSealed: 10, OldestPendingAgeSeconds: 0 });
  });
});
