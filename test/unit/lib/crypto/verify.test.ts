import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SignatureAlgorithm } from "#chain";
import { P256_ORDER } from "../../../../lib/crypto/ecdsa-der.js";
import { CryptoError } from "../../../../lib/crypto/errors.js";
import { importPublicKey } from "../../../../lib/crypto/keys.js";
import { publicKeyObject, verifySignature } from "../../../../lib/crypto/verify.js";

function keyPair(alg: SignatureAlgorithm): { privateKey: KeyObject; spki: Uint8Array } {
  const { privateKey, publicKey } =
    alg === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateKey, spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })) };
}

function rawSign(alg: SignatureAlgorithm, key: KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(
    alg === "ed25519"
      ? sign(null, message, key)
      : sign("sha256", message, { key, dsaEncoding: "ieee-p1363" }),
  );
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof CryptoError ? e.code : `not a CryptoError: ${String(e)}`;
  }
  return undefined;
}

const ALGS: SignatureAlgorithm[] = ["ed25519", "ecdsa-p256-sha256"];
const message = new TextEncoder().encode('"@method": POST');

describe.each(ALGS)("verifySignature %s", (alg) => {
  const { privateKey, spki } = keyPair(alg);
  const key = { keyId: `k-${alg}`, alg, spki };

  it("accepts a signature by the key and rejects other messages", () => {
    const signature = rawSign(alg, privateKey, message);
    expect(signature.length).toBe(64);
    expect(verifySignature(key, message, signature)).toBe(true);
    expect(verifySignature(key, message.subarray(1), signature)).toBe(false);
  });

  it("rejects a signature by another key", () => {
    const other = keyPair(alg);
    expect(verifySignature(key, message, rawSign(alg, other.privateKey, message))).toBe(false);
  });

  it("returns false, never throws, for signature bytes of any length and content", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(verifySignature(key, message, bytes)).toBe(false);
      }),
    );
    expect(verifySignature(key, message, new Uint8Array(64).fill(0xff))).toBe(false);
    expect(verifySignature(key, message, new Uint8Array(64))).toBe(false);
  });

  it("makes the KeyObject once per (alg, key id, SPKI)", () => {
    expect(publicKeyObject(key)).toBe(publicKeyObject({ ...key, spki: spki.slice() }));
    expect(publicKeyObject(key)).not.toBe(publicKeyObject({ ...key, keyId: "renamed" }));
  });
});

describe("verifySignature ECDSA P-256", () => {
  it("accepts high-S signatures (s replaced by n - s), as KMS may return them", () => {
    const { privateKey, spki } = keyPair("ecdsa-p256-sha256");
    const key = { keyId: "p256", alg: "ecdsa-p256-sha256" as const, spki };
    const signature = rawSign("ecdsa-p256-sha256", privateKey, message);
    const s = BigInt(`0x${Buffer.from(signature.subarray(32)).toString("hex")}`);
    const flipped = new Uint8Array(64);
    flipped.set(signature.subarray(0, 32));
    flipped.set(Buffer.from((P256_ORDER - s).toString(16).padStart(64, "0"), "hex"), 32);
    // One of s and n - s is high; both must verify.
    expect(verifySignature(key, message, signature)).toBe(true);
    expect(verifySignature(key, message, flipped)).toBe(true);
  });

  it("rejects a DER signature: only r||s is accepted", () => {
    const { privateKey, spki } = keyPair("ecdsa-p256-sha256");
    const der = new Uint8Array(sign("sha256", message, privateKey));
    expect(verifySignature({ keyId: "p256", alg: "ecdsa-p256-sha256", spki }, message, der)).toBe(false);
  });
});

describe("key checks", () => {
  it("refuses an SPKI of another algorithm", () => {
    const ed = keyPair("ed25519").spki;
    const p256 = keyPair("ecdsa-p256-sha256").spki;
    const p384 = new Uint8Array(
      generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey.export({ format: "der", type: "spki" }),
    );
    expect(codeOf(() => importPublicKey("ecdsa-p256-sha256", ed))).toBe("KEY_ALGORITHM_MISMATCH");
    expect(codeOf(() => importPublicKey("ed25519", p256))).toBe("KEY_ALGORITHM_MISMATCH");
    expect(codeOf(() => importPublicKey("ecdsa-p256-sha256", p384))).toBe("KEY_ALGORITHM_MISMATCH");
    expect(
      codeOf(() => verifySignature({ keyId: "x", alg: "ed25519", spki: p256 }, message, new Uint8Array(64))),
    ).toBe("KEY_ALGORITHM_MISMATCH");
  });

  it("refuses bytes that are not an SPKI", () => {
    expect(codeOf(() => importPublicKey("ed25519", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])))).toBe(
      "INVALID_KEY",
    );
  });
});
