/**
 * `npm run bench [-- <filter>]`: runs every bench module in this folder, or only those
 * whose file name contains <filter> (e.g. `npm run bench -- merkle` runs bench/merkle.ts).
 * A bench module is any bench/*.ts that exports `bench: BenchModule` (see harness.ts):
 * add a file and it runs. Modules are imported only when selected, so one bench's
 * dependencies (a local database, say) never slow down or break another's run.
 */
import { readdirSync } from "node:fs";
import { type BenchModule, machineSummary } from "./harness.js";

const filter = process.argv[2]?.toLowerCase();
const dir = new URL(".", import.meta.url);

const files = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && f !== "index.ts" && f !== "harness.ts")
  .sort();
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
