import { utf8 } from "#chain";
import { signRequest } from "../../lib/http-signature/sign.js";
import type { Identity } from "./identity.js";

/**
 * The console's only way to the ledger: the public HTTP API (docs/API.md), each request
 * signed in the browser by the chosen identity exactly as the CLI signs (RFC 9421,
 * lib/http-signature). The console adds no route of its own: whatever it shows, a CLI user
 * can fetch the same way.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A request as Api sends it, its RFC 9421 headers made: what a transport signer signs. */
export interface OutgoingRequest {
  method: string;
  path: string;
  /** Form-encoded, without "?"; "" for none. */
  query: string;
  headers: Readonly<Record<string, string>>;
  body?: Uint8Array | undefined;
}

/**
 * Headers to add to each request once it is RFC 9421-signed, so they may cover those too:
 * on AWS, SigV4 for the API's IAM authorisation (./aws/session.ts), as the CLI adds it
 * (cli/sigv4.ts). It may throw (expired credentials); the request is then not sent.
 */
export type TransportSigner = (request: OutgoingRequest) => Promise<Record<string, string>>;

export class Api {
  constructor(
    readonly identity: Identity,
    /** The API's origin ("" for the page's own, as locally and behind CloudFront). */
    readonly base = "",
    readonly transport?: TransportSigner,
  ) {}

  /** GET a JSON route; `query` is form-encoded as URLSearchParams writes it (docs/API.md). */
  async get<T>(path: string, query?: Record<string, string | number>): Promise<T> {
    return (await this.send<T>("GET", path, query)).body;
  }

  /** GET a text route (checkpoints). */
  async text(path: string): Promise<string> {
    return (await this.send<string>("GET", path, undefined, undefined, "text")).body;
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return (await this.send<T>("POST", path, undefined, JSON.stringify(body))).body;
  }

  async send<T>(
    method: string,
    path: string,
    query?: Record<string, string | number>,
    body?: string,
    as: "json" | "text" = "json",
  ): Promise<ApiResponse<T>> {
    const q = query
      ? new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()
      : "";
    const bytes = body === undefined ? undefined : utf8(body);
    const signed = await signRequest({
      method,
      path,
      ...(q ? { query: q } : {}),
      ...(bytes ? { body: bytes } : {}),
      signer: this.identity.signer,
      department: this.identity.id,
      nonce: freshNonce(),
      created: Math.floor(Date.now() / 1000),
    });
    const headers: Record<string, string> = { ...(signed as unknown as Record<string, string>) };
    if (bytes) headers["content-type"] = "application/json";
    if (this.transport)
      Object.assign(headers, await this.transport({ method, path, query: q, headers, body: bytes }));
    const res = await fetch(`${this.base}${path}${q ? `?${q}` : ""}`, {
      method,
      headers,
      ...(bytes ? { body: bytes as BodyInit } : {}),
    });
    const text = await res.text();
    if (!res.ok) {
      let error: { code?: string; message?: string; details?: unknown } = {};
      try {
        error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
      } catch {
        // not JSON: an API Gateway or proxy answer
      }
      throw new ApiError(
        res.status,
        error.code ?? `HTTP_${res.status}`,
        error.message ?? text,
        error.details,
      );
    }
    return { status: res.status, body: (as === "text" ? text : JSON.parse(text)) as T, headers: res.headers };
  }
}

/** 24 random bytes, base64url: 32 characters, as the CLI draws them (lib/http-signature). */
function freshNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}
