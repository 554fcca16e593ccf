import { afterAll, afterEach, beforeEach } from "vitest";
import { checkNoOutput, installOutputGuard, uninstallOutputGuard } from "./output.js";

/**
 * vitest setup file (vitest.config.ts): a test that prints what it does not capture fails
 * (test/support/output.ts). Hooks of setup files run first before and last after the
 * test file's own, so output from a file's beforeAll fails its first test, and output from
 * its afterAll fails the file.
 */
installOutputGuard();

beforeEach(() => checkNoOutput("before this test (at import or in a beforeAll)"));
afterEach(() => checkNoOutput("this test"));
afterAll(() => {
  try {
    checkNoOutput("after the last test (in an afterAll)");
  } finally {
    uninstallOutputGuard();
  }
});
