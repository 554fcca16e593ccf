import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { ApiError } from "../../lib/protocol/errors.js";
import { log } from "../telemetry/log.js";

/** A request as the API logic sees it, whatever carried it (API Gateway, the local server). */
export interface HttpRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Raw query string without "?", "" when none. */
  query: string;
  /** Header names lowercased. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  /** Text, or base64 when isBase64Encoded (API Gateway's way of carrying bytes). */
  body: string;
  isBase64Encoded?: boolean;
}

/** API Gateway HTTP API (payload format 2.0) event → HttpRequest. Requires the $default stage. */
export function requestFromEvent(event: APIGatewayProxyEventV2): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const raw = event.body ?? "";
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    query: event.rawQueryString ?? "",
    headers,
    body: event.isBase64Encoded ? new Uint8Array(Buffer.from(raw, "base64")) : new TextEncoder().encode(raw),
  };
}

export function toResult(response: HttpResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    body: response.body,
    ...(response.isBase64Encoded ? { isBase64Encoded: true } : {}),
  };
}

export function json(statusCode: number, body: unknown): HttpResponse {
  return {
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: `${JSON.stringify(body, null, 2)}\n`,
  };
}

/** Bytes, carried base64-encoded as API Gateway's payload format 2.0 requires. */
export function binary(statusCode: number, body: Uint8Array, headers: Record<string, string>): HttpResponse {
  return { statusCode, headers, body: Buffer.from(body).toString("base64"), isBase64Encoded: true };
}

export function text(statusCode: number, body: string): HttpResponse {
  return { statusCode, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}

const THROTTLING = new Set([
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "ThrottlingException",
  "LimitExceededException",
]);

/** Seconds a client should wait before retrying after a 503 (RFC 9110 §10.2.3). */
export const RETRY_AFTER_SECONDS = 1;

let unhandledErrors = 0;

/**
 * How many errors have become a 500 INTERNAL in this process: errors that are neither an
 * ApiError nor a store outage, i.e. bugs. The fuzz tests assert it does not move.
 */
export function unhandledErrorCount(): number {
  return unhandledErrors;
}

/**
 * The one place an error becomes an HTTP response. ApiErrors carry their own status
 * and code (a 405 also the Allow header, RFC 9110 §15.5.6; one whose details say
 * retryAfterSeconds also Retry-After); a store outage is 503
 * UNAVAILABLE with Retry-After; anything else is a 500 whose details go to the log, not
 * to the caller.
 */
export function errorResponse(error: unknown): HttpResponse {
  if (error instanceof ApiError) {
    const response = json(error.statusCode, error.toJSON());
    const allowed = error.code === "METHOD_NOT_ALLOWED" && (error.details as { allowed?: unknown })?.allowed;
    if (Array.isArray(allowed)) response.headers.allow = allowed.join(", ");
    // A refusal the ledger leaves by itself in time (EVIDENCE_NOT_READY, RATE_LIMITED)
    // says when to ask again in its details; the header says it to HTTP clients (RFC 9110 §10.2.3).
    const retryAfter = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (Number.isSafeInteger(retryAfter) && (retryAfter as number) >= 0)
      response.headers["retry-after"] = String(retryAfter);
    return response;
  }
  if (isStoreOutage(error)) {
    // The SDK has already retried with backoff; tell the client to come back later.
    log("WARN", "store unavailable", { error: { name: error.name, message: error.message } });
    const response = json(
      503,
      new ApiError("UNAVAILABLE", "the ledger store is unavailable or throttling; retry shortly").toJSON(),
    );
    response.headers["retry-after"] = String(RETRY_AFTER_SECONDS);
    return response;
  }
  unhandledErrors++;
  log("ERROR", "unhandled error", {
    error:
      error instanceof Error
        ? { name: error.name, message: error.message, stack: error.stack }
        : String(error),
  });
  return json(500, new ApiError("INTERNAL", "internal error; the request may be retried").toJSON());
}

/**
 * A failure of an AWS service (DynamoDB, KMS) rather than of our code, once the SDK's
 * retries are spent: throttling, a service's 5xx (InternalServerError,
 * ServiceUnavailable: `$fault` "server"), or no answer at all (refused connections,
 * timeouts: `$metadata` and no `$fault`). A client fault (ValidationException,
 * AccessDeniedException, a missing table) is our bug or our configuration: INTERNAL.
 */
function isStoreOutage(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if (THROTTLING.has(error.name)) return true;
  const sdk = error as { $metadata?: unknown; $fault?: unknown };
  return typeof sdk.$metadata === "object" && sdk.$metadata !== null && sdk.$fault !== "client";
}
