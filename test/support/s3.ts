import { randomBytes } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";
import { createBucket } from "../../local/s3.js";

// Tests use the same embedded server as local mode: s3rver over the real S3 protocol.
export { type LocalS3, startS3 } from "../../local/s3.js";

/** Creates a bucket with a fresh name and returns the name. */
export async function freshBucket(client: S3Client, prefix = "tiles"): Promise<string> {
  const name = `${prefix}-${randomBytes(6).toString("hex")}`;
  await createBucket(client, name);
  return name;
}
