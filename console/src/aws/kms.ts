import { fromBase64, toBase64, utf8 } from "#chain";
import type { AwsCredentials } from "./credentials.js";
import { sigv4Headers } from "./sigv4.js";

/**
 * KMS's two calls the page makes, over fetch, in KMS's JSON protocol (AWS JSON 1.1), as
 * the AWS SDK sends them:
 *
 *   POST / HTTP/1.1
 *   Host: kms.<region>.amazonaws.com
 *   Content-Type: application/x-amz-json-1.1
 *   X-Amz-Target: TrentService.Sign
 *   X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256, Authorization   (SigV4, service kms)
 *
 *   {"KeyId":"alias/zhixin/demo/hf-haikou","Message":"<base64>","MessageType":"RAW",
 *    "SigningAlgorithm":"ED25519_SHA_512"}
 *
 * answered {"KeyId":"arn:…","Signature":"<base64>","SigningAlgorithm":"ED25519_SHA_512"};
 * GetPublicKey takes {"KeyId"} and answers {"KeyId","KeySpec","KeyUsage","PublicKey":
 * "<base64 DER SPKI>","SigningAlgorithms":[…]}. A refusal is a 4xx whose JSON body is
 * {"__type":"[com.amazonaws.kms#]AccessDeniedException","message":"…"} → KmsError.
 * Field names are the SDK's, so ./kms-signer.ts reads what lib/crypto/kms-signer.ts reads.
 */

export type KmsSigningAlgorithm = "ED25519_SHA_512" | "ECDSA_SHA_256" | "SM2DSA";

export interface KmsSignInput {
  KeyId: string;
  Message: Uint8Array;
  MessageType: "RAW";
  SigningAlgorithm: KmsSigningAlgorithm;
}
export interface KmsSignOutput {
  Signature?: Uint8Array | undefined;
  SigningAlgorithm?: string | undefined;
}
export interface KmsPublicKeyOutput {
  KeySpec?: string | undefined;
  KeyUsage?: string | undefined;
  SigningAlgorithms?: string[] | undefined;
  PublicKey?: Uint8Array | undefined;
}

/** The port ./kms-signer.ts signs through (lib/crypto/kms-signer.ts KmsSigningPort's shape). */
export interface KmsPort {
  sign(input: KmsSignInput): Promise<KmsSignOutput>;
  getPublicKey(input: { KeyId: string }): Promise<KmsPublicKeyOutput>;
}

/** A refusal from KMS: `type` is the exception's short name (AccessDeniedException, …). */
export class KmsError extends Error {
  override readonly name = "KmsError";

  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** KMS's public endpoint in a region; China's regions are under amazonaws.com.cn. */
export function kmsEndpointOf(region: string): string {
  return `https://kms.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}`;
}

export interface KmsOverFetchOptions {
  /** https://kms.<region>.amazonaws.com (config.json kmsEndpoint). */
  endpoint: string;
  region: string;
  credentials: AwsCredentials;
  fetch?: typeof fetch;
  now?: () => Date;
}

export function kmsOverFetch(options: KmsOverFetchOptions): KmsPort {
  const url = new URL(options.endpoint);
  const send = options.fetch ?? globalThis.fetch.bind(globalThis);
  const call = async (target: "Sign" | "GetPublicKey", input: Record<string, unknown>) => {
    const body = utf8(JSON.stringify(input));
    const headers: Record<string, string> = {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `TrentService.${target}`,
    };
    const auth = await sigv4Headers(
      { method: "POST", host: url.host, path: "/", query: "", headers, body },
      { service: "kms", region: options.region, credentials: options.credentials },
      options.now?.() ?? new Date(),
    );
    const res = await send(new URL("/", url), {
      method: "POST",
      headers: { ...headers, ...auth },
      body: body as Uint8Array<ArrayBuffer>,
      credentials: "omit",
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: a proxy's answer, reported below
    }
    if (!res.ok) {
      const type = String(json.__type ?? json.code ?? `HTTP_${res.status}`)
        .replace(/^.*#/, "")
        .replace(/:.*$/, "");
      throw new KmsError(type, res.status, String(json.message ?? json.Message ?? text));
    }
    return json;
  };
  return {
    async sign(input) {
      const out = await call("Sign", { ...input, Message: toBase64(input.Message) });
      return {
        Signature: typeof out.Signature === "string" ? fromBase64(out.Signature) : undefined,
        SigningAlgorithm: typeof out.SigningAlgorithm === "string" ? out.SigningAlgorithm : undefined,
      };
    },
    async getPublicKey(input) {
      const out = await call("GetPublicKey", { KeyId: input.KeyId });
      return {
        KeySpec: typeof out.KeySpec === "string" ? out.KeySpec : undefined,
        KeyUsage: typeof out.KeyUsage === "string" ? out.KeyUsage : undefined,
        SigningAlgorithms: Array.isArray(out.SigningAlgorithms)
          ? out.SigningAlgorithms.filter((a): a is string => typeof a === "string")
          : undefined,
        PublicKey: typeof out.PublicKey === "string" ? fromBase64(out.PublicKey) : undefined,
      };
    },
  };
}
