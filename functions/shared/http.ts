import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { ApiError } from "./errors.js";
import { log } from "./log.js";

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
  body: string;
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
  return { statusCode: response.statusCode, headers: response.headers, body: response.body };
}

export function json(statusCode: number, body: unknown): HttpResponse {
  return {
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: `${JSON.stringify(body, null, 2)}\n`,
  };
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

/**
 * The one place an error becomes an HTTP response. ApiErrors carry their own status
 * and code (a 405 also the Allow header, RFC 9110 §15.5.6); anything else is a 500 whose
 * details go to the log, not to the caller.
 */
export function errorResponse(error: unknown): HttpResponse {
  if (error instanceof ApiError) {
    const response = json(error.statusCode, error.toJSON());
    const allowed = error.code === "METHOD_NOT_ALLOWED" && (error.details as { allowed?: unknown })?.allowed;
    if (Array.isArray(allowed)) response.headers.allow = allowed.join(", ");
    return response;
  }
  if (error instanceof Error && THROTTLING.has(error.name)) {
    // The SDK has already retried with backoff; tell the client to come back later.
    const response = json(
      503,
      new ApiError("UNAVAILABLE", "the ledger store is throttling; retry shortly").toJSON(),
    );
    response.headers["retry-after"] = "1";
    return response;
  }
  log("ERROR", "unhandled error", {
    error:
      error instanceof Error
        ? { name: error.name, message: error.message, stack: error.stack }
        : String(error),
  });
  return json(500, new ApiError("INTERNAL", "internal error; the request may be retried").toJSON());
}
