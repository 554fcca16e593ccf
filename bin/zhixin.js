#!/usr/bin/env node
// The `zhixin` command (cli/zhixin.ts), run from TypeScript source through tsx. Run it
// as bin/zhixin on PATH, through a symlink, or as `node <clone>/bin/zhixin.js`, from any
// directory: Node resolves a symlinked script to its real path, so the imports below
// and the CLI's default paths (cli/defaults.ts) are this checkout's, and the project's
// tsconfig applies rather than one found in the current directory.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
const { main } = await import("../cli/zhixin.ts");
// exitCode rather than exit(): lets a large stdout drain into a pipe first.
process.exitCode = await main(process.argv.slice(2));
