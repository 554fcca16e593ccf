import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSORTIUM, ROOT } from "../../support/cli.js";

// `zhixin` and `npm start` find the consortium file and ZHIXIN_HOME in the project root
// from any directory: a scratch folder outside the clone, a subfolder of it, through
// PATH or a symlink. Nothing here writes to the clone's own .zhixin: the CLI runs only
// --help and commands that stop at a usage or key error, and `npm start` gets a
// temporary ZHIXIN_HOME.

const BIN = join(ROOT, "bin");
const HOME = join(ROOT, ".zhixin");
const SUBFOLDER = join(ROOT, "docs");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "zhixin-home-"));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The environment without ZHIXIN_HOME and ZHIXIN_CONSORTIUM, plus `extra`. */
function envWithout(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
  delete env.ZHIXIN_HOME;
  delete env.ZHIXIN_CONSORTIUM;
  // Nothing listens here: a command that got as far as the network would fail to connect.
  env.ZHIXIN_URL = "http://127.0.0.1:9";
  return { ...env, ...extra };
}

function run(file: string, args: string[], cwd: string, env = envWithout()): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** `node <root>/bin/zhixin.js <args>` in `cwd`. */
const zhixin = (args: string[], cwd: string, env?: NodeJS.ProcessEnv) =>
  run(process.execPath, [join(BIN, "zhixin.js"), ...args], cwd, env);

describe("zhixin's default paths, from any directory", () => {
  it.each([
    ["a folder outside the clone", () => scratch],
    ["a subfolder of the clone", () => SUBFOLDER],
    ["the clone", () => ROOT],
  ])("--help shows the clone's home and consortium file, run in %s", async (_, cwd) => {
    const help = await zhixin(["--help"], cwd());
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(HOME);
    expect(help.stdout).toContain(CONSORTIUM);
  });

  it.each([
    ["a folder outside the clone", () => scratch],
    ["a subfolder of the clone", () => SUBFOLDER],
  ])("reads the clone's consortium file, run in %s", async (_, cwd) => {
    // The member check reads the consortium file and names it; it stops there.
    const run = await zhixin(["get", "0".repeat(32), "--as", "no-such-member"], cwd());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`(${CONSORTIUM})`);
  });

  it.each([
    ["a folder outside the clone", () => scratch],
    ["a subfolder of the clone", () => SUBFOLDER],
  ])("looks for keys in the clone's home, run in %s", async (_, cwd) => {
    // A member that no home has a key for: the key error names where it looked.
    const consortium = JSON.parse(await readFile(CONSORTIUM, "utf8"));
    consortium.auditors.push({ ...consortium.auditors[0], id: "home-probe", principal: "999999999999" });
    const file = join(scratch, "probe-consortium.json");
    await writeFile(file, JSON.stringify(consortium));
    const run = await zhixin(
      ["get", "0".repeat(32), "--as", "home-probe"],
      cwd(),
      envWithout({ ZHIXIN_CONSORTIUM: file }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(join(HOME, "keys", "home-probe.pem"));
  });

  it("takes ZHIXIN_HOME and ZHIXIN_CONSORTIUM relative to the current directory", async () => {
    const help = await zhixin(["get", "0".repeat(32), "--as", "no-such-member"], scratch, {
      ...envWithout({ ZHIXIN_CONSORTIUM: "mine.json" }),
    });
    expect(help.code).toBe(2);
    expect(help.stderr).toContain(join(scratch, "mine.json"));
  });

  it("runs as `zhixin` on PATH, and through symlinks to bin/zhixin and bin/zhixin.js", async () => {
    const links = join(scratch, "links");
    await mkdir(links, { recursive: true });
    await symlink(join(BIN, "zhixin"), join(links, "zx"));
    await symlink(join(BIN, "zhixin.js"), join(links, "zx.js"));
    const onPath = await run(
      "sh",
      ["-c", "zhixin --help"],
      scratch,
      envWithout({ PATH: `${BIN}:${process.env.PATH}` }),
    );
    const viaShell = await run(join(links, "zx"), ["--help"], scratch);
    const viaJs = await run(join(links, "zx.js"), ["--help"], scratch);
    for (const r of [onPath, viaShell, viaJs]) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(CONSORTIUM);
    }
  });
});

describe("npm start's default paths", () => {
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("run in a folder outside the clone, uses the clone's consortium file", async () => {
    const home = join(scratch, "start-home");
    child = spawn(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "local", "start.ts")], {
      cwd: scratch,
      env: envWithout({
        ZHIXIN_HOME: home,
        ZHIXIN_PORT: "0",
        ZHIXIN_DYNAMODB_PORT: "0",
        ZHIXIN_S3_PORT: "0",
        ZHIXIN_SEAL_INTERVAL: "off",
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => {
      stdout += String(chunk);
    });
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const code = await new Promise<number | null>((resolve) => {
      child?.once("exit", (c) => resolve(c));
      child?.stdout?.on("data", () => {
        if (stdout.includes("Ctrl-C stops")) resolve(null);
      });
    });
    expect(stderr).toBe("");
    expect(code).toBeNull();
    expect(stdout).toContain(CONSORTIUM);
    expect(stdout).toContain(home);
  });
});
