import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { localS3Client } from "../functions/store/s3/tile-store.js";

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
  store: FilesystemStore;
}
/** The part of s3rver's filesystem store (lib/stores/filesystem.js) that durablePuts replaces. */
interface FilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
}
interface StoredObject {
  bucket: string;
  key: string;
  content: Buffer | NodeJS.ReadableStream;
  metadata: unknown;
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
  durablePuts(server.store);
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

/**
 * s3rver 3.7.1 (its last release) answers a PUT once the body is handed to a file write
 * stream, not once it is written, and writes in place: a GET right after the PUT can read
 * an empty or cut-off object. S3 is read-after-write consistent, and the tile publisher
 * relies on it (functions/store/tile-store.ts). So the object is written to a temporary
 * file beside it (s3rver lists only names ending in `._S3rver_object`), then renamed over
 * it, and the PUT is answered after that.
 */
function durablePuts(store: FilesystemStore): void {
  store.putObject = async (object) => {
    const content = Buffer.isBuffer(object.content) ? object.content : await readAll(object.content);
    const objectPath = store.getResourcePath(object.bucket, object.key, "object");
    await mkdir(dirname(objectPath), { recursive: true });
    const temporary = `${objectPath}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(temporary, content);
    await rename(temporary, objectPath);
    const md5 = createHash("md5").update(content).digest("hex");
    await store.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size: content.length, md5 };
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Creates a bucket (S3 wants 3–63 of [a-z0-9.-]); an existing one of ours is fine. */
export async function createBucket(client: S3Client, name: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } catch (err) {
    // s3rver says BucketAlreadyExists even for its own bucket (a restart of npm start).
    const code = (err as { name?: string }).name;
    if (code !== "BucketAlreadyOwnedByYou" && code !== "BucketAlreadyExists") throw err;
  }
}
