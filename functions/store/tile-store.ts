/**
 * The tile store port: where the log is published as C2SP tiles (docs/formats/tiles.md) —
 * hash tiles, entry bundles and the checkpoint, each an object named by its path relative
 * to the log's prefix (`tile/0/x001/234`, `checkpoint`). On AWS an S3 bucket with Object
 * Lock (functions/store/s3/tile-store.ts); locally the same code against s3rver.
 *
 * The publisher (functions/ledger/publish.ts) relies on this contract:
 *   - `get` is read-after-write consistent (S3 is, for every object, since December 2020);
 *   - `put` of a path already written replaces it. A full tile's or bundle's bytes are
 *     fixed by the log, so writing one again writes the same bytes; partial tiles and the
 *     checkpoint change as the log grows. With Object Lock every version stays retained.
 */
export interface TileStore {
  /** The object's bytes, or undefined when there is none at `path`. */
  get(path: string): Promise<Uint8Array | undefined>;
  /** Writes the object; `kind` sets how long readers may cache it. */
  put(path: string, data: Uint8Array, kind: TileObjectKind): Promise<void>;
}

/**
 * "immutable": a full hash tile or entry bundle, the same bytes forever;
 * "latest": a partial tile, a partial bundle or the checkpoint, replaced as the log grows.
 */
export type TileObjectKind = "immutable" | "latest";

/** The checkpoint's path (c2sp.org/tlog-tiles §Checkpoint). */
export const CHECKPOINT_PATH = "checkpoint";
