import {
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
  randomBytes,
} from "node:crypto";
import { describe, expect, it } from "vitest";
import { deriveKeyId, GM, INTL } from "#chain";
import type { AwsMember } from "../../../console/src/aws/config.js";
import { SignInError } from "../../../console/src/aws/errors.js";
import { KmsError, type KmsPort, kmsEndpointOf, kmsOverFetch } from "../../../console/src/aws/kms.js";
import { kmsSigner } from "../../../console/src/aws/kms-signer.js";
import { ecdsaSignatureToDer } from "../../../lib/crypto/ecdsa-der.js";
import { generateKeyPair } from "../../../lib/crypto/key-pairs.js";
import { keySignatureCheckOf } from "../../../lib/crypto/verify.js";
import { sm2PublicKey, sm2PublicKeyToSpki, sm2Sign } from "../../../lib/sm2/index.js";
import { sigv4Problem } from "../../support/sigv4-check.js";

// session.ts reaches console/src/api.ts and identity.ts, typed for the DOM, which this
// Node-typed project lacks: imported by a path TypeScript does not follow, as the page uses it.
const SESSION = "../../../console/src/aws/session.js";
const { explainFailure } = (await import(SESSION)) as {
  explainFailure(e: unknown, member: AwsMember, keyId?: string): unknown;
};

const credentials = {
  accessKeyId: "ASIATESTCONSOLE00002",
  secretAccessKey: "a2V5LWZvci10aGUta21zLXRlc3Rz",
  sessionToken: "kms-session-token",
};
const now = new Date("2026-05-01T08:30:00Z");

/** A fetch that records each request and answers `reply`'s status and JSON. */
function recordingFetch(
  reply: (target: string, body: Record<string, unknown>) => { status: number; json: unknown },
) {
  const seen: Array<{ url: string; init: RequestInit; body: Record<string, unknown> }> = [];
  const fetch = (async (url: URL | string, init: RequestInit = {}) => {
    const body = JSON.parse(new TextDecoder().decode(init.body as Uint8Array));
    seen.push({ url: String(url), init, body });
    const target = (init.headers as Record<string, string>)["x-amz-target"] ?? "";
    const r = reply(target, body);
    return new Response(JSON.stringify(r.json), { status: r.status });
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

const spkiOf = (key: KeyObject) =>
  new Uint8Array(createPublicKey(key).export({ format: "der", type: "spki" }));

describe("KMS over fetch (console/src/aws/kms.ts)", () => {
  it("sends Sign and GetPublicKey as the SDK does: JSON 1.1, the target, SigV4 for kms", async () => {
    const { fetch, seen } = recordingFetch((target) =>
      target === "TrentService.Sign"
        ? { status: 200, json: { KeyId: "arn:k", Signature: "AAEC", SigningAlgorithm: "ED25519_SHA_512" } }
        : {
            status: 200,
            json: {
              KeyId: "arn:k",
              KeySpec: "ECC_NIST_EDWARDS25519",
              KeyUsage: "SIGN_VERIFY",
              PublicKey: "AwQF",
              SigningAlgorithms: ["ED25519_SHA_512"],
            },
          },
    );
    const kms = kmsOverFetch({
      endpoint: "https://kms.cn-north-1.amazonaws.com.cn",
      region: "cn-north-1",
      credentials,
      fetch,
      now: () => now,
    });
    const signed = await kms.sign({
      KeyId: "alias/zhixin/demo/hf-haikou",
      Message: new Uint8Array([104, 105]),
      MessageType: "RAW",
      SigningAlgorithm: "ED25519_SHA_512",
    });
    expect(signed).toEqual({ Signature: new Uint8Array([0, 1, 2]), SigningAlgorithm: "ED25519_SHA_512" });
    const key = await kms.getPublicKey({ KeyId: "alias/zhixin/demo/hf-haikou" });
    expect(key).toEqual({
      KeySpec: "ECC_NIST_EDWARDS25519",
      KeyUsage: "SIGN_VERIFY",
      SigningAlgorithms: ["ED25519_SHA_512"],
      PublicKey: new Uint8Array([3, 4, 5]),
    });

    expect(seen.map((s) => [s.url, s.init.method, s.init.credentials])).toEqual([
      ["https://kms.cn-north-1.amazonaws.com.cn/", "POST", "omit"],
      ["https://kms.cn-north-1.amazonaws.com.cn/", "POST", "omit"],
    ]);
    expect(seen[0]?.body).toEqual({
      KeyId: "alias/zhixin/demo/hf-haikou",
      Message: "aGk=",
      MessageType: "RAW",
      SigningAlgorithm: "ED25519_SHA_512",
    });
    expect(seen[1]?.body).toEqual({ KeyId: "alias/zhixin/demo/hf-haikou" });
    for (const [i, target] of ["TrentService.Sign", "TrentService.GetPublicKey"].entries()) {
      const { init } = seen[i] as (typeof seen)[number];
      const headers = init.headers as Record<string, string>;
      expect(headers["content-type"]).toBe("application/x-amz-json-1.1");
      expect(headers["x-amz-target"]).toBe(target);
      expect(headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=ASIATESTCONSOLE00002\/20260501\/cn-north-1\/kms\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target, /,
      );
      const problem = await sigv4Problem(
        {
          method: "POST",
          host: "kms.cn-north-1.amazonaws.com.cn",
          path: "/",
          query: "",
          headers,
          body: init.body as Uint8Array,
        },
        { service: "kms", region: "cn-north-1", ...credentials, now },
      );
      expect(problem).toBeUndefined();
    }
  });

  it("turns KMS's refusals into KmsError with the exception's short name", async () => {
    for (const __type of ["com.amazonaws.kms#AccessDeniedException", "AccessDeniedException"]) {
      const { fetch } = recordingFetch(() => ({
        status: 400,
        json: { __type, message: "User: arn:x is not authorized" },
      }));
      const kms = kmsOverFetch({
        endpoint: kmsEndpointOf("us-east-1"),
        region: "us-east-1",
        credentials,
        fetch,
      });
      const e = await kms.getPublicKey({ KeyId: "k" }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KmsError);
      expect(e).toMatchObject({ type: "AccessDeniedException", status: 400 });
    }
  });

  it("names China's endpoints under amazonaws.com.cn", () => {
    expect(kmsEndpointOf("cn-northwest-1")).toBe("https://kms.cn-northwest-1.amazonaws.com.cn");
    expect(kmsEndpointOf("ap-east-1")).toBe("https://kms.ap-east-1.amazonaws.com");
  });
});

/** A KMS port answering from a node:crypto key exactly as KMS encodes: raw Ed25519, DER ECDSA. */
function keyPort(alg: "ed25519" | "ecdsa-p256-sha256", overrides: Partial<Record<string, unknown>> = {}) {
  const { privateKey } =
    alg === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const calls: string[] = [];
  const port: KmsPort = {
    async getPublicKey() {
      calls.push("GetPublicKey");
      return {
        KeySpec: alg === "ed25519" ? "ECC_NIST_EDWARDS25519" : "ECC_NIST_P256",
        KeyUsage: "SIGN_VERIFY",
        SigningAlgorithms: [alg === "ed25519" ? "ED25519_SHA_512" : "ECDSA_SHA_256"],
        PublicKey: spkiOf(privateKey),
        ...overrides,
      };
    },
    async sign(input) {
      calls.push(`Sign ${input.SigningAlgorithm} ${input.MessageType}`);
      const signature =
        alg === "ed25519"
          ? nodeSign(null, input.Message, privateKey)
          : nodeSign("sha256", input.Message, privateKey);
      return { Signature: new Uint8Array(signature), SigningAlgorithm: input.SigningAlgorithm };
    },
  };
  return { port, privateKey, calls };
}

describe("the browser's KMS signer (console/src/aws/kms-signer.ts)", () => {
  const message = new TextEncoder().encode('"@method": POST\n"@signature-params": ("@method");created=1');

  it("signs Ed25519 with ED25519_SHA_512 RAW under the id derived from the key", async () => {
    const { port, privateKey, calls } = keyPort("ed25519");
    const signer = await kmsSigner(port, {
      owner: "hf-haikou",
      kmsKey: "alias/zhixin/demo/hf-haikou",
      alg: "ed25519",
    });
    expect(signer.keyId).toBe(deriveKeyId(INTL, "hf-haikou", spkiOf(privateKey)));
    const signature = await signer.sign(message);
    expect(signature.length).toBe(64);
    expect(nodeVerify(null, message, createPublicKey(privateKey), signature)).toBe(true);
    expect(calls).toEqual(["GetPublicKey", "Sign ED25519_SHA_512 RAW"]);
  });

  it("turns KMS's DER ECDSA into r||s that verifies as IEEE P1363", async () => {
    const { port, privateKey, calls } = keyPort("ecdsa-p256-sha256");
    const signer = await kmsSigner(port, {
      owner: "market-regulation",
      kmsKey: "k",
      alg: "ecdsa-p256-sha256",
    });
    for (let i = 0; i < 8; i++) {
      const signature = await signer.sign(message);
      expect(signature.length).toBe(64);
      expect(
        nodeVerify(
          "sha256",
          message,
          { key: createPublicKey(privateKey), dsaEncoding: "ieee-p1363" },
          signature,
        ),
      ).toBe(true);
    }
    expect(calls[1]).toBe("Sign ECDSA_SHA_256 RAW");
  });

  it("signs SM2 with SM2DSA RAW (the China Regions' keys): KMS's DER becomes r||s, the key id by SM3", async () => {
    // What KMS does with an SM2 key and MessageType RAW: SM3(Z || M) with the default
    // identifier, signed, returned as DER — made here with lib/sm2 and the DER encoder.
    const d = new Uint8Array(32).fill(9);
    const spki = sm2PublicKeyToSpki(sm2PublicKey(d));
    const calls: string[] = [];
    const port: KmsPort = {
      async getPublicKey() {
        calls.push("GetPublicKey");
        return { KeySpec: "SM2", KeyUsage: "SIGN_VERIFY", SigningAlgorithms: ["SM2DSA"], PublicKey: spki };
      },
      async sign(input) {
        calls.push(`Sign ${input.SigningAlgorithm} ${input.MessageType}`);
        const raw = sm2Sign(d, input.Message, { random: randomBytes(32) });
        return { Signature: ecdsaSignatureToDer(raw), SigningAlgorithm: input.SigningAlgorithm };
      },
    };
    const signer = await kmsSigner(port, {
      owner: "hf-yinchuan",
      kmsKey: "alias/zhixin/ningxia/hf-yinchuan",
      alg: "sm2-sm3",
    });
    expect(signer.keyId).toBe(deriveKeyId(GM, "hf-yinchuan", spki));
    expect(signer.keyId).not.toBe(deriveKeyId(INTL, "hf-yinchuan", spki));
    for (let i = 0; i < 4; i++) {
      const signature = await signer.sign(message);
      expect(signature.length).toBe(64);
      expect(keySignatureCheckOf(GM)("sm2-sm3", spki, message, signature)).toBe(true);
    }
    expect(calls.slice(0, 2)).toEqual(["GetPublicKey", "Sign SM2DSA RAW"]);
    const notSm2 = await kmsSigner(
      keyPort("ecdsa-p256-sha256", { KeySpec: "SM2", SigningAlgorithms: ["SM2DSA"] }).port,
      {
        owner: "m",
        kmsKey: "k",
        alg: "sm2-sm3",
      },
    ).catch((e: unknown) => e);
    expect(notSm2).toMatchObject({ code: "KEY_WRONG_ALGORITHM" });
  });

  it("refuses a key that is not of the member's algorithm or not a signing key", async () => {
    const wrong = await kmsSigner(keyPort("ed25519").port, {
      owner: "m",
      kmsKey: "k",
      alg: "ecdsa-p256-sha256",
    }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(SignInError);
    expect(wrong).toMatchObject({ code: "KEY_WRONG_ALGORITHM" });
    const usage = await kmsSigner(keyPort("ed25519", { KeyUsage: "ENCRYPT_DECRYPT" }).port, {
      owner: "m",
      kmsKey: "k",
      alg: "ed25519",
    }).catch((e: unknown) => e);
    expect(usage).toMatchObject({ code: "KEY_WRONG_ALGORITHM" });
    const notSpki = await kmsSigner(keyPort("ed25519", { PublicKey: new Uint8Array([1, 2, 3]) }).port, {
      owner: "m",
      kmsKey: "k",
      alg: "ed25519",
    }).catch((e: unknown) => e);
    expect(notSpki).toMatchObject({ code: "KEY_WRONG_ALGORITHM" });
  });

  it("refuses a message over KMS's RAW limit before any Sign call", async () => {
    const { port, calls } = keyPort("ed25519");
    const signer = await kmsSigner(port, { owner: "civil-affairs", kmsKey: "k", alg: "ed25519" });
    await expect(signer.sign(new Uint8Array(4097))).rejects.toThrow(/4096/);
    expect(calls).toEqual(["GetPublicKey"]);
  });

  it("says what each KMS refusal means to the user", () => {
    const member: AwsMember = {
      id: "hf-haikou",
      name: "Haikou",
      role: "department",
      alg: "ed25519",
      kmsKey: "alias/zhixin/demo/hf-haikou",
      ownAccount: false,
    };
    const code = (type: string) => (explainFailure(new KmsError(type, 400, "m"), member) as SignInError).code;
    expect(code("AccessDeniedException")).toBe("KMS_ACCESS_DENIED");
    expect(code("ExpiredTokenException")).toBe("CREDENTIALS_EXPIRED");
    expect(code("UnrecognizedClientException")).toBe("CREDENTIALS_REJECTED");
    expect(code("InvalidSignatureException")).toBe("CREDENTIALS_REJECTED");
    expect(code("NotFoundException")).toBe("KMS_KEY_NOT_FOUND");
    expect(code("DisabledException")).toBe("KMS_KEY_DISABLED");
    expect(code("InvalidKeyUsageException")).toBe("KEY_WRONG_ALGORITHM");
    expect(code("ThrottlingException")).toBe("KMS_UNREACHABLE");
    expect((explainFailure(new TypeError("Failed to fetch"), member) as SignInError).code).toBe(
      "KMS_UNREACHABLE",
    );
  });
});

describe("the local identities' signer (console/src/identity.ts)", () => {
  // identity.ts is typed for the DOM, which this Node-typed project lacks: imported by a
  // path TypeScript does not follow, as session.ts is above.
  const IDENTITY = "../../../console/src/identity.js";
  const load = async () =>
    (await import(IDENTITY)) as {
      webCryptoSigner(
        owner: string,
        alg: string,
        pkcs8: Uint8Array,
      ): Promise<import("../../../lib/crypto/signer.js").Signer>;
    };
  const message = new TextEncoder().encode('"@method": POST\n"@signature-params": ("@method");created=1');

  it("signs with an SM2 key file by lib/sm2, under the key id SM3 derives (WebCrypto has no SM2)", async () => {
    const { webCryptoSigner } = await load();
    const { privateKey } = generateKeyPair("sm2-sm3");
    const pkcs8 = new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" }));
    const signer = await webCryptoSigner("hf-yinchuan", "sm2-sm3", pkcs8);
    const spki = await signer.publicKey();
    expect(spki).toEqual(spkiOf(privateKey));
    expect([signer.alg, signer.keyId]).toEqual(["sm2-sm3", deriveKeyId(GM, "hf-yinchuan", spki)]);
    expect(keySignatureCheckOf(GM)("sm2-sm3", spki, message, await signer.sign(message))).toBe(true);
  });

  it("signs with an Ed25519 key file by WebCrypto, under the key id SHA-256 derives", async () => {
    const { webCryptoSigner } = await load();
    const { privateKey } = generateKeyPairSync("ed25519");
    const pkcs8 = new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" }));
    const signer = await webCryptoSigner("hf-haikou", "ed25519", pkcs8);
    expect(signer.keyId).toBe(deriveKeyId(INTL, "hf-haikou", spkiOf(privateKey)));
    expect(nodeVerify(null, message, createPublicKey(privateKey), await signer.sign(message))).toBe(true);
  });
});
