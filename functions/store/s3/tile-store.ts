import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CHECKPOINT_PATH, type TileObjectKind, type TileStore } from "../tile-store.js";

/**
 * The tile store on S3 (or s3rver locally): one object per path, under an optional key
 * prefix. The bucket the CDK stack creates is versioned, with Object Lock in governance
 * mode, so a replaced partial tile or checkpoint stays retained as an older version and
 * nothing published can be deleted or overwritten without trace (cdk/lib/, docs/TRUST.md).
 */
export class S3TileStore implements TileStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix = "",
  ) {}

  async get(path: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + path }));
      if (!out.Body) return new Uint8Array(0);
      return await out.Body.transformToByteArray();
    } catch (err) {
      if ((err as { name?: string }).name === "NoSuchKey") return undefined;
      throw err;
    }
  }

  async put(path: string, data: Uint8Array, kind: TileObjectKind): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + path,
        Body: data,
        ContentType: path === CHECKPOINT_PATH ? "text/plain; charset=utf-8" : "application/octet-stream",
        CacheControl: CACHE_CONTROL[kind],
      }),
    );
  }
}

/**
 * A full tile or bundle never changes (c2sp.org/tlog-tiles), so clients and CDNs may keep
 * it for good; partial tiles and the checkpoint are replaced as the log grows, so readers
 * must revalidate them.
 */
const CACHE_CONTROL: Record<TileObjectKind, string> = {
  immutable: "public, max-age=31536000, immutable",
  latest: "no-cache",
};

/** The S3 actions the tile store sends, for the IAM grants (cdk/). */
export const S3_TILE_STORE_ACTIONS = {
  read: ["s3:GetObject"],
  write: ["s3:PutObject"],
} as const;

/** A client for an S3-compatible server on this machine (s3rver): dummy credentials, path-style. */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
}
