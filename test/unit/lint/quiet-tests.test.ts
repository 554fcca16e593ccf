import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { captureOutput, checkNoOutput } from "../../support/output.js";

// A passing test prints nothing it does not assert (issue 9): the guard of
// test/support/output.ts, installed by vitest.config.ts, must catch each way of printing.

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("the output guard, in this very run", () => {
  const ways: [string, () => Promise<void> | void, RegExp][] = [
    ["process.stdout.write", () => void process.stdout.write("out\n"), /\[stdout\] out\n/],
    ["process.stderr.write", () => void process.stderr.write(Buffer.from("err\n")), /\[stderr\] err\n/],
    ["console.log", () => console.log("a %s", "line"), /\[stdout\] a line\n/],
    ["console.error", () => console.error("an error"), /\[stderr\] an error\n/],
    [
      "a Node warning (how the AWS SDK warns of the Node version)",
      async () => {
        process.emitWarning("NodeVersionSupportWarning: probe");
        await new Promise((resolve) => setImmediate(resolve));
      },
      /\[stderr\] \(node:\d+\) Warning: NodeVersionSupportWarning: probe/,
    ],
  ];
  it.each(ways)("holds back %s and fails the test with it", async (_, print, shown) => {
    await print();
    expect(() => checkNoOutput("this test")).toThrow(shown);
    // Taken by the check above, so this test itself passes.
    expect(() => checkNoOutput("this test")).not.toThrow();
  });

  it("lets a test capture output and assert on it", () => {
    const output = captureOutput();
    try {
      process.stderr.write('{"level":"WARN","message":"audit findings"}\n');
      console.log("plain");
    } finally {
      output.stop();
    }
    expect(output.stderr).toBe('{"level":"WARN","message":"audit findings"}\n');
    expect(output.stdout).toBe("plain\n");
    expect(() => output.logLines()).toThrow(SyntaxError);
    expect(() => checkNoOutput("this test")).not.toThrow();
  });

  it("fails a test that leaves a capture open", () => {
    captureOutput();
    expect(() => checkNoOutput("this test")).toThrow(/captureOutput\(\) was left open/);
  });
});

interface JsonReport {
  testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
}

describe("the output guard, as vitest.config.ts wires it", () => {
  it("fails the tests of a file that print, and passes those that capture or print nothing", async () => {
    // The project's config with test/support/quiet-fixture as the root: its unit project
    // then holds only quiet-fixture/test/unit/noisy.test.ts.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST")));
    const run = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          "node_modules/vitest/vitest.mjs",
          "run",
          "--config",
          `${ROOT}vitest.config.ts`,
          "--root",
          "test/support/quiet-fixture",
          "--project",
          "unit",
          "--reporter=json",
          "--no-cache",
        ],
        { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
      );
    });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as JsonReport;
    const results = report.testResults.flatMap((file) => file.assertionResults);
    expect(results.map((r) => [r.title, r.status])).toEqual([
      ["prints with console.log", "failed"],
      ["writes to stderr", "failed"],
      ["emits a Node warning", "failed"],
      ["captures what it prints, and asserts it", "passed"],
      ["prints nothing", "passed"],
    ]);
    const failures = results.map((r) => r.failureMessages.join("\n"));
    expect(failures[0]).toMatch(/printed output that no test captured[\s\S]*\[stdout\] a stray line/);
    expect(failures[1]).toMatch(/\[stderr\] a stray write/);
    expect(failures[2]).toMatch(/\[stderr\] \(node:\d+\) Warning: a stray warning/);
  }, 60_000);
});
