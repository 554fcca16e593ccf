import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { scanAll } from "../../functions/store/snapshot.js";
import { type LocalConsortium, startLocalConsortium } from "../../local/consortium-node.js";
import { testConsortiumFile } from "./test-suite.js";

/**
 * The `zhixin` CLI as a user runs it (node bin/zhixin.js, a child process) against a
 * whole local consortium started in the test's process: real HTTP, signatures, dynalite.
 */

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "zhixin.js");
export const CONSORTIUM = join(ROOT, "consortium.example.json");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliConsortium {
  node: LocalConsortium;
  /** ZHIXIN_HOME of every run: the consortium's home, keys included. */
  home: string;
  /** ZHIXIN_CONSORTIUM of every run: the example file, or its gm form under ZHIXIN_TEST_SUITE=gm. */
  consortiumFile: string;
  /** A scratch folder for the files the CLI reads. */
  work: string;
  /**
   * `zhixin <args>` from the repository root, aimed at the consortium by ZHIXIN_URL,
   * ZHIXIN_HOME and ZHIXIN_CONSORTIUM (`env` adds or overrides); `stdin` is its input.
   */
  zhixin(args: string[], env?: Record<string, string>, stdin?: string): Promise<CliRun>;
  /** Writes `text` to `name` in the scratch folder; returns its path. */
  writeWork(name: string, text: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A local consortium (temp home, free ports, no seal timer: tests seal with `zhixin seal`)
 * and a scratch folder, named zhixin-`name`-home-… and zhixin-`name`-work-….
 */
export async function startCliConsortium(name: string): Promise<CliConsortium> {
  const home = await mkdtemp(join(tmpdir(), `zhixin-${name}-home-`));
  const work = await mkdtemp(join(tmpdir(), `zhixin-${name}-work-`));
  const removeDirs = async () => {
    await rm(home, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  };
  let node: LocalConsortium;
  const consortiumFile = await testConsortiumFile(home);
  try {
    node = await startLocalConsortium({
      home,
      consortiumFile,
      port: 0,
      dynamoPort: 0,
      sealIntervalMs: 0,
    });
  } catch (error) {
    await removeDirs();
    throw error;
  }
  return {
    node,
    home,
    work,
    consortiumFile,
    zhixin: zhixinAt(node.url, home, consortiumFile),
    async writeWork(name, text) {
      const path = join(work, name);
      await writeFile(path, text);
      return path;
    },
    async stop() {
      await node.stop();
      await removeDirs();
    },
  };
}

/**
 * `zhixin <args>` from the repository root, aimed at the node at `url` whose home is `home`
 * (ZHIXIN_URL, ZHIXIN_HOME, ZHIXIN_CONSORTIUM; `env` adds or overrides).
 */
export function zhixinAt(url: string, home: string, consortium = CONSORTIUM): CliConsortium["zhixin"] {
  return (args, env = {}, stdin = "") =>
    new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [BIN, ...args],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
            ZHIXIN_URL: url,
            ZHIXIN_HOME: home,
            ZHIXIN_CONSORTIUM: consortium,
            ...env,
          },
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(stdin);
    });
}

/** Every item of the node's table, sorted: compare before/after to prove a refusal wrote nothing. */
export function tableSnapshot(cli: CliConsortium): Promise<unknown[]> {
  return scanAll(cli.node.dynamo.client, cli.node.table);
}

let deposits = 0;
/** `zhixin submit --as <department>` of a new housing-fund deposit certificate, from a file. */
export async function submitDeposit(cli: CliConsortium, department: string): Promise<CliRun> {
  deposits += 1;
  const file = await cli.writeWork(
    `deposit-${deposits}.json`,
    JSON.stringify({ citizen: "460100199001011234", months: deposits, status: "active" }),
  );
  return cli.zhixin([
    "submit",
    "--as",
    department,
    "--type",
    "housing-fund.deposit-certificate",
    "--file",
    file,
  ]);
}
