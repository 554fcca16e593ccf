import { generateKeyPairSync, sign } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ecdsaSignatureFromDer,
  ecdsaSignatureToDer,
  P256_ORDER,
  SM2_ORDER,
} from "../../../../lib/crypto/ecdsa-der.js";
import { CryptoError } from "../../../../lib/crypto/errors.js";
import { SM2_CURVE } from "../../../../lib/sm2/index.js";

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ""), "hex"));
const scalar = (n: bigint): Uint8Array => hex(n.toString(16).padStart(64, "0"));

// A well-formed signature: r = 0x80…01 (top bit set, so DER needs a 0x00 pad), s = 0x01.
const R_HIGH = `00 80${"00".repeat(30)}01`;
const GOOD = `30 26 02 21 ${R_HIGH} 02 01 01`;

const MALFORMED: Array<{ description: string; der: string }> = [
  { description: "empty", der: "" },
  { description: "not a SEQUENCE tag (0x31 SET)", der: `31 26 02 21 ${R_HIGH} 02 01 01` },
  {
    description: "SEQUENCE length in long form (0x81 0x26): not DER for < 128",
    der: `30 81 26 02 21 ${R_HIGH} 02 01 01`,
  },
  { description: "SEQUENCE length one more than the content", der: `30 27 02 21 ${R_HIGH} 02 01 01` },
  { description: "SEQUENCE length one less than the content", der: `30 25 02 21 ${R_HIGH} 02 01 01` },
  { description: "a trailing byte after s, inside the SEQUENCE", der: `30 27 02 21 ${R_HIGH} 02 01 01 00` },
  { description: "r is not an INTEGER (0x04 OCTET STRING)", der: `30 26 04 21 ${R_HIGH} 02 01 01` },
  { description: "s is missing", der: `30 23 02 21 ${R_HIGH}` },
  { description: "s has zero length", der: `30 25 02 21 ${R_HIGH} 02 00` },
  {
    description: "r is negative (top bit set, no 0x00 pad)",
    der: `30 25 02 20 80${"00".repeat(30)}01 02 01 01`,
  },
  { description: "r has a non-minimal leading zero", der: "30 07 02 02 00 01 02 01 01" },
  { description: "r is zero", der: "30 06 02 01 00 02 01 01" },
  { description: "s is zero", der: "30 06 02 01 01 02 01 00" },
  { description: "r equals the group order n", der: `30 26 02 21 00${P256_ORDER.toString(16)} 02 01 01` },
  {
    description: "r is 33 bytes without a pad byte (too wide)",
    der: `30 26 02 21 01${"00".repeat(32)} 02 01 01`,
  },
  { description: "r's length runs past the end", der: "30 04 02 05 01 02" },
];

describe("ecdsaSignatureFromDer", () => {
  it("reads a minimal DER signature into r||s", () => {
    expect(Buffer.from(ecdsaSignatureFromDer(hex(GOOD))).toString("hex")).toBe(
      `80${"00".repeat(30)}01${"00".repeat(31)}01`,
    );
  });

  it.each(MALFORMED)("rejects: $description", ({ der }) => {
    try {
      ecdsaSignatureFromDer(hex(der));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CryptoError);
      expect((e as CryptoError).code).toBe("MALFORMED_SIGNATURE");
    }
  });

  it("reads what OpenSSL (node:crypto) writes, and writes it back byte for byte", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    for (let i = 0; i < 50; i++) {
      const message = new Uint8Array([i]);
      const der = new Uint8Array(sign("sha256", message, privateKey));
      const raw = ecdsaSignatureFromDer(der);
      expect(ecdsaSignatureToDer(raw)).toEqual(der);
    }
  });

  it("round-trips every r, s in 1..n-1 through DER", () => {
    const inRange = fc.bigInt({ min: 1n, max: P256_ORDER - 1n });
    const small = fc.bigInt({ min: 1n, max: 1n << 64n });
    fc.assert(
      fc.property(fc.oneof(inRange, small), fc.oneof(inRange, small), (r, s) => {
        const raw = new Uint8Array([...scalar(r), ...scalar(s)]);
        expect(ecdsaSignatureFromDer(ecdsaSignatureToDer(raw))).toEqual(raw);
      }),
    );
  });
});

describe("ecdsaSignatureFromDer with the SM2 curve's order (KMS's SM2DSA)", () => {
  it("is the order of GB/T 32918.5's base point, as lib/sm2 has it", () => {
    expect(SM2_ORDER).toBe(SM2_CURVE.n);
    expect(SM2_ORDER < P256_ORDER).toBe(true);
  });

  it("refuses r or s in [n_SM2, n_P256), which P-256's order alone would let through", () => {
    const der = (r: bigint, s: bigint) => ecdsaSignatureToDer(new Uint8Array([...scalar(r), ...scalar(s)]));
    for (const [r, s] of [
      [SM2_ORDER, 1n],
      [1n, SM2_ORDER],
      [SM2_ORDER + 1n, 1n],
    ] as const) {
      expect(() => ecdsaSignatureFromDer(der(r, s), SM2_ORDER)).toThrowError(
        expect.objectContaining({ code: "MALFORMED_SIGNATURE" }),
      );
      expect(ecdsaSignatureFromDer(der(r, s))).toEqual(new Uint8Array([...scalar(r), ...scalar(s)]));
    }
    expect(ecdsaSignatureFromDer(der(SM2_ORDER - 1n, 1n), SM2_ORDER)).toEqual(
      new Uint8Array([...scalar(SM2_ORDER - 1n), ...scalar(1n)]),
    );
  });
});
