import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildEntryBundles,
  buildTiles,
  CompactRange,
  changedEntryBundles,
  changedTiles,
  compactRangeFromTiles,
  concatBytes,
  consistencyProof,
  consistencyProofFromTiles,
  consistencyProofTiles,
  type EntryBundleCoords,
  type EntryEnvelope,
  encodeEntryBundle,
  entryBundlePath,
  entryLeafData,
  entryLeafHash,
  formatTileIndex,
  fromBase64,
  fromHex,
  INTL,
  inclusionProof,
  inclusionProofFromTiles,
  inclusionProofTiles,
  MAX_ENTRY_SIZE,
  MerkleTree,
  parseEntryBundle,
  parseTilePath,
  rootFromLeafHashes,
  rootFromTiles,
  rootTiles,
  type TileCoords,
  type TileReader,
  type TileResource,
  tileForNode,
  tileLevels,
  tilePath,
  tileWidth,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from "#chain";
import { expectChainError } from "../../../support/chain-errors.js";
import { refNodeHash } from "./rfc9162.js";

// Tile maths of c2sp.org/tlog-tiles (lib/chain/tiles.ts, tile-*.ts) against the spec's
// own examples (test/vectors/tiles), tree.ts's in-memory proofs, and the files an
// independent implementation (Tessera) wrote. Random sizes: tiles-properties.test.ts.

function vectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../vectors/tiles/${name}`, import.meta.url), "utf8")) as T;
}

/** Distinct leaf hashes: any 32 bytes are a valid leaf hash, so no hashing is needed. */
function leafHashes(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const h = new Uint8Array(32).fill(0x5a);
    new DataView(h.buffer).setUint32(0, i);
    return h;
  });
}

/** Tiles kept by path, as a bucket would: partial tiles of every size written stay. */
class TileStore {
  readonly files = new Map<string, Uint8Array>();
  readonly asked: string[] = [];

  put(tiles: readonly { tile: TileCoords; data: Uint8Array }[]): void {
    for (const { tile, data } of tiles) this.files.set(tilePath(tile), data);
  }

  readonly read: TileReader = (tile) => {
    const path = tilePath(tile);
    this.asked.push(path);
    const data = this.files.get(path);
    if (!data) throw new Error(`no tile ${path}`);
    return data;
  };
}

/** For builders that must not read: the tile or bundle type both accept it. */
const neverRead = (c: EntryBundleCoords): never => {
  throw new Error(`unexpected read of ${JSON.stringify(c)}`);
};

function hexAll(hashes: readonly Uint8Array[]): string[] {
  return hashes.map(toHex);
}

function pathOf(r: TileResource): string {
  return r.kind === "hash" ? tilePath(r) : entryBundlePath(r);
}

describe("tile paths (tlog-tiles §Merkle Tree, §Log entries)", () => {
  const valid = vectors<{ cases: { description: string; path: string; want: TileResource }[] }>("paths.json");
  const invalid = vectors<{ cases: { path: string; wrong: string }[] }>("paths-invalid.json");

  it.each(valid.cases.map((c) => [c.path, c] as const))("parses %s and writes it back", (_, c) => {
    const got = parseTilePath(c.path);
    expect(got).toEqual(c.want);
    expect(pathOf(got)).toBe(c.path);
  });

  it.each(invalid.cases.map((c) => [JSON.stringify(c.path), c.wrong, c.path] as const))(
    "refuses %s (%s)",
    (_, __, path) => {
      expectChainError(() => parseTilePath(path), "INVALID_TILE_PATH");
    },
  );

  it("refuses what is not a string", () => {
    expectChainError(() => parseTilePath(7 as unknown as string), "INVALID_TILE_PATH");
  });

  it("writes <N> in 3-digit groups, every one but the last x-prefixed", () => {
    expect(formatTileIndex(0)).toBe("000");
    expect(formatTileIndex(42)).toBe("042");
    expect(formatTileIndex(1000)).toBe("x001/000");
    expect(formatTileIndex(1234067)).toBe("x001/x234/067");
    expect(formatTileIndex(123456789)).toBe("x123/x456/789");
  });

  it("refuses coordinates no path can name", () => {
    const bad: unknown[] = [
      null,
      { level: -1, index: 0, width: 1 },
      { level: 64, index: 0, width: 1 },
      { level: 1.5, index: 0, width: 1 },
      { level: Number.NaN, index: 0, width: 1 },
      { level: 0, index: -1, width: 1 },
      { level: 0, index: 2 ** 53, width: 1 },
      { level: 0, index: 0.5, width: 1 },
      { level: 0, index: 0, width: 0 },
      { level: 0, index: 0, width: 257 },
      { level: 0, index: 0, width: 2.5 },
    ];
    for (const t of bad) expectChainError(() => tilePath(t as TileCoords), "INVALID_TILE");
    expectChainError(() => entryBundlePath({ index: 0, width: 0 }), "INVALID_TILE");
    expectChainError(() => entryBundlePath({ index: -1, width: 1 }), "INVALID_TILE");
    expectChainError(() => formatTileIndex(Number.POSITIVE_INFINITY), "INVALID_TILE");
  });
});

interface TileSets {
  sizes: { size: number; levels: { level: number; fullTiles: number; partialWidth: number }[] }[];
  changed: { oldSize: number; newSize: number; paths: string[] }[];
}

describe("which tiles a tree has (tlog-tiles §Partial Tiles)", () => {
  const sets = vectors<TileSets>("tile-sets.json");

  it.each(sets.sizes.map((c) => [c.size, c] as const))("size %i", (_, c) => {
    expect(tileLevels(c.size)).toEqual(c.levels);
    // changedTiles from nothing lists the same tiles, and tileWidth agrees with both.
    const all = changedTiles(0, c.size);
    for (const { level, fullTiles, partialWidth } of c.levels) {
      const here = all.filter((t) => t.level === level);
      expect(here.length).toBe(fullTiles + (partialWidth > 0 ? 1 : 0));
      for (const t of here) expect(tileWidth(level, t.index, c.size)).toBe(t.width);
      expect(tileWidth(level, here.length, c.size)).toBe(0);
    }
    expect(all.length).toBe(c.levels.reduce((n, l) => n + l.fullTiles + (l.partialWidth > 0 ? 1 : 0), 0));
  });

  it.each(sets.changed.map((c) => [c.oldSize, c.newSize, c] as const))("growing %i → %i", (_, __, c) => {
    expect(changedTiles(c.oldSize, c.newSize).map(tilePath)).toEqual(c.paths);
    expect(changedEntryBundles(c.oldSize, c.newSize).map(entryBundlePath)).toEqual(
      c.paths.filter((p) => p.startsWith("tile/0/")).map((p) => p.replace("tile/0/", "tile/entries/")),
    );
  });

  it("tileWidth of the 70,000 tree", () => {
    expect(tileWidth(0, 272, 70000)).toBe(256);
    expect(tileWidth(0, 273, 70000)).toBe(112);
    expect(tileWidth(0, 274, 70000)).toBe(0);
    expect(tileWidth(1, 1, 70000)).toBe(17);
    expect(tileWidth(2, 0, 70000)).toBe(1);
    expect(tileWidth(3, 0, 70000)).toBe(0);
    expect(tileWidth(63, 0, Number.MAX_SAFE_INTEGER)).toBe(0);
    expect(tileWidth(0, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)).toBe(0);
  });

  it("refuses impossible sizes and growth", () => {
    expectChainError(() => tileLevels(-1), "INVALID_SIZE");
    expectChainError(() => tileWidth(0, 0, 1.5), "INVALID_SIZE");
    expectChainError(() => tileWidth(64, 0, 1), "INVALID_TILE");
    expectChainError(() => changedTiles(-1, 5), "INVALID_SIZE");
    expectChainError(() => changedTiles(0, 2 ** 53), "INVALID_SIZE");
    expectChainError(() => changedTiles(6, 5), "INVALID_CONSISTENCY_RANGE");
    expectChainError(() => changedEntryBundles(6, 5), "INVALID_CONSISTENCY_RANGE");
  });

  it("handles the largest tree size", () => {
    const levels = tileLevels(Number.MAX_SAFE_INTEGER);
    expect(levels.length).toBe(7); // 256^6 = 2^48 <= 2^53 - 1 < 2^56
    expect(levels[6]).toEqual({ level: 6, fullTiles: 0, partialWidth: 31 }); // floor((2^53 - 1) / 2^48)
    expect(changedTiles(Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER).map(tilePath)).toEqual([
      "tile/0/x035/x184/x372/x088/831.p/255",
    ]);
  });
});

describe("where a node lives (tileForNode)", () => {
  it("places nodes stored in a tile and nodes hashed from one", () => {
    // A leaf: stored in level-0 tile floor(i/256) at i mod 256.
    expect(tileForNode(0, 1234567)).toEqual({
      tileLevel: 0,
      tileIndex: 4822,
      nodeLevel: 0,
      first: 135,
      count: 1,
    });
    // Level 8 is stored at tile level 1: the root of level-0 tile 5.
    expect(tileForNode(8, 5)).toEqual({ tileLevel: 1, tileIndex: 0, nodeLevel: 0, first: 5, count: 1 });
    // Level 3, index 40 covers leaves 320..327: hashes 64..71 of level-0 tile 1.
    expect(tileForNode(3, 40)).toEqual({ tileLevel: 0, tileIndex: 1, nodeLevel: 3, first: 64, count: 8 });
    // Level 15 is the top of a tile's subtree, over half of level-1 tile 1.
    expect(tileForNode(15, 3)).toEqual({ tileLevel: 1, tileIndex: 1, nodeLevel: 7, first: 128, count: 128 });
    expect(tileForNode(52, 0)).toEqual({ tileLevel: 6, tileIndex: 0, nodeLevel: 4, first: 0, count: 16 });
  });

  it("refuses nodes outside every tree of at most 2^53 - 1 leaves", () => {
    expectChainError(() => tileForNode(52, 1), "INVALID_INDEX");
    expectChainError(() => tileForNode(53, 0), "INVALID_INDEX");
    expectChainError(() => tileForNode(-1, 0), "INVALID_INDEX");
    expectChainError(() => tileForNode(1.5, 0), "INVALID_INDEX");
    expectChainError(() => tileForNode(0, -1), "INVALID_INDEX");
    expectChainError(() => tileForNode(0, Number.MAX_SAFE_INTEGER), "INVALID_INDEX");
  });
});

describe("a tree of 70,000 leaves, the spec's example, across the 65,536 boundary", () => {
  const size = 70000;
  const leaves = leafHashes(size);
  const store = new TileStore();
  let tree: MerkleTree;

  beforeAll(() => {
    tree = new MerkleTree(INTL, leaves);
    // Grown in steps that stop on both sides of the boundaries, keeping every partial tile.
    const sizes = [0, 255, 256, 65535, 65536, 65537, 69888, size];
    for (let i = 1; i < sizes.length; i++) {
      const [from, to] = [sizes[i - 1] as number, sizes[i] as number];
      const written = buildTiles(INTL, from, leaves.slice(from, to), store.read);
      expect(written.map((t) => t.tile)).toEqual(changedTiles(from, to));
      store.put(written);
    }
  });

  it("has the tiles §Partial Tiles lists, with the contents §Merkle Tree defines", () => {
    const latest = changedTiles(0, size);
    expect(latest.length).toBe(273 + 1 + 1 + 1 + 1);
    const mth = (l: number, n: number, i: number) =>
      rootFromLeafHashes(INTL, leaves.slice((n * 256 + i) * 256 ** l, (n * 256 + i + 1) * 256 ** l));
    // MTH(D[(n * 256 + i) * 256**l : (n * 256 + i + 1) * 256**l]) for i in the tile.
    for (const t of [
      { level: 0, index: 100, width: 256 },
      { level: 0, index: 273, width: 112 },
      { level: 1, index: 0, width: 256 },
      { level: 1, index: 1, width: 17 },
      { level: 2, index: 0, width: 1 },
    ]) {
      const data = store.files.get(tilePath(t)) as Uint8Array;
      expect(data.length).toBe(32 * t.width);
      const want = Array.from({ length: t.width }, (_, i) => mth(t.level, t.index, i));
      expect(toHex(data)).toBe(toHex(concatBytes(...want)));
    }
  });

  it("gives the tree's root and compact range", () => {
    expect(toHex(rootFromTiles(INTL, size, store.read))).toBe(toHex(tree.root()));
    const range = CompactRange.empty(INTL);
    range.appendAll(leaves);
    expect(compactRangeFromTiles(INTL, size, store.read).state()).toEqual(range.state());
  });

  it("gives tree.ts's inclusion proofs, reading exactly the tiles it lists", () => {
    for (const index of [0, 255, 256, 65279, 65535, 65536, 69887, 69888, 69999]) {
      store.asked.length = 0;
      const proof = inclusionProofFromTiles(INTL, index, size, store.read);
      expect(hexAll(proof)).toEqual(hexAll(tree.inclusionProof(index)));
      verifyInclusion(INTL, leaves[index] as Uint8Array, index, size, proof, tree.root());
      expect(new Set(store.asked)).toEqual(new Set(inclusionProofTiles(index, size).map(tilePath)));
    }
  });

  it("gives tree.ts's consistency proofs, reading only the new size's tiles", () => {
    const olds = [1, 255, 256, 257, 65535, 65536, 65537, 69888, 69999, 70000];
    const oldRoots = new Map<number, Uint8Array>();
    const range = CompactRange.empty(INTL);
    for (const [i, leaf] of leaves.entries()) {
      range.append(leaf);
      if (olds.includes(i + 1)) oldRoots.set(i + 1, range.root());
    }
    for (const old of olds) {
      store.asked.length = 0;
      const proof = consistencyProofFromTiles(INTL, old, size, store.read);
      expect(hexAll(proof)).toEqual(hexAll(tree.consistencyProof(old)));
      verifyConsistency(INTL, old, size, oldRoots.get(old) as Uint8Array, tree.root(), proof);
      const listed = consistencyProofTiles(old, size);
      expect(new Set(store.asked)).toEqual(new Set(listed.map(tilePath)));
      for (const t of listed) expect(t.width).toBe(tileWidth(t.level, t.index, size));
    }
  });

  it("serves older sizes from their own partial tiles", () => {
    const old = 65537;
    const oldTree = new MerkleTree(INTL, leaves.slice(0, old));
    expect(rootTiles(old).map(tilePath)).toEqual(["tile/2/000.p/1", "tile/0/256.p/1"]);
    expect(toHex(rootFromTiles(INTL, old, store.read))).toBe(toHex(oldTree.root()));
    for (const index of [0, 65535, 65536]) {
      expect(hexAll(inclusionProofFromTiles(INTL, index, old, store.read))).toEqual(
        hexAll(oldTree.inclusionProof(index)),
      );
    }
    expect(hexAll(consistencyProofFromTiles(INTL, 256, old, store.read))).toEqual(
      hexAll(oldTree.consistencyProof(256)),
    );
  });
});

describe("reading tiles", () => {
  const leaves = leafHashes(600);
  const store = new TileStore();
  store.put(buildTiles(INTL, 0, leaves.slice(0, 300), neverRead));
  store.put(buildTiles(INTL, 300, leaves.slice(300), store.read));

  it("accepts the full tile in place of a partial one (§Partial Tiles fallback)", () => {
    // Size 300 needs tile/0/001.p/44; serve it from tile/0/001 (width 256, written at 600).
    const fallback: TileReader = (t) => store.read({ ...t, width: tileWidth(t.level, t.index, 600) });
    const tree = new MerkleTree(INTL, leaves.slice(0, 300));
    expect(hexAll(inclusionProofFromTiles(INTL, 299, 300, fallback))).toEqual(
      hexAll(tree.inclusionProof(299)),
    );
    expect(toHex(rootFromTiles(INTL, 300, fallback))).toBe(toHex(tree.root()));
  });

  it("refuses tile bytes that are not the tile's width in whole hashes", () => {
    const good = store.files.get("tile/0/000") as Uint8Array;
    // The first tile read for size 600 is tile/1/000.p/2: two hashes.
    const cases: unknown[] = [
      good.subarray(0, 32), // one hash where the width is two
      good.subarray(0, 100), // not whole hashes
      concatBytes(good, new Uint8Array(32)), // longer than a full tile
      "not bytes",
      undefined,
    ];
    for (const data of cases) {
      expectChainError(() => rootFromTiles(INTL, 600, () => data as Uint8Array), "INVALID_TILE_DATA");
    }
  });

  it("lets the reader's own errors through", () => {
    const err = new Error("bucket unreachable");
    expect(() =>
      inclusionProofFromTiles(INTL, 0, 600, () => {
        throw err;
      }),
    ).toThrow(err);
  });

  it("builds a proof that fails to verify from a wrong tile", () => {
    const tampered: TileReader = (t) => {
      const data = store.read(t).slice();
      if (t.level === 0 && t.index === 0) data[40] = (data[40] as number) ^ 1; // hash 1 of tile 0
      return data;
    };
    const root = rootFromLeafHashes(INTL, leaves);
    const proof = inclusionProofFromTiles(INTL, 0, 600, tampered);
    expectChainError(
      () => verifyInclusion(INTL, leaves[0] as Uint8Array, 0, 600, proof, root),
      "ROOT_MISMATCH",
    );
  });

  it("handles the empty tree and equal sizes without reading", () => {
    expect(toHex(rootFromTiles(INTL, 0, neverRead))).toBe(toHex(INTL.emptyRoot()));
    expect(rootTiles(0)).toEqual([]);
    expect(consistencyProofFromTiles(INTL, 600, 600, neverRead)).toEqual([]);
    expect(consistencyProofTiles(600, 600)).toEqual([]);
    expect(inclusionProofFromTiles(INTL, 0, 1, store.read)).toEqual([]);
  });

  it("refuses impossible proofs with tree.ts's codes", () => {
    expectChainError(() => inclusionProofFromTiles(INTL, 600, 600, neverRead), "INDEX_OUT_OF_RANGE");
    expectChainError(() => inclusionProofTiles(0, 0), "INDEX_OUT_OF_RANGE");
    expectChainError(() => inclusionProofFromTiles(INTL, -1, 600, neverRead), "INVALID_INDEX");
    expectChainError(() => inclusionProofFromTiles(INTL, 0, 1.5, neverRead), "INVALID_SIZE");
    expectChainError(() => consistencyProofFromTiles(INTL, 0, 600, neverRead), "INVALID_CONSISTENCY_RANGE");
    expectChainError(() => consistencyProofTiles(601, 600), "INVALID_CONSISTENCY_RANGE");
    expectChainError(() => consistencyProofFromTiles(INTL, 1, -600, neverRead), "INVALID_SIZE");
    expectChainError(() => consistencyProofFromTiles(INTL, Number.NaN, 600, neverRead), "INVALID_SIZE");
    expectChainError(() => rootFromTiles(INTL, -1, neverRead), "INVALID_SIZE");
    expectChainError(() => rootTiles(0.5), "INVALID_SIZE");
    expectChainError(() => compactRangeFromTiles(INTL, -1, neverRead), "INVALID_SIZE");
    // Same codes as the in-memory functions for the same mistakes.
    expectChainError(() => inclusionProof(INTL, leaves, 600), "INDEX_OUT_OF_RANGE");
    expectChainError(() => consistencyProof(INTL, leaves, 0), "INVALID_CONSISTENCY_RANGE");
  });
});

describe("building tiles as the log grows", () => {
  const leaves = leafHashes(1373);

  it("writes nothing and reads nothing when nothing is appended", () => {
    expect(buildTiles(INTL, 0, [], neverRead)).toEqual([]);
    expect(buildTiles(INTL, 773, [], neverRead)).toEqual([]);
    expect(buildEntryBundles(773, [], neverRead)).toEqual([]);
  });

  it("reads only the old tree's partial tiles, at their old width", () => {
    const store = new TileStore();
    store.put(buildTiles(INTL, 0, leaves.slice(0, 773), neverRead)); // 773 = 3·256 + 5
    store.asked.length = 0;
    const written = buildTiles(INTL, 773, leaves.slice(773), store.read);
    expect(store.asked).toEqual(["tile/0/003.p/5", "tile/1/000.p/3"]);
    expect(written.map((t) => tilePath(t.tile))).toEqual(changedTiles(773, 1373).map(tilePath));
    // The same bytes as building the 1,373 leaves at once.
    const once = new Map(
      buildTiles(INTL, 0, leaves, neverRead).map((t) => [tilePath(t.tile), toHex(t.data)]),
    );
    for (const t of written) expect(toHex(t.data)).toBe(once.get(tilePath(t.tile)));
  });

  it("refuses bad input", () => {
    expectChainError(() => buildTiles(INTL, -1, leaves, neverRead), "INVALID_SIZE");
    expectChainError(() => buildTiles(INTL, 2 ** 53 - 2, leaves.slice(0, 2), neverRead), "INVALID_SIZE");
    expectChainError(() => buildTiles(INTL, 0, [new Uint8Array(31)], neverRead), "INVALID_HASH_SIZE");
    expectChainError(
      () => buildTiles(INTL, 5, leaves.slice(0, 1), () => new Uint8Array(32 * 4)),
      "INVALID_TILE_DATA",
    );
    expectChainError(() => buildEntryBundles(-1, [], neverRead), "INVALID_SIZE");
    expectChainError(
      () => buildEntryBundles(5, [new Uint8Array(1)], () => new Uint8Array(0)),
      "INVALID_ENTRY_BUNDLE",
    );
  });
});

interface BundleVectors {
  valid: { description: string; width: number; entries: string[]; bundle: string }[];
  invalid: {
    bundle: string;
    width: number;
    wantError: "INVALID_ENTRY_BUNDLE" | "INVALID_TILE";
    wrong: string;
  }[];
}

describe("entry bundles (tlog-tiles §Log entries)", () => {
  const v = vectors<BundleVectors>("bundles.json");

  it.each(v.valid.map((c) => [c.description, c] as const))("%s", (_, c) => {
    const entries = c.entries.map(fromHex);
    expect(toHex(encodeEntryBundle(entries))).toBe(c.bundle);
    expect(hexAll(parseEntryBundle(fromHex(c.bundle), c.width))).toEqual(c.entries);
  });

  it.each(v.invalid.map((c) => [c.wrong, c] as const))("refuses: %s", (_, c) => {
    expectChainError(() => parseEntryBundle(fromHex(c.bundle), c.width), c.wantError);
  });

  it("refuses what no bundle can hold", () => {
    expectChainError(() => parseEntryBundle("0000" as unknown as Uint8Array, 1), "INVALID_ENTRY_BUNDLE");
    expectChainError(() => encodeEntryBundle([]), "INVALID_ENTRY_BUNDLE");
    expectChainError(() => encodeEntryBundle("x" as unknown as Uint8Array[]), "INVALID_ENTRY_BUNDLE");
    expectChainError(
      () => encodeEntryBundle(Array.from({ length: 257 }, () => new Uint8Array(0))),
      "INVALID_ENTRY_BUNDLE",
    );
    expectChainError(() => encodeEntryBundle(["ab" as unknown as Uint8Array]), "INVALID_ENTRY_BUNDLE");
    expectChainError(() => encodeEntryBundle([new Uint8Array(MAX_ENTRY_SIZE + 1)]), "ENTRY_TOO_LARGE");
  });

  it("holds an entry of exactly 65,535 bytes", () => {
    const big = new Uint8Array(MAX_ENTRY_SIZE).fill(7);
    const bundle = encodeEntryBundle([big, new Uint8Array([1])]);
    expect(bundle.length).toBe(2 + MAX_ENTRY_SIZE + 3);
    expect(bundle.subarray(0, 2)).toEqual(new Uint8Array([0xff, 0xff]));
    const [a, b] = parseEntryBundle(bundle, 2);
    expect(a).toEqual(big);
    expect(b).toEqual(new Uint8Array([1]));
  });

  it("holds Zhixin's leaf data, whose RFC 6962 leaf hash is the log leaf", () => {
    const envelopes = Array.from(
      { length: 3 },
      (_, i) =>
        ({
          v: 1,
          id: `${i}`.padStart(32, "0"),
          dept: "haikou-housing",
          type: "housing-fund.deposit-certificate",
          contentDigest: "ab".repeat(32),
          keyId: "haikou-housing-2026",
          alg: "ed25519",
          signatureBase: `"@method": POST\n"@signature-params": ("@method");nonce="${i}"`,
          signature: "c2ln",
          batch: { size: 3, index: i, root: "cd".repeat(32), path: [] },
          receivedAt: "2026-01-02T03:04:05.678Z",
        }) satisfies EntryEnvelope,
    );
    const entries = envelopes.map(entryLeafData);
    const [bundle] = buildEntryBundles(0, entries, neverRead);
    const [tile] = buildTiles(
      INTL,
      0,
      envelopes.map((e) => entryLeafHash(INTL, e)),
      neverRead,
    );
    expect(bundle?.bundle).toEqual({ index: 0, width: 3 });
    expect(tile?.tile).toEqual({ level: 0, index: 0, width: 3 });
    const parsed = parseEntryBundle(bundle?.data as Uint8Array, 3);
    expect(toHex(concatBytes(...parsed.map((d) => INTL.hashLeaf(d))))).toBe(toHex(tile?.data as Uint8Array));
    expect(new TextDecoder().decode(parsed[0]).startsWith("zhixin/entry/v1\n{")).toBe(true);
  });
});

interface TesseraLog {
  tiles: { path: string; hex: string }[];
  bundles: { path: string; hex: string }[];
  checkpoints: { size: number; rootBase64: string }[];
}

describe("a log written by Tessera (independent implementation)", () => {
  const log = vectors<TesseraLog>("tessera-testdata.json");
  const files = new Map([...log.tiles, ...log.bundles].map((f) => [f.path, fromHex(f.hex)]));

  it("names its files as Zhixin does", () => {
    for (const [i, f] of log.tiles.entries()) {
      expect(parseTilePath(f.path)).toEqual({ kind: "hash", level: 0, index: 0, width: i + 1 });
      expect(tilePath({ level: 0, index: 0, width: i + 1 })).toBe(f.path);
    }
    for (const [i, f] of log.bundles.entries()) {
      expect(parseTilePath(f.path)).toEqual({ kind: "entries", index: 0, width: i + 1 });
      expect(entryBundlePath({ index: 0, width: i + 1 })).toBe(f.path);
    }
  });

  it("hashes its entries to its tiles, and its tiles to its checkpoint roots", () => {
    for (const { size, rootBase64 } of log.checkpoints) {
      const read: TileReader = (t) => files.get(tilePath(t)) as Uint8Array;
      expect(toHex(rootFromTiles(INTL, size, read))).toBe(toHex(fromBase64(rootBase64)));
      if (size === 0) continue;
      const entries = parseEntryBundle(files.get(`tile/entries/000.p/${size}`) as Uint8Array, size);
      expect(toHex(concatBytes(...entries.map((d) => INTL.hashLeaf(d))))).toBe(
        toHex(read({ level: 0, index: 0, width: size })),
      );
    }
  });

  it("is what Zhixin writes for the same entries, byte for byte", () => {
    const last = log.bundles[log.bundles.length - 1] as { hex: string };
    const entries = parseEntryBundle(fromHex(last.hex), log.bundles.length);
    const tiles = new TileStore();
    const bundles = new Map<string, Uint8Array>();
    for (let size = 0; size < entries.length; size++) {
      const entry = entries.slice(size, size + 1);
      tiles.put(
        buildTiles(
          INTL,
          size,
          entry.map((d) => INTL.hashLeaf(d)),
          tiles.read,
        ),
      );
      for (const b of buildEntryBundles(size, entry, (c) => bundles.get(entryBundlePath(c)) as Uint8Array)) {
        bundles.set(entryBundlePath(b.bundle), b.data);
      }
    }
    for (const f of log.tiles) expect(toHex(tiles.files.get(f.path) as Uint8Array)).toBe(f.hex);
    for (const f of log.bundles) expect(toHex(bundles.get(f.path) as Uint8Array)).toBe(f.hex);
    expect([...tiles.files.keys()].sort()).toEqual(log.tiles.map((f) => f.path).sort());
  });
});

describe("trees too large to build: every leaf hash the same", () => {
  // In a tree whose leaves all hash to z, every perfect subtree of height h has the same
  // hash P[h], so every stored hash of tile level l is P[8l] and a tile is that hash
  // repeated. The root is computed independently by RFC 9162 §2.1.1's recursion. Only
  // the levels (not the positions) of proof hashes are checked here; positions are
  // checked on real trees above and in tiles-properties.test.ts.
  const z = new Uint8Array(32).fill(0x11);
  const P: Uint8Array[] = [z];
  for (let h = 1; h <= 53; h++) P.push(refNodeHash(P[h - 1] as Uint8Array, P[h - 1] as Uint8Array));
  const mth = (n: number): Uint8Array => {
    const h = Math.round(Math.log2(n));
    if (2 ** h === n) return P[h] as Uint8Array;
    let k = 0; // largest power of two below n
    while (2 ** (k + 1) < n) k++;
    return refNodeHash(P[k] as Uint8Array, mth(n - 2 ** k));
  };

  function uniformReader(size: number, asked: TileCoords[]): TileReader {
    return (t) => {
      asked.push(t);
      expect(t.width).toBe(tileWidth(t.level, t.index, size));
      expect(t.width).toBeGreaterThan(0);
      return concatBytes(...Array.from({ length: t.width }, () => P[8 * t.level] as Uint8Array));
    };
  }

  const sizes = [2 ** 32 - 1, 2 ** 32 + 12345, 2 ** 40 + 2 ** 33 + 7, 2 ** 48, Number.MAX_SAFE_INTEGER];

  it.each(sizes)("size %i: root, inclusion and consistency proofs verify", (size) => {
    const root = mth(size);
    let asked: TileCoords[] = [];
    expect(toHex(rootFromTiles(INTL, size, uniformReader(size, asked)))).toBe(toHex(root));
    expect(asked).toEqual(rootTiles(size));
    for (const index of [0, 255, 65536, Math.floor(size / 2), size - 257, size - 1]) {
      asked = [];
      const proof = inclusionProofFromTiles(INTL, index, size, uniformReader(size, asked));
      verifyInclusion(INTL, z, index, size, proof, root);
      expect(asked).toEqual(inclusionProofTiles(index, size));
    }
    for (const old of [1, 256, 65537, 2 ** 31, Math.floor(size / 3), size - 1]) {
      asked = [];
      const proof = consistencyProofFromTiles(INTL, old, size, uniformReader(size, asked));
      verifyConsistency(INTL, old, size, mth(old), root, proof);
      expect(asked).toEqual(consistencyProofTiles(old, size));
    }
  });
});
