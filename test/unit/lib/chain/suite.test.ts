import { createHash, createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type BlockHeader,
  ChainError,
  CompactRange,
  checkCompactRangeState,
  GM,
  genesisCryptoSuite,
  genesisSuite,
  genesisSuiteFields,
  gmSuite,
  INTL,
  isSm2Id,
  parseBlockHeader,
  type SignatureAlgorithm,
  SM2_DEFAULT_ID,
  SUITE_NAMES,
  SUITE_SEALER_ALGORITHM,
  SUITE_SIGNATURE_ALGORITHMS,
  sameSuite,
  suiteLabel,
  suiteNamed,
  suiteOfAlgorithm,
  toHex,
  utf8,
  verifyBlocks,
} from "#chain";
import { makeChain, makeKeys, verifyOptions } from "../../../support/chain-fixture.js";

const sha256 = (data: Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());

describe("the intl suite", () => {
  it("hashes with SHA-256 everywhere: H, HMAC-H and RFC 6962's leaves, nodes and empty root", () => {
    for (const size of [0, 1, 55, 64, 65, 200]) {
      const data = new Uint8Array(randomBytes(size));
      const key = new Uint8Array(randomBytes(32));
      expect(toHex(INTL.hash(data))).toBe(toHex(sha256(data)));
      expect(toHex(INTL.hmac(key, data))).toBe(createHmac("sha256", key).update(data).digest("hex"));
      expect(toHex(INTL.hashLeaf(data))).toBe(toHex(sha256(Uint8Array.of(0, ...data))));
    }
    const [l, r] = [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))];
    expect(toHex(INTL.hashChildren(l, r))).toBe(toHex(sha256(Uint8Array.of(1, ...l, ...r))));
    expect(toHex(INTL.hashChildrenUnchecked(l, r))).toBe(toHex(INTL.hashChildren(l, r)));
    expect(toHex(INTL.emptyRoot())).toBe(toHex(sha256(new Uint8Array(0))));
  });

  it("refuses node inputs that are not 32 bytes", () => {
    expect(() => INTL.hashChildren(new Uint8Array(31), new Uint8Array(32))).toThrow(ChainError);
    expect(() => INTL.hashChildren(new Uint8Array(32), new Uint8Array(33))).toThrow(/right/);
  });

  it("gives a fresh empty root each call: a caller's edit does not change the next", () => {
    const a = INTL.emptyRoot();
    a.fill(0xff);
    expect(toHex(INTL.emptyRoot())).toBe(toHex(sha256(new Uint8Array(0))));
  });
});

describe("suites by name", () => {
  it("finds every suite, and names each one's algorithms with a member default first", () => {
    expect(SUITE_NAMES).toEqual(["intl", "gm"]);
    expect(suiteNamed("intl")).toBe(INTL);
    expect(SUITE_SIGNATURE_ALGORITHMS.intl[0]).toBe("ed25519");
    expect(SUITE_SIGNATURE_ALGORITHMS.gm).toEqual(["sm2-sm3"]);
    expect(SUITE_SEALER_ALGORITHM).toEqual({ intl: "ed25519", gm: "sm2-sm3" });
  });

  it("gives each signature algorithm's one suite, and hash names for messages", () => {
    expect(suiteOfAlgorithm("ed25519")).toBe(INTL);
    expect(suiteOfAlgorithm("ecdsa-p256-sha256")).toBe(INTL);
    expect(suiteOfAlgorithm("sm2-sm3")).toBe(GM);
    expect(() => suiteOfAlgorithm("rsa" as SignatureAlgorithm)).toThrow(
      expect.objectContaining({ code: "INVALID_FORMAT" }),
    );
    expect([INTL.hashName, GM.hashName]).toEqual(["SHA-256", "SM3"]);
  });

  it("refuses a name that is no suite: INVALID_FORMAT", () => {
    for (const name of ["", "INTL", "sm", "gm ", "__proto__"]) {
      expect(() => suiteNamed(name)).toThrow(expect.objectContaining({ code: "INVALID_FORMAT" }));
    }
  });
});

describe("the genesis block records the suite", () => {
  const keys = makeKeys();
  const chain = makeChain(keys, [2, 3]);
  const genesis = chain[0]?.header as BlockHeader;

  it("in block 1's header alone; a header without it is intl", () => {
    expect(parseBlockHeader(genesis).suite).toBe("intl");
    expect(genesisSuite(genesis)).toBe("intl");
    const { suite: _suite, ...older } = genesis;
    expect(parseBlockHeader(older).suite).toBeUndefined();
    expect(genesisSuite(parseBlockHeader(older))).toBe("intl");
  });

  it("refuses it in any other block, and any value that is no suite", () => {
    const second = chain[1]?.header as BlockHeader;
    expect(() => parseBlockHeader({ ...second, suite: "intl" })).toThrow(/genesis block's only/);
    expect(() => parseBlockHeader({ ...genesis, suite: "sha256" })).toThrow(/intl or gm/);
    expect(() => parseBlockHeader({ ...genesis, suite: null })).toThrow(/intl or gm/);
  });

  it("is checked by the audit: SUITE_MISMATCH when audited under another suite, and nothing else then", () => {
    const options = verifyOptions(keys);
    expect(verifyBlocks(chain, options).findings).toEqual([]);
    // A suite named gm whose hashes are SHA-256: only the recorded name can differ.
    const named = { ...INTL, name: "gm" as const };
    const report = verifyBlocks(chain, { ...options, suite: named });
    expect(report.findings).toEqual([
      expect.objectContaining({ code: "SUITE_MISMATCH", height: 1, expected: "gm", found: "intl" }),
    ]);
  });
});

describe("a gm suite's SM2 identifier (docs/formats/sm2.md §2)", () => {
  const own = "zhixin@hainan.gov.cn";

  it("is the default 1234567812345678 unless the consortium sets one, and intl has none", () => {
    expect(SM2_DEFAULT_ID).toBe("1234567812345678");
    expect(GM.sm2Id).toBe(SM2_DEFAULT_ID);
    expect(INTL.sm2Id).toBeUndefined();
    expect(gmSuite()).toBe(GM);
    expect(gmSuite(SM2_DEFAULT_ID)).toBe(GM);
    expect(suiteNamed("gm", SM2_DEFAULT_ID)).toBe(GM);
    const suite = suiteNamed("gm", own);
    expect(suite).toMatchObject({ name: "gm", sm2Id: own, hashName: "SM3" });
    // Only the signatures differ: every hash is GM's.
    expect(suite.hash(utf8("abc"))).toEqual(GM.hash(utf8("abc")));
    expect(Object.isFrozen(suite)).toBe(true);
  });

  it("makes another suite, which reads as such", () => {
    const suite = gmSuite(own);
    expect(sameSuite(suite, gmSuite(own))).toBe(true);
    expect(sameSuite(suite, GM)).toBe(false);
    expect(sameSuite(GM, INTL)).toBe(false);
    expect([suiteLabel(INTL), suiteLabel(GM), suiteLabel(suite)]).toEqual([
      "intl",
      "gm",
      `gm (SM2 identifier "${own}")`,
    ]);
  });

  it("is 1 to 128 printable ASCII characters, and the gm suite's only: INVALID_FORMAT otherwise", () => {
    expect(isSm2Id(own)).toBe(true);
    expect(isSm2Id("x".repeat(128))).toBe(true);
    for (const bad of ["", "x".repeat(129), "海南", "tab\there", "new\nline", 42, undefined]) {
      expect(isSm2Id(bad)).toBe(false);
      if (typeof bad === "string")
        expect(() => gmSuite(bad)).toThrow(expect.objectContaining({ code: "INVALID_FORMAT" }));
    }
    expect(() => suiteNamed("intl", own)).toThrow(/gm suite's only/);
    expect(() => suiteNamed("gm", "")).toThrow(expect.objectContaining({ code: "INVALID_FORMAT" }));
  });

  it("is recorded in the genesis block when it is not the default, and read back from there", () => {
    expect(genesisSuiteFields(INTL)).toEqual({ suite: "intl" });
    expect(genesisSuiteFields(GM)).toEqual({ suite: "gm" });
    expect(genesisSuiteFields(gmSuite(own))).toEqual({ suite: "gm", sm2Id: own });
    const keys = makeKeys(gmSuite(own));
    const chain = makeChain(keys, [1, 2]);
    const genesis = chain[0]?.header as BlockHeader;
    expect(genesis).toMatchObject({ suite: "gm", sm2Id: own });
    expect(parseBlockHeader(genesis)).toEqual(genesis);
    expect(sameSuite(genesisCryptoSuite(genesis), gmSuite(own))).toBe(true);
    const { sm2Id: _id, ...defaulted } = genesis;
    expect(genesisCryptoSuite(parseBlockHeader(defaulted))).toBe(GM);
  });

  it("refuses it beside intl, beside no suite, as the default, as no identifier, or past block 1", () => {
    const genesis = makeChain(makeKeys(GM), [1, 1])[0]?.header as BlockHeader;
    const second = makeChain(makeKeys(GM), [1, 1])[1]?.header as BlockHeader;
    const { suite: _suite, ...noSuite } = genesis;
    expect(() => parseBlockHeader({ ...genesis, suite: "intl", sm2Id: own })).toThrow(/gm suite's only/);
    expect(() => parseBlockHeader({ ...noSuite, sm2Id: own })).toThrow(/gm suite's only/);
    expect(() => parseBlockHeader({ ...genesis, sm2Id: SM2_DEFAULT_ID })).toThrow(/left out for the default/);
    expect(() => parseBlockHeader({ ...genesis, sm2Id: "" })).toThrow(/printable ASCII/);
    expect(() => parseBlockHeader({ ...genesis, sm2Id: 7 })).toThrow(/printable ASCII/);
    expect(() => parseBlockHeader({ ...second, sm2Id: own })).toThrow(
      expect.objectContaining({ code: "INVALID_FORMAT" }),
    );
  });

  it("is checked by the audit: SUITE_MISMATCH under the default identifier, or under another", () => {
    const keys = makeKeys(gmSuite(own));
    const chain = makeChain(keys, [2, 1]);
    const options = verifyOptions(keys);
    expect(verifyBlocks(chain, options).findings).toEqual([]);
    expect(verifyBlocks(chain, { ...options, suite: GM }).findings).toEqual([
      expect.objectContaining({
        code: "SUITE_MISMATCH",
        height: 1,
        expected: "gm",
        found: `gm (SM2 identifier "${own}")`,
      }),
    ]);
    expect(verifyBlocks(chain, { ...options, suite: gmSuite("another") }).findings).toEqual([
      expect.objectContaining({ code: "SUITE_MISMATCH", expected: 'gm (SM2 identifier "another")' }),
    ]);
  });
});

describe("compact range states kept without hashing", () => {
  it("are checked and copied as fromState checks them", () => {
    const range = CompactRange.empty(INTL);
    range.appendAll([1, 2, 3].map((i) => INTL.hashLeaf(Uint8Array.of(i))));
    const state = range.state();
    const copy = checkCompactRangeState(state);
    expect(copy).toEqual(state);
    expect(copy.hashes).not.toBe(state.hashes);
    expect(() => checkCompactRangeState({ size: 3, hashes: state.hashes.slice(1) })).toThrow(
      expect.objectContaining({ code: "INVALID_COMPACT_RANGE" }),
    );
  });
});
