#!/usr/bin/env node
// The `zhixin` command (cli/zhixin.ts), run from TypeScript source through tsx. Run it
// as bin/zhixin on PATH, through a symlink, or as `node <clone>/bin/zhixin.js`, from any
// directory: Node resolves a symlinked script to its real path, so the imports below
// and the CLI's default paths (cli/defaults.ts) are this checkout's, and the project's
// tsconfig applies rather than one found in the current directory.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

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

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
const { main } = await import("../cli/zhixin.ts");
// exitCode rather than exit(): lets a large stdout drain into a pipe first.
process.exitCode = await main(process.argv.slice(2));
