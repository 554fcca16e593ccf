import { randomBytes } from "node:crypto";
import { batchRootOf, type CryptoSuite, type JsonValue } from "#chain";
import type { Signer } from "../lib/crypto/signer.js";
import { signRequest } from "../lib/http-signature/index.js";
import type { AuditReport, EntryAuditReport } from "../lib/protocol/audit.js";
import type { BlockEntriesView } from "../lib/protocol/block-entries.js";
import type { ContractList, ContractView } from "../lib/protocol/contracts.js";
import type { BlockView, EntryView, Receipt, SealResult } from "../lib/protocol/entries.js";
import type { KeyHistoryView } from "../lib/protocol/keys.js";
import type { AccessList, AccessTrail, MatchAnswer, MatchRequest } from "../lib/protocol/sharing.js";

/**
 * A small client for the Zhixin HTTP API (docs/API.md): every request but /v1/health
 * is signed with RFC 9421 by the acting department's (or auditor's) key, exactly as
 * lib/http-signature describes. Local mode's admin routes (/local/seal,
 * /local/verify) are unauthenticated stand-ins for `aws lambda invoke`.
 *
 * Refusals come back as the API's error body
 *   { "error": { "code": "RECORD_TYPE_FORBIDDEN", "message": "...", "details": ... } }
 * and are thrown as ClientError with that code; a server that cannot be reached is
 * ClientError code "CONNECTION", one that does not answer in time code "TIMEOUT".
 */

export interface SubmitRecord {
  type: string;
  /** The record data: a JSON object. */
  data: Record<string, unknown>;
}

export interface Health {
  status: string;
  log: string;
  height: number;
  logSize: number;
}

/** Payload of the verify function: the whole chain, a height range, or one entry. */
export type VerifyPayload =
  | Record<string, never>
  | { from?: number; to?: number; trustedCheckpoint?: string; minWitnesses?: number }
  | { entry: string };

export type VerifyReport =
  | AuditReport
  | EntryAuditReport
  | { ok: false; error: { code: string; message: string } };

export type ClientErrorCode = string;

export class ClientError extends Error {
  override readonly name = "ClientError";

  constructor(
    /** The API's error code, or CONNECTION / TIMEOUT / BAD_RESPONSE / HTTP_<status> from the client. */
    readonly code: ClientErrorCode,
    message: string,
    /** HTTP status; undefined when no response arrived. */
    readonly status?: number,
    readonly details?: unknown,
    /** The response's Retry-After header (RFC 9110 §10.2.3), as sent: seconds or an HTTP date. */
    readonly retryAfter?: string,
  ) {
    super(message);
  }
}

/** A request as it will be sent, for a TransportSigner. Header names are lowercase. */
export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/**
 * Signs a finished request for the transport — SigV4 for an IAM-authorised API
 * (./sigv4.ts) — after the RFC 9421 headers are set; returns the headers to add.
 */
export type TransportSigner = (request: OutgoingRequest) => Promise<Record<string, string>>;

export type ZhixinClientOptions = {
  /** Base URL of the API, e.g. http://127.0.0.1:8787 (a path prefix such as a stage is kept). */
  url: string;
  /** The ledger's crypto suite (its consortium file's): the batch roots it signs are its hash's. */
  suite: CryptoSuite;
  /** Milliseconds to wait for each response. Default 120 000. */
  timeoutMs?: number;
  /** Applied to every request, signed or not. */
  transport?: TransportSigner;
} & (
  | {
      /** Signs every API request; its key must belong to `department`. */
      signer: Signer;
      /** Acting department or auditor identity (zhixin-department). */
      department: string;
    }
  // Without an identity only /v1/health and the local admin routes can be called.
  | { signer?: undefined; department?: undefined }
);

/** The value for zhixin-batch-root: RFC 6962 root over recordHash(type, contentDigest(data)), in order. */
export function batchRoot(suite: CryptoSuite, records: readonly SubmitRecord[]): Uint8Array {
  return batchRootOf(suite, records as readonly { type: string; data: JsonValue }[]);
}

/** The exact body POST /v1/entries carries: {"records":[{"type":...,"data":{...}},...]}. */
export function submitBody(records: readonly SubmitRecord[]): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ records: records.map((r) => ({ type: r.type, data: r.data })) }),
  );
}

export class ZhixinClient {
  readonly url: string;
  readonly department: string | undefined;
  readonly suite: CryptoSuite;
  readonly #base: URL;
  readonly #signer: Signer | undefined;
  readonly #timeoutMs: number;
  readonly #transport: TransportSigner | undefined;

  constructor(options: ZhixinClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new ClientError("INVALID_URL", `${JSON.stringify(options.url)} is not a URL`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new ClientError("INVALID_URL", `${options.url} is not an http(s) URL`);
    }
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    this.#base = base;
    this.url = options.url;
    this.suite = options.suite;
    this.#signer = options.signer;
    this.department = options.department;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#transport = options.transport;
  }

  /**
   * POST /v1/entries: one signed batch of 1..100 records. `nonce` names the batch: a
   * resend of the same records under the same nonce commits nothing twice (the ledger
   * answers NONCE_REPLAYED once it holds them). Default: a fresh one.
   */
  async submit(records: readonly SubmitRecord[], options: { nonce?: string } = {}): Promise<Receipt> {
    return (await this.#request("POST", "v1/entries", {
      body: submitBody(records),
      batchRoot: batchRoot(this.suite, records),
      signed: true,
      ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    })) as Receipt;
  }

  /** GET /v1/entries/{id}: the envelope, status, proof once sealed, and the payload for its writer. */
  async getEntry(id: string): Promise<EntryView> {
    return (await this.#request("GET", `v1/entries/${encodeURIComponent(id)}`, {
      signed: true,
    })) as EntryView;
  }

  /**
   * GET /v1/entries/{id}/evidence: the entry's evidence bundle file (docs/formats/evidence.md),
   * as text, byte for byte as served.
   */
  async evidence(id: string): Promise<string> {
    return (await this.#request("GET", `v1/entries/${encodeURIComponent(id)}/evidence`, {
      signed: true,
      text: true,
    })) as string;
  }

  async latestBlock(): Promise<BlockView> {
    return this.block("latest");
  }

  /** GET /v1/blocks/{height|latest}. */
  async block(height: number | "latest"): Promise<BlockView> {
    return (await this.#request("GET", `v1/blocks/${height}`, { signed: true })) as BlockView;
  }

  /** GET /v1/blocks/{height}/entries?start=: a part of a sealed block's leaves, envelopes and readable payloads. */
  async blockEntries(height: number, start: number): Promise<BlockEntriesView> {
    return (await this.#request("GET", `v1/blocks/${height}/entries${start === 0 ? "" : `?start=${start}`}`, {
      signed: true,
    })) as BlockEntriesView;
  }

  /** GET /v1/checkpoint: the latest C2SP signed note, as text. */
  async checkpoint(): Promise<string> {
    return (await this.#request("GET", "v1/checkpoint", { signed: true, text: true })) as string;
  }

  /** GET /v1/log/checkpoint: the checkpoint as published with the tiles, with the witnesses' cosignatures. */
  async publishedCheckpoint(): Promise<string> {
    return (await this.#request("GET", "v1/log/checkpoint", { signed: true, text: true })) as string;
  }

  /**
   * POST /v1/match: yes/no (or the contract's fields) about a subject under a sharing
   * contract. A refusal by the contract is thrown as a ClientError whose
   * details.accessEntryId names the access entry that recorded it.
   */
  async match(request: MatchRequest): Promise<MatchAnswer> {
    const body = new TextEncoder().encode(JSON.stringify(request));
    return (await this.#request("POST", "v1/match", { body, signed: true })) as MatchAnswer;
  }

  /**
   * POST /v1/access: the accesses to a subject's records that the caller may see. The
   * subject goes in the body, never in the URL (GET /v1/access?subject= would put it in
   * every access log on the way).
   */
  async accessTrail(subject: string): Promise<AccessTrail> {
    const body = new TextEncoder().encode(JSON.stringify({ subject }));
    return (await this.#request("POST", "v1/access", { body, signed: true })) as AccessTrail;
  }

  /** GET /v1/accesses: the newest accesses naming the caller as consumer or provider (all, for an auditor). */
  async accesses(): Promise<AccessList> {
    return (await this.#request("GET", "v1/accesses", { signed: true })) as AccessList;
  }

  /** GET /v1/contracts: the contracts the caller is a party to (all, for an auditor). */
  async contracts(): Promise<ContractList> {
    return (await this.#request("GET", "v1/contracts", { signed: true })) as ContractList;
  }

  /** GET /v1/contracts/{id}: the contract's versions and which one is in effect. */
  async contract(id: string): Promise<ContractView> {
    return (await this.#request("GET", `v1/contracts/${encodeURIComponent(id)}`, {
      signed: true,
    })) as ContractView;
  }

  /** GET /v1/keys/{member}: the member's keys as the ledger's key history records them. */
  async keys(member: string): Promise<KeyHistoryView> {
    return (await this.#request("GET", `v1/keys/${encodeURIComponent(member)}`, {
      signed: true,
    })) as KeyHistoryView;
  }

  /** GET /v1/health (unauthenticated). */
  async health(): Promise<Health> {
    return (await this.#request("GET", "v1/health", {})) as Health;
  }

  /** Local mode only: seal one block now. */
  async seal(): Promise<SealResult> {
    return (await this.#request("POST", "local/seal", { body: new Uint8Array() })) as SealResult;
  }

  /** Local mode only: run the verify function. A report with ok false has findings (or `error`). */
  async verify(payload: VerifyPayload = {}): Promise<VerifyReport> {
    const body = new TextEncoder().encode(JSON.stringify(payload));
    return (await this.#request("POST", "local/verify", { body })) as VerifyReport;
  }

  async #request(
    method: "GET" | "POST",
    relative: string,
    options: { body?: Uint8Array; batchRoot?: Uint8Array; signed?: boolean; text?: boolean; nonce?: string },
  ): Promise<unknown> {
    const target = new URL(relative, this.#base);
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.signed) {
      if (!this.#signer || this.department === undefined) {
        throw new ClientError(
          "NO_IDENTITY",
          `${method} /${relative} must be signed: give the client a signer and department`,
        );
      }
      Object.assign(
        headers,
        await signRequest({
          method,
          path: target.pathname,
          ...(target.search ? { query: target.search.slice(1) } : {}),
          headers,
          ...(options.body === undefined ? {} : { body: options.body }),
          ...(options.batchRoot === undefined ? {} : { batchRoot: options.batchRoot }),
          signer: this.#signer,
          department: this.department,
          // Each request signs its own moment and, unless it resends a batch, a fresh nonce
          // (what replay protection keys on).
          created: Math.floor(Date.now() / 1000),
          nonce: options.nonce ?? newNonce(),
        }),
      );
    }

    if (this.#transport) {
      Object.assign(
        headers,
        await this.#transport({
          method,
          url: target,
          headers: { ...headers },
          ...(options.body === undefined ? {} : { body: options.body }),
        }),
      );
    }

    let response: Response;
    let text: string;
    try {
      response = await fetch(target, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: options.body }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (e) {
      throw transportError(e, this.url, this.#timeoutMs);
    }

    if (!response.ok) throw errorFromResponse(response.status, text, response.headers.get("retry-after"));
    if (options.text) return text;
    try {
      return JSON.parse(text);
    } catch {
      throw new ClientError(
        "BAD_RESPONSE",
        `${method} ${target.pathname} answered ${response.status} with a body that is not JSON`,
        response.status,
      );
    }
  }
}

/** A request nonce: 24 random bytes, base64url (32 characters of the form lib/http-signature requires). */
export function newNonce(): string {
  return randomBytes(24).toString("base64url");
}

function errorFromResponse(status: number, text: string, retryAfter: string | null): ClientError {
  const after = retryAfter ?? undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
    ?.error;
  if (error && typeof error.code === "string") {
    return new ClientError(
      error.code,
      typeof error.message === "string" ? error.message : "",
      status,
      error.details,
      after,
    );
  }
  const snippet = text.trim().slice(0, 200);
  return new ClientError(
    `HTTP_${status}`,
    snippet ? `HTTP ${status}: ${snippet}` : `HTTP ${status}`,
    status,
    undefined,
    after,
  );
}

function transportError(e: unknown, url: string, timeoutMs: number): ClientError {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError" || err.name === "AbortError") {
    return new ClientError("TIMEOUT", `no response from ${url} within ${timeoutMs / 1000} s`);
  }
  const reason = err.cause?.code ?? err.cause?.message ?? err.message;
  return new ClientError("CONNECTION", `cannot reach ${url} (${reason})`);
}
