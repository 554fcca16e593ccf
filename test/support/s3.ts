import { randomBytes } from "node:crypto";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { S3TileStore } from "../../functions/store/s3/tile-store.js";
import { createBucket } from "../../local/s3.js";

// Tests use the same embedded server as local mode: s3rver over the real S3 protocol.
export { type LocalS3, startS3 } from "../../local/s3.js";

/** Creates a bucket with a fresh name and returns the name. */
export async function freshBucket(client: S3Client, prefix = "tiles"): Promise<string> {
  const name = `${prefix}-${randomBytes(6).toString("hex")}`;
  await createBucket(client, name);
  return name;
}

/** A tile store on a fresh bucket. */
export async function freshTileStore(client: S3Client): Promise<{ bucket: string; tiles: S3TileStore }> {
  const bucket = await freshBucket(client);
  return { bucket, tiles: new S3TileStore(client, bucket) };
}

/** An object's bytes, read past the tile store (as a client of the bucket, or an operator, would). */
export async function readObject(client: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
}

/** Writes an object past the tile store: what an operator with the bucket could do. */
export async function writeObject(client: S3Client, bucket: string, key: string, body: Uint8Array | string) {
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: typeof body === "string" ? new TextEncoder().encode(body) : body,
    }),
  );
}
