import { createHash } from "node:crypto";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

/**
 * Checks a request's AWS SigV4 as the receiving service would, with the AWS SDK's own
 * signer in Node (@smithy/signature-v4 over node:crypto): the credential scope names the
 * expected key, region and service; x-amz-content-sha256 is the body's SHA-256; the
 * session token is the expected one; and signing the signed headers again at the request's
 * x-amz-date gives the same Authorization. Used by the console's tests to check what the
 * browser signs (console/src/aws/sigv4.ts) at the HTTP boundary.
 */

export interface ReceivedRequest {
  method: string;
  /** The host the service sees (for the API behind CloudFront, the API's, not the page's). */
  host: string;
  path: string;
  /** Raw query, without "?". */
  query: string;
  /** Lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

export interface ExpectedSigner {
  service: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** The receiver's clock (default now): x-amz-date must be within 5 minutes of it, as AWS requires. */
  now?: Date;
}

/** undefined when the signature holds, else what is wrong with it. */
export async function sigv4Problem(
  request: ReceivedRequest,
  expected: ExpectedSigner,
): Promise<string | undefined> {
  const header = (name: string) => {
    const v = request.headers[name];
    return Array.isArray(v) ? v.join(",") : v;
  };
  const auth = header("authorization");
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth ?? "",
    );
  if (!m) return `no SigV4 Authorization header: ${auth}`;
  const [, keyId, day, region, service, signedHeaders] = m as unknown as string[];
  if (keyId !== expected.accessKeyId) return `signed by access key ${keyId}, not ${expected.accessKeyId}`;
  if (region !== expected.region || service !== expected.service) {
    return `scope ${region}/${service}, not ${expected.region}/${expected.service}`;
  }
  const date = header("x-amz-date") ?? "";
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!d || !date.startsWith(day as string))
    return `x-amz-date ${date} does not match the scope's day ${day}`;
  const signingDate = new Date(`${d[1]}-${d[2]}-${d[3]}T${d[4]}:${d[5]}:${d[6]}Z`);
  if (Math.abs(signingDate.getTime() - (expected.now ?? new Date()).getTime()) > 5 * 60_000)
    return `x-amz-date ${date} is more than 5 minutes off`;
  const names = (signedHeaders as string).split(";");
  for (const required of ["host", "x-amz-date", "x-amz-content-sha256"]) {
    if (!names.includes(required)) return `${required} is not signed`;
  }
  const bodyHash = createHash("sha256").update(request.body).digest("hex");
  if (header("x-amz-content-sha256") !== bodyHash) return "x-amz-content-sha256 is not the body's SHA-256";
  if (expected.sessionToken !== undefined) {
    if (!names.includes("x-amz-security-token")) return "x-amz-security-token is not signed";
    if (header("x-amz-security-token") !== expected.sessionToken)
      return "x-amz-security-token is not the session's";
  }
  const headers: Record<string, string> = {};
  for (const name of names) headers[name] = name === "host" ? request.host : (header(name) ?? "");
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(request.query)) {
    const previous = query[k];
    query[k] = previous === undefined ? v : [...(Array.isArray(previous) ? previous : [previous]), v];
  }
  const signer = new SignatureV4({
    service: expected.service,
    region: expected.region,
    credentials: {
      accessKeyId: expected.accessKeyId,
      secretAccessKey: expected.secretAccessKey,
      ...(expected.sessionToken ? { sessionToken: expected.sessionToken } : {}),
    },
    sha256: Hash.bind(null, "sha256"),
  });
  const again = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: "https:",
      hostname: request.host,
      path: request.path,
      query,
      headers,
      body: request.body,
    }),
    { signingDate },
  );
  if (again.headers.authorization !== auth) return "the signature does not hold for these credentials";
  return undefined;
}
