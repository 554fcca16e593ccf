import { createHash, createHmac, randomBytes } from "node:crypto";
import { hmac } from "@noble/hashes/hmac.js";
import { describe, expect, it } from "vitest";
import { sm3, sm3Node, toHex, utf8 } from "#chain";
import vectors from "../../../vectors/sm3/standard.json" with { type: "json" };

// OpenSSL's SM3, through node:crypto: an implementation independent of ours.
const openssl = (data: Uint8Array) => createHash("sm3").update(data).digest("hex");

describe("SM3 (GB/T 32905)", () => {
  it.each(vectors.cases)("gives the standard's digest for $name", ({ utf8: text, digest }) => {
    expect(toHex(sm3(utf8(text)))).toBe(digest);
  });

  it("agrees with OpenSSL on every length from 0 to 300 bytes, the padding boundaries among them", () => {
    for (let n = 0; n <= 300; n++) {
      const data = new Uint8Array(randomBytes(n));
      expect(toHex(sm3(data)), `${n} bytes`).toBe(openssl(data));
    }
  });

  it("streams: any split of the input gives the one-shot digest", () => {
    const data = new Uint8Array(randomBytes(1000));
    for (const cut of [0, 1, 55, 56, 63, 64, 65, 500, 999, 1000]) {
      const h = sm3.create();
      h.update(data.subarray(0, cut));
      h.update(data.subarray(cut));
      expect(toHex(h.digest())).toBe(openssl(data));
    }
  });

  it("clones a running hash without disturbing it", () => {
    const h = sm3.create().update(utf8("ab"));
    const copy = h.clone();
    expect(toHex(copy.update(utf8("c")).digest())).toBe(vectors.cases[0]?.digest);
    expect(toHex(h.update(utf8("c")).digest())).toBe(vectors.cases[0]?.digest);
  });

  it("refuses to be used once destroyed", () => {
    const h = sm3.create();
    h.destroy();
    expect(() => h.update(utf8("x"))).toThrow();
  });

  it("gives HMAC-SM3 as OpenSSL does, for keys shorter, equal to and longer than a block", () => {
    for (const size of [0, 16, 32, 64, 65, 100]) {
      const key = new Uint8Array(randomBytes(size));
      const data = new Uint8Array(randomBytes(77));
      expect(toHex(hmac(sm3, key, data))).toBe(createHmac("sm3", key).update(data).digest("hex"));
    }
  });

  it("sm3Node is SM3(0x01 || left || right) for every value of right's last byte", () => {
    for (let last = 0; last < 256; last++) {
      const left = new Uint8Array(randomBytes(32));
      const right = new Uint8Array(randomBytes(32));
      right[31] = last;
      expect(toHex(sm3Node(left, right))).toBe(openssl(Uint8Array.of(1, ...left, ...right)));
    }
  });
});
