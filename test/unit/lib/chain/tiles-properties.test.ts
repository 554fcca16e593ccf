import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildEntryBundles,
  buildTiles,
  changedEntryBundles,
  changedTiles,
  consistencyProofFromTiles,
  consistencyProofTiles,
  type EntryBundleCoords,
  entryBundlePath,
  INTL,
  inclusionProofFromTiles,
  inclusionProofTiles,
  MAX_TILE_LEVEL,
  MerkleTree,
  parseEntryBundle,
  parseTilePath,
  rootFromLeafHashes,
  rootFromTiles,
  type TileCoords,
  type TileReader,
  tilePath,
  tileWidth,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from "#chain";
import { chainErrorCode } from "../../../support/chain-errors.js";

// Random trees up to a few thousand leaves, grown in random steps: every root and proof
// computed from tiles is tree.ts's and verifies; the tiles written at each step are the
// ones changedTiles names; paths have one spelling. Fixed cases: tiles.test.ts.

const MAX_LEAVES = 3000;

/** Distinct leaf hashes (any 32 bytes are a leaf hash): leaf i carries i and a seed byte. */
function leafHashes(n: number, seed: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const h = new Uint8Array(32).fill(seed);
    new DataView(h.buffer).setUint32(0, i);
    return h;
  });
}

/** Every tile written, by path: the partial tiles of each size stay, as in a bucket. */
class TileStore {
  readonly files = new Map<string, Uint8Array>();
  readonly asked: string[] = [];

  readonly read: TileReader = (tile) => {
    const path = tilePath(tile);
    this.asked.push(path);
    const data = this.files.get(path);
    if (!data) throw new Error(`no tile ${path}`);
    return data;
  };
}

const hex = (hashes: readonly Uint8Array[]) => hashes.map(toHex);

/** Sizes near tile edges are where partial tiles appear and vanish. */
const sizeArb = fc.oneof(
  fc.integer({ min: 1, max: MAX_LEAVES }),
  fc.constantFrom(1, 2, 255, 256, 257, 511, 512, 513, 767, 768, 769, 2047, 2048, 2049),
);

/** Sizes a log passes through: 0 < s1 < s2 < ... <= MAX_LEAVES, in steps of up to 700. */
const growthArb = fc
  .array(fc.oneof(fc.integer({ min: 1, max: 700 }), fc.constantFrom(1, 255, 256, 257)), {
    minLength: 1,
    maxLength: 8,
  })
  .map((steps) => {
    const sizes: number[] = [];
    let s = 0;
    for (const step of steps) {
      if (s + step > MAX_LEAVES) break;
      s += step;
      sizes.push(s);
    }
    return sizes.length > 0 ? sizes : [1];
  });

describe("proofs from tiles are tree.ts's proofs", () => {
  it("for a random tree, leaf and older size", () => {
    fc.assert(
      fc.property(sizeArb, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (size, i, o, seed) => {
        const leaves = leafHashes(size, seed);
        const tree = new MerkleTree(INTL, leaves);
        const store = new TileStore();
        for (const t of buildTiles(INTL, 0, leaves, store.read)) store.files.set(tilePath(t.tile), t.data);
        const root = tree.root();
        expect(toHex(rootFromTiles(INTL, size, store.read))).toBe(toHex(root));

        const index = i % size;
        store.asked.length = 0;
        const inclusion = inclusionProofFromTiles(INTL, index, size, store.read);
        expect(hex(inclusion)).toEqual(hex(tree.inclusionProof(index)));
        verifyInclusion(INTL, leaves[index] as Uint8Array, index, size, inclusion, root);
        expect(new Set(store.asked)).toEqual(new Set(inclusionProofTiles(index, size).map(tilePath)));

        const old = 1 + (o % size);
        store.asked.length = 0;
        const consistency = consistencyProofFromTiles(INTL, old, size, store.read);
        expect(hex(consistency)).toEqual(hex(tree.consistencyProof(old)));
        verifyConsistency(INTL, old, size, rootFromLeafHashes(INTL, leaves.slice(0, old)), root, consistency);
        expect(new Set(store.asked)).toEqual(new Set(consistencyProofTiles(old, size).map(tilePath)));
      }),
      { numRuns: 60 },
    );
  });
});

describe("a log growing in random steps", () => {
  it("writes the tiles changedTiles names, and every size it passed serves its proofs", () => {
    fc.assert(
      fc.property(growthArb, fc.nat(), fc.nat(), (sizes, i, o) => {
        const last = sizes[sizes.length - 1] as number;
        const leaves = leafHashes(last, 0xa5);
        const store = new TileStore();
        let from = 0;
        for (const to of sizes) {
          const written = buildTiles(INTL, from, leaves.slice(from, to), store.read);
          expect(written.map((t) => t.tile)).toEqual(changedTiles(from, to));
          for (const t of written) store.files.set(tilePath(t.tile), t.data);
          from = to;
        }
        // The latest tiles are the bytes of building all leaves at once.
        for (const t of buildTiles(INTL, 0, leaves, store.read)) {
          expect(toHex(store.files.get(tilePath(t.tile)) as Uint8Array)).toBe(toHex(t.data));
        }
        // Every size a checkpoint could have named is served by its own (partial) tiles.
        const size = sizes[i % sizes.length] as number;
        const tree = new MerkleTree(INTL, leaves.slice(0, size));
        expect(toHex(rootFromTiles(INTL, size, store.read))).toBe(toHex(tree.root()));
        const index = o % size;
        expect(hex(inclusionProofFromTiles(INTL, index, size, store.read))).toEqual(
          hex(tree.inclusionProof(index)),
        );
        const old = 1 + (o % size);
        expect(hex(consistencyProofFromTiles(INTL, old, size, store.read))).toEqual(
          hex(tree.consistencyProof(old)),
        );
      }),
      { numRuns: 40 },
    );
  });

  it("writes entry bundles whose entries hash to the level-0 tiles", () => {
    const entryArb = fc.uint8Array({ minLength: 0, maxLength: 40 });
    fc.assert(
      fc.property(growthArb, entryArb, (sizes, salt) => {
        const last = sizes[sizes.length - 1] as number;
        // Entries of varied lengths, distinct by index.
        const entries = Array.from({ length: last }, (_, i) => {
          const e = new Uint8Array(4 + ((i * 7 + salt.length) % 41));
          e.set(salt.subarray(0, e.length - 4), 4);
          new DataView(e.buffer).setUint32(0, i);
          return e;
        });
        const bundles = new Map<string, Uint8Array>();
        const tiles = new TileStore();
        const readBundle = (b: EntryBundleCoords) => bundles.get(entryBundlePath(b)) as Uint8Array;
        let from = 0;
        for (const to of sizes) {
          const written = buildEntryBundles(from, entries.slice(from, to), readBundle);
          expect(written.map((b) => b.bundle)).toEqual(changedEntryBundles(from, to));
          for (const b of written) bundles.set(entryBundlePath(b.bundle), b.data);
          for (const t of buildTiles(
            INTL,
            from,
            entries.slice(from, to).map((d) => INTL.hashLeaf(d)),
            tiles.read,
          )) {
            tiles.files.set(tilePath(t.tile), t.data);
          }
          from = to;
        }
        for (const b of changedEntryBundles(0, last)) {
          const got = parseEntryBundle(bundles.get(entryBundlePath(b)) as Uint8Array, b.width);
          expect(hex(got)).toEqual(hex(entries.slice(b.index * 256, b.index * 256 + b.width)));
          const tile = tiles.files.get(tilePath({ level: 0, ...b })) as Uint8Array;
          expect(toHex(tile)).toBe(hex(got.map((d) => INTL.hashLeaf(d))).join(""));
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe("tiles of growing sizes", () => {
  /** Width of each tile after writing `ts` in order, by "level/index". */
  const widths = (ts: readonly TileCoords[]) => new Map(ts.map((t) => [`${t.level}/${t.index}`, t.width]));

  it("growing a → b → c writes, in the end, what a → c writes, each at its final width", () => {
    // Up to 2^53 - 1, with steps small enough for the lists to stay short.
    const step = fc.oneof(fc.nat({ max: 5000 }), fc.constantFrom(255, 256, 65535, 65536));
    const sizes = fc
      .tuple(fc.nat({ max: Number.MAX_SAFE_INTEGER - 2 ** 17 }), step, step)
      .map(([a, d1, d2]) => [a, a + d1, a + d1 + d2] as const);
    fc.assert(
      fc.property(sizes, ([a, b, c]) => {
        expect(widths([...changedTiles(a, b), ...changedTiles(b, c)])).toEqual(widths(changedTiles(a, c)));
        for (const t of changedTiles(a, c)) {
          expect(t.width).toBe(tileWidth(t.level, t.index, c));
          expect(tileWidth(t.level, t.index, a)).toBeLessThan(t.width);
        }
      }),
    );
  });

  it("every tile of the new tree that is not written is as it was", () => {
    fc.assert(
      fc.property(fc.nat({ max: 70000 }), fc.nat({ max: 70000 }), (x, y) => {
        const [a, c] = x <= y ? [x, y] : [y, x];
        const changed = widths(changedTiles(a, c));
        for (const t of changedTiles(0, c)) {
          if (!changed.has(`${t.level}/${t.index}`)) expect(tileWidth(t.level, t.index, a)).toBe(t.width);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe("tile paths", () => {
  const coords = fc.record({
    level: fc.integer({ min: 0, max: MAX_TILE_LEVEL }),
    index: fc.oneof(fc.nat({ max: 2000 }), fc.nat({ max: Number.MAX_SAFE_INTEGER })),
    width: fc.integer({ min: 1, max: 256 }),
  });

  it("parse back to the coordinates they were written from", () => {
    fc.assert(
      fc.property(coords, (t) => {
        expect(parseTilePath(tilePath(t))).toEqual({ kind: "hash", ...t });
        expect(parseTilePath(entryBundlePath(t))).toEqual({
          kind: "entries",
          index: t.index,
          width: t.width,
        });
      }),
    );
  });

  it("have one spelling: what parses is written back unchanged, the rest is INVALID_TILE_PATH", () => {
    const pieces = fc.constantFrom(
      "tile/",
      "tile/0/",
      "tile/entries/",
      "/",
      "0",
      "1",
      "5",
      "63",
      "64",
      "00",
      "000",
      "001",
      "999",
      "x000/",
      "x001/",
      "x",
      ".p/",
      ".p",
      "255",
      "256",
      "entries",
      "data",
    );
    const path = fc.oneof(
      fc.array(pieces, { maxLength: 8 }).map((p) => p.join("")),
      fc.string({ unit: fc.constantFrom(..."tile/entries0123456789x.p"), maxLength: 30 }),
    );
    fc.assert(
      fc.property(path, (p) => {
        let parsed: ReturnType<typeof parseTilePath>;
        try {
          parsed = parseTilePath(p);
        } catch {
          expect(chainErrorCode(() => parseTilePath(p))).toBe("INVALID_TILE_PATH");
          return;
        }
        expect(parsed.kind === "hash" ? tilePath(parsed) : entryBundlePath(parsed)).toBe(p);
      }),
      { numRuns: 2000 },
    );
  });
});
