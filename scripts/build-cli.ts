import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";

/**
 * `npm run build:cli` (and `prepare`, so `npm ci` / `npm install` run it): bundles the
 * `zhixin` command (cli/zhixin.ts and what it imports of cli/ and lib/) into dist/ with
 * esbuild, so that bin/zhixin.js starts it as plain JavaScript instead of compiling
 * TypeScript through tsx at every start (issue 14: `zhixin --help` 0.35–1.5 s → ~0.1 s).
 *
 * dist/ (gitignored) holds, flat:
 *   zhixin-<hash>.js, chunk-<hash>.js   the entry and the chunks it loads when needed:
 *                                       npm packages stay imports (node_modules is there),
 *                                       and each `await import()` of ours is its own chunk,
 *                                       so `--help` loads no command, no AWS SDK, no zod.
 *   cli-manifest.json                   { "entry": "zhixin-<hash>.js",
 *                                         "inputs": { "<path from the root>": [mtimeMs, size], … } }
 * One folder below the root, as cli/ is: cli/defaults.ts finds the project root as the
 * parent of its own file's folder, which is then dist/'s parent.
 *
 * bin/zhixin.js runs the bundle only while every input still has the mtime and size the
 * manifest records (one stat per input, under a millisecond): any edit, checkout or
 * deleted file makes it run cli/zhixin.ts from source through tsx instead, as it did
 * before there was a bundle; a stale bundle never runs. vitest's globalSetup
 * (test/support/cli-bundle.ts) rebuilds a stale bundle, so tests that spawn bin/zhixin.js
 * run what users run. Files are content-hashed and the manifest is replaced last, by a
 * rename, so a `zhixin` started during a rebuild reads either the old bundle whole or
 * the new one.
 */

export const DIST = "dist";
export const MANIFEST = "cli-manifest.json";
/** Inputs esbuild's metafile does not list that still change what the bundle is. */
const SETTINGS = ["package.json", "tsconfig.json", "scripts/build-cli.ts"];

export interface CliManifest {
  entry: string;
  inputs: Record<string, [mtimeMs: number, size: number]>;
}

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** What buildCli wrote: the manifest, and esbuild's metafile (paths relative to dist/). */
export interface CliBuild {
  manifest: CliManifest;
  metafile: Metafile;
}

/** Builds the bundle of the checkout at `root` into `root`/dist. */
export async function buildCli(root: string = ROOT): Promise<CliBuild> {
  const dist = join(root, DIST);
  // Stat before building: a file edited while esbuild reads it then no longer matches.
  const before = statTree(root, ["cli", "lib"]);
  // Built aside, then renamed into dist/ one file at a time: a file is never seen half
  // written, even by a `zhixin` started while another build writes the same names.
  mkdirSync(dist, { recursive: true });
  const aside = mkdtempSync(join(dist, ".build-"));
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: { zhixin: "cli/zhixin.ts" },
      entryNames: "[name]-[hash]",
      outdir: aside,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20.19",
      packages: "external",
      metafile: true,
      logLevel: "warning",
    });
    const fromAside = (path: string) => relative(aside, resolve(root, path));
    const outputs = Object.entries(result.metafile.outputs).map(([path, output]) => ({
      name: fromAside(path),
      output,
    }));
    const entry = outputs.find((o) => o.output.entryPoint === "cli/zhixin.ts")?.name;
    if (entry === undefined) throw new Error("esbuild wrote no entry for cli/zhixin.ts");
    const inputs: CliManifest["inputs"] = {};
    for (const path of [...Object.keys(result.metafile.inputs), ...SETTINGS].sort()) {
      const s = before.get(path) ?? statSync(join(root, path));
      inputs[path] = [s.mtimeMs, s.size];
    }
    const manifest: CliManifest = { entry, inputs };
    for (const { name } of outputs) renameSync(join(aside, name), join(dist, name));
    writeFileSync(join(aside, MANIFEST), `${JSON.stringify(manifest)}\n`);
    // Last: until this rename the previous manifest, and the files it names, are in place.
    renameSync(join(aside, MANIFEST), join(dist, MANIFEST));
    // Earlier builds' files. A `zhixin` started from them has loaded its entry, and only
    // rarely still needs one of their chunks: a race there is, only while editing.
    const kept = new Set(outputs.map((o) => o.name));
    for (const name of readdirSync(dist)) {
      if (!kept.has(name) && /-[A-Z0-9]{8}\.js$/.test(name)) rmSync(join(dist, name));
    }
    const metafile: Metafile = {
      inputs: result.metafile.inputs,
      outputs: Object.fromEntries(
        outputs.map((o) => [
          o.name,
          {
            ...o.output,
            imports: o.output.imports.map((i) => (i.external ? i : { ...i, path: fromAside(i.path) })),
          },
        ]),
      ),
    };
    return { manifest, metafile };
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
}

/**
 * The check bin/zhixin.js makes before it runs the bundle (it is written out there, in
 * JavaScript, because it runs before anything can load TypeScript): true iff the
 * manifest exists and every input has the mtime and size it records.
 */
export function cliBundleIsFresh(root: string = ROOT): boolean {
  let manifest: CliManifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, DIST, MANIFEST), "utf8")) as CliManifest;
  } catch {
    return false;
  }
  for (const [path, [mtimeMs, size]] of Object.entries(manifest.inputs)) {
    try {
      const s = statSync(join(root, path));
      if (s.mtimeMs !== mtimeMs || s.size !== size) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Builds the bundle unless it is fresh; returns whether it built. */
export async function buildCliIfStale(root: string = ROOT): Promise<boolean> {
  if (cliBundleIsFresh(root)) return false;
  await buildCli(root);
  return true;
}

/** Every .ts file under `folders` of `root`, by its path from the root with "/" separators. */
function statTree(root: string, folders: string[]): Map<string, { mtimeMs: number; size: number }> {
  const stats = new Map<string, { mtimeMs: number; size: number }>();
  for (const folder of folders) {
    for (const entry of readdirSync(join(root, folder), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
      const path = join(entry.parentPath, entry.name);
      const s = statSync(path);
      stats.set(relative(root, path).split(sep).join("/"), { mtimeMs: s.mtimeMs, size: s.size });
    }
  }
  return stats;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildCli();
}
