import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, JsonTextError, parseJson } from "#chain";
import { chainErrorCode, expectChainError } from "../../../support/chain-errors.js";

// parseJson reads I-JSON (RFC 7493), the input domain of RFC 8785: what it returns
// canonicalises to exactly the members and values the text wrote, or it refuses.

/** Where parseJson refuses `text`: code, JSON Pointer and offset. */
function refusal(text: string, maxDepth?: number): { code: string; pointer: string; offset: number } {
  try {
    parseJson(text, maxDepth === undefined ? {} : { maxDepth });
  } catch (e) {
    expect(e).toBeInstanceOf(JsonTextError);
    const { code, pointer, offset } = e as JsonTextError;
    return { code, pointer, offset };
  }
  throw new Error(`parseJson accepted ${text}`);
}

describe("RFC 8259 JSON text is read as JSON.parse reads it", () => {
  it.each([
    "null",
    "true",
    "false",
    "0",
    "-0",
    "12",
    "-1.5e-7",
    "1E+21",
    '""',
    '"a\\"\\\\\\/\\b\\f\\n\\r\\tb"',
    '"\\u00e9\\u20AC\\ud83d\\ude00"',
    '"é€😀"',
    "[]",
    "{}",
    ' \t\r\n[1, "2", [true], {"a": null}] \n',
    '{"b": 1, "a": [{"c": {}}], "": 0}',
  ])("%s", (text) => {
    expect(parseJson(text)).toEqual(JSON.parse(text));
  });

  it("agrees with JSON.parse on generated JSON without duplicate names", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.boolean(), (v, pretty) => {
        const text = JSON.stringify(v, null, pretty ? 2 : undefined);
        expect(canonicalJson(parseJson(text))).toBe(canonicalJson(JSON.parse(text)));
      }),
      { numRuns: 300 },
    );
  });

  it("keeps members in the order written", () => {
    expect(Object.keys(parseJson('{"b":1,"a":2,"c":3}') as object)).toEqual(["b", "a", "c"]);
  });
});

describe("what is not JSON text is INVALID_JSON, with where it stops", () => {
  it.each([
    ["empty text", "", 0],
    ["only whitespace", "  ", 2],
    ["a byte order mark", "\ufeff{}", 0],
    ["trailing text", "{} x", 3],
    ["two values", "1 2", 2],
    ["an unclosed object", '{"a":1', 6],
    ["an unclosed array", "[1,", 3],
    ["a trailing comma in an array", "[1,]", 3],
    ["a trailing comma in an object", '{"a":1,}', 7],
    ["a missing colon", '{"a" 1}', 5],
    ["a name that is not a string", "{a:1}", 1],
    ["a single-quoted string", "'a'", 0],
    ["an unterminated string", '"abc', 4],
    ["a raw control character in a string", '"a\nb"', 2],
    ["an unknown escape", '"\\x41"', 1],
    ["a short \\u escape", '"\\u12"', 1],
    ["a \\u escape with a non-hex digit", '"\\u12G4"', 1],
    ["a leading zero", "01", 1],
    ["a leading plus", "+1", 0],
    ["a bare minus", "-", 0],
    ["a fraction without digits", "1.", 0],
    ["a fraction without an integer part", ".5", 0],
    ["an exponent without digits", "1e+", 0],
    ["NaN", "NaN", 0],
    ["Infinity", "Infinity", 0],
    ["a misspelt literal", "nul", 0],
    ["a capitalised literal", "True", 0],
    ["a comment", "[1 /* x */]", 3],
    ["a non-JSON space", "[1,\u00a02]", 3],
  ])("%s", (_, text, offset) => {
    expect(refusal(text)).toMatchObject({ code: "INVALID_JSON", offset });
  });
});

describe("member names are unique in each object (RFC 7493 §2.3): DUPLICATE_KEY", () => {
  // The offset is that of the second name's opening quote, the last occurrence of `second`.
  it.each([
    ["a top-level member", '{"records":[],"records":[1]}', '"records"', "/records"],
    ["equal values", '{"a":1,"a":1}', '"a"', "/a"],
    ["deep inside", '{"r":[{"d":{"x":{"k":1,"j":2,"k":3}}}]}', '"k"', "/r/0/d/x/k"],
    ["__proto__ twice", '{"__proto__":1,"__proto__":2}', '"__proto__"', "/__proto__"],
    ["names equal after unescaping", '{"a":1,"\\u0061":2}', '"\\u0061"', "/a"],
    ["a name with / and ~ (RFC 6901 escaping)", '{"a/~b":1,"a/~b":2}', '"a/~b"', "/a~1~0b"],
    ["the empty name", '{"":1,"":2}', '""', "/"],
  ])("%s", (_, text, second, pointer) => {
    expect(refusal(text)).toEqual({ code: "DUPLICATE_KEY", pointer, offset: text.lastIndexOf(second) });
  });

  it("names that differ only in Unicode normalisation are different names", () => {
    expect(Object.keys(parseJson('{"\u00e9":1,"e\u0301":2}') as object)).toEqual(["\u00e9", "e\u0301"]);
  });
});

describe("special member names are kept as the text wrote them", () => {
  const text =
    '{"__proto__":{"polluted":true},"constructor":1,"prototype":2,"toString":"s",' +
    '"hasOwnProperty":null,"valueOf":[],"toJSON":{"t":1},"0":"zero","10":"ten","1.5":"x","-1":"y",' +
    '"n":{"__proto__":[1]}}';

  it("as own data properties of plain objects, prototypes untouched", () => {
    const v = parseJson(text) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.hasOwn(v, "__proto__")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(v, "__proto__")?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(v.constructor).toBe(1);
    expect(v.toString).toBe("s");
    const n = v.n as Record<string, unknown>;
    expect(Object.getPrototypeOf(n)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(n, "__proto__")?.value).toEqual([1]);
  });

  it("into the canonical form, sorted by UTF-16 code units (RFC 8785 §3.2.3)", () => {
    expect(canonicalJson(parseJson(text))).toBe(
      '{"-1":"y","0":"zero","1.5":"x","10":"ten","__proto__":{"polluted":true},"constructor":1,' +
        '"hasOwnProperty":null,"n":{"__proto__":[1]},"prototype":2,"toJSON":{"t":1},"toString":"s","valueOf":[]}',
    );
  });

  it("and JSON.stringify writes them back", () => {
    expect(JSON.parse(JSON.stringify(parseJson(text)))).toEqual(JSON.parse(text));
    expect(JSON.stringify(parseJson('{"__proto__":1}'))).toBe('{"__proto__":1}');
  });
});

describe("strings hold no lone surrogate (RFC 7493 §2.1): LONE_SURROGATE", () => {
  it.each([
    ["an escaped high surrogate", '["ok","a\\ud800b"]', "/1", 6],
    ["an escaped low surrogate", '"\\uDC00"', "", 0],
    ["a reversed pair", '"\\ude00\\ud83d"', "", 0],
    ["a high surrogate at the end", '"\\ud83d"', "", 0],
    ["a lone surrogate in a member name", '{"a":{"\\ud800":1}}', "/a", 6],
    ["a raw lone surrogate", '{"k":"\ud800"}', "/k", 5],
  ])("%s", (_, text, pointer, offset) => {
    expect(refusal(text)).toEqual({ code: "LONE_SURROGATE", pointer, offset });
  });
});

describe("numbers are exactly what their canonical form writes (RFC 7493 §2.2, RFC 8785 §3.2.2.3)", () => {
  it.each([
    ["1.50", "1.5"],
    ["1e2", "100"],
    ["100E-2", "1"],
    ["-0", "0"],
    ["-0.0e5", "0"],
    ["0e999999999999999999999", "0"],
    ["0.1", "0.1"],
    ["9007199254740992", "9007199254740992"],
    ["-1234.5e-3", "-1.2345"],
    ["333333333.3333333", "333333333.3333333"],
    ["1e21", "1e+21"],
    ["1.7976931348623157e308", "1.7976931348623157e+308"],
    ["5e-324", "5e-324"],
    [`0.${"0".repeat(40)}1e41`, "1"],
    [`${"1".padEnd(400, "0")}e-399`, "1"],
  ])("%s is accepted and written as %s", (text, canonical) => {
    expect(canonicalJson(parseJson(text))).toBe(canonical);
  });

  it.each([
    ["an integer past 2^53 that a double rounds", "9007199254740993", ""],
    ["a long integer", '{"n":12345678901234567890}', "/n"],
    ["more digits than a double holds", "[0.10000000000000000001]", "/0"],
    ["RFC 8785 §3.2.2's 333333333.33333329", "333333333.33333329", ""],
    ["an overflow", "1e400", ""],
    ["a negative overflow", "-1.8e308", ""],
    ["an underflow to zero", "1e-400", ""],
    ["a subnormal that rounds", "3e-324", ""],
  ])("%s is NUMBER_NOT_EXACT", (_, text, pointer) => {
    expect(refusal(text)).toMatchObject({ code: "NUMBER_NOT_EXACT", pointer });
  });

  it("every finite double, written as ECMAScript writes it, is accepted unchanged", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        const text = JSON.stringify(d);
        expect(parseJson(text)).toBe(Number(text));
        expect(canonicalJson(parseJson(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it("a digit added past a double's precision is refused, unless it is 0", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e15, noNaN: true }),
        fc.integer({ min: 1, max: 9 }),
        (d, digit) => {
          const text = JSON.stringify(d);
          const withDigit = `${text}${text.includes(".") ? "" : "."}${"0".repeat(20)}${digit}`;
          expect(chainErrorCode(() => parseJson(withDigit))).toBe("NUMBER_NOT_EXACT");
          expect(chainErrorCode(() => parseJson(`${text}${text.includes(".") ? "" : "."}000`))).toBe("ok");
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("nesting is bounded: INVALID_ENCODING past maxDepth containers", () => {
  it("accepts maxDepth levels and refuses one more, at the container that is too deep", () => {
    expect(parseJson(`${"[".repeat(4)}${"]".repeat(4)}`, { maxDepth: 4 })).toEqual([[[[]]]]);
    expect(refusal(`${"[".repeat(5)}${"]".repeat(5)}`, 4)).toEqual({
      code: "INVALID_ENCODING",
      pointer: "/0/0/0/0",
      offset: 4,
    });
    expect(refusal('{"a":{"b":{}}}', 2)).toMatchObject({ code: "INVALID_ENCODING", pointer: "/a/b" });
  });

  it("the default bound refuses a megabyte of brackets without exhausting the stack", () => {
    expect(refusal("[".repeat(1 << 20)).code).toBe("INVALID_ENCODING");
    expect(chainErrorCode(() => parseJson(`${"[".repeat(128)}${"]".repeat(128)}`))).toBe("ok");
  });
});

it("a JsonTextError is a ChainError", () => {
  expectChainError(() => parseJson("{"), "INVALID_JSON");
});
