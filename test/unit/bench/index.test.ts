import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

// The bench runner's own arguments (bench/index.ts); the benches themselves run in `npm run bench`.

const run = promisify(execFile);
const tsx = "node_modules/.bin/tsx";

describe("npm run bench", () => {
  it("--help names every bench file and the flags, with examples", async () => {
    const { stdout } = await run(tsx, ["bench/index.ts", "--help"]);
    const benches = readdirSync("bench").filter(
      (f) => f.endsWith(".ts") && !["index.ts", "harness.ts"].includes(f),
    );
    for (const f of benches) expect(stdout).toContain(f.slice(0, -3));
    expect(stdout).toContain("--quick");
    expect(stdout).toContain("npm run bench -- ledger --quick");
  });

  it("refuses a filter that matches no bench, naming the files, exit 1", async () => {
    const failure = await run(tsx, ["bench/index.ts", "--quick", "no-such-bench"]).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain('No bench matches "no-such-bench"');
  });
});
