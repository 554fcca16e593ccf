import { createHash, createHmac, generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, sm3, toHex, utf8 } from "#chain";
import {
  curvePoints,
  SM2_CURVE,
  SM2_DEFAULT_ID,
  type Sm2CurveParams,
  Sm2Error,
  type Sm2ErrorCode,
  sm2,
  sm2PrivateKeyFromPkcs8,
  sm2PublicKey,
  sm2PublicKeyFromSpki,
  sm2PublicKeyToSpki,
  sm2Scheme,
  sm2Sign,
  sm2SignDigest,
  sm2Signer,
  sm2Verifier,
  sm2Verify,
  sm2Z,
} from "../../../../lib/sm2/index.js";
import vectors from "../../../vectors/sm2.json" with { type: "json" };

// SM2 (GB/T 32918.2) held to the standard's worked examples (test/vectors/sm2.json), to an
// RFC 6979 reference for its nonce, and to every refusal §7.1 names. The interop with
// OpenSSL's own SM2 is test/interop/sm2-openssl.test.ts.

const big = (hex: string) => BigInt(`0x${hex}`);
const hex32 = (n: bigint) => n.toString(16).padStart(64, "0");
const curveOf = (name: string): Sm2CurveParams => {
  const c = vectors.curves[name as keyof typeof vectors.curves];
  return { p: big(c.p), a: big(c.a), b: big(c.b), n: big(c.n), h: big(c.h), Gx: big(c.Gx), Gy: big(c.Gy) };
};
const n = SM2_CURVE.n;

function sm2Code(fn: () => unknown): Sm2ErrorCode | "ok" {
  try {
    fn();
  } catch (e) {
    if (e instanceof Sm2Error) return e.code;
    throw e;
  }
  return "ok";
}

describe("the standard's examples", () => {
  it("names the recommended curve's parameters as GB/T 32918.5 gives them", () => {
    expect(curveOf("sm2p256v1")).toEqual(SM2_CURVE);
  });

  it.each(vectors.signatures)("$name: public key, Z_A, e and (with its k) r and s", (v) => {
    const scheme = sm2Scheme(curveOf(v.curve));
    const d = fromHex(v.privateKey);
    const publicKey = scheme.publicKey(d);
    expect(toHex(publicKey)).toBe(v.publicKey);
    const z = scheme.z(publicKey, v.id);
    expect(toHex(z)).toBe(v.z);
    expect(toHex(sm3(concatBytes(z, utf8(v.message))))).toBe(v.e);
    const signature = scheme.sign(d, utf8(v.message), { id: v.id, k: big(v.k) });
    expect(toHex(signature)).toBe(v.r + v.s);
    expect(scheme.verify(publicKey, utf8(v.message), signature, v.id)).toBe(true);
    expect(scheme.verify(publicKey, utf8(v.message), signature, "ALICE124@YAHOO.COM")).toBe(false);
    // The id as bytes is the same id.
    expect(scheme.verify(publicKey, utf8(v.message), signature, utf8(v.id))).toBe(true);
  });

  it("uses 1234567812345678 when no id is given, on the recommended curve's functions", () => {
    const v = vectors.signatures[1];
    if (v === undefined) throw new Error("two vectors");
    expect(SM2_DEFAULT_ID).toBe(v.id);
    const d = fromHex(v.privateKey);
    const publicKey = sm2PublicKey(d);
    expect(toHex(sm2Z(publicKey))).toBe(v.z);
    const signature = sm2Sign(d, utf8(v.message), { k: big(v.k) });
    expect(toHex(signature)).toBe(v.r + v.s);
    expect(sm2Verify(publicKey, utf8(v.message), signature)).toBe(true);
    expect(sm2Verifier(publicKey)(utf8(v.message), signature)).toBe(true);
  });

  it("signs a digest e the caller computed, as KMS signs a DIGEST: the standard's signature, for any identifier", () => {
    for (const v of vectors.signatures.slice(1)) {
      const d = fromHex(v.privateKey);
      expect(toHex(sm2SignDigest(d, fromHex(v.e), { k: big(v.k) }))).toBe(v.r + v.s);
    }
    // With another identifier hashed into e, it is that identifier's signature.
    const d = fromHex((vectors.signatures[1] as { privateKey: string }).privateKey);
    const publicKey = sm2PublicKey(d);
    const message = utf8("a consortium's own identifier");
    const e = sm3(concatBytes(sm2Z(publicKey, "zhixin@hainan.gov.cn"), message));
    const signature = sm2SignDigest(d, e, { random: new Uint8Array(32).fill(7) });
    expect(sm2Verify(publicKey, message, signature, "zhixin@hainan.gov.cn")).toBe(true);
    expect(sm2Verify(publicKey, message, signature)).toBe(false);
    for (const bad of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0)]) {
      expect(() => sm2SignDigest(d, bad)).toThrow(expect.objectContaining({ code: "INVALID_DIGEST" }));
    }
  });
});

/**
 * RFC 6979 §3.2 written out step by step with node:crypto's HMAC-SM3 (OpenSSL's): every
 * candidate T it draws for (d, h1 = SM3(Z_A || M), k'), as bits2int(T), in range or not.
 */
function rfc6979Candidates(
  order: bigint,
  d: Uint8Array,
  h1: Uint8Array,
  extra: Uint8Array,
  count: number,
): bigint[] {
  const qlen = order.toString(2).length;
  const rlen = Math.ceil(qlen / 8);
  const bits2int = (bytes: Uint8Array) => {
    const v = big(toHex(bytes));
    const excess = bytes.length * 8 - qlen;
    return excess > 0 ? v >> BigInt(excess) : v;
  };
  const int2octets = (v: bigint) => fromHex(v.toString(16).padStart(2 * rlen, "0"));
  const hmacSm3 = (key: Uint8Array, ...parts: Uint8Array[]) =>
    new Uint8Array(
      createHmac("sm3", key)
        .update(concatBytes(...parts))
        .digest(),
    );
  const seed = concatBytes(d, int2octets(bits2int(h1) % order), extra);
  let V = new Uint8Array(32).fill(1); // b
  let K = new Uint8Array(32); // c
  K = hmacSm3(K, V, Uint8Array.of(0), seed); // d
  V = hmacSm3(K, V); // e
  K = hmacSm3(K, V, Uint8Array.of(1), seed); // f
  V = hmacSm3(K, V); // g
  const out: bigint[] = [];
  while (out.length < count) {
    V = hmacSm3(K, V); // h.2: hlen ≥ qlen, so T = V
    out.push(bits2int(V)); // h.3: the caller keeps k if 1 ≤ k < q and the signature works
    K = hmacSm3(K, V, Uint8Array.of(0));
    V = hmacSm3(K, V);
  }
  return out;
}

describe("the nonce on the recommended curve", () => {
  const d = fromHex(vectors.signatures[1]?.privateKey ?? "");
  const publicKey = sm2PublicKey(d);
  const message = utf8("message digest");
  const h1 = sm3(concatBytes(sm2Z(publicKey), message));

  it("is RFC 6979 §3.2's first candidate with HMAC-SM3 over d and e", () => {
    const [k] = rfc6979Candidates(n, d, h1, new Uint8Array(0), 1);
    expect(toHex(sm2Sign(d, message))).toBe(toHex(sm2Sign(d, message, { k: k as bigint })));
  });

  it("with random bytes, is §3.6's: k' appended to the seed, so each signature differs and verifies", () => {
    const random = fromHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    const [k] = rfc6979Candidates(n, d, h1, random, 1);
    const hedged = sm2Sign(d, message, { random });
    expect(toHex(hedged)).toBe(toHex(sm2Sign(d, message, { k: k as bigint })));
    expect(toHex(hedged)).not.toBe(toHex(sm2Sign(d, message)));
    expect(sm2Verify(publicKey, message, hedged)).toBe(true);
  });

  it("gives the same signature each time without random bytes, another for another message", () => {
    expect(toHex(sm2Sign(d, message))).toBe(toHex(sm2Sign(d, message)));
    expect(toHex(sm2Sign(d, message))).not.toBe(toHex(sm2Sign(d, utf8("message digesT"))));
  });

  it("refuses a given k outside [1, n-1]", () => {
    for (const k of [0n, n, n + 1n, -1n]) {
      expect(sm2Code(() => sm2Sign(d, message, { k }))).toBe("INVALID_NONCE");
    }
  });
});

/**
 * §6.1 A5 and A6 send the signer back to A3 when r = 0, r + k = n or s = 0. On the
 * recommended curve each has odds of 2^-256; on this toy curve (y² = x³ + x + 6 over F_307,
 * G = (2, 4) of prime order 331) about 1/331 each, so messages that hit them are found.
 * §6.1's arithmetic is written out here as the reference.
 */
describe("§6.1's retries, on a toy curve", () => {
  const toy: Sm2CurveParams = { p: 307n, a: 1n, b: 6n, n: 331n, h: 1n, Gx: 2n, Gy: 4n };
  const scheme = sm2Scheme(toy);
  const G = curvePoints(toy).BASE;
  const dValue = 5n;
  const d = Uint8Array.of(0, Number(dValue));
  const publicKey = scheme.publicKey(d);
  const z = scheme.z(publicKey);
  const inverse = (v: bigint) => {
    for (let i = 1n; i < toy.n; i++) if ((v * i) % toy.n === 1n) return i;
    throw new Error("no inverse");
  };
  type Outcome = "r = 0" | "r + k = n" | "s = 0" | { r: bigint; s: bigint };
  function reference(message: Uint8Array, k: bigint): Outcome {
    const e = big(toHex(sm3(concatBytes(z, message))));
    const r = (e + G.multiply(k).x) % toy.n;
    if (r === 0n) return "r = 0";
    if (r + k === toy.n) return "r + k = n";
    const s = (((inverse(1n + dValue) * (k - r * dValue)) % toy.n) + toy.n) % toy.n;
    return s === 0n ? "s = 0" : { r, s };
  }
  const encode = ({ r, s }: { r: bigint; s: bigint }) =>
    r.toString(16).padStart(4, "0") + s.toString(16).padStart(4, "0");
  const messages = Array.from({ length: 3000 }, (_, i) => utf8(`toy message ${i}`));

  it("refuses a given k for each rule, and signs with it otherwise as §6.1 computes", () => {
    const k = 7n;
    const seen = new Set<string>();
    for (const message of messages) {
      const expected = reference(message, k);
      if (typeof expected === "string") {
        seen.add(expected);
        expect(sm2Code(() => scheme.sign(d, message, { k }))).toBe("INVALID_NONCE");
      } else {
        expect(toHex(scheme.sign(d, message, { k }))).toBe(encode(expected));
      }
    }
    expect([...seen].sort()).toEqual(["r + k = n", "r = 0", "s = 0"]);
  });

  it("draws RFC 6979's next candidate when one is ≥ n or refused, and the signature verifies", () => {
    let skipped = 0;
    let refused = 0;
    for (const message of messages.slice(0, 1500)) {
      const h1 = sm3(concatBytes(z, message));
      let chosen: { r: bigint; s: bigint } | undefined;
      for (const k of rfc6979Candidates(toy.n, d, h1, new Uint8Array(0), 40)) {
        if (k < 1n || k >= toy.n) {
          skipped++;
          continue;
        }
        const outcome = reference(message, k);
        if (typeof outcome === "string") {
          refused++;
          continue;
        }
        chosen = outcome;
        break;
      }
      if (chosen === undefined) throw new Error("40 candidates refused");
      const signature = scheme.sign(d, message);
      expect(toHex(signature)).toBe(encode(chosen));
      expect(scheme.verify(publicKey, message, signature)).toBe(true);
    }
    expect(skipped).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

describe("sm2Verify's refusals (§7.1), each false and none thrown", () => {
  const d = fromHex("3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8");
  const publicKey = sm2PublicKey(d);
  const message = utf8("message digest");
  const signature = sm2Sign(d, message);
  const r = big(toHex(signature.subarray(0, 32)));
  const s = big(toHex(signature.subarray(32)));
  const rs = (a: bigint, b: bigint) => fromHex(hex32(a) + hex32(b));
  const notOnCurve = publicKey.slice();
  notOnCurve[64] = (notOnCurve[64] as number) ^ 1;

  it("accepts the signature itself, by verify and by a prepared verifier", () => {
    expect(sm2Verify(publicKey, message, signature)).toBe(true);
    expect(sm2Verifier(publicKey)(message, signature)).toBe(true);
  });

  it.each<[string, () => boolean]>([
    ["another id", () => sm2Verify(publicKey, message, signature, "1234567812345679")],
    ["the empty id", () => sm2Verify(publicKey, message, signature, "")],
    ["an id over 8191 bytes", () => sm2Verify(publicKey, message, signature, "x".repeat(8192))],
    ["an altered message", () => sm2Verify(publicKey, utf8("message digesT"), signature)],
    ["the empty message", () => sm2Verify(publicKey, new Uint8Array(0), signature)],
    ["a flipped bit in r", () => sm2Verify(publicKey, message, rs(r ^ 1n, s))],
    ["a flipped bit in s", () => sm2Verify(publicKey, message, rs(r, s ^ 1n))],
    ["r = 0", () => sm2Verify(publicKey, message, rs(0n, s))],
    ["s = 0", () => sm2Verify(publicKey, message, rs(r, 0n))],
    ["r = n", () => sm2Verify(publicKey, message, rs(n, s))],
    ["s = n", () => sm2Verify(publicKey, message, rs(r, n))],
    ["r = n + 1", () => sm2Verify(publicKey, message, rs(n + 1n, s))],
    ["s = 2^256 - 1", () => sm2Verify(publicKey, message, rs(r, 2n ** 256n - 1n))],
    ["t = r + s = n", () => sm2Verify(publicKey, message, rs(r, n - r))],
    ["all ones", () => sm2Verify(publicKey, message, new Uint8Array(64).fill(0xff))],
    ["63 bytes", () => sm2Verify(publicKey, message, signature.subarray(0, 63))],
    ["65 bytes", () => sm2Verify(publicKey, message, concatBytes(signature, Uint8Array.of(0)))],
    ["no bytes", () => sm2Verify(publicKey, message, new Uint8Array(0))],
    ["its DER form", () => sm2Verify(publicKey, message, concatBytes(Uint8Array.of(0x30, 0x44), signature))],
    ["another key", () => sm2Verify(sm2PublicKey(fromHex(hex32(12345n))), message, signature)],
    ["a point not on the curve", () => sm2Verify(notOnCurve, message, signature)],
    ["the compressed point", () => sm2Verify(sm2.publicKey(d).subarray(0, 33), message, signature)],
    ["a point of 64 bytes without 04", () => sm2Verify(publicKey.subarray(1), message, signature)],
    [
      "a point with 05 for 04",
      () => sm2Verify(concatBytes(Uint8Array.of(5), publicKey.subarray(1)), message, signature),
    ],
    ["the point at infinity's 00", () => sm2Verify(Uint8Array.of(0), message, signature)],
    ["a not-bytes signature", () => sm2Verify(publicKey, message, [...signature] as unknown as Uint8Array)],
    ["a not-bytes message", () => sm2Verify(publicKey, "message digest" as unknown as Uint8Array, signature)],
  ])("refuses %s", (_, check) => {
    expect(check()).toBe(false);
  });

  it("answers the same through a prepared verifier before and after it builds its key's table", () => {
    const check = sm2Verifier(publicKey);
    const other = utf8("other message");
    const otherSignature = sm2Sign(d, other);
    for (let i = 0; i < 40; i++) {
      expect(check(message, signature)).toBe(true);
      expect(check(other, otherSignature)).toBe(true);
      expect(check(other, signature)).toBe(false);
      expect(check(message, rs(r, n - r))).toBe(false);
    }
  });

  it("refuses a key a prepared verifier cannot use, with INVALID_KEY", () => {
    expect(sm2Code(() => sm2Verifier(notOnCurve))).toBe("INVALID_KEY");
    expect(sm2Code(() => sm2Verifier(publicKey.subarray(0, 33)))).toBe("INVALID_KEY");
    expect(sm2Code(() => sm2Verifier(publicKey, "x".repeat(8192)))).toBe("INVALID_ID");
    expect(sm2Code(() => sm2Verifier(publicKey, "x".repeat(8191)))).toBe("ok");
  });
});

describe("private keys", () => {
  it.each<[string, Uint8Array]>([
    ["d = 0", new Uint8Array(32)],
    ["d = n - 1 (1 + d has no inverse)", fromHex(hex32(n - 1n))],
    ["d = n", fromHex(hex32(n))],
    ["31 bytes", new Uint8Array(31).fill(1)],
    ["33 bytes", new Uint8Array(33).fill(1)],
  ])("refuses %s with INVALID_KEY, to sign or to derive the public key", (_, d) => {
    expect(sm2Code(() => sm2Sign(d, utf8("m")))).toBe("INVALID_KEY");
    expect(sm2Code(() => sm2PublicKey(d))).toBe("INVALID_KEY");
    expect(sm2Code(() => sm2Signer(d))).toBe("INVALID_KEY");
  });

  it("takes d = 1 and d = n - 2, the ends of [1, n-2]", () => {
    for (const d of [1n, n - 2n]) {
      const key = fromHex(hex32(d));
      expect(sm2Verify(sm2PublicKey(key), utf8("m"), sm2Sign(key, utf8("m")))).toBe(true);
    }
  });

  it("refuses an id over 8191 bytes (ENTL is 16 bits) and bytes that are not bytes", () => {
    const d = fromHex(hex32(7n));
    expect(sm2Code(() => sm2Sign(d, utf8("m"), { id: "x".repeat(8192) }))).toBe("INVALID_ID");
    expect(() => sm2Sign(d, "m" as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => sm2Sign(d, utf8("m"), { random: "r" as unknown as Uint8Array })).toThrow(TypeError);
  });
});

describe("properties", () => {
  const scalar = fc.bigInt({ min: 1n, max: n - 2n }).map((d) => fromHex(hex32(d)));

  it("every signature verifies, by the key, id and message it was made for only", () => {
    fc.assert(
      fc.property(
        scalar,
        fc.uint8Array({ maxLength: 300 }),
        fc.string({ maxLength: 40 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.nat({ max: 63 * 8 + 7 }),
        (d, message, id, random, bit) => {
          const publicKey = sm2PublicKey(d);
          const signature = sm2Sign(d, message, { id, random });
          expect(sm2Verify(publicKey, message, signature, id)).toBe(true);
          expect(sm2Signer(d, id)(message, { random })).toEqual(signature);
          expect(sm2Verify(publicKey, concatBytes(message, Uint8Array.of(0)), signature, id)).toBe(false);
          expect(sm2Verify(publicKey, message, signature, `${id}.`)).toBe(false);
          const flipped = signature.slice();
          flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
          expect(sm2Verify(publicKey, message, flipped, id)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("SM3, as lib/sm2 hashes with it", () => {
  it("is OpenSSL's SM3 (the digest e is over Z_A || M)", () => {
    const bytes = utf8("message digest");
    expect(toHex(sm3(bytes))).toBe(createHash("sm3").update(bytes).digest("hex"));
  });
});

describe("keys in DER", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "SM2" });
  const pkcs8 = new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" }));
  const spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));

  it("reads node:crypto's SPKI and PKCS#8 of one key pair: d·G is the SPKI's point", () => {
    const point = sm2PublicKeyFromSpki(spki);
    expect(toHex(point)).toBe(toHex(sm2PublicKey(sm2PrivateKeyFromPkcs8(pkcs8))));
    expect(toHex(sm2PublicKeyToSpki(point))).toBe(toHex(spki));
    expect(toHex(spki).slice(0, 54)).toBe("3059301306072a8648ce3d020106082a811ccf5501822d03420004");
  });

  /** DER tag-length-value, in hex; lengths in the minimal form DER requires. */
  const tlv = (tag: string, content: string) => {
    const length = content.length / 2;
    const prefix = length < 0x80 ? "" : length < 0x100 ? "81" : "82";
    return `${tag}${prefix}${length.toString(16).padStart(length < 0x100 ? 2 : 4, "0")}${content}`;
  };
  const ALGORITHM = "301306072a8648ce3d020106082a811ccf5501822d";
  const d = sm2PrivateKeyFromPkcs8(pkcs8);
  const point = toHex(sm2PublicKey(d));
  const otherPoint = toHex(sm2PublicKey(fromHex(hex32(2n))));
  /** PrivateKeyInfo { version, algorithm, OCTET STRING { ECPrivateKey { 1, d, …inner } }, …outer }. */
  const pkcs8Of = ({
    version = "00",
    algorithm = ALGORITHM,
    ecVersion = "01",
    inner = "",
    outer = "",
    scalar = toHex(d),
  }) =>
    fromHex(
      tlv(
        "30",
        `${tlv("02", version)}${algorithm}${tlv("04", tlv("30", `${tlv("02", ecVersion)}${tlv("04", scalar)}${inner}`))}${outer}`,
      ),
    );

  it.each<[string, Parameters<typeof pkcs8Of>[0]]>([
    ["no public key", {}],
    ["the curve as ECPrivateKey parameters", { inner: tlv("a0", "06082a811ccf5501822d") }],
    ["version 1 with the public key after privateKey", { version: "01", outer: tlv("81", `00${point}`) }],
    ["attributes, long enough for a 2-byte length", { outer: tlv("a0", tlv("30", "00".repeat(300))) }],
  ])("reads a PKCS#8 with %s", (_, parts) => {
    expect(toHex(sm2PrivateKeyFromPkcs8(pkcs8Of(parts)))).toBe(toHex(d));
  });

  it.each<[string, Parameters<typeof pkcs8Of>[0]]>([
    ["version 2", { version: "02" }],
    ["ECPrivateKey version 0", { ecVersion: "00" }],
    ["P-256 as ECPrivateKey parameters", { inner: tlv("a0", "06082a8648ce3d030107") }],
    ["another point in ECPrivateKey", { inner: tlv("a1", tlv("03", `00${otherPoint}`)) }],
    ["the point in ECPrivateKey as an OCTET STRING", { inner: tlv("a1", tlv("04", `00${point}`)) }],
    ["another point after privateKey", { outer: tlv("81", `00${otherPoint}`) }],
    ["an unknown field in ECPrivateKey", { inner: tlv("a2", "0500") }],
    ["an unknown field after privateKey", { outer: tlv("a2", "0500") }],
    ["d = 0", { scalar: hex32(0n) }],
    ["d of 31 bytes", { scalar: toHex(d).slice(2) }],
    ["the algorithm of a P-256 key", { algorithm: "301306072a8648ce3d020106082a8648ce3d030107" }],
  ])("refuses a PKCS#8 with %s", (_, parts) => {
    expect(sm2Code(() => sm2PrivateKeyFromPkcs8(pkcs8Of(parts)))).toBe("INVALID_KEY");
  });

  it.each<[string, string]>([
    ["a non-minimal 1-byte length", `308105${"00".repeat(5)}`],
    ["a length of 3 bytes", `30830000${toHex(pkcs8).slice(4)}`],
    ["a truncated length", "3082"],
    ["a non-minimal 2-byte length", `30820010${"00".repeat(16)}`],
    ["a tag alone", "30"],
  ])("refuses DER with %s", (_, hex) => {
    expect(sm2Code(() => sm2PrivateKeyFromPkcs8(fromHex(hex)))).toBe("INVALID_KEY");
  });

  it.each<[string, (der: Uint8Array) => Uint8Array]>([
    ["a byte more", (der) => concatBytes(der, Uint8Array.of(0))],
    ["a byte less", (der) => der.subarray(0, der.length - 1)],
    ["no bytes", () => new Uint8Array(0)],
    [
      "a P-256 key",
      () =>
        new Uint8Array(
          generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
            format: "der",
            type: "pkcs8",
          }),
        ),
    ],
    [
      "an Ed25519 key",
      () =>
        new Uint8Array(generateKeyPairSync("ed25519").privateKey.export({ format: "der", type: "pkcs8" })),
    ],
    ["the SPKI", () => spki],
    ["version 2", (der) => Uint8Array.from(der, (b, i) => (i === 5 ? 2 : b))],
  ])("refuses a PKCS#8 with %s", (_, change) => {
    expect(sm2Code(() => sm2PrivateKeyFromPkcs8(change(pkcs8)))).toBe("INVALID_KEY");
  });

  it.each<[string, Uint8Array]>([
    ["a byte less", spki.subarray(0, 90)],
    ["a byte more", concatBytes(spki, Uint8Array.of(0))],
    [
      "a P-256 SPKI",
      new Uint8Array(
        generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "der", type: "spki" }),
      ),
    ],
    ["a point off the curve", Uint8Array.from(spki, (b, i) => (i === 90 ? b ^ 1 : b))],
  ])("refuses an SPKI with %s", (_, bad) => {
    expect(sm2Code(() => sm2PublicKeyFromSpki(bad))).toBe("INVALID_KEY");
  });

  it("refuses to write the SPKI of a point off the curve", () => {
    const point = sm2PublicKeyFromSpki(spki);
    point[64] = (point[64] as number) ^ 1;
    expect(sm2Code(() => sm2PublicKeyToSpki(point))).toBe("INVALID_KEY");
  });
});
