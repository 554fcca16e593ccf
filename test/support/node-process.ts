import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * `npm start` as a separate process (node --import tsx local/start.ts, the real entry
 * point), in its own process group so a test can kill the whole node at once — the
 * SIGKILL of a crash, not the SIGINT of a clean stop. Its output is captured, never
 * printed: the URLs are read from its banner.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STARTUP_MS = 30_000;

export interface NodeProcessOptions {
  home: string;
  /** HTTP API port; 0 (the default) lets the OS choose. */
  port?: number;
  /** dynalite port; 0 (the default) lets the OS choose. */
  dynamoPort?: number;
  /** ZHIXIN_SEAL_INTERVAL, e.g. "200ms" or "off". */
  sealInterval: string;
  /** More environment for this start, e.g. ZHIXIN_ROTATE_KEYS. */
  env?: Record<string, string>;
}

export interface NodeProcess {
  home: string;
  /** The HTTP API, e.g. http://127.0.0.1:39713. */
  url: string;
  /** The node's dynalite, for reading the table directly. */
  dynamoEndpoint: string;
  port: number;
  dynamoPort: number;
  /** Everything the node wrote to stdout and stderr so far. */
  output(): string;
  /** SIGKILL to the node's whole process group; resolves once the node has exited. */
  kill(): Promise<void>;
  /** SIGINT (Ctrl-C, a clean stop); resolves once the node has exited. */
  stop(): Promise<void>;
}

/** Starts the node and resolves once it serves (its banner is out), or throws with its output. */
export async function startNodeProcess(options: NodeProcessOptions): Promise<NodeProcess> {
  const { child, output } = spawnNode(options);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + STARTUP_MS;
  while (!output().includes("Ctrl-C stops")) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      killGroup(child, "SIGKILL");
      throw new Error(`the node did not come up:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /HTTP API\s+(http:\/\/127\.0\.0\.1:(\d+))/.exec(output());
  const dynamo = /DynamoDB \(local\)\s+(http:\/\/127\.0\.0\.1:(\d+))/.exec(output());
  if (!url || !dynamo) {
    killGroup(child, "SIGKILL");
    throw new Error(`no URLs in the node's banner:\n${output()}`);
  }
  return {
    home: options.home,
    url: url[1] as string,
    dynamoEndpoint: dynamo[1] as string,
    port: Number(url[2]),
    dynamoPort: Number(dynamo[2]),
    output,
    async kill() {
      killGroup(child, "SIGKILL");
      await exited;
    },
    async stop() {
      killGroup(child, "SIGINT");
      await exited;
    },
  };
}

/**
 * Runs the node until it exits by itself — a start it refuses — and resolves with its exit
 * code and output. One that serves instead is killed, and this throws.
 */
export async function runNodeToExit(
  options: NodeProcessOptions,
): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnNode(options);
  const code = await new Promise<number | null>((resolve) => {
    child.once("exit", (c) => resolve(c));
    const watch = setInterval(() => {
      if (!output().includes("Ctrl-C stops")) return;
      clearInterval(watch);
      killGroup(child, "SIGKILL");
    }, 50);
    child.once("exit", () => clearInterval(watch));
  });
  if (output().includes("Ctrl-C stops")) throw new Error(`the node served instead of refusing:\n${output()}`);
  return { code, output: output() };
}

function spawnNode(options: NodeProcessOptions): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], {
    cwd: ROOT,
    detached: true,
    env: {
      ...process.env,
      ZHIXIN_HOME: options.home,
      ZHIXIN_PORT: String(options.port ?? 0),
      ZHIXIN_DYNAMODB_PORT: String(options.dynamoPort ?? 0),
      ZHIXIN_S3_PORT: "0",
      ZHIXIN_SEAL_INTERVAL: options.sealInterval,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  return { child, output: () => out };
}

/**
 * Starts the node again on `previous`'s home and ports (after it has exited) — or, should
 * another process have taken one of those ports meanwhile, on free ones.
 */
export async function restartNodeProcess(
  previous: NodeProcess,
  sealInterval: string,
  env?: Record<string, string>,
): Promise<NodeProcess> {
  const again = { home: previous.home, sealInterval, ...(env === undefined ? {} : { env }) };
  try {
    return await startNodeProcess({ ...again, port: previous.port, dynamoPort: previous.dynamoPort });
  } catch (e) {
    if (!(e as Error).message.includes("already in use")) throw e;
    return startNodeProcess(again);
  }
}

/** Signals the child's process group (it leads one: spawned detached); nothing if it has exited. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}
