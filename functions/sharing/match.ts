import {
  ACCESS_TYPE,
  type AccessEnvelope,
  accessEntryIdFor,
  batchKeyFor,
  canonicalJson,
  contentDigest,
  type JsonValue,
  subjectHmac,
  toBase64,
} from "#chain";
import type { Clock } from "../../lib/clock.js";
import { type Consortium, schemaOf, subjectFieldOf } from "../../lib/consortium/consortium.js";
import type { ContractDocument, ContractState, ContractVersion } from "../../lib/protocol/contracts.js";
import { ApiError, type ApiErrorCode, nonceReplayed } from "../../lib/protocol/errors.js";
import { parseJsonBody } from "../../lib/protocol/json-body.js";
import {
  type AccessDetails,
  MAX_MATCH_BODY_BYTES,
  type MatchAnswer,
  MatchBody,
  type MatchRequest,
} from "../../lib/protocol/sharing.js";
import { accessIndex, subjectIndex } from "../../lib/store-layout.js";
import type { Caller } from "../auth/caller.js";
import { type ContractStore, effectiveVersion, loadContract } from "../rules/contracts.js";
import { byLedgerOrder, committedIndexEntries } from "../store/index-entries.js";
import type {
  BatchStore,
  CounterStore,
  IndexEntry,
  IndexStore,
  PayloadStore,
  StoredBatch,
} from "../store/ports.js";
import { holdsFor, predicateTypeProblems } from "./predicates.js";

/**
 * POST /v1/match (docs/design/sharing.md §4): a consumer asks, under a sharing contract,
 * whether the provider holds an effective record about a subject that satisfies some
 * predicates — and gets yes/no (or, under a `fields` contract, only the allowed fields),
 * never the record. Every answer and every policy refusal is written to the ledger as
 * an access entry (lib/chain AccessEnvelope) before the consumer hears it.
 *
 * Refusals that store nothing, as on every route: a request that is unauthenticated,
 * not by a department, malformed, or a replayed nonce. Refusals that are recorded,
 * checked in this order: CONTRACT_NOT_FOUND, NOT_CONSUMER, CONTRACT_NOT_EFFECTIVE,
 * SHARE_NONE, AUTHORISATION_REQUIRED, FIELD_NOT_ALLOWED, RATE_LIMITED. Recording them
 * is the one deliberate exception to "a refusal changes nothing": who was refused what
 * is exactly what an access audit needs.
 */

/**
 * Refused match requests a department may have recorded per minute. Recording refusals
 * is what makes misuse visible, but without a bound any department could lengthen any
 * subject's trail at will (an unknown contract id is refused, and recorded, every time).
 * Past the budget a refusal is still refused — 429 RATE_LIMITED, `recorded: false` —
 * but writes nothing but its counter: it disclosed nothing, and the ones recorded
 * before it already show the pattern.
 */
export const REFUSALS_PER_MINUTE = 120;

/**
 * What a match reads — the contract, the subject's S# index entries, their batches' heads
 * and the record's payload — and writes: its counters, and the access entry (payload, A#
 * index entry, batch) or, when its batch is a replay, their undo.
 */
export type MatchStore = ContractStore &
  Pick<PayloadStore, "getPayload" | "putPayloads" | "deletePayloads"> &
  Pick<BatchStore, "getBatchHeads" | "commitBatch" | "getBatch"> &
  Pick<IndexStore, "listIndexEntries" | "putIndexEntries" | "deleteIndexEntries"> &
  CounterStore;

export interface MatchDeps {
  store: MatchStore;
  consortium: Consortium;
  clock: Clock;
  subjectKey: Uint8Array;
  /** REFUSALS_PER_MINUTE unless set (tests set it low). */
  refusalsPerMinute?: number;
}

/** Counter names: a contract's window per consumer, and a department's recorded refusals. Contract ids hold no '#'. */
const counterOf = {
  contract: (contractId: string, dept: string) => `contract#${contractId}#${dept}`,
  refusals: (dept: string) => `refused#${dept}`,
};

export async function matchRecord(caller: Caller, body: Uint8Array, deps: MatchDeps): Promise<MatchAnswer> {
  if (caller.role !== "department") {
    throw new ApiError(
      "ROLE_FORBIDDEN",
      `${caller.department} is an ${caller.role} identity and may not ask match questions`,
    );
  }
  const request = parseBody(body);
  // A replayed nonce is refused before anything is counted or written; commitAccess's
  // conditional write still closes the race of two copies in flight.
  const batchKey = batchKeyFor(caller.keyId, caller.nonce);
  if ((await deps.store.getBatchHeads([batchKey])).length > 0) throw nonceReplayed(caller);

  const hmac = subjectHmac(deps.subjectKey, request.subject);
  const details: AccessDetails = {
    contract: request.contract,
    subjectHmac: hmac,
    want: request.want,
    fieldsTested: request.where.map((p) => p.field),
    fieldsReturned: [],
    result: "refused",
    ...(request.authorisation ? { authorisation: request.authorisation } : {}),
  };
  const state = await loadContract(deps.store, request.contract);
  // The receive time is read after the contract: every record the decision rests on was
  // received (and committed) before it, which is what the audit re-checks (audit-access.ts).
  const now = deps.clock.now();
  const decision = decide(caller, request, state, now);
  if (state) Object.assign(details, { provider: state.provider });
  if (decision.version)
    Object.assign(details, { version: decision.version.version, type: decision.version.doc.type });
  let refusal = decision.refusal;
  const version = decision.version as ContractVersion;
  if (!refusal) {
    const problems = predicateTypeProblems(schemaOf(deps.consortium, version.doc.type), request.where);
    if (problems.length > 0) {
      throw new ApiError("SCHEMA_VIOLATION", `where: ${problems[0]?.message}`, problems);
    }
  }
  if (!refusal) {
    const perMinute = version.doc.rateLimit.perMinute;
    if (!(await countInWindow(deps, counterOf.contract(request.contract, caller.department), perMinute, now)))
      refusal = new ApiError(
        "RATE_LIMITED",
        `contract ${request.contract} allows ${perMinute} requests a minute`,
        {
          retryAfterSeconds: retryAfterSeconds(now),
        },
      );
  }
  if (refusal) {
    const budget = deps.refusalsPerMinute ?? REFUSALS_PER_MINUTE;
    if (!(await countInWindow(deps, counterOf.refusals(caller.department), budget, now))) {
      throw new ApiError(
        "RATE_LIMITED",
        `${caller.department} had ${budget} refused match requests recorded this minute; ` +
          `this one (${refusal.code}) is refused and not recorded`,
        { retryAfterSeconds: retryAfterSeconds(now), recorded: false, refusal: refusal.code },
      );
    }
    details.refusal = refusal.code;
    const id = await commitAccess(caller, details, deps, now, batchKey);
    throw new ApiError(refusal.code, refusal.message, {
      ...(refusal.details as object | undefined),
      accessEntryId: id,
    });
  }

  const doc = version.doc;
  const record = await effectiveRecord(deps, doc, hmac);
  const holds = record !== undefined && request.where.every((p) => holdsFor(record.data, p));
  details.result = holds ? "match" : "no-match";
  if (record) details.record = record.entryId;
  let fields: Record<string, unknown> | undefined;
  if (request.want === "fields" && holds && record) {
    // fromEntries defines each field, so one named "__proto__" is returned like any other.
    fields = Object.fromEntries(
      (doc.fields ?? []).filter((f) => Object.hasOwn(record.data, f)).map((f) => [f, record.data[f]]),
    );
    details.fieldsReturned = Object.keys(fields);
  }
  const accessEntryId = await commitAccess(caller, details, deps, now, batchKey);
  return {
    match: holds,
    contract: { id: doc.id, version: version.version },
    accessEntryId,
    ...(fields ? { fields } : {}),
  };
}

/** Counts one request in the current minute's window of `counter`; false once `limit` were counted. */
function countInWindow(deps: MatchDeps, counter: string, limit: number, now: Date): Promise<boolean> {
  const window = Math.floor(now.getTime() / 60_000);
  // The item may expire once its window is over (TTL deletes lazily, so a minute's slack).
  return deps.store.countRequest(counter, String(window), limit, (window + 2) * 60);
}

function retryAfterSeconds(now: Date): number {
  return 60 - Math.floor((now.getTime() % 60_000) / 1000);
}

/** The policy decision, before the rate limit: the version that would answer, or why not. */
function decide(
  caller: Caller,
  request: MatchRequest,
  state: ContractState | undefined,
  now: Date,
): { refusal?: ApiError; version?: ContractVersion } {
  if (!state) return { refusal: new ApiError("CONTRACT_NOT_FOUND", `no contract ${request.contract}`) };
  if (caller.department !== state.consumer) {
    return {
      refusal: new ApiError(
        "NOT_CONSUMER",
        `${caller.department} is not the consumer of contract ${state.id}`,
      ),
    };
  }
  const effective = effectiveVersion(state, now);
  if (!effective.effective) {
    return {
      refusal: new ApiError(
        "CONTRACT_NOT_EFFECTIVE",
        `contract ${state.id} is not in effect: ${effective.reason}`,
      ),
      ...(effective.version ? { version: effective.version } : {}),
    };
  }
  const { version } = effective;
  const doc = version.doc;
  const refuse = (code: ApiErrorCode, message: string, details?: unknown) => ({
    refusal: new ApiError(code, message, details),
    version,
  });
  if (doc.share === "none")
    return refuse("SHARE_NONE", `contract ${doc.id} shares nothing (share class none)`);
  if (doc.share === "conditional" && !request.authorisation) {
    return refuse(
      "AUTHORISATION_REQUIRED",
      `contract ${doc.id} is conditional: present the subject's authorisation ({ref, digest})`,
    );
  }
  const allowed = new Set(doc.match ?? []);
  const denied = request.where.map((p) => p.field).filter((f) => !allowed.has(f));
  if (denied.length > 0) {
    return refuse(
      "FIELD_NOT_ALLOWED",
      `contract ${doc.id} allows predicates on ${[...allowed].join(", ") || "no field"}`,
      {
        fields: denied,
      },
    );
  }
  if (request.want === "fields" && !doc.fields) {
    return refuse("FIELD_NOT_ALLOWED", `contract ${doc.id} answers yes/no only; it returns no fields`);
  }
  return { version };
}

/**
 * The provider's latest committed record of the contract's type about the subject: a
 * later record (a blacklist lift, a licence revocation, a renewed certificate) replaces
 * an earlier one. Index entries are read newest first; those of uncommitted submits
 * are skipped.
 */
async function effectiveRecord(
  deps: MatchDeps,
  doc: ContractDocument,
  hmac: string,
): Promise<{ entryId: string; data: Record<string, unknown> } | undefined> {
  if (!subjectFieldOf(deps.consortium, doc.type)) return undefined;
  const all = await deps.store.listIndexEntries(subjectIndex(hmac));
  const candidates = all.filter((e) => e.attrs.type === doc.type && e.attrs.dept === doc.provider);
  const newestFirst = (await committedIndexEntries(deps.store, candidates)).sort((a, b) =>
    byLedgerOrder(b, a),
  );
  for (const e of newestFirst) {
    const payload = await deps.store.getPayload(e.entryId);
    // An erased payload leaves nothing to answer from: the record is treated as absent.
    if (payload) return { entryId: e.entryId, data: JSON.parse(payload.data) as Record<string, unknown> };
  }
  return undefined;
}

/** The access entry for a verified match request, whose details hash to `digest` (lib/chain AccessEnvelope). */
export function accessEnvelopeFor(caller: Caller, digest: string, receivedAt: string): AccessEnvelope {
  return {
    v: 1,
    kind: "access",
    id: accessEntryIdFor(caller.keyId, caller.nonce, digest),
    dept: caller.department,
    type: ACCESS_TYPE,
    contentDigest: digest,
    keyId: caller.keyId,
    alg: caller.alg,
    signatureBase: caller.signatureBase,
    signature: toBase64(caller.signature),
    receivedAt,
  };
}

/**
 * Writes the access entry — payload (the details), the trail's index entry, then the
 * one-envelope batch keyed by the request's (keyId, nonce), whose conditional put is
 * the commit point and the replay guard, as for records. Returns the entry id.
 */
async function commitAccess(
  caller: Caller,
  details: AccessDetails,
  deps: MatchDeps,
  now: Date,
  batchKey: string,
): Promise<string> {
  const receivedAt = now.toISOString();
  const text = canonicalJson(details as unknown as JsonValue);
  const envelope = accessEnvelopeFor(caller, contentDigest(details as unknown as JsonValue), receivedAt);
  const trail: IndexEntry = {
    index: accessIndex(details.subjectHmac),
    entryId: envelope.id,
    batchKey,
    receivedAt,
    position: 0,
    attrs: { consumer: caller.department, provider: details.provider ?? "", contract: details.contract },
  };
  const batch: StoredBatch = {
    key: batchKey,
    dept: caller.department,
    keyId: caller.keyId,
    nonce: caller.nonce,
    receivedAt,
    envelopes: [envelope],
  };
  await deps.store.putPayloads([
    { entryId: envelope.id, batchKey, dept: caller.department, type: ACCESS_TYPE, data: text },
  ]);
  await deps.store.putIndexEntries([trail]);
  if ((await deps.store.commitBatch(batch)) === "replayed") {
    // Another request with this nonce won. Ids hash the content, so its entry usually has
    // another id and ours are orphans — unless it recorded exactly the same thing.
    // The payload is keyed by id alone, so it is the winner's whenever the ids agree; the
    // trail item is keyed by receive time too, so it is ours unless that agrees as well.
    const winner = await deps.store.getBatch(batchKey);
    const sameId = winner?.envelopes.some((e) => e.id === envelope.id) ?? false;
    if (!sameId || winner?.receivedAt !== receivedAt) await deps.store.deleteIndexEntries([trail]);
    if (!sameId) await deps.store.deletePayloads([envelope.id]);
    throw nonceReplayed(caller);
  }
  return envelope.id;
}

/**
 * Unlike a submit's records, the zod output is used here (for its defaults): every object
 * of a match body is .strict(), so a member zod would not copy — "__proto__" among them —
 * is refused as unrecognised, not dropped.
 */
function parseBody(body: Uint8Array): MatchRequest {
  if (body.length > MAX_MATCH_BODY_BYTES) {
    throw new ApiError(
      "BODY_TOO_LARGE",
      `body is ${body.length} bytes; the limit is ${MAX_MATCH_BODY_BYTES}`,
    );
  }
  const parsed = MatchBody.safeParse(parseJsonBody(body));
  if (!parsed.success) {
    throw new ApiError(
      "SCHEMA_VIOLATION",
      'body must be {"contract": id, "subject": string, "where"?: [{"field", "op", "value"}], "want"?: "match"|"fields", "authorisation"?: {"ref", "digest"}}',
      parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  return parsed.data;
}
