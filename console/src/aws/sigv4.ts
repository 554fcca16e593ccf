import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentials } from "./credentials.js";

/**
 * AWS Signature Version 4 in the browser: @smithy/signature-v4 (the AWS SDK's own signer)
 * with SHA-256 and HMAC-SHA-256 from @noble/hashes, as cli/sigv4.ts does in Node with
 * node:crypto. The page signs two kinds of request with the member role's temporary
 * credentials: the API's (service "execute-api", for the API's own host, although the
 * request goes to the page's origin, whose CloudFront sets Host to the API's), and KMS's
 * (service "kms", ./kms.ts).
 *
 * SigV4 signs every header it is given — the RFC 9421 headers included — and the payload's
 * SHA-256, which it also sends as x-amz-content-sha256. Host is signed but never set by the
 * page: the browser (or CloudFront) sends it.
 */

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytesOf(data: SourceData): Uint8Array {
  if (typeof data === "string") return new TextEncoder().encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** @smithy's ChecksumConstructor: SHA-256, or HMAC-SHA-256 when given a secret. */
export class NobleSha256 {
  #secret: Uint8Array | undefined;
  #hash: { update(b: Uint8Array): unknown; digest(): Uint8Array };

  constructor(secret?: SourceData) {
    this.#secret = secret === undefined ? undefined : bytesOf(secret);
    this.#hash = this.#fresh();
  }

  #fresh() {
    return this.#secret === undefined ? sha256.create() : hmac.create(sha256, this.#secret);
  }

  update(data: SourceData): void {
    this.#hash.update(bytesOf(data));
  }

  async digest(): Promise<Uint8Array> {
    return this.#hash.digest();
  }

  reset(): void {
    this.#hash = this.#fresh();
  }
}

/** A request as it will be sent, with the host SigV4 must name (which may not be the URL's). */
export interface SigV4Request {
  method: string;
  /** The host the receiving service sees: "abc.execute-api.<region>.amazonaws.com", "kms.<region>.…". */
  host: string;
  path: string;
  /** The query as sent, form-encoded (URLSearchParams), without "?"; "" for none. */
  query: string;
  headers: Readonly<Record<string, string>>;
  body?: Uint8Array | undefined;
}

export interface SigV4Scope {
  service: "execute-api" | "kms";
  region: string;
  credentials: AwsCredentials;
}

/**
 * The headers SigV4 adds to `request`: authorization, x-amz-date, x-amz-content-sha256 and,
 * with temporary credentials, x-amz-security-token. `signingDate` only for tests.
 */
export async function sigv4Headers(
  request: SigV4Request,
  scope: SigV4Scope,
  signingDate: Date = new Date(),
): Promise<Record<string, string>> {
  const { accessKeyId, secretAccessKey, sessionToken } = scope.credentials;
  const signer = new SignatureV4({
    service: scope.service,
    region: scope.region,
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
    sha256: NobleSha256,
  });
  const signed = await signer.sign(toHttpRequest(request), { signingDate });
  const added: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    if (name !== "host" && !(name in request.headers)) added[name] = value;
  }
  return added;
}

/** The request as SignatureV4 reads it: the query decoded, repeated names kept in order (as cli/sigv4.ts). */
export function toHttpRequest(request: SigV4Request): HttpRequest {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(request.query)) {
    const previous = query[k];
    query[k] = previous === undefined ? v : [...(Array.isArray(previous) ? previous : [previous]), v];
  }
  return new HttpRequest({
    method: request.method,
    protocol: "https:",
    hostname: request.host,
    path: request.path,
    query,
    headers: { ...request.headers, host: request.host },
    ...(request.body === undefined ? {} : { body: request.body }),
  });
}
