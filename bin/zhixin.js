#!/usr/bin/env node
// The `zhixin` command (cli/zhixin.ts), run from TypeScript source through tsx.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/zhixin.ts");
// exitCode rather than exit(): lets a large stdout drain into a pipe first.
process.exitCode = await main(process.argv.slice(2));
