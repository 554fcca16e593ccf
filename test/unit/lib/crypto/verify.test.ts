import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SignatureAlgorithm } from "#chain";
import { GM, gmSuite, INTL } from "#chain";
import { ecdsaSignatureToDer, P256_ORDER } from "../../../../lib/crypto/ecdsa-der.js";
import { CryptoError } from "../../../../lib/crypto/errors.js";
import { generateKeyPair } from "../../../../lib/crypto/key-pairs.js";
import { describeKey, importPublicKey, keyAlgorithm } from "../../../../lib/crypto/keys.js";
import { LocalSigner } from "../../../../lib/crypto/local-signer.js";
import { keySignatureCheckOf, preparedCheck, verifySignature } from "../../../../lib/crypto/verify.js";
import { sm2PrivateKeyFromPkcs8, sm2Sign } from "../../../../lib/sm2/index.js";

function keyPair(alg: SignatureAlgorithm): { privateKey: KeyObject; spki: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPair(alg);
  return { privateKey, spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })) };
}

/** The scalar of an SM2 KeyObject, for lib/sm2 (node:crypto's SM2 uses another identifier). */
const sm2Scalar = (key: KeyObject) =>
  sm2PrivateKeyFromPkcs8(new Uint8Array(key.export({ format: "der", type: "pkcs8" })));

/** A signature each algorithm's way, made independently of lib/crypto's signers. */
function rawSign(alg: SignatureAlgorithm, key: KeyObject, message: Uint8Array): Uint8Array {
  if (alg === "sm2-sm3") return sm2Sign(sm2Scalar(key), message, { random: randomBytes(32) });
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

const ALGS: SignatureAlgorithm[] = ["ed25519", "ecdsa-p256-sha256", "sm2-sm3"];
const message = new TextEncoder().encode('"@method": POST');

describe.each(ALGS)("verifySignature %s", (alg) => {
  const { privateKey, spki } = keyPair(alg);
  const key = { keyId: `k-${alg}`, alg, spki };

  it("accepts a signature by the key and rejects other messages", () => {
    const signature = rawSign(alg, privateKey, message);
    expect(signature.length).toBe(64);
    expect(verifySignature(key, message, signature, INTL)).toBe(true);
    expect(verifySignature(key, message.subarray(1), signature, INTL)).toBe(false);
  });

  it("rejects a signature by another key", () => {
    const other = keyPair(alg);
    expect(verifySignature(key, message, rawSign(alg, other.privateKey, message), INTL)).toBe(false);
  });

  it("returns false, never throws, for signature bytes of any length and content", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(verifySignature(key, message, bytes, INTL)).toBe(false);
      }),
    );
    expect(verifySignature(key, message, new Uint8Array(64).fill(0xff), INTL)).toBe(false);
    expect(verifySignature(key, message, new Uint8Array(64), INTL)).toBe(false);
  });

  it("prepares each key once per (alg, key id, SPKI)", () => {
    expect(preparedCheck(key, INTL)).toBe(preparedCheck({ ...key, spki: spki.slice() }, INTL));
    expect(preparedCheck(key, INTL)).not.toBe(preparedCheck({ ...key, keyId: "renamed" }, INTL));
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
    expect(verifySignature(key, message, signature, INTL)).toBe(true);
    expect(verifySignature(key, message, flipped, INTL)).toBe(true);
  });

  it("rejects a DER signature: only r||s is accepted", () => {
    const { privateKey, spki } = keyPair("ecdsa-p256-sha256");
    const der = new Uint8Array(sign("sha256", message, privateKey));
    expect(verifySignature({ keyId: "p256", alg: "ecdsa-p256-sha256", spki }, message, der, INTL)).toBe(
      false,
    );
  });
});

describe("verifySignature SM2", () => {
  const { privateKey, spki } = keyPair("sm2-sm3");
  const key = { keyId: "sm2", alg: "sm2-sm3" as const, spki };
  const d = sm2Scalar(privateKey);

  it("checks with the default identifier 1234567812345678 only", () => {
    expect(verifySignature(key, message, sm2Sign(d, message, { id: "1234567812345678" }), GM)).toBe(true);
    expect(verifySignature(key, message, sm2Sign(d, message, { id: "ALICE123@YAHOO.COM" }), GM)).toBe(false);
    expect(verifySignature(key, message, sm2Sign(d, message, { id: "" }), GM)).toBe(false);
  });

  it("checks with the suite's identifier when the consortium sets one, each prepared apart", () => {
    const own = gmSuite("zhixin@hainan.gov.cn");
    const signed = sm2Sign(d, message, { id: "zhixin@hainan.gov.cn" });
    expect(verifySignature(key, message, signed, own)).toBe(true);
    expect(verifySignature(key, message, signed, GM)).toBe(false);
    expect(keySignatureCheckOf(own)("sm2-sm3", spki, message, signed)).toBe(true);
    expect(keySignatureCheckOf(GM)("sm2-sm3", spki, message, signed)).toBe(false);
    expect(preparedCheck(key, own)).not.toBe(preparedCheck(key, GM));
    expect(preparedCheck(key, own)).toBe(preparedCheck(key, gmSuite("zhixin@hainan.gov.cn")));
  });

  it("LocalSigner signs with the identifier it is given, forOwner with its suite's", async () => {
    const own = gmSuite("zhixin@hainan.gov.cn");
    const byId = new LocalSigner("k", privateKey, "sm2-sm3", "zhixin@hainan.gov.cn");
    const byOwner = LocalSigner.forOwner(own, "hf-yinchuan", privateKey);
    for (const signer of [byId, byOwner]) {
      const signature = await signer.sign(message);
      expect(verifySignature(key, message, signature, own)).toBe(true);
      expect(verifySignature(key, message, signature, GM)).toBe(false);
    }
    expect(
      verifySignature(
        key,
        message,
        await LocalSigner.forOwner(GM, "hf-yinchuan", privateKey).sign(message),
        GM,
      ),
    ).toBe(true);
  });

  it("refuses node:crypto's own SM2 signature, which is not over the default identifier's Z_A", () => {
    const nodes = new Uint8Array(sign("sm3", message, { key: privateKey, dsaEncoding: "ieee-p1363" }));
    expect(nodes.length).toBe(64);
    expect(verifySignature(key, message, nodes, GM)).toBe(false);
  });

  it("rejects a DER signature: only r||s is accepted", () => {
    const der = ecdsaSignatureToDer(sm2Sign(d, message));
    expect(verifySignature(key, message, der, GM)).toBe(false);
  });

  it("knows an SM2 key that Node read back from PEM, which has no asymmetricKeyType", () => {
    const read = createPrivateKey(privateKey.export({ format: "pem", type: "pkcs8" }));
    expect(read.asymmetricKeyType).toBeUndefined();
    expect(keyAlgorithm(read)).toBe("sm2-sm3");
    expect(keyAlgorithm(privateKey)).toBe("sm2-sm3");
    expect(describeKey(read)).toBe("ec SM2");
    expect(importPublicKey("sm2-sm3", spki).type).toBe("public");
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
    const sm2 = keyPair("sm2-sm3").spki;
    expect(codeOf(() => importPublicKey("ecdsa-p256-sha256", sm2))).toBe("KEY_ALGORITHM_MISMATCH");
    expect(codeOf(() => importPublicKey("sm2-sm3", p256))).toBe("KEY_ALGORITHM_MISMATCH");
    expect(codeOf(() => importPublicKey("sm2-sm3", ed))).toBe("KEY_ALGORITHM_MISMATCH");
    expect(keyAlgorithm(generateKeyPairSync("x25519").publicKey)).toBeUndefined();
    expect(
      codeOf(() =>
        verifySignature({ keyId: "x", alg: "ed25519", spki: p256 }, message, new Uint8Array(64), INTL),
      ),
    ).toBe("KEY_ALGORITHM_MISMATCH");
  });

  it("refuses an SM2 SPKI of a compressed point: the ledger records the 91-byte uncompressed form", () => {
    const uncompressed = keyPair("sm2-sm3").spki;
    const y = uncompressed[90] as number;
    const compressed = new Uint8Array([
      ...Buffer.from("3039301306072a8648ce3d020106082a811ccf5501822d032200", "hex"),
      y & 1 ? 3 : 2,
      ...uncompressed.subarray(27, 59),
    ]);
    expect(codeOf(() => importPublicKey("sm2-sm3", compressed))).toBe("INVALID_KEY");
    expect(
      codeOf(() =>
        verifySignature({ keyId: "c", alg: "sm2-sm3", spki: compressed }, message, new Uint8Array(64), INTL),
      ),
    ).toBe("INVALID_KEY");
  });

  it("refuses bytes that are not an SPKI", () => {
    expect(codeOf(() => importPublicKey("ed25519", new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])))).toBe(
      "INVALID_KEY",
    );
  });
});
