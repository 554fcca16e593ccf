#!/usr/bin/env node
// The `zhixin` command (cli/zhixin.ts). Run it as bin/zhixin on PATH, through a symlink, or
// as `node <clone>/bin/zhixin.js`, from any directory: Node resolves a symlinked script to
// its real path, so the paths below and the CLI's default paths (cli/defaults.ts) are
// this checkout's, and the project's tsconfig applies rather than one found in the
// current directory.
//
// It runs the bundle that `npm ci` / `npm install` build into dist/ (scripts/build-cli.ts)
// while it is fresh: every input file still has the mtime and size dist/cli-manifest.json
// records. Otherwise — no bundle (installed with --ignore-scripts), or a source edited
// since — it runs cli/zhixin.ts from source through tsx, as before there was a bundle:
// slower to start (~0.4 s), never stale. `npm run build:cli` makes it fast again.
// scripts/build-cli.ts cliBundleIsFresh is this same check, for the tests.
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

// The AWS SDK (v3) warns once per process, with process.emitWarning, on Node < 22 that its
// releases after the first week of January 2027 will need Node 22; the SDK documents this
// variable to turn it off (aws/aws-sdk-js-v3#7983). It is off here, as in `npm start`: the
// project supports Node 20.19 (package.json "engines") and locks its SDK version, so a user
// on Node 20 can do nothing about it, yet its nine lines would be printed among the CLI's
// own output by every command that builds an SDK client. Moving to Node 22 is the project's step, taken with the
// SDK upgrade that needs it. A value the user set is kept. The Lambda functions keep the
// warning: they run Node 22 (cdk/lib/defaults.ts), where the SDK is silent, and if their
// runtime ever fell behind the SDK's, their logs are where it should show.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const root = new URL("../", import.meta.url);

/** The bundle's entry if the manifest exists and every input it lists is unchanged. */
function freshBundle() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(new URL("dist/cli-manifest.json", root), "utf8"));
  } catch {
    return undefined;
  }
  for (const [path, [mtimeMs, size]] of Object.entries(manifest.inputs)) {
    try {
      const s = statSync(new URL(path, root));
      if (s.mtimeMs !== mtimeMs || s.size !== size) return undefined;
    } catch {
      return undefined;
    }
  }
  return new URL(`dist/${manifest.entry}`, root);
}

async function fromSource() {
  const { register } = await import("tsx/esm/api");
  register({ tsconfig: fileURLToPath(new URL("tsconfig.json", root)) });
  return import("../cli/zhixin.ts");
}

const bundle = freshBundle();
const { main } = bundle ? await import(bundle.href) : await fromSource();
// exitCode rather than exit(): lets a large stdout drain into a pipe first.
process.exitCode = await main(process.argv.slice(2));
