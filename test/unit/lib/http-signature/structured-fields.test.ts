import { describe, expect, it } from "vitest";
import {
  parseDictionary,
  parseItem,
  StructuredFieldError,
} from "../../../../lib/http-signature/structured-fields.js";

describe("parseDictionary", () => {
  it("reads RFC 9421 Signature-Input and Signature members, keeping each member's raw text", () => {
    const dict = parseDictionary(
      'sig1=("@method" "@path");created=1618884473;keyid="k\\"1"  ,\tsig2=:AAEC:, flag;x=?0, n=-12;t=sha-256',
    );
    expect([...dict.keys()]).toEqual(["sig1", "sig2", "flag", "n"]);
    const sig1 = dict.get("sig1");
    expect(sig1).toMatchObject({
      kind: "inner-list",
      raw: '("@method" "@path");created=1618884473;keyid="k\\"1"',
      items: [
        { value: { type: "string", value: "@method" }, params: new Map() },
        { value: { type: "string", value: "@path" }, params: new Map() },
      ],
    });
    expect(sig1?.params).toEqual(
      new Map<string, unknown>([
        ["created", { type: "integer", value: 1618884473 }],
        ["keyid", { type: "string", value: 'k"1' }],
      ]),
    );
    expect(dict.get("sig2")).toEqual({
      kind: "item",
      value: { type: "binary", value: new Uint8Array([0, 1, 2]) },
      params: new Map(),
      raw: ":AAEC:",
    });
    expect(dict.get("flag")).toMatchObject({ kind: "item", value: { type: "boolean", value: true } });
    expect(dict.get("flag")?.params.get("x")).toEqual({ type: "boolean", value: false });
    expect(dict.get("n")).toMatchObject({ value: { type: "integer", value: -12 } });
    expect(dict.get("n")?.params.get("t")).toEqual({ type: "token", value: "sha-256" });
  });

  it("reads an empty value as an empty dictionary, and tolerates surrounding spaces", () => {
    expect(parseDictionary("").size).toBe(0);
    expect(parseDictionary("  a=1  ").get("a")).toMatchObject({ value: { type: "integer", value: 1 } });
  });

  it.each([
    ["a repeated key", "a=1, a=2"],
    ["a repeated parameter", "a=1;p;p"],
    ["an upper-case key", "Sig1=1"],
    ["a trailing comma", "a=1,"],
    ["a missing comma", "a=1 b=2"],
    ["an unterminated string", 'a="abc'],
    ["a bad escape", 'a="\\n"'],
    ["a non-ASCII string", 'a="é"'],
    ["a decimal (unsupported)", "a=1.5"],
    ["an integer of 16 digits", "a=1234567890123456"],
    ["unpadded base64", "a=:AAE:"],
    ["non-canonical base64", "a=:AAF=:"],
    ["an unterminated byte sequence", "a=:AAEC"],
    ["a bad boolean", "a=?2"],
    ["an unclosed inner list", 'a=("x" "y"'],
    ["inner-list items not separated by a space", 'a=("x""y")'],
    ["a value that is no item", "a=%"],
    ["a missing value", "a="],
  ])("rejects %s", (_, text) => {
    expect(() => parseDictionary(text)).toThrow(StructuredFieldError);
  });
});

describe("parseItem", () => {
  it("reads a byte sequence with parameters", () => {
    expect(parseItem(" :AAEC:;a=1 ")).toEqual({
      value: { type: "binary", value: new Uint8Array([0, 1, 2]) },
      params: new Map([["a", { type: "integer", value: 1 }]]),
    });
  });

  it("rejects text after the item", () => {
    expect(() => parseItem(":AAEC: x")).toThrow(StructuredFieldError);
    expect(() => parseItem(":AAEC:, :AAEC:")).toThrow(StructuredFieldError);
  });
});
