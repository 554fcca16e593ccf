import {
  ACCESS_TYPE,
  type AccessEnvelope,
  accessEntryIdFor,
  batchKeyFor,
  type CryptoSuite,
  canonicalJson,
  contentDigest,
  type JsonValue,
  subjectHmac,
  toBase64,
} from "#chain";
import type { Clock } from "../../lib/clock.js";
import { type Consortium, schemaOf, subjectFieldOf, suiteOf } from "../../lib/consortium/consortium.js";
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
import { accessIndex, contractIndex, departmentAccessIndex, subjectIndex } from "../../lib/store-layout.js";
import type { Caller } from "../auth/caller.js";
import { type ContractStore, contractFromIndexEntries, effectiveVersion } from "../rules/contracts.js";
import { byLedgerOrder, committedAmong } from "../store/index-entries.js";
import type {
  BatchStore,
  CounterStore,
  EntryItemStore,
  IndexEntry,
  IndexStore,
  PayloadStore,
  StoredBatch,
  StoredPayload,
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
 * but commits nothing: it disclosed nothing, and the ones recorded before it already show
 * the pattern. It writes nothing but its counters, except the uncommitted items of the
 * answer a request refused RATE_LIMITED had written (recordRefusal says why they stay).
 */
export const REFUSALS_PER_MINUTE = 120;

/**
 * What a match reads — the contract's C# and the subject's S# index entries, their
 * batches' heads with the request's own (the replay check), the record's payload — and
 * writes: its counters, and the access entry (payload and A#/T# index entries together,
 * then the batch) or, when its batch is a replay, their undo.
 */
export type MatchStore = ContractStore &
  Pick<PayloadStore, "getPayload" | "getPayloads" | "deletePayloads"> &
  Pick<BatchStore, "getBatchHeads" | "commitBatch" | "getBatch"> &
  Pick<IndexStore, "listIndexEntries" | "deleteIndexEntries"> &
  EntryItemStore &
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

/**
 * Payloads of the newest records a match might answer from, read beside their batches'
 * heads before it is known which are committed. Usually the newest is the effective
 * record; when none of these is, the rest are read one at a time.
 */
const PREFETCHED_RECORDS = 4;

/**
 * The store round trips of an answer, each a wait on requests sent together:
 *   1. the contract's C# and the subject's S# index entries (two Queries);
 *   2. the heads of the batches they name and of the request's own batch (the replay
 *      check), and the payloads of the newest candidate records (two BatchGetItems);
 *   3. the contract's rate-limit slot (UpdateItem), and the access entry's payload and
 *      A# and T# index entries (one BatchWriteItem). Written before the slot is known to be
 *      taken, they are no entry until step 4 commits them; a request refused
 *      RATE_LIMITED records that refusal instead (recordRefusal);
 *   4. the commit point: the access entry's batch (conditional PutItem).
 * A recorded refusal takes a slot of its department's refusal budget first, and only
 * then writes and commits its entry (three round trips after step 2), so that a refusal
 * past the budget writes nothing but its counter.
 */
export async function matchRecord(caller: Caller, body: Uint8Array, deps: MatchDeps): Promise<MatchAnswer> {
  if (caller.role !== "department") {
    throw new ApiError(
      "ROLE_FORBIDDEN",
      `${caller.department} is an ${caller.role} identity and may not ask match questions`,
    );
  }
  const request = parseBody(body);
  const batchKey = batchKeyFor(caller.keyId, caller.nonce);
  const hmac = subjectHmac(suiteOf(deps.consortium), deps.subjectKey, request.subject);

  const [contractEntries, subjectEntries] = await Promise.all([
    deps.store.listIndexEntries(contractIndex(request.contract)),
    deps.store.listIndexEntries(subjectIndex(hmac)),
  ]);
  const candidates = candidateRecords(subjectEntries, contractEntries);
  const prefetched = candidates.slice(0, PREFETCHED_RECORDS).map((e) => e.entryId);
  const batchKeys = [
    batchKey,
    ...contractEntries.map((e) => e.batchKey),
    ...candidates.map((e) => e.batchKey),
  ];
  const [heads, payloads] = await Promise.all([
    deps.store.getBatchHeads([...new Set(batchKeys)]),
    prefetched.length > 0 ? deps.store.getPayloads(prefetched) : Promise.resolve([]),
  ]);
  // A replayed nonce is refused before anything is counted or written; commitAccess's
  // conditional write still closes the race of two copies in flight.
  if (heads.some((h) => h.key === batchKey)) throw nonceReplayed(caller);

  const details: AccessDetails = {
    contract: request.contract,
    subjectHmac: hmac,
    want: request.want,
    fieldsTested: request.where.map((p) => p.field),
    fieldsReturned: [],
    result: "refused",
    ...(request.authorisation ? { authorisation: request.authorisation } : {}),
  };
  const state = contractFromIndexEntries(suiteOf(deps.consortium), committedAmong(heads, contractEntries));
  // The receive time is read after the contract: every record the decision rests on was
  // received (and committed) before it, which is what the audit re-checks (audit-access.ts).
  const now = deps.clock.now();
  const decision = decide(caller, request, state, now);
  if (state) Object.assign(details, { provider: state.provider });
  if (decision.version)
    Object.assign(details, { version: decision.version.version, type: decision.version.doc.type });
  if (decision.refusal) return recordRefusal(caller, details, decision.refusal, deps, now, batchKey);
  const version = decision.version as ContractVersion;
  const doc = version.doc;
  const problems = predicateTypeProblems(schemaOf(deps.consortium, doc.type), request.where);
  if (problems.length > 0) {
    throw new ApiError("SCHEMA_VIOLATION", `where: ${problems[0]?.message}`, problems);
  }

  const fetched = new Map<string, StoredPayload | undefined>(prefetched.map((id) => [id, undefined]));
  for (const p of payloads) fetched.set(p.entryId, p);
  const record = await effectiveRecord(deps, doc, committedAmong(heads, candidates), fetched);
  const holds = record !== undefined && request.where.every((p) => holdsFor(record.data, p));
  let fields: Record<string, unknown> | undefined;
  if (request.want === "fields" && holds && record) {
    // fromEntries defines each field, so one named "__proto__" is returned like any other.
    fields = Object.fromEntries(
      (doc.fields ?? []).filter((f) => Object.hasOwn(record.data, f)).map((f) => [f, record.data[f]]),
    );
  }
  const answer = accessEntryOf(
    suiteOf(deps.consortium),
    caller,
    {
      ...details,
      result: holds ? "match" : "no-match",
      ...(record ? { record: record.entryId } : {}),
      fieldsReturned: Object.keys(fields ?? {}),
    },
    now,
    batchKey,
  );

  const perMinute = doc.rateLimit.perMinute;
  const [counted] = await Promise.all([
    countInWindow(deps, counterOf.contract(request.contract, caller.department), perMinute, now),
    writeAccess(deps, answer),
  ]);
  if (!counted) {
    const refusal = new ApiError(
      "RATE_LIMITED",
      `contract ${request.contract} allows ${perMinute} requests a minute`,
      { retryAfterSeconds: retryAfterSeconds(now) },
    );
    return recordRefusal(caller, details, refusal, deps, now, batchKey, answer);
  }
  await commitAccess(caller, answer, deps);
  return {
    match: holds,
    contract: { id: doc.id, version: version.version },
    accessEntryId: answer.envelope.id,
    ...(fields ? { fields } : {}),
  };
}

/**
 * Records a policy refusal — takes a slot of the department's refusal budget, then writes
 * and commits its access entry — and throws it with the entry's id; past the budget,
 * throws RATE_LIMITED (`recorded: false`) having written nothing more.
 *
 * `unanswered` is the answer a RATE_LIMITED request wrote beside its count. Once the
 * refusal's batch is committed, the answer can never be (its batch key is taken), so its
 * items are removed. Past the budget they are left, uncommitted, for every reader to
 * skip: removing them could remove a copy of this very request's committed answer, since
 * the copy in flight (a client retry) derives the same entry id, may count in the next
 * minute's window, and then commits it.
 */
async function recordRefusal(
  caller: Caller,
  details: AccessDetails,
  refusal: ApiError,
  deps: MatchDeps,
  now: Date,
  batchKey: string,
  unanswered?: AccessEntry,
): Promise<never> {
  const budget = deps.refusalsPerMinute ?? REFUSALS_PER_MINUTE;
  if (!(await countInWindow(deps, counterOf.refusals(caller.department), budget, now))) {
    throw new ApiError(
      "RATE_LIMITED",
      `${caller.department} had ${budget} refused match requests recorded this minute; ` +
        `this one (${refusal.code}) is refused and not recorded`,
      { retryAfterSeconds: retryAfterSeconds(now), recorded: false, refusal: refusal.code },
    );
  }
  const entry = accessEntryOf(
    suiteOf(deps.consortium),
    caller,
    { ...details, refusal: refusal.code },
    now,
    batchKey,
  );
  await writeAccess(deps, entry);
  await commitAccess(caller, entry, deps, unanswered ? [unanswered] : []);
  if (unanswered) await removeStrays(deps, [unanswered], entry.batch);
  throw new ApiError(refusal.code, refusal.message, {
    ...(refusal.details as object | undefined),
    accessEntryId: entry.envelope.id,
  });
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
 * The S# index entries a version of the contract could answer from, newest first in
 * ledger order: records of a type by a provider that some proposal among the contract's
 * index entries names — committed or not, so a superset of the version that will be in
 * effect, known before the entries' batches are read. A proposal that does not parse is
 * passed over here; the fold reports it if it is committed.
 */
function candidateRecords(
  subjectEntries: readonly IndexEntry[],
  contractEntries: readonly IndexEntry[],
): IndexEntry[] {
  const named = new Set<string>();
  for (const e of contractEntries) {
    if (e.attrs.event !== "propose") continue;
    try {
      const doc = JSON.parse(e.attrs.data ?? "null") as Partial<ContractDocument> | null;
      if (typeof doc?.type === "string" && typeof doc.provider === "string")
        named.add(`${doc.type}\n${doc.provider}`);
    } catch {
      // Unreadable: not a candidate's source (see above).
    }
  }
  return subjectEntries
    .filter((e) => named.has(`${e.attrs.type}\n${e.attrs.dept}`))
    .sort((a, b) => byLedgerOrder(b, a));
}

/**
 * The provider's latest committed record of the contract's type about the subject: a
 * later record (a blacklist lift, a licence revocation, a renewed certificate) replaces
 * an earlier one. `committed` are the subject's committed index entries, newest first;
 * `fetched` the payloads already read (undefined: read, and not there).
 */
async function effectiveRecord(
  deps: MatchDeps,
  doc: ContractDocument,
  committed: readonly IndexEntry[],
  fetched: ReadonlyMap<string, StoredPayload | undefined>,
): Promise<{ entryId: string; data: Record<string, unknown> } | undefined> {
  if (!subjectFieldOf(deps.consortium, doc.type)) return undefined;
  for (const e of committed) {
    if (e.attrs.type !== doc.type || e.attrs.dept !== doc.provider) continue;
    const payload = fetched.has(e.entryId) ? fetched.get(e.entryId) : await deps.store.getPayload(e.entryId);
    // An erased payload leaves nothing to answer from: the record is treated as absent.
    if (payload) return { entryId: e.entryId, data: JSON.parse(payload.data) as Record<string, unknown> };
  }
  return undefined;
}

/** The access entry for a verified match request, whose details hash to `digest` (lib/chain AccessEnvelope). */
export function accessEnvelopeFor(
  suite: CryptoSuite,
  caller: Caller,
  digest: string,
  receivedAt: string,
): AccessEnvelope {
  return {
    v: 1,
    kind: "access",
    id: accessEntryIdFor(suite, caller.keyId, caller.nonce, digest),
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
 * An access entry's items: its payload (the details), its index entries — the subject's
 * trail (A#<subjectHmac>) and each named department's (T#<consumer>, T#<provider>) —
 * and its one-envelope batch.
 */
interface AccessEntry {
  envelope: AccessEnvelope;
  payload: StoredPayload;
  trails: IndexEntry[];
  batch: StoredBatch;
}

/** The access entry recording `details`, received at `now`, in the batch keyed by the request's (keyId, nonce). */
function accessEntryOf(
  suite: CryptoSuite,
  caller: Caller,
  details: AccessDetails,
  now: Date,
  batchKey: string,
): AccessEntry {
  const receivedAt = now.toISOString();
  const envelope = accessEnvelopeFor(
    suite,
    caller,
    contentDigest(suite, details as unknown as JsonValue),
    receivedAt,
  );
  return {
    envelope,
    payload: {
      entryId: envelope.id,
      batchKey,
      dept: caller.department,
      type: ACCESS_TYPE,
      data: canonicalJson(details as unknown as JsonValue),
    },
    // The provider is "" when the contract does not exist: then only the consumer's list has it.
    trails: [accessIndex(details.subjectHmac), ...departmentsNamed(caller.department, details.provider)].map(
      (index) => ({
        index,
        entryId: envelope.id,
        batchKey,
        receivedAt,
        position: 0,
        attrs: { consumer: caller.department, provider: details.provider ?? "", contract: details.contract },
      }),
    ),
    batch: {
      key: batchKey,
      dept: caller.department,
      keyId: caller.keyId,
      nonce: caller.nonce,
      receivedAt,
      envelopes: [envelope],
    },
  };
}

/** The departments' access lists (GET /v1/accesses) an access entry goes in: its consumer's and its provider's. */
function departmentsNamed(consumer: string, provider: string | undefined): string[] {
  return [...new Set([consumer, ...(provider ? [provider] : [])])].map(departmentAccessIndex);
}

/** The access entry's payload, index entries and batch body, in one write before its commit. */
function writeAccess(deps: MatchDeps, entry: AccessEntry): Promise<void> {
  return deps.store.putEntryItems({ payloads: [entry.payload], index: entry.trails, batch: entry.batch });
}

/**
 * Commits the access entry written by writeAccess: its one-envelope batch keyed by the
 * request's (keyId, nonce), whose conditional put is the commit point and the replay
 * guard, as for records. When another request with this nonce won, removes what this
 * one wrote (the entry, and `others` it wrote before) that is not the winner's, and
 * throws NONCE_REPLAYED.
 */
async function commitAccess(
  caller: Caller,
  entry: AccessEntry,
  deps: MatchDeps,
  others: readonly AccessEntry[] = [],
): Promise<void> {
  if ((await deps.store.commitBatch(entry.batch)) === "committed") return;
  await removeStrays(deps, [entry, ...others], await deps.store.getBatch(entry.batch.key));
  throw nonceReplayed(caller);
}

/**
 * Removes the items of `entries` that the committed batch `winner` does not own. Ids
 * hash the content, so the winner's entry usually has another id and ours are orphans —
 * unless it recorded exactly the same thing. The payload is keyed by id alone, so it is
 * the winner's whenever the ids agree; the index entries are keyed by receive time too,
 * so they are ours unless that agrees as well.
 */
async function removeStrays(
  deps: MatchDeps,
  entries: readonly AccessEntry[],
  winner: StoredBatch | undefined,
): Promise<void> {
  const ids = new Set(winner?.envelopes.map((e) => e.id) ?? []);
  const trails = entries
    .filter((e) => !ids.has(e.envelope.id) || winner?.receivedAt !== e.batch.receivedAt)
    .flatMap((e) => e.trails);
  const payloads = entries.filter((e) => !ids.has(e.envelope.id)).map((e) => e.envelope.id);
  if (trails.length > 0) await deps.store.deleteIndexEntries(trails);
  if (payloads.length > 0) await deps.store.deletePayloads(payloads);
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
