import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { ZhixinClient } from "../../cli/client.js";
import { loadIdentity } from "../../cli/identity.js";
import { type CryptoSuite, INTL } from "../../lib/chain/index.js";
import { ROOT } from "./cli.js";

/**
 * What the `zhixin ship` tests share: the shipper as a child process a test can SIGKILL,
 * the S5 generator's output, and the count that proves exactly-once — every record of
 * a type that a department wrote, read back from the sealed blocks.
 */

const BIN = join(ROOT, "bin", "zhixin.js");
const GENERATOR = join(ROOT, "examples", "s5", "db-operations.mjs");
export const CONSORTIUM = join(ROOT, "consortium.example.json");
export const DB_OPERATION = "audit.db-operation";

export interface ShipperProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Receipt lines printed so far. */
  receipts(): Array<{ records: number; nonce: string; replayed?: boolean }>;
  /** Resolves with the exit code (null when killed). */
  exited: Promise<number | null>;
  /** SIGKILL (a crash); resolves once it has exited. */
  kill(): Promise<void>;
}

/** `zhixin ship <args>` against the node at `url` with the keys of `home`. */
export function startShipper(
  args: string[],
  env: { url: string; home: string; consortium?: string },
): ShipperProcess {
  const child = spawn(process.execPath, [BIN, "ship", ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      ZHIXIN_URL: env.url,
      ZHIXIN_HOME: env.home,
      ZHIXIN_CONSORTIUM: env.consortium ?? CONSORTIUM,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    receipts: () =>
      out
        .split("\n")
        .filter((l) => l.endsWith("}"))
        .map((l) => JSON.parse(l)),
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** The generator's records [from, from + count) as ndjson text. */
export function generateOps(from: number, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GENERATOR, "--from", String(from), "--count", String(count)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`generator exited ${code}`))));
  });
}

/** Waits until `condition` holds, polling; throws `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Seals until nothing is pending (local mode), then reads every sealed block's leaves as
 * `department` and returns the data of each of its records of `type`, in log order.
 */
export async function sealedRecordsOf(
  node: { url: string; home: string; suite?: CryptoSuite },
  department: string,
  type: string,
): Promise<Array<Record<string, unknown>>> {
  const identity = await loadIdentity(node.suite ?? INTL, node.home, department);
  const client = new ZhixinClient({ url: node.url, ...identity });
  for (let i = 0; i < 100; i++) {
    const result = await client.seal();
    if (!result.sealed && result.reason === "nothing-pending") break;
  }
  const latest = (await client.latestBlock()).header.height;
  const records: Array<Record<string, unknown>> = [];
  for (let height = 1; height <= latest; height++) {
    for (let start: number | null = 0; start !== null; ) {
      const part = await client.blockEntries(height, start);
      for (const leaf of part.entries) {
        const envelope = leaf.envelope as { dept?: string; type?: string } | null;
        if (envelope?.dept !== department || envelope.type !== type) continue;
        if (leaf.payload === null) throw new Error(`entry ${leaf.id}: its payload is not readable`);
        records.push(JSON.parse(leaf.payload));
      }
      start = part.next;
    }
  }
  return records;
}

/** The `seq` numbers of records (the generator's), sorted; duplicates stay, to be seen. */
export function seqs(records: ReadonlyArray<Record<string, unknown>>): number[] {
  return records.map((r) => r.seq as number).sort((a, b) => a - b);
}

export function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}
