import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalBytes, canonicalJson, toHex, utf8 } from "#chain";
import { chainErrorCode } from "../../../support/chain-errors.js";

/** The double whose IEEE 754 bits are `hex`. */
function double(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe("RFC 8785 examples", () => {
  // RFC 8785 §3.2.2 input, parsed as JSON text, and its canonical form.
  it("§3.2.2: whitespace, number forms, string escapes and literals", () => {
    const input = JSON.parse(String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`);
    const want = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
    expect(canonicalJson(input)).toBe(want);
    expect(canonicalBytes(input)).toEqual(utf8(want));
  });

  // §3.2.3: properties sorted by their names as arrays of UTF-16 code units, so the
  // emoji (U+1F600, surrogates D83D DE00) sorts before U+FB33.
  it("§3.2.3: property sorting by UTF-16 code units", () => {
    const input = JSON.parse(String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`);
    const want =
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
    expect(canonicalJson(input)).toBe(want);
  });

  // Appendix B: IEEE 754 bit patterns and their canonical text.
  it.each([
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ])("Appendix B: %s -> %s", (bits, text) => {
    expect(canonicalJson(double(bits))).toBe(text);
  });

  it("Appendix B: NaN and Infinity bit patterns are refused", () => {
    expect(chainErrorCode(() => canonicalJson(double("7fffffffffffffff")))).toBe("INVALID_ENCODING");
    expect(chainErrorCode(() => canonicalJson(double("7ff0000000000000")))).toBe("INVALID_ENCODING");
  });

  it.each([
    [1e21, "1e+21"],
    [1e-7, "1e-7"],
    [-0, "0"],
    [Number("333333333.33333329"), "333333333.3333333"], // RFC 8785 §3.2.2, as written there
    [100, "100"],
    [0.1, "0.1"],
    [-1.5, "-1.5"],
  ])("number %d -> %s", (n, text) => {
    expect(canonicalJson(n)).toBe(text);
  });

  it("parses 1E-7 written with a capital E like 1e-7", () => {
    expect(canonicalJson(JSON.parse("[1E-7, 1E21, -0]"))).toBe("[1e-7,1e+21,0]");
  });

  it("escapes strings as ECMAScript JSON.stringify does", () => {
    expect(canonicalJson('\u0000\u001f\t\n\r\b\f"\\/\u007f\u2028\u00e9')).toBe(
      '"\\u0000\\u001f\\t\\n\\r\\b\\f\\"\\\\/\u007f\u2028é"',
    );
    expect(toHex(canonicalBytes("€"))).toBe("22e282ac22");
  });
});

// A direct reference for plain JSON values: UTF-16 code-unit key order (JS's default
// sort), ECMAScript number and string serialisation, no whitespace.
function refJcs(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(refJcs).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${refJcs(o[k])}`)
    .join(",")}}`;
}

describe("any plain JSON value", () => {
  const json = fc.jsonValue({ maxDepth: 4 });
  const unicodeObject = fc.dictionary(fc.string({ unit: "grapheme", maxLength: 4 }), fc.integer(), {
    maxKeys: 8,
  });

  it("is serialised like the reference, sorting keys by UTF-16 code units", () => {
    fc.assert(
      fc.property(fc.oneof(json, unicodeObject), (v) => {
        expect(canonicalJson(v)).toBe(refJcs(v));
      }),
      { numRuns: 300 },
    );
  });

  it("is a fixed point: canonical text parses back to the same canonical text", () => {
    fc.assert(
      fc.property(json, (v) => {
        const text = canonicalJson(v);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it("does not depend on property insertion order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { y: 1, z: 0 }] }, b: 1 }),
    );
  });

  it("accepts objects without a prototype", () => {
    const o = Object.create(null) as Record<string, number>;
    o.b = 2;
    o.a = 1;
    expect(canonicalJson(o)).toBe('{"a":1,"b":2}');
  });
});

describe("values that are not plain JSON are INVALID_ENCODING", () => {
  class Point {
    x = 1;
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;

  it.each<[string, unknown]>([
    ["undefined", undefined],
    ["undefined in an object", { a: undefined }],
    ["undefined in an array", [1, undefined]],
    ["an array hole", Object.assign(new Array(3), { 0: 1, 2: 3 })],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity inside an object", { n: Number.NEGATIVE_INFINITY }],
    ["a function", () => 1],
    ["a function-valued property (toJSON)", { toJSON: () => "x" }],
    ["a symbol", Symbol("s")],
    ["a bigint", 1n],
    ["a Date", new Date(0)],
    ["a Map", new Map()],
    ["a Set", new Set()],
    ["a Uint8Array", new Uint8Array(1)],
    ["a boxed string", new String("s")],
    ["a class instance", new Point()],
    ["a RegExp", /x/],
    ["a lone high surrogate", "a\ud800b"],
    ["a lone low surrogate", "\udc00"],
    ["a reversed surrogate pair", "\ude00\ud83d"],
    ["a lone surrogate in a key", { "\ud800": 1 }],
    ["a lone surrogate deep inside", { a: [{ b: "\udfff" }] }],
    ["a cyclic object", cyclic],
  ])("%s", (_, v) => {
    expect(chainErrorCode(() => canonicalJson(v))).toBe("INVALID_ENCODING");
    expect(chainErrorCode(() => canonicalBytes(v))).toBe("INVALID_ENCODING");
  });

  const nestArrays = (depth: number): unknown => {
    let v: unknown = 0;
    for (let i = 0; i < depth; i++) v = [v];
    return v;
  };
  const nestObjects = (depth: number): unknown => {
    let v: unknown = 0;
    for (let i = 0; i < depth; i++) v = { k: v };
    return v;
  };

  it("accepts nesting to depth 64 and refuses depth 65", () => {
    expect(canonicalJson(nestArrays(64))).toBe(`${"[".repeat(64)}0${"]".repeat(64)}`);
    expect(chainErrorCode(() => canonicalJson(nestArrays(65)))).toBe("INVALID_ENCODING");
    expect(chainErrorCode(() => canonicalJson(nestObjects(64)))).toBe("ok");
    expect(chainErrorCode(() => canonicalJson(nestObjects(65)))).toBe("INVALID_ENCODING");
    expect(chainErrorCode(() => canonicalJson(nestArrays(100_000)))).toBe("INVALID_ENCODING");
  });
});
