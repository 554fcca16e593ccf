import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../support/cli.js";
import { checkOutput, parseWalkthrough, type Step } from "../../support/walkthrough.js";

/**
 * Executable documentation (issue 9): every walkthrough page is run as written, command by
 * command, in one shell session against its own fresh `npm start` (a temp ZHIXIN_HOME and
 * free ports, the only settings the test changes), and each output is checked against the
 * block the page shows after it. A page that drifts from the product fails here. The
 * conventions are in docs/walkthroughs/README.md; the parser in test/support/walkthrough.ts.
 *
 * Every other Markdown page may show shell commands only with a reason tag (`aws`, `bench`,
 * …), so no runnable-looking command escapes the test.
 */

const WALKTHROUGH_DIR = "docs/walkthroughs";
const walkthroughPages = [
  "README.md",
  // Its worked examples (§7, §8) reproduce values with openssl and sha256sum: no server.
  "docs/FORMATS.md",
  ...(await readdir(join(ROOT, WALKTHROUGH_DIR)))
    .filter((f) => f.endsWith(".md") && f !== "README.md")
    .sort()
    .map((f) => `${WALKTHROUGH_DIR}/${f}`),
];

async function markdownPages(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true });
  const pages = await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? markdownPages(`${dir}/${e.name}`)
        : e.name.endsWith(".md")
          ? [`${dir}/${e.name}`]
          : [],
    ),
  );
  return pages.flat();
}
const referencePages = (await markdownPages("docs")).filter((p) => !walkthroughPages.includes(p)).sort();

const COMMAND_TIMEOUT_MS = 60_000;

/** A free loopback port (bound and released; good enough for a test's own servers). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * One shell session: each command runs in a fresh `bash` that starts from the previous
 * command's working directory and exported variables (`set -a` exports every assignment),
 * as they would be in the terminal a reader types into.
 */
class Session {
  private readonly stateFile: string;

  constructor(
    private cwd: string,
    private env: Record<string, string>,
    scratch: string,
  ) {
    this.stateFile = join(scratch, "shell-state");
  }

  /** Sets variables as an `export` in the reader's shell would. */
  setEnv(values: Record<string, string>): void {
    this.env = { ...this.env, ...values };
  }

  async run(command: string): Promise<Run> {
    const script = `set -a -o pipefail\n${command}\n__zhixin_rc=$?\n{ pwd; env -0; } > "$__ZHIXIN_STATE"\nexit $__zhixin_rc\n`;
    const child = spawn("bash", ["-c", script], {
      cwd: this.cwd,
      env: { ...this.env, __ZHIXIN_STATE: this.stateFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const run = await collect(child, COMMAND_TIMEOUT_MS);
    const state = await readFile(this.stateFile, "utf8").catch(() => "");
    const newline = state.indexOf("\n");
    if (newline > 0) {
      this.cwd = state.slice(0, newline);
      const env: Record<string, string> = {};
      for (const pair of state.slice(newline + 1).split("\0")) {
        const eq = pair.indexOf("=");
        if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      for (const name of ["_", "PWD", "OLDPWD", "SHLVL", "__ZHIXIN_STATE"]) delete env[name];
      this.env = env;
    }
    return run;
  }

  /** Starts a long-running command (the consortium) in its own process group. */
  startBackground(command: string): { child: ChildProcess; output: () => string } {
    const child = spawn("bash", ["-c", command], {
      cwd: this.cwd,
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    return { child, output: () => output };
  }
}

function collect(child: ChildProcess, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `timed out after ${timeoutMs} ms; stdout ${stdout.slice(-500)} stderr ${stderr.slice(-500)}`,
        ),
      );
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

async function waitForHealth(url: string, output: () => string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the consortium exited (${child.exitCode}):\n${output()}`);
    try {
      const response = await fetch(`${url}/v1/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the consortium did not answer on ${url} within 60 s:\n${output()}`);
}

function title(step: Step): string {
  const first = step.kind === "server" ? step.command : (step.commands[0] ?? "");
  return `line ${step.line}: ${first.split("\n")[0]?.slice(0, 90)}`;
}

for (const page of walkthroughPages) {
  const steps = parseWalkthrough(await readFile(join(ROOT, page), "utf8"));

  describe(`${page} runs as written`, () => {
    let scratch: string;
    let session: Session;
    let server: { child: ChildProcess; output: () => string } | undefined;
    let apiUrl: string;

    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), "zhixin-walkthrough-"));
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) {
        if (v !== undefined && !k.startsWith("ZHIXIN_") && !k.startsWith("VITEST") && k !== "NODE_OPTIONS")
          env[k] = v;
      }
      // The settings a reader who needs other ports or a second home would change
      // (docs/LOCAL.md); the ports are chosen when the consortium starts (below).
      env.ZHIXIN_HOME = join(scratch, "home");
      session = new Session(ROOT, env, scratch);
    });

    afterAll(async () => {
      if (server?.child.pid !== undefined && server.child.exitCode === null) {
        const exited = new Promise((r) => server?.child.once("exit", r));
        process.kill(-server.child.pid, "SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (server.child.exitCode === null) process.kill(-server.child.pid, "SIGKILL");
      }
      await rm(scratch, { recursive: true, force: true });
    });

    it("has steps to run", () => {
      expect(steps.filter((s) => s.kind === "run").length).toBeGreaterThan(0);
    });

    for (const step of steps) {
      if (step.kind === "skip") continue;
      it(title(step), async () => {
        if (step.kind === "server") {
          // Free ports are chosen just before the start, and chosen again if another process
          // (a test's s3rver or witnesses, on ports the OS picks) took one in between.
          for (let attempt = 1; ; attempt++) {
            const [port, dynamoPort, s3Port] = [await freePort(), await freePort(), await freePort()];
            apiUrl = `http://127.0.0.1:${port}`;
            session.setEnv({
              ZHIXIN_PORT: String(port),
              ZHIXIN_DYNAMODB_PORT: String(dynamoPort),
              ZHIXIN_S3_PORT: String(s3Port),
              ZHIXIN_URL: apiUrl,
            });
            server = session.startBackground(step.command);
            try {
              await waitForHealth(apiUrl, server.output, server.child);
              return;
            } catch (e) {
              if (attempt >= 3 || !server.output().includes("EADDRINUSE")) throw e;
            }
          }
        }
        for (const [i, command] of step.commands.entries()) {
          const run = await session.run(command);
          const last = i === step.commands.length - 1;
          const problems = checkOutput(last ? step.expect : undefined, run);
          if (problems.length > 0) {
            expect.fail(
              `${page}:${step.line} ${command}\n  ${problems.join("\n  ")}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}\n--- the consortium's output\n${server?.output().slice(-3000) ?? "(not started)"}`,
            );
          }
        }
      });
    }
  });
}

describe("reference pages show shell commands only with a reason not to run them", () => {
  it.each(referencePages)("%s", async (page) => {
    const steps = parseWalkthrough(await readFile(join(ROOT, page), "utf8"));
    const runnable = steps.filter((s) => s.kind !== "skip").map((s) => `line ${s.line}`);
    expect(
      runnable,
      "move these into a walkthrough page, or tag them (test/support/walkthrough.ts SKIP_REASONS)",
    ).toEqual([]);
  });
});
