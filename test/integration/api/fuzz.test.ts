import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unhandledErrorCount } from "../../../functions/api/http.js";
import { FuzzClient, seedFuzzNode } from "../../support/fuzz-client.js";
import { type FuzzContext, fuzzRequest } from "../../support/fuzz-requests.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";

// Issue #10: no byte sequence a client can send reaches a 500, and a refusal changes
// nothing. Seeded and bounded; `npm run bench -- fuzz` runs the same requests longer
// (docs/PERFORMANCE.md "Fuzz").

const SEED = 20261203;
const RUNS = 300;

let t: TestNode;
let client: FuzzClient;
let ctx: FuzzContext;
beforeAll(async () => {
  t = await startTestNode();
  client = new FuzzClient(t.url, t.node.home);
  ctx = await seedFuzzNode(t.send, t.seal);
});
afterAll(async () => {
  client?.close();
  await t?.stop();
});

describe("fuzz: hostile requests to every route", () => {
  it(`${RUNS} seeded requests: no response ≥ 500, no error reaches the generic 500 path, no refusal changes the table`, async () => {
    const unhandled = unhandledErrorCount();
    let table = JSON.stringify(await t.snapshot());
    await fc.assert(
      fc.asyncProperty(fuzzRequest(ctx), async (request) => {
        const res = await client.send(request);
        const now = JSON.stringify(await t.snapshot());
        const changed = now !== table;
        table = now;
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400 && !res.recorded) expect(changed, `${res.status} ${res.code}`).toBe(false);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(unhandledErrorCount()).toBe(unhandled);
  });
});
