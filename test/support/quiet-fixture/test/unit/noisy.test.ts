import { expect, it } from "vitest";
import { captureOutput } from "../../../output.js";

// Run by test/unit/lint/quiet-tests.test.ts under the project's vitest config (with this
// folder as the root): the first three tests must fail, the last two pass.

it("prints with console.log", () => {
  console.log("a stray line");
});

it("writes to stderr", () => {
  process.stderr.write("a stray write\n");
});

it("emits a Node warning", async () => {
  process.emitWarning("a stray warning");
  await new Promise((resolve) => setImmediate(resolve));
});

it("captures what it prints, and asserts it", () => {
  const output = captureOutput();
  try {
    console.error("an expected line");
  } finally {
    output.stop();
  }
  expect(output.stderr).toBe("an expected line\n");
});

it("prints nothing", () => {
  expect(1 + 1).toBe(2);
});
