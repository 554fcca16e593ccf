import {
  batchRootOf,
  type CryptoSuite,
  contentDigest,
  entryIdFor,
  type JsonValue,
  recordHash,
  toHex,
} from "#chain";
import type { EntryView, Receipt } from "../../lib/protocol/entries.js";
import { ClientError, type SubmitRecord } from "../client.js";

/**
 * Getting one batch onto the ledger, whatever happens on the way: the batch is sent under
 * its own nonce, and sent again under the same nonce after a network error, a timeout, a
 * 5xx or a 429 (after Retry-After when the API sends one, else an exponential backoff).
 * The ledger commits a (key id, nonce) once, so a resend can never write the records
 * twice; a resend of a batch that did commit is answered 409 NONCE_REPLAYED, which is
 * taken as "already committed" only once the ledger shows it: entry ids are derived from
 * (keyId, nonce, index, record hash) (lib/chain entryIdFor), so the first entry's id is
 * known, and its envelope's batch size and root commit to every record of the batch.
 * Any other refusal (4xx) means nothing of the batch was stored: it is thrown.
 */

/** What the shipper needs of the API (ZhixinClient). */
export interface ShipApi {
  /** The ledger's crypto suite: entry ids and batch roots are its hash's. */
  readonly suite: CryptoSuite;
  submit(records: readonly SubmitRecord[], options: { nonce: string }): Promise<Receipt>;
  getEntry(id: string): Promise<EntryView>;
}

export interface SendableBatch {
  nonce: string;
  /** The key id the client signs with (the batch's entry ids depend on it). */
  keyId: string;
  records: SubmitRecord[];
}

export type Delivery =
  | { kind: "committed"; receipt: Receipt }
  /** A resend found the batch already on the ledger: ids derived, the first entry's view. */
  | { kind: "replayed"; receipt: { entries: Array<{ id: string }>; receivedAt: string } };

export interface RetryPolicy {
  /** Give up after this many failed attempts in a row (undefined: never). */
  maxRetries: number | undefined;
  /** First backoff; doubles per attempt up to maxBackoffMs, with jitter. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: undefined, baseBackoffMs: 100, maxBackoffMs: 2_000 };

/** The longest Retry-After honoured; a larger one (or a date far ahead) waits this long. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface DeliverHooks {
  /** Before waiting to resend: the error, the attempt that failed (1-based), the wait. */
  onRetry?(error: ClientError, attempt: number, delayMs: number): void;
  sleep?(ms: number): Promise<void>;
  random?(): number;
  now?(): number;
}

/** The API refused the batch (4xx other than 409 NONCE_REPLAYED and 429): nothing of it was stored. */
export class BatchRefused extends Error {
  override readonly name = "BatchRefused";
  constructor(readonly error: ClientError) {
    super(error.message);
  }
}

/** Retries ran out (--max-retries): the batch may or may not be on the ledger; its nonce is journaled. */
export class RetriesExhausted extends Error {
  override readonly name = "RetriesExhausted";
  constructor(
    readonly error: ClientError,
    readonly attempts: number,
  ) {
    super(error.message);
  }
}

/** The ledger answered NONCE_REPLAYED, but does not hold this batch under that nonce. */
export class ReplayMismatch extends Error {
  override readonly name = "ReplayMismatch";
}

export async function deliver(
  api: ShipApi,
  batch: SendableBatch,
  policy: RetryPolicy,
  hooks: DeliverHooks = {},
): Promise<Delivery> {
  return withRetries(policy, hooks, async () => {
    try {
      return { kind: "committed", receipt: await api.submit(batch.records, { nonce: batch.nonce }) };
    } catch (e) {
      if (!(e instanceof ClientError) || e.code !== "NONCE_REPLAYED") throw e;
      const found = await findCommitted(api, batch);
      if (found) return found;
      throw new ReplayMismatch(
        `the ledger answered NONCE_REPLAYED for nonce ${batch.nonce} but does not hold this batch under it ` +
          "(that nonce was used for other records: was the offset file copied from another stream?)",
      );
    }
  });
}

/**
 * Runs `attempt` until it returns, resending after a retryable ClientError (waiting as
 * retryDelay says); a refusal is thrown as BatchRefused, anything else as it is.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  hooks: DeliverHooks,
  attempt: () => Promise<T>,
): Promise<T> {
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof ClientError)) throw e;
      if (!isRetryable(e)) throw new BatchRefused(e);
      if (policy.maxRetries !== undefined && n > policy.maxRetries) throw new RetriesExhausted(e, n);
      const delay = retryDelay(n, e.retryAfter, policy, hooks.random ?? Math.random, hooks.now ?? Date.now);
      hooks.onRetry?.(e, n, delay);
      await sleep(delay);
    }
  }
}

/** Worth sending again: no answer, a server error, or too many requests. */
export function isRetryable(e: ClientError): boolean {
  if (e.status === undefined) return e.code === "CONNECTION" || e.code === "TIMEOUT";
  return e.status >= 500 || e.status === 429;
}

/**
 * Milliseconds to wait before attempt `attempt + 1`: the Retry-After (delta-seconds or an
 * HTTP date, RFC 9110 §10.2.3) when given and readable, else baseBackoffMs · 2^(attempt−1)
 * capped at maxBackoffMs, with "equal jitter" (half fixed, half random) so that shippers
 * that failed together do not all come back at once.
 */
export function retryDelay(
  attempt: number,
  retryAfter: string | undefined,
  policy: Pick<RetryPolicy, "baseBackoffMs" | "maxBackoffMs">,
  random: () => number,
  now: () => number,
): number {
  const after = parseRetryAfter(retryAfter, now());
  if (after !== undefined) return Math.min(after, MAX_RETRY_AFTER_MS);
  const backoff = Math.min(policy.maxBackoffMs, policy.baseBackoffMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(backoff / 2 + (random() * backoff) / 2);
}

/** Retry-After as milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The entry ids the ledger gives the batch's records: entryIdFor(keyId, nonce, index, recordHash). */
export function expectedEntryIds(suite: CryptoSuite, batch: SendableBatch): string[] {
  return batch.records.map((r, i) =>
    entryIdFor(
      suite,
      batch.keyId,
      batch.nonce,
      i,
      recordHash(suite, r.type, contentDigest(suite, r.data as JsonValue)),
    ),
  );
}

/**
 * Whether the ledger holds the batch under its nonce and key id: its first entry, read
 * back by its derived id, must be of a batch of this many records under this batch root
 * (which commits to every record and its order). Undefined when it does not.
 */
export async function findCommitted(api: ShipApi, batch: SendableBatch): Promise<Delivery | undefined> {
  const ids = expectedEntryIds(api.suite, batch);
  let view: EntryView;
  try {
    view = await api.getEntry(ids[0] as string);
  } catch (e) {
    if (e instanceof ClientError && e.code === "NOT_FOUND") return undefined;
    throw e;
  }
  const root = toHex(batchRootOf(api.suite, batch.records as Array<{ type: string; data: JsonValue }>));
  const shown = view.envelope as { batch?: { size?: number; root?: string } };
  if (shown.batch?.size !== batch.records.length || shown.batch?.root !== root) return undefined;
  return {
    kind: "replayed",
    receipt: { entries: ids.map((id) => ({ id })), receivedAt: view.envelope.receivedAt },
  };
}
