import { type KeyObject, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { concatBytes, deriveKeyId, GM, gmSuite, INTL, type SignatureAlgorithm, sm3 } from "#chain";
import { kmsSigningPort } from "../../../../functions/auth/kms-signing-port.js";
import { ecdsaSignatureToDer, P256_ORDER, SM2_ORDER } from "../../../../lib/crypto/ecdsa-der.js";
import { generateKeyPair } from "../../../../lib/crypto/key-pairs.js";
import { KMS_RAW_MESSAGE_LIMIT, KmsSigner } from "../../../../lib/crypto/kms-signer.js";
import { verifySignature } from "../../../../lib/crypto/verify.js";
import { sm2PrivateKeyFromPkcs8, sm2PublicKeyFromSpki, sm2Sign, sm2Z } from "../../../../lib/sm2/index.js";
import { fakeKms, type KmsReply as Reply, TestKmsKey } from "../../../support/fake-aws.js";

/*
 * KMS has no local twin, so KmsSigner is tested at the SDK client boundary, with the
 * fake KMS endpoint of test/support/fake-aws.ts: a real KMSClient serialises and
 * SigV4-signs each command and the SDK's own deserializer decodes the answer. Signatures are made by node:crypto in exactly KMS's
 * encoding: DER (possibly high-S) for ECDSA_SHA_256, 64 raw bytes for ED25519_SHA_512; for
 * SM2DSA by lib/sm2 (node:crypto's SM2 uses another identifier), DER as KMS returns it.
 */

const KMS_KEY_ARN = "arn:aws:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

function localKey(alg: SignatureAlgorithm): { privateKey: KeyObject; spki: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPair(alg);
  return { privateKey, spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })) };
}

/** SM2DSA as KMS signs RAW messages: SM3(Z_A || M), the default identifier, DER; lib/sm2 here. */
function kmsSm2(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  const d = sm2PrivateKeyFromPkcs8(new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" })));
  return ecdsaSignatureToDer(sm2Sign(d, message, { random: new Uint8Array(32).fill(9) }));
}

/** What each algorithm's KMS key returns for a RAW Sign. */
function kmsSign(alg: SignatureAlgorithm, privateKey: KeyObject, message: Uint8Array): Uint8Array {
  if (alg === "sm2-sm3") return kmsSm2(privateKey, message);
  return new Uint8Array(
    alg === "ed25519" ? sign(null, message, privateKey) : sign("sha256", message, privateKey),
  );
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
const unb64 = (text: unknown): Uint8Array => new Uint8Array(Buffer.from(String(text), "base64"));
const toBig = (bytes: Uint8Array): bigint => BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);

/** DER ECDSA-Sig-Value, written independently of the code under test. */
function derSignature(r: bigint, s: bigint): Uint8Array {
  const integer = (n: bigint): number[] => {
    let h = n.toString(16);
    if (h.length % 2) h = `0${h}`;
    const bytes = [...Buffer.from(h, "hex")];
    if ((bytes[0] as number) >= 0x80) bytes.unshift(0);
    return [0x02, bytes.length, ...bytes];
  };
  const body = [...integer(r), ...integer(s)];
  return new Uint8Array([0x30, body.length, ...body]);
}

const signReply = (signature: Uint8Array, algorithm: string): Reply => ({
  body: { KeyId: KMS_KEY_ARN, Signature: b64(signature), SigningAlgorithm: algorithm },
});

const message = new TextEncoder().encode('"@method": POST\n"@path": /v1/entries');

describe("KmsSigner.sign, ECDSA P-256", () => {
  const { privateKey, spki } = localKey("ecdsa-p256-sha256");
  const key = { keyId: "dept-key", alg: "ecdsa-p256-sha256" as const, spki };

  it("sends Sign(KeyId, RAW message, ECDSA_SHA_256) and turns KMS's DER into verifiable r||s", async () => {
    const { client, calls } = fakeKms((_, input) =>
      signReply(new Uint8Array(sign("sha256", unb64(input.Message), privateKey)), "ECDSA_SHA_256"),
    );
    const signer = new KmsSigner(kmsSigningPort(client), {
      keyId: "dept-key",
      alg: "ecdsa-p256-sha256",
      kmsKeyId: "alias/zhixin-dept",
    });
    const signature = await signer.sign(message);

    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.operation).toBe("Sign");
    expect(call?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/cn-north-1\/kms\//);
    expect(call?.input).toEqual({
      KeyId: "alias/zhixin-dept",
      Message: b64(message),
      MessageType: "RAW",
      SigningAlgorithm: "ECDSA_SHA_256",
    });
    expect(signature.length).toBe(64);
    expect(verifySignature(key, message, signature, INTL)).toBe(true);
  });

  it("accepts a high-S DER signature (s replaced by n - s) and keeps it high", async () => {
    let highS = 0n;
    const { client } = fakeKms((_, input) => {
      const raw = new Uint8Array(
        sign("sha256", unb64(input.Message), { key: privateKey, dsaEncoding: "ieee-p1363" }),
      );
      const r = toBig(raw.subarray(0, 32));
      const s = toBig(raw.subarray(32));
      highS = s > P256_ORDER / 2n ? s : P256_ORDER - s;
      return signReply(derSignature(r, highS), "ECDSA_SHA_256");
    });
    const signature = await new KmsSigner(kmsSigningPort(client), {
      keyId: "dept-key",
      alg: "ecdsa-p256-sha256",
    }).sign(message);
    expect(toBig(signature.subarray(32))).toBe(highS);
    expect(highS > P256_ORDER / 2n).toBe(true);
    expect(verifySignature(key, message, signature, INTL)).toBe(true);
  });

  it("rejects malformed DER from KMS", async () => {
    const bad = [
      new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]), // trailing byte
      new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01]), // r = 0
      new Uint8Array(64).fill(7), // raw r||s where DER is due
    ];
    for (const signature of bad) {
      const { client } = fakeKms(() => signReply(signature, "ECDSA_SHA_256"));
      await expect(
        new KmsSigner(kmsSigningPort(client), { keyId: "k", alg: "ecdsa-p256-sha256" }).sign(message),
      ).rejects.toMatchObject({
        code: "MALFORMED_SIGNATURE",
      });
    }
  });

  it("rejects a response for another signing algorithm", async () => {
    const { client } = fakeKms(() => signReply(derSignature(1n, 1n), "ECDSA_SHA_384"));
    await expect(
      new KmsSigner(kmsSigningPort(client), { keyId: "k", alg: "ecdsa-p256-sha256" }).sign(message),
    ).rejects.toMatchObject({
      code: "UNEXPECTED_RESPONSE",
    });
  });
});

describe("KmsSigner.sign, SM2DSA", () => {
  const { privateKey, spki } = localKey("sm2-sm3");
  const key = { keyId: "dept-key", alg: "sm2-sm3" as const, spki };

  it("sends Sign(KeyId, RAW message, SM2DSA) and turns KMS's DER into r||s that lib/sm2 verifies", async () => {
    const { client, calls } = fakeKms((_, input) =>
      signReply(kmsSm2(privateKey, unb64(input.Message)), "SM2DSA"),
    );
    const signer = new KmsSigner(kmsSigningPort(client), {
      keyId: "dept-key",
      alg: "sm2-sm3",
      kmsKeyId: KMS_KEY_ARN,
    });
    const signature = await signer.sign(message);
    expect(calls[0]?.input).toEqual({
      KeyId: KMS_KEY_ARN,
      Message: b64(message),
      MessageType: "RAW",
      SigningAlgorithm: "SM2DSA",
    });
    expect(signature.length).toBe(64);
    expect(verifySignature(key, message, signature, GM)).toBe(true);
    expect(verifySignature(key, message.subarray(1), signature, GM)).toBe(false);
  });

  it("signs through test/support's KMS key as KMS does: DER over SM3(Z_A || M) with the default identifier", async () => {
    const kmsKey = new TestKmsKey("sm2-sm3", KMS_KEY_ARN);
    const { client } = fakeKms((operation, input) => kmsKey.answer(operation, input));
    const signer = await KmsSigner.forOwner(kmsSigningPort(client), {
      suite: GM,
      owner: "hf-haikou",
      kmsKeyId: KMS_KEY_ARN,
    });
    expect(signer.alg).toBe("sm2-sm3");
    const signature = await signer.sign(message);
    expect(
      verifySignature({ keyId: signer.keyId, alg: "sm2-sm3", spki: kmsKey.spki }, message, signature, GM),
    ).toBe(true);
  });

  it("with a consortium's own identifier, computes e = SM3(Z_A || M) itself and signs it as a DIGEST", async () => {
    const own = "zhixin@hainan.gov.cn";
    const kmsKey = new TestKmsKey("sm2-sm3", KMS_KEY_ARN);
    const { client, calls } = fakeKms((operation, input) => kmsKey.answer(operation, input));
    const signer = await KmsSigner.forOwner(kmsSigningPort(client), {
      suite: gmSuite(own),
      owner: "hf-yinchuan",
      kmsKeyId: KMS_KEY_ARN,
    });
    expect(signer.sm2Id).toBe(own);
    const long = new Uint8Array(KMS_RAW_MESSAGE_LIMIT + 1).fill(0x61);
    for (const m of [message, long]) {
      const signature = await signer.sign(m);
      const recorded = { keyId: signer.keyId, alg: "sm2-sm3" as const, spki: kmsKey.spki };
      expect(verifySignature(recorded, m, signature, gmSuite(own))).toBe(true);
      expect(verifySignature(recorded, m, signature, GM)).toBe(false);
    }
    const z = sm2Z(sm2PublicKeyFromSpki(kmsKey.spki), own);
    expect(calls.filter((c) => c.operation === "Sign").map((c) => c.input)).toEqual([
      {
        KeyId: KMS_KEY_ARN,
        Message: b64(sm3(concatBytes(z, message))),
        MessageType: "DIGEST",
        SigningAlgorithm: "SM2DSA",
      },
      {
        KeyId: KMS_KEY_ARN,
        Message: b64(sm3(concatBytes(z, long))),
        MessageType: "DIGEST",
        SigningAlgorithm: "SM2DSA",
      },
    ]);
    // One GetPublicKey (forOwner's): Z_A reuses its SPKI.
    expect(calls.filter((c) => c.operation === "GetPublicKey").length).toBe(1);
  });

  it("a signer made without forOwner fetches the public key for Z_A once, and keeps RAW for the default", async () => {
    const kmsKey = new TestKmsKey("sm2-sm3", KMS_KEY_ARN);
    const { client, calls } = fakeKms((operation, input) => kmsKey.answer(operation, input));
    const own = new KmsSigner(kmsSigningPort(client), {
      keyId: "k",
      alg: "sm2-sm3",
      kmsKeyId: KMS_KEY_ARN,
      sm2Id: "own",
    });
    const recorded = { keyId: "k", alg: "sm2-sm3" as const, spki: kmsKey.spki };
    for (let i = 0; i < 2; i++)
      expect(verifySignature(recorded, message, await own.sign(message), gmSuite("own"))).toBe(true);
    const byDefault = new KmsSigner(kmsSigningPort(client), {
      keyId: "k",
      alg: "sm2-sm3",
      kmsKeyId: KMS_KEY_ARN,
    });
    expect(verifySignature(recorded, message, await byDefault.sign(message), GM)).toBe(true);
    expect(calls.map((c) => [c.operation, c.input.MessageType])).toEqual([
      ["GetPublicKey", undefined],
      ["Sign", "DIGEST"],
      ["Sign", "DIGEST"],
      ["Sign", "RAW"],
    ]);
  });

  it("refuses DER whose r is not below the SM2 order, though below P-256's", async () => {
    const { client } = fakeKms(() => signReply(derSignature(SM2_ORDER, 1n), "SM2DSA"));
    await expect(
      new KmsSigner(kmsSigningPort(client), { keyId: "k", alg: "sm2-sm3" }).sign(message),
    ).rejects.toMatchObject({ code: "MALFORMED_SIGNATURE" });
  });

  it("rejects raw r||s where DER is due, and a response for another signing algorithm", async () => {
    const raw = new Uint8Array(64).fill(7);
    const { client } = fakeKms(() => signReply(raw, "SM2DSA"));
    await expect(
      new KmsSigner(kmsSigningPort(client), { keyId: "k", alg: "sm2-sm3" }).sign(message),
    ).rejects.toMatchObject({ code: "MALFORMED_SIGNATURE" });
    const other = fakeKms(() => signReply(derSignature(1n, 1n), "ECDSA_SHA_256"));
    await expect(
      new KmsSigner(kmsSigningPort(other.client), { keyId: "k", alg: "sm2-sm3" }).sign(message),
    ).rejects.toMatchObject({ code: "UNEXPECTED_RESPONSE" });
  });
});

describe("KmsSigner.sign, Ed25519", () => {
  const { privateKey, spki } = localKey("ed25519");

  it("sends Sign(KeyId, RAW message, ED25519_SHA_512) and returns KMS's 64 raw bytes", async () => {
    const { client, calls } = fakeKms((_, input) =>
      signReply(new Uint8Array(sign(null, unb64(input.Message), privateKey)), "ED25519_SHA_512"),
    );
    const signer = new KmsSigner(kmsSigningPort(client), { keyId: "sealer-2026", alg: "ed25519" });
    const signature = await signer.sign(message);
    expect(calls[0]?.input).toEqual({
      KeyId: "sealer-2026",
      Message: b64(message),
      MessageType: "RAW",
      SigningAlgorithm: "ED25519_SHA_512",
    });
    expect(verifySignature({ keyId: "sealer-2026", alg: "ed25519", spki }, message, signature, INTL)).toBe(
      true,
    );
  });

  it("rejects an Ed25519 signature that is not 64 bytes", async () => {
    const { client } = fakeKms(() => signReply(new Uint8Array(63), "ED25519_SHA_512"));
    await expect(
      new KmsSigner(kmsSigningPort(client), { keyId: "k", alg: "ed25519" }).sign(message),
    ).rejects.toMatchObject({
      code: "MALFORMED_SIGNATURE",
    });
  });

  it(`refuses messages over ${KMS_RAW_MESSAGE_LIMIT} bytes without calling KMS`, async () => {
    const { client, calls } = fakeKms((_, input) =>
      signReply(new Uint8Array(sign(null, unb64(input.Message), privateKey)), "ED25519_SHA_512"),
    );
    const signer = new KmsSigner(kmsSigningPort(client), { keyId: "k", alg: "ed25519" });
    await expect(signer.sign(new Uint8Array(KMS_RAW_MESSAGE_LIMIT + 1))).rejects.toMatchObject({
      code: "MESSAGE_TOO_LONG",
    });
    expect(calls).toHaveLength(0);
    await signer.sign(new Uint8Array(KMS_RAW_MESSAGE_LIMIT));
    expect(calls).toHaveLength(1);
  });

  it("passes KMS errors through unchanged", async () => {
    const { client } = fakeKms(() => ({
      status: 400,
      body: { __type: "DisabledException", message: "arn:aws:kms:... is disabled." },
    }));
    await expect(
      new KmsSigner(kmsSigningPort(client), { keyId: "k", alg: "ed25519" }).sign(message),
    ).rejects.toMatchObject({
      name: "DisabledException",
    });
  });
});

describe("KmsSigner.publicKey", () => {
  const publicKeyReply = (spki: Uint8Array, keySpec: string, algorithm: string): Reply => ({
    body: {
      KeyId: KMS_KEY_ARN,
      PublicKey: b64(spki),
      KeySpec: keySpec,
      KeyUsage: "SIGN_VERIFY",
      SigningAlgorithms: [algorithm],
    },
  });

  it.each([
    ["ed25519", "ECC_NIST_EDWARDS25519", "ED25519_SHA_512"],
    ["ecdsa-p256-sha256", "ECC_NIST_P256", "ECDSA_SHA_256"],
    ["sm2-sm3", "SM2", "SM2DSA"],
  ] as const)(
    "%s: sends GetPublicKey(KeyId) once and returns the DER SPKI",
    async (alg, keySpec, algorithm) => {
      const { spki } = localKey(alg);
      const { client, calls } = fakeKms(() => publicKeyReply(spki, keySpec, algorithm));
      const signer = new KmsSigner(kmsSigningPort(client), { keyId: "k", alg, kmsKeyId: KMS_KEY_ARN });
      expect(await signer.publicKey()).toEqual(spki);
      expect(await signer.publicKey()).toEqual(spki);
      expect(calls).toEqual([
        expect.objectContaining({ operation: "GetPublicKey", input: { KeyId: KMS_KEY_ARN } }),
      ]);
    },
  );

  it("refuses a KMS key of another key spec, or whose SPKI is not the declared algorithm, and retries later", async () => {
    const ed = localKey("ed25519").spki;
    let reply = publicKeyReply(ed, "ECC_NIST_P256", "ECDSA_SHA_256");
    const { client, calls } = fakeKms(() => reply);
    const signer = new KmsSigner(kmsSigningPort(client), { keyId: "k", alg: "ecdsa-p256-sha256" });
    await expect(signer.publicKey()).rejects.toMatchObject({ code: "KEY_ALGORITHM_MISMATCH" });
    reply = publicKeyReply(ed, "ECC_NIST_EDWARDS25519", "ED25519_SHA_512");
    await expect(signer.publicKey()).rejects.toMatchObject({ code: "KEY_ALGORITHM_MISMATCH" });
    const p256 = localKey("ecdsa-p256-sha256").spki;
    reply = publicKeyReply(p256, "ECC_NIST_P256", "ECDSA_SHA_256");
    expect(await signer.publicKey()).toEqual(p256);
    expect(calls).toHaveLength(3);
  });

  it("refuses a key that is not for signing", async () => {
    const { spki } = localKey("ed25519");
    const { client } = fakeKms(() => ({
      body: {
        ...publicKeyReply(spki, "ECC_NIST_EDWARDS25519", "ED25519_SHA_512").body,
        KeyUsage: "KEY_AGREEMENT",
      },
    }));
    await expect(
      new KmsSigner(kmsSigningPort(client), { keyId: "k", alg: "ed25519" }).publicKey(),
    ).rejects.toMatchObject({
      code: "UNEXPECTED_RESPONSE",
    });
  });
});

describe("KmsSigner.forOwner", () => {
  const publicKeyReply = (spki: Uint8Array, keySpec: string, usage = "SIGN_VERIFY"): Reply => ({
    body: { KeyId: KMS_KEY_ARN, PublicKey: b64(spki), KeySpec: keySpec, KeyUsage: usage },
  });

  it.each([
    ["ed25519", "ECC_NIST_EDWARDS25519", "ED25519_SHA_512"],
    ["ecdsa-p256-sha256", "ECC_NIST_P256", "ECDSA_SHA_256"],
    ["sm2-sm3", "SM2", "SM2DSA"],
  ] as const)(
    "%s: one GetPublicKey gives the key id derived from the key and the algorithm; Sign goes to the same KMS key",
    async (alg, keySpec, algorithm) => {
      const { privateKey, spki } = localKey(alg);
      const { client, calls } = fakeKms((operation) =>
        operation === "GetPublicKey"
          ? publicKeyReply(spki, keySpec)
          : signReply(kmsSign(alg, privateKey, message), algorithm),
      );
      const signer = await KmsSigner.forOwner(kmsSigningPort(client), {
        suite: INTL,
        owner: "hf-haikou",
        kmsKeyId: KMS_KEY_ARN,
      });
      expect(signer).toMatchObject({
        keyId: deriveKeyId(INTL, "hf-haikou", spki),
        alg,
        kmsKeyId: KMS_KEY_ARN,
      });
      expect(await signer.publicKey()).toEqual(spki);
      const signature = await signer.sign(message);
      expect(verifySignature({ keyId: signer.keyId, alg, spki }, message, signature, INTL)).toBe(true);
      expect(calls.map((c) => [c.operation, c.input.KeyId])).toEqual([
        ["GetPublicKey", KMS_KEY_ARN],
        ["Sign", KMS_KEY_ARN],
      ]);
    },
  );

  it("keeps a given key id, and checks a given algorithm against the key spec", async () => {
    const { spki } = localKey("ed25519");
    const { client } = fakeKms(() => publicKeyReply(spki, "ECC_NIST_EDWARDS25519"));
    const port = kmsSigningPort(client);
    const options = { owner: "hf-haikou", kmsKeyId: KMS_KEY_ARN };
    expect(
      await KmsSigner.forOwner(port, { suite: INTL, ...options, keyId: "hf-haikou/0123456789abcdef" }),
    ).toMatchObject({
      keyId: "hf-haikou/0123456789abcdef",
    });
    expect(await KmsSigner.forOwner(port, { suite: INTL, ...options, alg: "ed25519" })).toMatchObject({
      alg: "ed25519",
    });
    await expect(
      KmsSigner.forOwner(port, { suite: INTL, ...options, alg: "ecdsa-p256-sha256" }),
    ).rejects.toMatchObject({
      code: "KEY_ALGORITHM_MISMATCH",
    });
  });

  it.each([
    [
      "a key spec Zhixin does not sign with",
      () => publicKeyReply(localKey("ed25519").spki, "RSA_2048"),
      "KEY_ALGORITHM_MISMATCH",
    ],
    [
      "no key spec",
      () => ({ body: { KeyId: KMS_KEY_ARN, KeyUsage: "SIGN_VERIFY" } }),
      "KEY_ALGORITHM_MISMATCH",
    ],
    [
      "a key not for signing",
      () => publicKeyReply(localKey("ed25519").spki, "ECC_NIST_EDWARDS25519", "KEY_AGREEMENT"),
      "UNEXPECTED_RESPONSE",
    ],
    [
      "an SPKI of another algorithm than its key spec",
      () => publicKeyReply(localKey("ecdsa-p256-sha256").spki, "ECC_NIST_EDWARDS25519"),
      "KEY_ALGORITHM_MISMATCH",
    ],
    [
      "a P-256 SPKI for key spec SM2",
      () => publicKeyReply(localKey("ecdsa-p256-sha256").spki, "SM2"),
      "KEY_ALGORITHM_MISMATCH",
    ],
  ])("refuses %s", async (_what, reply, code) => {
    const { client } = fakeKms(reply);
    await expect(
      KmsSigner.forOwner(kmsSigningPort(client), { suite: INTL, owner: "hf-haikou", kmsKeyId: KMS_KEY_ARN }),
    ).rejects.toMatchObject({ code });
  });
});
