/**
 * `npm run bench [-- <filter>]`: runs every bench module in this folder, or only those
 * whose file name contains <filter> (e.g. `npm run bench -- merkle` runs bench/merkle.ts).
 * A bench module is any bench/*.ts that exports `bench: BenchModule` (see harness.ts):
 * add a file and it runs. Modules are imported only when selected, so one bench's
 * dependencies (a local database, say) never slow down or break another's run.
 */
import { readdirSync } from "node:fs";
import { type BenchModule, machineSummary } from "./harness.js";

const args = process.argv.slice(2);
// Flags (--quick) are the benches' own; the filter is the first argument that is not one.
const filter = args.find((a) => !a.startsWith("-"))?.toLowerCase();
const dir = new URL(".", import.meta.url);

const files = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && f !== "index.ts" && f !== "harness.ts")
  .sort();

if (args.includes("--help") || args.includes("-h")) {
  console.log(`Usage: npm run bench [-- <filter>] [--quick]

Runs each benchmark beside a baseline measured in the same run, and prints both
(docs/PERFORMANCE.md explains every figure).

  <filter>   run only the benches whose file name contains it: ${files.map((f) => f.slice(0, -3)).join(", ")}
  --quick    smaller sizes (also BENCH_QUICK=1): a check that the benches run, not figures

Examples:
  npm run bench                      every bench (several minutes)
  npm run bench -- merkle            bench/merkle.ts only
  npm run bench -- ledger --quick    the ledger bench at small sizes`);
  process.exit(0);
}
const chosen = filter ? files.filter((f) => f.slice(0, -3).toLowerCase().includes(filter)) : files;

const modules: BenchModule[] = [];
for (const file of chosen) {
  const mod = (await import(new URL(file, dir).href)) as { bench?: BenchModule };
  if (mod.bench) modules.push(mod.bench);
}
if (modules.length === 0) {
  console.error(`No bench matches "${filter ?? ""}". Bench files: ${files.join(", ")}`);
  process.exit(1);
}

for (const line of machineSummary()) console.log(line);
for (const m of modules) {
  console.log(`\n== ${m.name}: ${m.description}\n`);
  const start = performance.now();
  await m.run();
  console.log(`\n(${m.name} took ${((performance.now() - start) / 1000).toFixed(1)} s)`);
}
