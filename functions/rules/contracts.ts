import type { z } from "zod";
import { type CryptoSuite, canonicalJson, type JsonValue } from "#chain";
import {
  type Consortium,
  schemaOf,
  subjectFieldOf,
  suiteOf,
  writersOf,
} from "../../lib/consortium/consortium.js";
import {
  ApproveSchema,
  CONTRACT_APPROVE,
  CONTRACT_PROPOSE,
  CONTRACT_REVOKE,
  type ContractDocument,
  ContractDocumentSchema,
  type ContractState,
  type ContractVersion,
  contractVersion,
  isContractType,
  RevokeSchema,
} from "../../lib/protocol/contracts.js";
import { ApiError, nonceReplayed } from "../../lib/protocol/errors.js";
import { contractIndex, partyIndex } from "../../lib/store-layout.js";
import { byLedgerOrder, committedIndexEntries } from "../store/index-entries.js";
import { type IndexEntry, StoreInvariantError } from "../store/ports.js";
import type { PreparedBatch, RecordRule, RuleDeps, RuleStore } from "./rule.js";

/**
 * Sharing contracts (docs/design/sharing.md §2). A contract is a ledger record, never a
 * setting: one party proposes it (`zhixin.contract.propose`, the document), the other
 * approves that exact version (`zhixin.contract.approve`), either revokes it
 * (`zhixin.contract.revoke`). Each is submitted through POST /v1/entries like any record,
 * signed with the party's own key, so the ledger proves who agreed to what, when.
 *
 * A contract's state is a fold over its committed records in ledger order (foldContract),
 * kept queryable by index entries `C#<contractId>` written before each record's batch
 * commits; the same rules decide at submit time whether a new record is allowed
 * (checkEvent), so a record the fold would ignore is refused instead of stored.
 *
 * Past 400 lines because the document schema, the fold, the lenient reading the audit
 * uses (contractEventOf) and intake's strict one (contractsRule) parse with the same
 * schemas and apply the same rules: kept together, they cannot drift apart.
 */

/** Where a contract record sits in the ledger (see byLedgerOrder) and who wrote it. */
export interface EventOrigin {
  dept: string;
  entryId: string;
  receivedAt: string;
  batchKey: string;
  position: number;
}

export type ContractEvent =
  | ({ kind: "propose"; doc: ContractDocument } & EventOrigin)
  | ({ kind: "approve"; version: string } & EventOrigin)
  | ({ kind: "revoke"; reason: string } & EventOrigin);

export type RefusalCode =
  | "CONTRACT_NOT_FOUND"
  | "CONTRACT_NOT_PARTY"
  | "CONTRACT_SELF_APPROVAL"
  | "CONTRACT_STATE_CONFLICT"
  | "CONTRACT_INVALID";

/**
 * Why `event` may not follow `state` (undefined: it may). The rules: a contract's parties
 * never change; only a party writes; a version is proposed once; the party that did not
 * propose a version approves it, once, while it is proposed; a revoke needs something
 * proposed or approved. The fold applies the same rules, so racing writers that both
 * passed this check cannot make the state depend on anything but ledger order.
 */
export function checkEvent(
  suite: CryptoSuite,
  state: ContractState | undefined,
  event: ContractEvent,
): { code: RefusalCode; message: string } | undefined {
  if (event.kind === "propose") {
    const { doc } = event;
    if (event.dept !== doc.provider && event.dept !== doc.consumer)
      return {
        code: "CONTRACT_NOT_PARTY",
        message: `${event.dept} is neither provider nor consumer of ${doc.id}`,
      };
    if (!state) return undefined;
    if (state.provider !== doc.provider || state.consumer !== doc.consumer)
      return {
        code: "CONTRACT_INVALID",
        message: `contract ${doc.id} is between ${state.provider} and ${state.consumer}; its parties cannot change`,
      };
    const version = contractVersion(suite, doc);
    const known = state.versions.find((v) => v.version === version);
    if (known) {
      // A version's history is final: a revoked or superseded one is not revived; a new
      // document (another validFrom, say) is proposed instead.
      const verb = known.status === "proposed" || known.status === "approved" ? "is already" : "was";
      return {
        code: "CONTRACT_STATE_CONFLICT",
        message: `version ${version} of ${doc.id} ${verb} ${known.status}; propose a changed document for a new version`,
      };
    }
    return undefined;
  }
  if (!state) return { code: "CONTRACT_NOT_FOUND", message: "no such contract" };
  if (event.dept !== state.provider && event.dept !== state.consumer)
    return { code: "CONTRACT_NOT_PARTY", message: `${event.dept} is not a party of ${state.id}` };
  if (event.kind === "approve") {
    const v = state.versions.find((x) => x.version === event.version);
    if (!v) return { code: "CONTRACT_NOT_FOUND", message: `${state.id} has no version ${event.version}` };
    if (v.proposedBy === event.dept)
      return {
        code: "CONTRACT_SELF_APPROVAL",
        message: `${event.dept} proposed this version; the other party must approve it`,
      };
    if (v.status !== "proposed")
      return {
        code: "CONTRACT_STATE_CONFLICT",
        message: `version ${v.version} is ${v.status}, not proposed`,
      };
    return undefined;
  }
  if (!state.versions.some((v) => v.status === "proposed" || v.status === "approved"))
    return { code: "CONTRACT_STATE_CONFLICT", message: `${state.id} has nothing left to revoke` };
  return undefined;
}

/** State after `event`; precondition: checkEvent(suite, state, event) is undefined. */
export function applyEvent(
  suite: CryptoSuite,
  state: ContractState | undefined,
  event: ContractEvent,
): ContractState {
  if (event.kind === "propose") {
    const base: ContractState = state ?? {
      id: event.doc.id,
      provider: event.doc.provider,
      consumer: event.doc.consumer,
      versions: [],
    };
    const added: ContractVersion = {
      version: contractVersion(suite, event.doc),
      doc: event.doc,
      status: "proposed",
      proposedBy: event.dept,
      proposeEntry: event.entryId,
      proposedAt: event.receivedAt,
    };
    return { ...base, versions: [...base.versions, added] };
  }
  const s = state as ContractState;
  if (event.kind === "approve") {
    return {
      ...s,
      versions: s.versions.map((v): ContractVersion => {
        if (v.version === event.version)
          return {
            ...v,
            status: "approved",
            approvedBy: event.dept,
            approveEntry: event.entryId,
            approvedAt: event.receivedAt,
          };
        return v.status === "approved" ? { ...v, status: "superseded" } : v;
      }),
    };
  }
  return {
    ...s,
    revokedAt: event.receivedAt,
    revokeEntry: event.entryId,
    versions: s.versions.map((v) =>
      v.status === "proposed" || v.status === "approved" ? { ...v, status: "revoked" } : v,
    ),
  };
}

/** The contract's state from its committed records in ledger order; events that break the rules are ignored. */
export function foldContract(
  suite: CryptoSuite,
  events: readonly ContractEvent[],
): ContractState | undefined {
  let state: ContractState | undefined;
  for (const e of [...events].sort(byLedgerOrder)) {
    if (!checkEvent(suite, state, e)) state = applyEvent(suite, state, e);
  }
  return state;
}

export type Effectiveness =
  | { effective: true; version: ContractVersion }
  | { effective: false; reason: string; version?: ContractVersion };

/** The version that answers requests at `now`: approved, not revoked, within its validity window. */
export function effectiveVersion(state: ContractState, now: Date): Effectiveness {
  const approved = state.versions.find((v) => v.status === "approved");
  if (!approved) {
    // The newest version says why: awaiting approval, or revoked with all before it.
    const newest = state.versions[state.versions.length - 1];
    const reason =
      newest?.status === "revoked" && state.revokedAt
        ? `revoked at ${state.revokedAt}`
        : "proposed but not approved by the other party";
    return { effective: false, reason };
  }
  const t = now.getTime();
  if (t < Date.parse(approved.doc.validFrom))
    return { effective: false, reason: `not valid before ${approved.doc.validFrom}`, version: approved };
  if (t >= Date.parse(approved.doc.validUntil))
    return { effective: false, reason: `expired at ${approved.doc.validUntil}`, version: approved };
  return { effective: true, version: approved };
}

/** What loadContract reads: the contract's C# index entries, and their batches' heads. */
export type ContractStore = Pick<RuleStore, "getBatchHeads" | "listIndexEntries">;

/** The contract's state from the store (its committed records only); undefined when never proposed. */
export async function loadContract(
  suite: CryptoSuite,
  store: ContractStore,
  contractId: string,
): Promise<ContractState | undefined> {
  const entries = await committedIndexEntries(store, await store.listIndexEntries(contractIndex(contractId)));
  return contractFromIndexEntries(suite, entries);
}

/**
 * The contract's state from its committed `C#` index entries (as loadContract reads them;
 * for a reader that fetched them, and their batches' heads, with other reads).
 */
export function contractFromIndexEntries(
  suite: CryptoSuite,
  committed: readonly IndexEntry[],
): ContractState | undefined {
  return foldContract(suite, committed.map(eventFromIndexEntry));
}

/**
 * The contract event a stored contract record makes, read leniently (for the audit): a
 * record whose data does not parse is no event, as submit would have refused it.
 */
export function contractEventOf(type: string, data: unknown, origin: EventOrigin): ContractEvent | undefined {
  if (type === CONTRACT_PROPOSE) {
    const doc = ContractDocumentSchema.safeParse(data);
    return doc.success ? { kind: "propose", ...origin, doc: doc.data } : undefined;
  }
  if (type === CONTRACT_APPROVE) {
    const approve = ApproveSchema.safeParse(data);
    return approve.success ? { kind: "approve", ...origin, version: approve.data.version } : undefined;
  }
  if (type === CONTRACT_REVOKE) {
    const revoke = RevokeSchema.safeParse(data);
    return revoke.success ? { kind: "revoke", ...origin, reason: revoke.data.reason } : undefined;
  }
  return undefined;
}

/** The contract a contract record is about. */
export function contractIdOf(event: ContractEvent, data: unknown): string {
  return event.kind === "propose" ? event.doc.id : String((data as { contractId?: unknown }).contractId);
}

/** A `C#` index entry's event: the record it points at, read as the audit reads it (contractEventOf). */
function eventFromIndexEntry(e: IndexEntry): ContractEvent {
  const event = contractEventOf(`zhixin.contract.${e.attrs.event}`, JSON.parse(e.attrs.data ?? "null"), {
    dept: e.attrs.dept ?? "",
    entryId: e.entryId,
    receivedAt: e.receivedAt,
    batchKey: e.batchKey,
    position: e.position,
  });
  // Submit validated the record before writing this entry: unreadable means corrupt.
  if (!event) throw new StoreInvariantError(`contract index entry ${e.index} / ${e.entryId} is unreadable`);
  return event;
}

/**
 * The contracts rule: owns the zhixin.contract.* types; each contract record is checked
 * against its contract's state and indexed under `C#<contractId>`; a propose also under
 * `P#<party>` for each of its two parties.
 */
export const contractsRule: RecordRule = {
  name: "contracts",
  ownsType: isContractType,
  async apply(batch, deps) {
    if (!batch.records.some((r) => isContractType(r.type))) return {};
    // A retried contract record that already committed would be judged against the state
    // it made itself (CONTRACT_STATE_CONFLICT): tell the client the truth first.
    if ((await deps.store.getBatchHeads([batch.batchKey])).length > 0) throw nonceReplayed(batch.submitter);
    return { index: await prepareContracts(batch, deps) };
  },
};

/**
 * Intake's step for contract records: parses each (CONTRACT_INVALID), checks it against
 * the consortium (CONTRACT_UNKNOWN_DEPARTMENT, CONTRACT_UNKNOWN_TYPE, CONTRACT_INVALID)
 * and against the contract's state with the batch's earlier records applied (checkEvent),
 * and returns the index entries to write before the batch commits. Throws the first
 * refusal, before anything is written.
 */
export async function prepareContracts(batch: PreparedBatch, deps: RuleDeps): Promise<IndexEntry[]> {
  const { department } = batch.submitter;
  const { entryIds, batchKey, receivedAt } = batch;
  const suite = suiteOf(deps.consortium);
  const states = new Map<string, ContractState | undefined>();
  const out: IndexEntry[] = [];
  for (const [index, r] of batch.records.entries()) {
    if (!isContractType(r.type)) continue;
    const at = {
      dept: department,
      entryId: entryIds[index] as string,
      receivedAt,
      batchKey,
      position: index,
    };
    const event = parseEvent(r.type, r.data, at, index, deps.consortium);
    const contractId = event.kind === "propose" ? event.doc.id : (r.data.contractId as string);
    if (!states.has(contractId)) states.set(contractId, await loadContract(suite, deps.store, contractId));
    const state = states.get(contractId);
    const refusal = checkEvent(suite, state, event);
    if (refusal)
      throw new ApiError(refusal.code, `records[${index}]: ${refusal.message}`, { index, contractId });
    states.set(contractId, applyEvent(suite, state, event));
    const entry = { entryId: at.entryId, batchKey, receivedAt, position: index };
    out.push({
      index: contractIndex(contractId),
      ...entry,
      attrs: { event: event.kind, dept: department, data: canonicalJson(r.data as JsonValue) },
    });
    // Each party's list of its contracts (GET /v1/contracts). Parties never change from
    // one version to the next, so a propose names them all; written with the C# entry,
    // before the commit, it counts only once its batch commits, like every index entry.
    if (event.kind === "propose") {
      for (const party of [event.doc.provider, event.doc.consumer])
        out.push({ index: partyIndex(party), ...entry, attrs: { contract: contractId } });
    }
  }
  return out;
}

function parseEvent(
  type: string,
  data: unknown,
  at: EventOrigin,
  index: number,
  consortium: Consortium,
): ContractEvent {
  if (type === CONTRACT_PROPOSE) {
    const doc = parseOrRefuse(ContractDocumentSchema, data, index);
    checkAgainstConsortium(doc, index, consortium);
    return { kind: "propose", ...at, doc };
  }
  if (type === CONTRACT_APPROVE)
    return { kind: "approve", ...at, version: parseOrRefuse(ApproveSchema, data, index).version };
  return { kind: "revoke", ...at, reason: parseOrRefuse(RevokeSchema, data, index).reason };
}

function parseOrRefuse<T>(schema: z.ZodType<T>, data: unknown, index: number): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => ({ index, path: i.path.join("."), message: i.message }));
  const first = problems[0];
  throw new ApiError(
    "CONTRACT_INVALID",
    `records[${index}].data${first?.path ? `.${first.path}` : ""}: ${first?.message}`,
    problems,
  );
}

function checkAgainstConsortium(doc: ContractDocument, index: number, consortium: Consortium): void {
  const departments = new Set(consortium.departments.map((d) => d.id));
  for (const role of ["provider", "consumer"] as const) {
    if (!departments.has(doc[role]))
      throw new ApiError(
        "CONTRACT_UNKNOWN_DEPARTMENT",
        `records[${index}].data.${role} ${doc[role]} is not a department`,
        {
          index,
          field: role,
        },
      );
  }
  const writers = writersOf(consortium, doc.type);
  if (!writers)
    throw new ApiError(
      "CONTRACT_UNKNOWN_TYPE",
      `records[${index}].data.type ${doc.type} is not a record type`,
      {
        index,
      },
    );
  const invalid = (message: string) =>
    new ApiError("CONTRACT_INVALID", `records[${index}].data: ${message}`, { index });
  if (!writers.includes(doc.provider))
    throw invalid(`${doc.provider} does not write ${doc.type}, so cannot provide it`);
  if (!subjectFieldOf(consortium, doc.type))
    throw invalid(
      `${doc.type} names no subject field in the consortium file, so its records cannot be matched`,
    );
  const properties = (schemaOf(consortium, doc.type) as { properties?: Record<string, unknown> } | undefined)
    ?.properties;
  if (!properties) return;
  for (const field of [...(doc.match ?? []), ...(doc.fields ?? [])]) {
    if (!Object.hasOwn(properties, field)) throw invalid(`${doc.type} records have no field ${field}`);
  }
}
