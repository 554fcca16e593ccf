import { type KeyObject, randomBytes, sign } from "node:crypto";
import { KMSClient, type KMSClientConfig } from "@aws-sdk/client-kms";
import { LambdaClient } from "@aws-sdk/client-lambda";
import type { SignatureAlgorithm } from "#chain";
import { ecdsaSignatureToDer } from "../../lib/crypto/ecdsa-der.js";
import { generateKeyPair } from "../../lib/crypto/key-pairs.js";
import { sm2PrivateKeyFromPkcs8, sm2Sign, sm2SignDigest } from "../../lib/sm2/index.js";

/*
 * AWS services have no local twin here, so their clients are tested at the SDK client
 * boundary, one fake endpoint for every test that needs one: a real client serialises and
 * SigV4-signs each command, and a middleware placed after the SDK's deserializer (step
 * "deserialize", priority "low") takes the wire request in place of the network and
 * answers with a wire response, which the SDK's own deserializer decodes.
 */

export const TEST_CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

export interface WireRequest {
  method: string;
  hostname: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface WireResponse {
  status?: number;
  headers?: Record<string, string>;
  body: string | Uint8Array;
}

type Intercepted = { middlewareStack: KMSClient["middlewareStack"] | LambdaClient["middlewareStack"] };

function intercept(
  client: Intercepted,
  answer: (request: WireRequest) => WireResponse | Promise<WireResponse>,
) {
  const requests: WireRequest[] = [];
  (client.middlewareStack as KMSClient["middlewareStack"]).add(
    () => async (args) => {
      const r = args.request as {
        method: string;
        hostname: string;
        path: string;
        headers: Record<string, string>;
        body?: Uint8Array | string;
      };
      const body =
        r.body === undefined ? "" : typeof r.body === "string" ? r.body : new TextDecoder().decode(r.body);
      const request = { method: r.method, hostname: r.hostname, path: r.path, headers: r.headers, body };
      requests.push(request);
      const { status = 200, headers = {}, body: out } = await answer(request);
      return {
        response: {
          statusCode: status,
          headers: { "x-amzn-requestid": "test-request", ...headers },
          body: typeof out === "string" ? new TextEncoder().encode(out) : out,
        },
        output: undefined as never,
      };
    },
    { step: "deserialize", priority: "low", name: "fakeAwsEndpoint" },
  );
  return requests;
}

// ---- KMS ----------------------------------------------------------------------------------

export interface KmsCall {
  /** "GetPublicKey", "DescribeKey", "Sign", ... */
  operation: string;
  input: Record<string, unknown>;
  authorization: string;
}

export type KmsReply = { status?: number; body: Record<string, unknown> };

export function fakeKms(
  answer: (operation: string, input: Record<string, unknown>) => KmsReply,
  region = "cn-north-1",
  credentials: KMSClientConfig["credentials"] = TEST_CREDENTIALS,
): { client: KMSClient; calls: KmsCall[] } {
  const client = new KMSClient({ region, credentials, maxAttempts: 1 });
  const calls: KmsCall[] = [];
  intercept(client, (request) => {
    const operation = (request.headers["x-amz-target"] ?? "").replace(/^TrentService\./, "");
    const input = JSON.parse(request.body) as Record<string, unknown>;
    calls.push({ operation, input, authorization: request.headers.authorization ?? "" });
    const { status, body } = answer(operation, input);
    return {
      ...(status === undefined ? {} : { status }),
      headers: { "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify(body),
    };
  });
  return { client, calls };
}

export const kmsError = (type: string, message: string): KmsReply => ({
  status: 400,
  body: { __type: type, message },
});

export const KEY_SPEC: Record<SignatureAlgorithm, string> = {
  ed25519: "ECC_NIST_EDWARDS25519",
  "ecdsa-p256-sha256": "ECC_NIST_P256",
  "sm2-sm3": "SM2",
};

const SIGNING_ALGORITHM: Record<SignatureAlgorithm, string> = {
  ed25519: "ED25519_SHA_512",
  "ecdsa-p256-sha256": "ECDSA_SHA_256",
  "sm2-sm3": "SM2DSA",
};

/**
 * Sign(RAW) as KMS answers it, per algorithm: Ed25519 64 raw bytes; ECDSA P-256 DER over
 * SHA-256(message), s not normalised; SM2DSA DER over SM3(Z_A || message), Z_A with the
 * default identifier 1234567812345678, a random k (lib/sm2, hedged with fresh bytes, since
 * node:crypto's SM2 uses another identifier).
 */
const KMS_SIGN: Record<SignatureAlgorithm, (key: KeyObject, message: Uint8Array) => Uint8Array> = {
  ed25519: (key, message) => sign(null, message, key),
  "ecdsa-p256-sha256": (key, message) => sign("sha256", message, key),
  "sm2-sm3": (key, message) => {
    const d = sm2PrivateKeyFromPkcs8(new Uint8Array(key.export({ format: "der", type: "pkcs8" })));
    return ecdsaSignatureToDer(sm2Sign(d, message, { random: randomBytes(32) }));
  },
};

/**
 * A key pair standing in for one KMS key: node:crypto and lib/sm2 sign in exactly KMS's encodings.
 * Its keyState answers as KMS's does: DescribeKey always, GetPublicKey and Sign only on
 * an Enabled key — DisabledException for a Disabled one, KMSInvalidStateException for
 * any other state (PendingDeletion, ...).
 */
export class TestKmsKey {
  readonly privateKey: KeyObject;
  readonly spki: Uint8Array;

  constructor(
    readonly alg: SignatureAlgorithm,
    readonly arn: string,
    readonly creationDate = new Date("2026-01-01T00:00:00.000Z"),
    readonly keyState = "Enabled",
  ) {
    const { privateKey, publicKey } = generateKeyPair(alg);
    this.privateKey = privateKey;
    this.spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
  }

  /** KMS's refusal of a key in a state that cannot be used, or undefined when Enabled. */
  stateRefusal(): KmsReply | undefined {
    if (this.keyState === "Enabled") return undefined;
    return this.keyState === "Disabled"
      ? kmsError("DisabledException", `${this.arn} is disabled.`)
      : kmsError("KMSInvalidStateException", `${this.arn} is ${this.keyState}.`);
  }

  getPublicKey(): KmsReply {
    const refusal = this.stateRefusal();
    if (refusal) return refusal;
    return {
      body: {
        KeyId: this.arn,
        PublicKey: b64(this.spki),
        KeySpec: KEY_SPEC[this.alg],
        KeyUsage: "SIGN_VERIFY",
        SigningAlgorithms: [SIGNING_ALGORITHM[this.alg]],
      },
    };
  }

  describeKey(): KmsReply {
    return {
      body: {
        KeyMetadata: {
          KeyId: this.arn.split("/").pop(),
          Arn: this.arn,
          CreationDate: this.creationDate.getTime() / 1000,
          Enabled: this.keyState === "Enabled",
          KeyState: this.keyState,
          KeyUsage: "SIGN_VERIFY",
          KeySpec: KEY_SPEC[this.alg],
        },
      },
    };
  }

  /**
   * Sign(RAW): Ed25519 64 raw bytes; ECDSA and SM2DSA DER, as KMS returns them (KMS_SIGN).
   * Sign(DIGEST), which Zhixin sends for SM2DSA only (and this fake answers for it only):
   * the 32 bytes are e itself (GB/T 32918.2 §6.1 from A3), whatever identifier the caller
   * hashed into it; another length is a ValidationException.
   */
  sign(input: Record<string, unknown>): KmsReply {
    const refusal = this.stateRefusal();
    if (refusal) return refusal;
    const message = Buffer.from(String(input.Message), "base64");
    if (input.MessageType === "DIGEST" && (this.alg !== "sm2-sm3" || message.length !== 32))
      return kmsError("ValidationException", `this test KMS signs a 32-byte SM2DSA digest only`);
    const signature =
      input.MessageType === "DIGEST"
        ? ecdsaSignatureToDer(
            sm2SignDigest(
              sm2PrivateKeyFromPkcs8(
                new Uint8Array(this.privateKey.export({ format: "der", type: "pkcs8" })),
              ),
              message,
              { random: randomBytes(32) },
            ),
          )
        : KMS_SIGN[this.alg](this.privateKey, message);
    return {
      body: { KeyId: this.arn, Signature: b64(signature), SigningAlgorithm: SIGNING_ALGORITHM[this.alg] },
    };
  }

  /** Answers GetPublicKey, DescribeKey and Sign for this key. */
  answer(operation: string, input: Record<string, unknown>): KmsReply {
    if (operation === "GetPublicKey") return this.getPublicKey();
    if (operation === "DescribeKey") return this.describeKey();
    if (operation === "Sign") return this.sign(input);
    return kmsError("UnsupportedOperationException", operation);
  }
}

// ---- Lambda ---------------------------------------------------------------------------------

export interface LambdaCall {
  functionName: string;
  invocationType: string | undefined;
  payload: unknown;
  authorization: string;
  hostname: string;
}

export type LambdaReply = { status?: number; functionError?: string; payload: unknown };

export function fakeLambda(
  answer: (call: LambdaCall) => LambdaReply,
  region = "cn-north-1",
): { client: LambdaClient; calls: LambdaCall[] } {
  const client = new LambdaClient({ region, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  const calls: LambdaCall[] = [];
  intercept(client, (request) => {
    // POST /2015-03-31/functions/{FunctionName}/invocations
    const name = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.path)?.[1] ?? "";
    const call: LambdaCall = {
      functionName: decodeURIComponent(name),
      invocationType: request.headers["x-amz-invocation-type"],
      payload: request.body === "" ? undefined : JSON.parse(request.body),
      authorization: request.headers.authorization ?? "",
      hostname: request.hostname,
    };
    calls.push(call);
    const { status = 200, functionError, payload } = answer(call);
    return {
      status,
      headers: {
        "content-type": "application/json",
        "x-amz-executed-version": "$LATEST",
        ...(functionError === undefined ? {} : { "x-amz-function-error": functionError }),
        ...(status >= 400 && typeof payload === "object" && payload !== null && "__type" in payload
          ? { "x-amzn-errortype": String((payload as { __type: string }).__type) }
          : {}),
      },
      body: JSON.stringify(payload),
    };
  });
  return { client, calls };
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
