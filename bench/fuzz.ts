import fc from "fast-check";
import { unhandledErrorCount } from "../functions/api/http.js";
import { FuzzClient, seedFuzzNode } from "../test/support/fuzz-client.js";
import { type FuzzRequest, fuzzRequest } from "../test/support/fuzz-requests.js";
import { startTestNode } from "../test/support/local-node.js";
import { type BenchModule, QUICK } from "./harness.js";
import { int, out, row } from "./support/report.js";

/**
 * `npm run bench -- fuzz`: the fuzz test of test/integration/api/fuzz.test.ts, longer —
 * the same seeded requests (test/support/fuzz-requests.ts) to every route of a local
 * node in this process, each followed by a full table scan. Counts responses by status
 * and code, responses ≥ 500, errors that reached the generic 500 path, and refusals
 * after which the table was not as before (a recorded match refusal may add its access
 * entry; nothing else may change). Exits 1 if any of those three is not 0.
 *
 *   FUZZ_RUNS   requests to send (default 20,000; 2,000 with --quick)
 *   FUZZ_SEED   fast-check seed (default 20261203, the test's)
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? (QUICK ? 2_000 : 20_000));
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);

export const bench: BenchModule = {
  name: "fuzz",
  description: `${int(RUNS)} seeded hostile requests to every route of a local node (seed ${SEED})`,
  async run() {
    if (!Number.isSafeInteger(RUNS) || RUNS < 1 || !Number.isSafeInteger(SEED)) {
      throw new Error("FUZZ_RUNS must be a positive integer and FUZZ_SEED an integer");
    }
    const t = await startTestNode();
    const client = new FuzzClient(t.url, t.node.home);
    try {
      const ctx = await seedFuzzNode(t.send, t.seal);
      const requests = fc.sample(fuzzRequest(ctx), { seed: SEED, numRuns: RUNS });
      const unhandledBefore = unhandledErrorCount();
      const byStatus = new Map<string, number>();
      const violations: Array<{ why: string; request: FuzzRequest }> = [];
      let table = JSON.stringify(await t.snapshot());
      const start = performance.now();
      for (const request of requests) {
        const res = await client.send(request);
        const now = JSON.stringify(await t.snapshot());
        const changed = now !== table;
        table = now;
        const key =
          res.status === 0 ? "not sent (node:http refused)" : `${res.status} ${res.code ?? ""}`.trim();
        byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
        if (res.status >= 500) violations.push({ why: `answered ${key}`, request });
        if (res.status >= 400 && !res.recorded && changed) {
          violations.push({ why: `refused ${key} but the table changed`, request });
        }
      }
      const seconds = (performance.now() - start) / 1000;
      const unhandled = unhandledErrorCount() - unhandledBefore;

      out("  responses by status and code:");
      for (const [key, n] of [...byStatus].sort(([a], [b]) => (a < b ? -1 : 1))) row(`    ${key}`, int(n));
      out("");
      row("requests sent", int(RUNS), `in ${seconds.toFixed(1)} s, each with a full table scan`);
      row("requests/s", (RUNS / seconds).toFixed(0));
      row("responses ≥ 500", int([...byStatus].filter(([k]) => k >= "500").reduce((n, [, v]) => n + v, 0)));
      row("errors on the generic 500 path", int(unhandled));
      row(
        "refusals that changed the table",
        int(violations.filter((v) => v.why.startsWith("refused")).length),
      );
      for (const v of violations.slice(0, 10)) out(`  ! ${v.why}: ${JSON.stringify(v.request)}`);
      if (violations.length > 0 || unhandled > 0) process.exitCode = 1;
    } finally {
      client.close();
      await t.stop();
    }
  },
};
