import { createHash, createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  consistencyProof,
  contentDigest,
  deriveKeyId,
  GM,
  hashBlockHeader,
  INTL,
  inclusionProof,
  MerkleTree,
  parseBlockHeader,
  rootFromLeafHashes,
  subjectHmac,
  suiteNamed,
  toHex,
  verifyBlocks,
  verifyConsistency,
  verifyInclusion,
} from "#chain";
import { makeChain, makeKeys, verifyOptions } from "../../../support/chain-fixture.js";

// OpenSSL's SM3 through node:crypto: every gm hash is recomputed here without lib/chain's SM3.
const sm3 = (...parts: Uint8Array[]) => {
  const h = createHash("sm3");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** RFC 9162 §2.1.1 MTH, transcribed, over OpenSSL's SM3. */
function mth(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sm3(new Uint8Array(0));
  if (leaves.length === 1) return sm3(Uint8Array.of(0), leaves[0] as Uint8Array);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sm3(Uint8Array.of(1), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

describe("the gm suite", () => {
  it("is the suite named gm", () => {
    expect(suiteNamed("gm")).toBe(GM);
    expect(GM.name).toBe("gm");
  });

  it("hashes with SM3: H, HMAC-SM3, and RFC 6962's leaves, nodes and empty root with their prefixes", () => {
    const data = new Uint8Array(randomBytes(100));
    const key = new Uint8Array(randomBytes(32));
    expect(toHex(GM.hash(data))).toBe(toHex(sm3(data)));
    expect(toHex(GM.hmac(key, data))).toBe(createHmac("sm3", key).update(data).digest("hex"));
    expect(toHex(GM.hashLeaf(data))).toBe(toHex(sm3(Uint8Array.of(0), data)));
    const [l, r] = [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))];
    expect(toHex(GM.hashChildren(l, r))).toBe(toHex(sm3(Uint8Array.of(1), l, r)));
    expect(toHex(GM.emptyRoot())).toBe(toHex(sm3(new Uint8Array(0))));
  });

  it("builds RFC 6962 trees whose roots are MTH over SM3, for every size up to 40", () => {
    const data = Array.from({ length: 40 }, (_, i) => Uint8Array.of(i, 7, i * 3));
    for (let n = 0; n <= 40; n++) {
      const leaves = data.slice(0, n).map((d) => GM.hashLeaf(d));
      const want = toHex(mth(data.slice(0, n)));
      expect(toHex(rootFromLeafHashes(GM, leaves)), `size ${n}`).toBe(want);
      expect(toHex(new MerkleTree(GM, leaves).root()), `size ${n}`).toBe(want);
    }
  });

  it("proves inclusion and consistency under SM3, and not under SHA-256", () => {
    const leaves = Array.from({ length: 13 }, (_, i) => GM.hashLeaf(Uint8Array.of(i)));
    const root = rootFromLeafHashes(GM, leaves);
    const proof = inclusionProof(GM, leaves, 5);
    expect(() => verifyInclusion(GM, leaves[5] as Uint8Array, 5, 13, proof, root)).not.toThrow();
    expect(() => verifyInclusion(INTL, leaves[5] as Uint8Array, 5, 13, proof, root)).toThrow(/root/);
    const old = rootFromLeafHashes(GM, leaves.slice(0, 6));
    const consistency = consistencyProof(GM, leaves, 6);
    expect(() => verifyConsistency(GM, 6, 13, old, root, consistency)).not.toThrow();
    expect(() => verifyConsistency(INTL, 6, 13, old, root, consistency)).toThrow();
  });

  it("names keys, digests records and keys subjects with SM3", () => {
    const spki = new Uint8Array(randomBytes(91));
    expect(deriveKeyId(GM, "hf-haikou", spki)).toBe(`hf-haikou/${toHex(sm3(spki)).slice(0, 16)}`);
    expect(contentDigest(GM, { a: 1 })).toBe(toHex(sm3(new TextEncoder().encode('{"a":1}'))));
    const key = new Uint8Array(32).fill(9);
    expect(subjectHmac(GM, key, "460100199001011234")).toBe(
      createHmac("sm3", key).update("zhixin/subject/v1\n460100199001011234").digest("hex"),
    );
  });
});

describe("a chain sealed under gm", () => {
  const keys = makeKeys(GM);
  const chain = makeChain(keys, [3, 5, 2]);

  it("records gm in its genesis block, hashes its blocks with SM3, and audits clean under gm", () => {
    expect(parseBlockHeader(chain[0]?.header).suite).toBe("gm");
    const block = chain[1];
    expect(block?.hash).toBe(toHex(hashBlockHeader(GM, parseBlockHeader(block?.header))));
    const report = verifyBlocks(chain, verifyOptions(keys));
    expect(report.findings).toEqual([]);
    expect(report.entriesChecked).toBe(10);
  });

  it("audited as intl, is refused at every hash and for its recorded suite", () => {
    const codes = new Set(
      verifyBlocks(chain, { ...verifyOptions(keys), suite: INTL }).findings.map((f) => f.code),
    );
    expect(codes).toContain("SUITE_MISMATCH");
    expect(codes).toContain("BLOCK_HASH_MISMATCH");
    expect(codes).toContain("LEAF_HASH_MISMATCH");
  });
});
