import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildSignatureBase,
  parseSignatureBase,
  parseSignatureParams,
  type SignatureParams,
  serializeSfString,
  serializeSignatureParams,
  signatureBaseText,
} from "#chain";
import { chainErrorCode } from "../../../support/chain-errors.js";

// RFC 9421 §2.5, the example signature base (RFC 8792 line wrapping undone).
const RFC_9421_EXAMPLE = [
  '"@method": POST',
  '"@authority": example.com',
  '"@path": /foo',
  '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
  '"content-length": 18',
  '"content-type": application/json',
  '"@signature-params": ("@method" "@authority" "@path" "content-digest" "content-length" "content-type");created=1618884473;keyid="test-key-rsa-pss"',
].join("\n");

const RFC_COMPONENTS: Array<[string, string]> = [
  ["@method", "POST"],
  ["@authority", "example.com"],
  ["@path", "/foo"],
  [
    "content-digest",
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
  ],
  ["content-length", "18"],
  ["content-type", "application/json"],
];

describe("the RFC 9421 §2.5 example", () => {
  it("is built exactly from its components and parameters", () => {
    const base = buildSignatureBase(RFC_COMPONENTS, { created: 1618884473, keyid: "test-key-rsa-pss" });
    expect(signatureBaseText(base)).toBe(RFC_9421_EXAMPLE);
    expect(base.signatureParams).toBe(
      '("@method" "@authority" "@path" "content-digest" "content-length" "content-type");created=1618884473;keyid="test-key-rsa-pss"',
    );
  });

  it("parses back to the same components and parameters", () => {
    const base = parseSignatureBase(RFC_9421_EXAMPLE);
    expect(base.components).toEqual(RFC_COMPONENTS);
    expect(base.params).toEqual({ created: 1618884473, keyid: "test-key-rsa-pss" });
    expect(signatureBaseText(base)).toBe(RFC_9421_EXAMPLE);
  });
});

describe("build / parse round trip", () => {
  const identifier = fc.oneof(
    fc.constantFrom(
      "@method",
      "@path",
      "@query",
      "@authority",
      "content-digest",
      "content-type",
      "x-zhixin-dept",
    ),
    fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,12}$/),
  );
  const value = fc.string({ unit: "grapheme", maxLength: 40 }).filter((s) => !/[\r\n]/.test(s));
  const sfString = fc
    .string({ unit: "grapheme-ascii", maxLength: 20 })
    .filter((s) => /^[\x20-\x7e]*$/.test(s));
  const params: fc.Arbitrary<SignatureParams> = fc.record(
    {
      created: fc.maxSafeNat(),
      expires: fc.maxSafeNat(),
      keyid: sfString,
      alg: fc.constantFrom("ed25519", "ecdsa-p256-sha256"),
      nonce: sfString,
      tag: sfString,
    },
    { requiredKeys: [] },
  );

  it("parseSignatureBase(signatureBaseText(buildSignatureBase(c, p))) gives back c and p", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(identifier, value), { selector: ([id]) => id, maxLength: 8 }),
        params,
        (components, p) => {
          const built = buildSignatureBase(components, p);
          const text = signatureBaseText(built);
          const parsed = parseSignatureBase(text);
          expect(parsed.components).toEqual(components);
          expect(parsed.params).toEqual(p);
          expect(parsed.signatureParams).toBe(built.signatureParams);
          expect(signatureBaseText(parsed)).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("escapes quotes and backslashes in string parameters, and reads them back", () => {
    const p = { keyid: 'a"b\\c', nonce: "" };
    const text = serializeSignatureParams(["@method"], p);
    expect(text).toBe('("@method");keyid="a\\"b\\\\c";nonce=""');
    expect(parseSignatureParams(text)).toEqual({ componentIds: ["@method"], params: p });
    expect(serializeSfString('say "hi"')).toBe('"say \\"hi\\""');
  });

  it("covers no components at all", () => {
    const base = buildSignatureBase([], { created: 1 });
    expect(signatureBaseText(base)).toBe('"@signature-params": ();created=1');
    expect(parseSignatureBase('"@signature-params": ();created=1')).toEqual(base);
  });

  it("copies its inputs", () => {
    const components: Array<[string, string]> = [["@method", "POST"]];
    const params: SignatureParams = { created: 1 };
    const base = buildSignatureBase(components, params);
    (components[0] as [string, string])[1] = "GET";
    params.created = 2;
    expect(base.components).toEqual([["@method", "POST"]]);
    expect(base.params).toEqual({ created: 1 });
  });
});

describe("parameters in a non-canonical order", () => {
  // RFC 9421 lets the signer order parameters; the signature covers the text as sent.
  it("are accepted and the @signature-params text is kept verbatim", () => {
    const line = '("@method" "@path");keyid="k1";alg="ed25519";created=1700000000';
    const text = `"@method": POST\n"@path": /v1/entries\n"@signature-params": ${line}`;
    const base = parseSignatureBase(text);
    expect(base.params).toEqual({ keyid: "k1", alg: "ed25519", created: 1700000000 });
    expect(base.signatureParams).toBe(line);
    expect(signatureBaseText(base)).toBe(text);
    // Building from the same values gives the canonical order, which is different text.
    expect(buildSignatureBase(base.components, base.params).signatureParams).toBe(
      '("@method" "@path");created=1700000000;keyid="k1";alg="ed25519"',
    );
  });
});

describe("parseSignatureBase rejects malformed bases with INVALID_FORMAT", () => {
  const ok = '"@method": POST\n"@path": /x\n"@signature-params": ("@method" "@path");created=1';

  it("accepts the well-formed base the cases below break", () => {
    expect(chainErrorCode(() => parseSignatureBase(ok))).toBe("ok");
  });

  it.each([
    ["no @signature-params line", '"@method": POST\n"@path": /x'],
    ["empty text", ""],
    ["@signature-params not last", '"@signature-params": ("@method");created=1\n"@method": POST'],
    ["a trailing newline", `${ok}\n`],
    ["one line too few", '"@method": POST\n"@signature-params": ("@method" "@path");created=1'],
    ["one line too many", `"@query": ?a\n${ok}`],
    [
      "lines in another order than listed",
      '"@path": /x\n"@method": POST\n"@signature-params": ("@method" "@path")',
    ],
    ["a line for another component", '"@query": ?a\n"@path": /x\n"@signature-params": ("@method" "@path")'],
    ["a line without the space after the colon", '"@method":POST\n"@signature-params": ("@method")'],
    [
      "a component covered twice",
      '"@method": POST\n"@method": POST\n"@signature-params": ("@method" "@method")',
    ],
    ["an unknown parameter", '"@method": POST\n"@signature-params": ("@method");foo=1'],
    ["a repeated parameter", '"@method": POST\n"@signature-params": ("@method");created=1;created=2'],
    ["created as a string", '"@method": POST\n"@signature-params": ("@method");created="1"'],
    ["expires as a string", '"@method": POST\n"@signature-params": ("@method");expires="1"'],
    ["keyid as an integer", '"@method": POST\n"@signature-params": ("@method");keyid=1'],
    ["created beyond 2^53", '"@method": POST\n"@signature-params": ("@method");created=9007199254740993'],
    ["a negative created", '"@method": POST\n"@signature-params": ("@method");created=-1'],
    ["an upper-case identifier", '"Content-Type": x\n"@signature-params": ("Content-Type")'],
    ["an identifier with a space", '"content type": x\n"@signature-params": ("content type")'],
    ["an empty identifier", '"": x\n"@signature-params": ("")'],
    [
      "an identifier with component parameters",
      '"@query-param";name="a": x\n"@signature-params": ("@query-param";name="a")',
    ],
    ["two spaces between identifiers", '"a": 1\n"b": 2\n"@signature-params": ("a"  "b")'],
    ["not an inner list", '"@method": POST\n"@signature-params": "@method";created=1'],
    ["an unterminated string parameter", '"@method": POST\n"@signature-params": ("@method");keyid="k'],
    ["a carriage return in a value", '"@method": PO\rST\n"@signature-params": ("@method")'],
    ["a CRLF line ending", '"@method": POST\r\n"@signature-params": ("@method")'],
  ])("%s", (_, text) => {
    expect(chainErrorCode(() => parseSignatureBase(text))).toBe("INVALID_FORMAT");
  });
});

describe("buildSignatureBase refuses what it cannot sign with INVALID_ENCODING", () => {
  it.each<[string, Array<[string, string]>, SignatureParams]>([
    ["an upper-case identifier", [["Content-Type", "x"]], {}],
    ["an identifier with a quote", [['a"b', "x"]], {}],
    ["an empty identifier", [["", "x"]], {}],
    ["a newline in a value", [["@method", "PO\nST"]], {}],
    ["a carriage return in a value", [["@method", "PO\rST"]], {}],
    ["a negative created", [["@method", "POST"]], { created: -1 }],
    ["a fractional expires", [["@method", "POST"]], { expires: 1.5 }],
    ["created beyond 2^53", [["@method", "POST"]], { created: 2 ** 53 }],
    ["created as a string", [["@method", "POST"]], { created: "1" as unknown as number }],
    ["a non-ASCII keyid", [["@method", "POST"]], { keyid: "clé" }],
    ["a control character in a nonce", [["@method", "POST"]], { nonce: "a\tb" }],
  ])("%s", (_, components, params) => {
    expect(chainErrorCode(() => buildSignatureBase(components, params))).toBe("INVALID_ENCODING");
  });
});
