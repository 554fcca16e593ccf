import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildCliIfStale } from "../scripts/build-cli.js";
import { type BenchModule, QUICK } from "./harness.js";
import { fmt, median, out, row } from "./support/report.js";

/**
 * `npm run bench -- cli` (issue 14): how long `zhixin --help` takes as users start it —
 * the real bin/zhixin.js, spawned, running the bundle `npm ci` builds (scripts/build-cli.ts)
 * — beside `node -e 0` spawned in the same run, interleaved so that both see the same
 * machine. Target: the median at most 3× node's. Also shown: the same command from
 * TypeScript source through tsx, which is what bin/zhixin.js falls back to when the bundle
 * is missing or stale, and how every start went before the bundle.
 */

export const bench: BenchModule = {
  name: "cli",
  description:
    "`zhixin --help` started from its bundle, beside `node -e 0` (issue 14)" +
    (QUICK ? " — quick sizes" : ""),
  run,
};

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RUNS = QUICK ? 5 : 21;
const TARGET = 3;

/** Wall-clock ms of one spawn of `node <args>`, which must exit 0. */
function spawnMs(args: string[]): number {
  const start = performance.now();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const ms = performance.now() - start;
  if (run.status !== 0) throw new Error(`node ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  return ms;
}

async function run(): Promise<void> {
  if (await buildCliIfStale())
    out("(the bundle was stale or missing: rebuilt first, as `npm run build:cli` does)");
  const bin = join(ROOT, "bin", "zhixin.js");
  const fromSource = ["--import", "tsx", "-e", 'import("./cli/zhixin.ts").then((m) => m.main(["--help"]))'];
  const samples = { node: [] as number[], bundle: [] as number[], source: [] as number[] };
  // One unmeasured start of each: the page cache, tsx's compile cache.
  spawnMs(["-e", "0"]);
  spawnMs([bin, "--help"]);
  spawnMs(fromSource);
  for (let i = 0; i < RUNS; i++) {
    samples.node.push(spawnMs(["-e", "0"]));
    samples.bundle.push(spawnMs([bin, "--help"]));
    if (i % 3 === 0) samples.source.push(spawnMs(fromSource));
  }
  const node = median(samples.node);
  const bundle = median(samples.bundle);
  const source = median(samples.source);
  const ratio = bundle / node;
  out(`Median wall-clock time of a spawned process, ${RUNS} starts each, interleaved:`);
  row("node -e 0", `${fmt(node)} ms`, "the floor: starting Node itself");
  row("zhixin --help (bin/zhixin.js, bundle)", `${fmt(bundle)} ms`, `${fmt(ratio)} × node -e 0`);
  row(
    "zhixin --help from source through tsx",
    `${fmt(source)} ms`,
    `${fmt(source / node)} × node -e 0; bin/zhixin.js's fallback when the bundle is stale; ${samples.source.length} starts`,
  );
  out("");
  out("Targets");
  out(
    `  ${ratio <= TARGET ? "met    " : "NOT met"}  cli: zhixin --help ${fmt(ratio)} × node -e 0 (target ≤ ${TARGET}×)`,
  );
}
