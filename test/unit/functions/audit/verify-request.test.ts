import { describe, expect, it } from "vitest";
import {
  parseVerifyPayload,
  runVerifyRequest,
  type VerifyRequestDeps,
  VerifyRequestError,
} from "../../../../functions/audit/verify-request.js";
import { StaticKeyDirectory } from "../../../../functions/auth/key-directory.js";
import { INTL } from "../../../../lib/chain/index.js";
import { testWitness } from "../../../support/witness-keys.js";

// The verify function's request on a ledger with no blocks and nothing pending: which
// requests it refuses, with which code, and the refusal on the wire.

const empty: VerifyRequestDeps["store"] = {
  latestHeight: async () => 0,
  listRawBlocks: async () => [],
  getRawPages: async () => [],
  getRawBatches: async () => [],
  getRawPayloads: async () => [],
  listPendingBatches: async () => [],
  getBatchHeads: async () => [],
} as unknown as VerifyRequestDeps["store"];
const deps: VerifyRequestDeps = {
  store: empty,
  keys: new StaticKeyDirectory([]),
  suite: INTL,
  log: "zhixin.example/demo",
};

async function refusal(payload: unknown): Promise<VerifyRequestError> {
  try {
    await runVerifyRequest(parseVerifyPayload(payload), deps);
  } catch (e) {
    if (e instanceof VerifyRequestError) return e;
    throw e;
  }
  throw new Error("not refused");
}

describe("runVerifyRequest", () => {
  it("audits the whole chain of a log with no blocks as the empty range 1..0", async () => {
    expect(await runVerifyRequest(parseVerifyPayload({}), deps)).toMatchObject({ ok: true, from: 1, to: 0 });
  });

  it.each([
    [{ from: 0 }, "INVALID_PARAMETER"],
    [{ from: "x" }, "INVALID_PARAMETER"],
    [{ entry: "NOT-HEX" }, "INVALID_PARAMETER"],
    [{ entry: "0".repeat(32), from: 1 }, "INVALID_PARAMETER"],
    [{ trustedCheckpoint: "not a checkpoint" }, "INVALID_PARAMETER"],
    [{ from: 1, to: 1 }, "RANGE_INVALID"],
    [{ entry: "0".repeat(32) }, "NOT_FOUND"],
  ])("refuses %j with %s", async (payload, code) => {
    expect((await refusal(payload)).code).toBe(code);
  });

  it("answers a refusal as { ok: false, error: { code, message, details? } }", async () => {
    expect((await refusal({ from: 2, to: 3 })).toJSON()).toEqual({
      ok: false,
      error: {
        code: "RANGE_INVALID",
        message: expect.any(String),
        details: { from: 2, to: 3, latestHeight: 0 },
      },
    });
    expect((await refusal({ entry: "0".repeat(32) })).toJSON()).toEqual({
      ok: false,
      error: { code: "NOT_FOUND", message: expect.any(String) },
    });
  });

  it("lets a failing store's error through", async () => {
    const down = new Error("store down");
    const failing = {
      ...empty,
      latestHeight: async () => Promise.reject(down),
    } as VerifyRequestDeps["store"];
    await expect(runVerifyRequest({}, { ...deps, store: failing })).rejects.toBe(down);
  });
});

describe("runVerifyRequest's minWitnesses", () => {
  it("is bounded by the witnesses, not their keys: a witness listed with its old and new key counts once", async () => {
    const old = testWitness("zhixin-witness/demo/a", "a-old");
    const policy = {
      witnesses: [
        old.key,
        testWitness("zhixin-witness/demo/a", "a-new").key,
        testWitness("zhixin-witness/demo/b").key,
      ],
      threshold: 2,
    };
    const withWitnesses: VerifyRequestDeps = { ...deps, witnesses: { policy, verify: () => true } };
    const run = (minWitnesses: number) =>
      runVerifyRequest(parseVerifyPayload({ minWitnesses }), withWitnesses);
    await expect(run(3)).rejects.toMatchObject({
      code: "INVALID_PARAMETER",
      message: "minWitnesses: the consortium has 2 witness(es), so at most 2 can cosign",
    });
    await expect(run(2)).resolves.toMatchObject({ ok: true });
  });
});
