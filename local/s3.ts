import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

/**
 * s3rver — the embedded S3-compatible server (objects as files on disk) — for local mode
 * and integration tests, as dynalite is for the table: clients talk to it over the real
 * S3 REST protocol with the real SDK. It keeps no versions, no Object Lock and ignores
 * conditional-write headers (If-Match, If-None-Match); the tile publisher needs none of
 * them (functions/ledger/publish.ts), and the bucket on AWS has all three (cdk/lib/).
 */

interface S3rverOptions {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: Array<{ name: string }>;
}
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: S3rverOptions) => S3rverServer;

// s3rver is CommonJS without type declarations; loading it through require keeps the
// one untyped value behind the small interface above.
const S3rver = createRequire(import.meta.url)("s3rver") as S3rverClass;

export interface LocalS3 {
  endpoint: string;
  port: number;
  /** Dummy credentials, path-style addressing: nothing here can reach AWS. */
  client: S3Client;
  /** The directory the server keeps its buckets in. */
  directory: string;
  /** Destroys the client, closes the server, and removes the directory if it was a temp one. */
  stop(): Promise<void>;
}

export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
}

/**
 * Starts s3rver on 127.0.0.1 with `buckets` created, on disk: in `directory` (kept) or a
 * temp dir (removed on stop). Port 0 (the default) lets the OS choose.
 */
export async function startS3(
  options: { directory?: string; port?: number; buckets?: readonly string[] } = {},
): Promise<LocalS3> {
  const ownDir = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), "zhixin-s3rver-")));
  const server = new S3rver({
    address: "127.0.0.1",
    port: options.port ?? 0,
    directory,
    silent: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localS3Client(endpoint);
  return {
    endpoint,
    port,
    client,
    directory,
    async stop() {
      client.destroy();
      await server.close();
      if (ownDir) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Creates a bucket (S3 wants 3–63 of [a-z0-9.-]); an existing one of ours is fine. */
export async function createBucket(client: S3Client, name: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (err) {
    if ((err as { name?: string }).name !== "BucketAlreadyOwnedByYou") throw err;
  }
}
