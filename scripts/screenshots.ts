import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `npm run screenshots`: runs the console's browser tests (test/browser), which save a
 * screenshot of each view in test-artifacts/console/, and copies the ones the docs show
 * into docs/images/. `npm test` never writes docs/images itself, so a test run leaves the
 * tree clean; the images in the docs are the tests' own, refreshed by this command.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** test-artifacts/console/<name>.png → docs/images/console-<name>.png */
export const DOC_SCREENSHOTS = [
  "overview",
  "entry-proof-verified",
  "entry-proof-tampered",
  "evidence-verified",
  "citizen-trail",
  "sharing",
  "aws-sign-in",
];

const run = spawnSync(
  process.execPath,
  [join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run", "--project", "browser"],
  {
    cwd: ROOT,
    stdio: "inherit",
  },
);
if (run.status !== 0) {
  console.error("screenshots: the browser tests failed; docs/images is unchanged");
  process.exit(run.status ?? 1);
}
mkdirSync(join(ROOT, "docs", "images"), { recursive: true });
for (const name of DOC_SCREENSHOTS) {
  const from = join(ROOT, "test-artifacts", "console", `${name}.png`);
  if (!existsSync(from)) {
    console.error(`screenshots: no ${from} — the test that takes it did not run`);
    process.exit(1);
  }
  copyFileSync(from, join(ROOT, "docs", "images", `console-${name}.png`));
  console.log(`docs/images/console-${name}.png`);
}
