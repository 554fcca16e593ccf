import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { assertLedgerSuite } from "../functions/ledger/ledger-suite.js";
import { loadConsortium } from "../functions/runtime/consortium-file.js";
import { DynamoDbLedgerStore } from "../functions/store/dynamodb-store.js";
import { createLedgerTable } from "../functions/store/table.js";
import type { Clock } from "../lib/clock.js";
import type { Consortium } from "../lib/consortium/consortium.js";
import { suiteOf } from "../lib/consortium/consortium.js";
import { keyFile } from "../lib/local-home.js";
import { consoleRoutes } from "./console.js";
import { type LocalDynamo, startDynalite } from "./dynalite.js";
import { type IntroducedKey, introduceDepartmentKeys } from "./genesis.js";
import { refuseLedgerBeforeDerivedKeyIds } from "./key-ids.js";
import { ensureLocalKeys } from "./keys.js";
import { createBucket, type LocalS3, startS3 } from "./s3.js";
import { type LocalServer, serveHandler } from "./server.js";
import { type LocalWitness, startLocalWitnesses } from "./witnesses.js";
/**
 * A whole consortium on one machine: dynalite on disk, local keys, the three Lambda
 * handlers behind a loopback HTTP server, and the sealer on a timer. `npm start` runs
 * it; the end-to-end tests start it in-process with temp dirs and port 0.
 */

/** The local bucket the log is published to (one consortium per home). */
export const TILES_BUCKET = "zhixin-tiles";

export interface LocalConsortiumOptions {
  home: string;
  consortiumFile: string;
  /** HTTP API port (0: any free port). */
  port: number;
  /** dynalite port (0: any free port). */
  dynamoPort: number;
  /** s3rver port, where the log's tiles are published (0: any free port). */
  s3Port?: number;
  /** Milliseconds between seals; 0 disables the timer (seal with POST /local/seal). */
  sealIntervalMs: number;
  /**
   * The consortium's time, for the API and the sealer (default: the system clock).
   * Tests move it rather than wait for it, e.g. to a minute's start for a rate window.
   */
  clock?: Clock;
  log?: (line: string) => void;
  /**
   * Introduce every department's key that has no key record yet, with a self-signed
   * zhixin.key.add (./genesis.ts): what `npm start` does; tests that count entries from an
   * empty ledger leave it off.
   */
  introduceKeys?: boolean;
  /** The built web console to serve at /console/ (local/console.ts); none when absent. */
  consoleDir?: string;
}

export interface LocalConsortium {
  url: string;
  dynamo: LocalDynamo;
  table: string;
  /** The embedded S3 server and the bucket the sealer publishes the log's tiles to. */
  s3: LocalS3;
  tilesBucket: string;
  /** The witnessing departments' witnesses, in this process. */
  witnesses: LocalWitness[];
  consortium: Consortium;
  home: string;
  generatedKeys: string[];
  /** The departments' keys this start introduced (./genesis.ts), pending until the next seal. */
  introducedKeys: IntroducedKey[];
  /** Seals now (serialised with the timer). */
  seal(): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startLocalConsortium(options: LocalConsortiumOptions): Promise<LocalConsortium> {
  const home = resolve(options.home);
  const log = options.log ?? (() => {});
  await mkdir(home, { recursive: true, mode: 0o700 });
  const consortiumFile = resolve(options.consortiumFile);
  const consortium = loadConsortium(consortiumFile);
  const dynamo = await startDynalite({ path: resolve(home, "dynamodb"), port: options.dynamoPort });
  const table = `zhixin-${consortium.consortium}-ledger`;
  try {
    await createLedgerTable(dynamo.client, table);
    // Before the keys: a refused home keeps the trust bundle its ledger was signed under.
    const store = new DynamoDbLedgerStore(dynamo.client, table);
    await refuseLedgerBeforeDerivedKeyIds(store, home);
    // And one sealed under another suite than the file's now (docs/formats/suites.md §2).
    await assertLedgerSuite(store, suiteOf(consortium));
  } catch (e) {
    await dynamo.stop();
    throw e;
  }
  const keys = await ensureLocalKeys(home, consortium, new Date());
  const s3 = await startS3({ directory: resolve(home, "s3"), port: options.s3Port ?? 0 });
  const witnesses = await startLocalWitnesses({
    home,
    consortium,
    client: dynamo.client,
    sealerKeyFile: keyFile(home, "sealer"),
    clock: options.clock ?? { now: () => new Date() },
    log,
  });
  await createBucket(s3.client, TILES_BUCKET);

  // The handlers read their wiring from the environment, exactly as in Lambda.
  Object.assign(process.env, {
    ZHIXIN_TABLE: table,
    ZHIXIN_DYNAMODB_ENDPOINT: dynamo.endpoint,
    ZHIXIN_CONSORTIUM_FILE: consortiumFile,
    ZHIXIN_KEYS_FILE: keys.trustFile,
    ZHIXIN_SEALER_KEY_FILE: keyFile(home, "sealer"),
    ZHIXIN_SUBJECT_KEY_FILE: keys.subjectKeyFile,
    ZHIXIN_TILES_BUCKET: TILES_BUCKET,
    ZHIXIN_S3_ENDPOINT: s3.endpoint,
    ZHIXIN_WITNESSES: JSON.stringify(witnesses.witnesses.map((w) => ({ url: w.url, vkey: w.vkey }))),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    // Handlers log JSON for CloudWatch; locally only warnings and errors, next to our own lines.
    LOG_LEVEL: process.env.LOG_LEVEL ?? "WARN",
  });
  const api = await import("../functions/submit/handler.js");
  const sealFn = await import("../functions/seal-block/handler.js");
  const verifyFn = await import("../functions/verify/handler.js");
  const { getApiRuntime, getSealerRuntime } = await import("../functions/runtime/runtime.js");
  const { sealBlock } = await import("../functions/ledger/sealer.js");
  const { clock } = options;
  const apiHandler = clock
    ? api.submitHandler({ runtime: async () => ({ ...(await getApiRuntime()), clock }) })
    : api.handler;
  const sealHandler = clock
    ? sealFn.sealBlockHandler({
        runtime: async () => ({ ...(await getSealerRuntime()), clock }),
        seal: sealBlock,
        // Only a Lambda invocation's sealing loop reads these; local mode seals once.
        now: () => clock.now().getTime(),
        sleep: (ms) => sleep(ms),
      })
    : sealFn.handler;

  // One seal at a time in this process, like the stack's reserved concurrency of 1.
  let sealing: Promise<unknown> = Promise.resolve();
  const seal = () => {
    const run = sealing.then(() => sealHandler());
    sealing = run.catch(() => undefined);
    return run;
  };

  const consoleLocal =
    options.consoleDir === undefined
      ? undefined
      : consoleRoutes({ dir: options.consoleDir, home, consortium });
  const server: LocalServer = await serveHandler({
    handler: apiHandler,
    port: options.port,
    // Local-only administration, standing in for `aws lambda invoke` on AWS.
    local: async (request) => {
      const { method, path, body } = request;
      if (method === "POST" && path === "/local/seal") return { statusCode: 200, body: await seal() };
      if (method === "POST" && path === "/local/verify") {
        let payload: unknown;
        try {
          payload = body.trim() === "" ? {} : JSON.parse(body);
        } catch {
          return {
            statusCode: 400,
            body: { error: { code: "INVALID_JSON", message: "verify payload is not JSON" } },
          };
        }
        return { statusCode: 200, body: await verifyFn.handler(payload) };
      }
      return consoleLocal?.(request);
    },
  });

  let introducedKeys: IntroducedKey[] = [];
  if (options.introduceKeys) {
    try {
      introducedKeys = await introduceDepartmentKeys({
        url: server.url,
        home,
        consortium,
        store: new DynamoDbLedgerStore(dynamo.client, table),
      });
    } catch (e) {
      await server.close();
      await witnesses.stop();
      await Promise.all([dynamo.stop(), s3.stop()]);
      throw e;
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  if (options.sealIntervalMs > 0) {
    // Fixed rate, like the EventBridge schedule: the next tick is due one interval after
    // the last one started, not after it ended, so a slow seal does not stretch the cycle;
    // and at once after a full block (`more`), as the Lambda's seal loop does (seal-run.ts).
    const tick = async () => {
      const started = Date.now();
      let more = false;
      try {
        const result = (await seal()) as { sealed: boolean; height: number; entries?: number; more?: true };
        if (result.sealed) log(`sealed block ${result.height} (${result.entries} entries)`);
        more = result.sealed && result.more === true;
      } catch (e) {
        log(`seal failed: ${(e as Error).message}`);
      }
      const wait = more ? 0 : Math.max(0, options.sealIntervalMs - (Date.now() - started));
      if (!stopped) timer = setTimeout(tick, wait);
    };
    timer = setTimeout(tick, options.sealIntervalMs);
  }

  return {
    url: server.url,
    dynamo,
    table,
    s3,
    tilesBucket: TILES_BUCKET,
    witnesses: witnesses.witnesses,
    consortium,
    home,
    generatedKeys: keys.generated,
    introducedKeys,
    seal,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await sealing;
      await server.close();
      await witnesses.stop();
      await Promise.all([dynamo.stop(), s3.stop()]);
    },
  };
}

/** "2s", "500ms", "1m" → milliseconds; "0" or "off" → 0. */
export function parseInterval(text: string): number {
  if (text === "0" || text === "off") return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  if (!m)
    throw new Error(
      `ZHIXIN_SEAL_INTERVAL must look like 500ms, 2s or 1m (or off), got ${JSON.stringify(text)}`,
    );
  const n = Number(m[1]);
  return Math.round(m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000);
}
