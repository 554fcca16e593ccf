import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";

/**
 * dynalite — the embedded DynamoDB-compatible server (LevelDB on disk) — for local mode
 * and integration tests. Clients talk to it over the real DynamoDB JSON wire protocol
 * with the real SDK. It lacks TransactWriteItems/TransactGetItems and TTL expiry
 * (ARCHITECTURE §7), which Zhixin never uses.
 */

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}
interface DynaliteServer {
  listen(port: number, host: string, cb: (err?: Error) => void): void;
  close(cb: (err?: Error | null) => void): void;
  closeAllConnections?(): void;
  address(): AddressInfo | string | null;
  once(event: "error", cb: (err: Error) => void): void;
}
type DynaliteFactory = (options: DynaliteOptions) => DynaliteServer;

// dynalite is CommonJS without type declarations; loading it through require keeps the
// one untyped value behind the small interface above.
const dynalite = createRequire(import.meta.url)("dynalite") as DynaliteFactory;

export interface LocalDynamo {
  endpoint: string;
  port: number;
  /** Dummy credentials, region "local": nothing here can reach AWS. */
  client: DynamoDBClient;
  /** The LevelDB directory the server stores its tables in. */
  path: string;
  /** Destroys the client, closes the server, and removes the directory if it was a temp one. */
  stop(): Promise<void>;
}

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

/**
 * Starts dynalite on 127.0.0.1, on disk: in `path` (kept) or a temp dir (removed on stop).
 * Port 0 (the default) lets the OS choose.
 */
export async function startDynalite(options: { path?: string; port?: number } = {}): Promise<LocalDynamo> {
  const ownDir = options.path === undefined;
  const path = options.path ?? (await mkdtemp(join(tmpdir(), "zhixin-dynalite-")));
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", (err) => (err ? reject(err) : resolve()));
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("dynalite is not listening on TCP");
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = localDynamoClient(endpoint);
  return {
    endpoint,
    port: address.port,
    client,
    path,
    async stop() {
      client.destroy();
      // The SDK keeps connections alive; close() would wait for them to time out.
      server.closeAllConnections?.();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      if (ownDir) await rm(path, { recursive: true, force: true });
    },
  };
}
