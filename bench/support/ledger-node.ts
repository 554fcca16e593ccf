import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SuiteName } from "#chain";
import { startLocalConsortium } from "../../local/consortium-node.js";

/**
 * The local consortium as its own process, the way `npm start` runs it beside the
 * `zhixin` CLI: dynalite, the handlers and (optionally) the seal timer share this
 * process's event loop, while the benchmark's clients, sealer and auditor run in the
 * parent. A process of its own also gives each run a fresh handler runtime, which is
 * built once per process from the environment (functions/runtime/runtime.ts).
 *
 *   argv[2]   seal interval in ms (0: no timer)
 *   argv[3]   consortium file (default: consortium.example.json; a gm one makes a gm ledger)
 *
 * Messages (IPC): sends { ready: { url, home, dynamoEndpoint, table, log, suite } } once
 * listening; on { stop: true } or a lost parent, stops, removes its home and exits.
 */

export interface LedgerNodeReady {
  url: string;
  home: string;
  dynamoEndpoint: string;
  table: string;
  log: string;
  /** The consortium file's suite: what its members sign with and its ledger hashes with. */
  suite: SuiteName;
}

// Only as a forked entry point: a runner that imports every file under bench/ must not start it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}

async function main(): Promise<void> {
  const sealIntervalMs = Number(process.argv[2] ?? "0");
  if (!Number.isSafeInteger(sealIntervalMs) || sealIntervalMs < 0 || !process.send) {
    console.error("usage: forked by bench/ledger.ts with a seal interval in ms [and a consortium file]");
    process.exit(2);
  }

  const home = await mkdtemp(join(tmpdir(), "zhixin-bench-"));
  const node = await startLocalConsortium({
    home,
    consortiumFile:
      process.argv[3] ?? fileURLToPath(new URL("../../consortium.example.json", import.meta.url)),
    port: 0,
    dynamoPort: 0,
    sealIntervalMs,
  });

  let stopping = false;
  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    await node.stop();
    await rm(home, { recursive: true, force: true });
    process.exit(0);
  }
  process.on("message", (message: { stop?: boolean }) => {
    if (message.stop) void stop();
  });
  process.on("disconnect", () => void stop());

  const ready: LedgerNodeReady = {
    url: node.url,
    home,
    dynamoEndpoint: node.dynamo.endpoint,
    table: node.table,
    log: node.consortium.log,
    suite: node.consortium.suite,
  };
  process.send({ ready });
}
