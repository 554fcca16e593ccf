import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { CredentialsProvider } from "./aws.js";
import type { OutgoingRequest, TransportSigner } from "./client.js";

/**
 * SigV4 for a deployed Zhixin API: API Gateway authorises every route with IAM
 * (execute-api:Invoke), so each request also carries an AWS Signature Version 4 for the
 * service "execute-api" in the API's region. It is applied to the finished request,
 * after the RFC 9421 headers, so it covers them too; SigV4 signs every header the
 * request has (host, x-amz-date, content-digest, signature, signature-input,
 * zhixin-department, ...) and the payload's SHA-256, which it also sends as
 * x-amz-content-sha256.
 *
 * The region is the API's (./aws.ts executeApiRegion) unless --region says otherwise.
 */

export interface SigV4Options {
  region: string;
  credentials: CredentialsProvider | { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Signing time; default now. */
  now?: () => Date;
}

/** A TransportSigner adding SigV4's headers (authorization, x-amz-date, x-amz-content-sha256, x-amz-security-token). */
export function sigv4Signer(options: SigV4Options): TransportSigner {
  const signer = new SignatureV4({
    service: "execute-api",
    region: options.region,
    credentials: options.credentials,
    sha256: Hash.bind(null, "sha256"),
  });
  return async (request: OutgoingRequest) => {
    const signed = await signer.sign(toHttpRequest(request), {
      ...(options.now ? { signingDate: options.now() } : {}),
    });
    // Only what SigV4 added: the rest is already on the request, and fetch sets Host itself.
    const added: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) {
      if (name !== "host" && !(name in request.headers)) added[name] = value;
    }
    return added;
  };
}

/** The request as SignatureV4 reads it; `host` is what fetch will send (port only when not the default). */
function toHttpRequest(request: OutgoingRequest): HttpRequest {
  const { url } = request;
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const previous = query[k];
    query[k] = previous === undefined ? v : [...(Array.isArray(previous) ? previous : [previous]), v];
  }
  return new HttpRequest({
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query,
    headers: { ...request.headers, host: url.host },
    ...(request.body === undefined ? {} : { body: request.body }),
  });
}
