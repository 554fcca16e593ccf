import { z } from "zod";
import {
  batchKeyFor,
  type CryptoSuite,
  canonicalJson,
  contentDigest,
  type EntryEnvelope,
  entryIdFor,
  entryLeafHash,
  equalBytes,
  type JsonValue,
  MerkleTree,
  recordHash,
  toBase64,
  toHex,
} from "#chain";
import type { Clock } from "../../lib/clock.js";
import { type Consortium, suiteOf } from "../../lib/consortium/consortium.js";
import type { VerifiedRequest } from "../../lib/http-signature/index.js";
import type { Receipt } from "../../lib/protocol/entries.js";
import { ApiError, nonceReplayed } from "../../lib/protocol/errors.js";
import { parseJsonBody } from "../../lib/protocol/json-body.js";
import { MAX_BODY_BYTES, MAX_RECORD_BYTES, MAX_RECORDS } from "../../lib/protocol/limits.js";
import {
  applyRules,
  checkRecords,
  type ParsedRecord,
  type PreparedBatch,
  type RuleEffects,
  type RuleStore,
  releaseReplayedClaims,
  takeClaims,
  writersOfType,
} from "../rules/index.js";
import type { ClaimStores } from "../rules/unique-claims.js";
import type {
  BatchStore,
  CosignStore,
  EntryItemStore,
  IndexStore,
  PayloadStore,
  StoredBatch,
  StoredPayload,
  UniqueClaim,
} from "../store/ports.js";

/**
 * Submitting a batch of records (POST /v1/entries), the intake pipeline: authenticate
 * (only a department writes) → parse (body size, JSON, shape, record count) → prepare
 * (each record's type, writer, canonical JSON and size; the rules' record checks; the
 * signed batch root; the envelopes) → apply the record rules (functions/rules/: each
 * refuses, or returns the claims, cosign marks and index entries the batch needs) → take
 * the claims → commit: payloads, cosign marks, index entries and the batch's body (its
 * envelopes) in one round trip (putEntryItems), then the batch's head, whose conditional
 * put is both the commit point and the (keyId, nonce) replay guard.
 * Every refusal happens before the first write, or undoes what it wrote (a claim refused
 * midway, a replay). Refusals and their order: docs/API.md, docs/ERRORS.md.
 */

/**
 * What intake asks of the store: the rules' reads, the claims, and the batch's writes —
 * payloads, cosign marks and index entries together, the batch item — with their undo
 * after a replay.
 */
export type IntakeStore = RuleStore &
  ClaimStores &
  EntryItemStore &
  Pick<PayloadStore, "deletePayloads"> &
  Pick<CosignStore, "deleteCosignMarks"> &
  Pick<IndexStore, "deleteIndexEntries"> &
  Pick<BatchStore, "commitBatch">;

export interface SubmitDeps {
  store: IntakeStore;
  consortium: Consortium;
  clock: Clock;
  /** The deployment's subject key (lib/chain subject.ts): subjects are indexed by their HMAC. */
  subjectKey: Uint8Array;
}

export async function submitEntries(
  caller: VerifiedRequest,
  body: Uint8Array,
  deps: SubmitDeps,
): Promise<Receipt> {
  // Authenticate: the signature named the caller; only a department writes records.
  if (caller.role !== "department") {
    throw new ApiError(
      "ROLE_FORBIDDEN",
      `${caller.department} is an ${caller.role} identity and may not write records`,
    );
  }
  // Parse, then prepare: nothing below reads the store until the rules apply.
  const records = parseRecords(body);
  const prepared = prepareRecords(records, caller.department, deps.consortium);
  checkRecords(records, deps.consortium);
  const suite = suiteOf(deps.consortium);
  const tree = checkBatchRoot(suite, caller, prepared);
  const batch = bindBatch(suite, caller, records, prepared, tree, deps.clock.now().toISOString());

  // Apply the rules, then write: claims; payloads, marks, index entries and the batch's
  // body (one round trip, all before the commit); the batch's head.
  const effects = await applyRules(batch.rules, deps);
  const claims = await takeClaims(deps.store, effects.claims, deps.clock);
  await deps.store.putEntryItems({
    payloads: batch.payloads,
    marks: effects.marks,
    index: effects.index,
    batch: batch.item,
  });
  if ((await deps.store.commitBatch(batch.item)) === "replayed") {
    await undoReplay(deps.store, batch, effects, claims);
    throw nonceReplayed(caller);
  }
  const { envelopes, receivedAt } = batch.item;
  return {
    entries: envelopes.map((e) => ({ id: e.id, leafHash: toHex(entryLeafHash(suite, e)) })),
    receivedAt,
  };
}

const BodySchema = z
  .object({
    records: z.array(
      z
        .object({
          type: z.string().min(1).max(128),
          data: z.record(z.string(), z.unknown()),
        })
        .strict(),
    ),
  })
  .strict();

/**
 * The body's records, as parsed: zod checks their shape, but its output is not used —
 * z.record rebuilds `data` by assignment, and `out["__proto__"] = v` sets a prototype
 * instead of keeping the member. What is hashed and stored must be exactly what was
 * signed (parseJsonBody keeps every member as an own property, or refuses the body).
 */
function parseRecords(body: Uint8Array): ParsedRecord[] {
  if (body.length > MAX_BODY_BYTES) {
    throw new ApiError("BODY_TOO_LARGE", `body is ${body.length} bytes; the limit is ${MAX_BODY_BYTES}`);
  }
  const json = parseJsonBody(body);
  const count = (json as { records?: unknown })?.records;
  if (Array.isArray(count) && (count.length === 0 || count.length > MAX_RECORDS)) {
    throw new ApiError(
      "BATCH_SIZE_INVALID",
      `a batch holds 1 to ${MAX_RECORDS} records, got ${count.length}`,
    );
  }
  const parsed = BodySchema.safeParse(json);
  if (!parsed.success) {
    throw new ApiError(
      "SCHEMA_VIOLATION",
      'body must be {"records": [{"type": string, "data": object}, ...]}',
      parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  return (json as z.infer<typeof BodySchema>).records;
}

interface PreparedRecord {
  type: string;
  /** The data as canonical JSON (RFC 8785): what the payload stores. */
  text: string;
  digest: string;
  /** recordHash(type, digest): the leaf of the signed batch root. */
  record: Uint8Array;
}

/**
 * Each record in turn: its type is known (UNKNOWN_RECORD_TYPE), the department writes it
 * (RECORD_TYPE_FORBIDDEN), its data is canonical JSON (SCHEMA_VIOLATION) of at most
 * MAX_RECORD_BYTES (RECORD_TOO_LARGE). The first record failing any of these decides.
 */
function prepareRecords(
  records: readonly ParsedRecord[],
  department: string,
  consortium: Consortium,
): PreparedRecord[] {
  const suite = suiteOf(consortium);
  return records.map((r, index) => {
    const writers = writersOfType(r.type, department, consortium);
    if (!writers) {
      const recordTypes = consortium.recordTypes.map((t) => t.type);
      throw new ApiError(
        "UNKNOWN_RECORD_TYPE",
        `records[${index}].type ${r.type} is not a record type of this consortium; its record types: ${recordTypes.join(", ")}`,
        { index, type: r.type, recordTypes },
      );
    }
    if (!writers.includes(department)) {
      throw new ApiError("RECORD_TYPE_FORBIDDEN", `${department} may not write ${r.type}`, {
        index,
        type: r.type,
      });
    }
    let text: string;
    try {
      text = canonicalJson(r.data);
    } catch (e) {
      throw new ApiError("SCHEMA_VIOLATION", `records[${index}].data: ${(e as Error).message}`);
    }
    const size = new TextEncoder().encode(text).length;
    if (size > MAX_RECORD_BYTES) {
      throw new ApiError(
        "RECORD_TOO_LARGE",
        `records[${index}].data is ${size} bytes as canonical JSON; the limit is ${MAX_RECORD_BYTES}`,
      );
    }
    const digest = contentDigest(suite, r.data as JsonValue);
    return { type: r.type, text, digest, record: recordHash(suite, r.type, digest) };
  });
}

/** The records' Merkle tree, when its root is the zhixin-batch-root the caller signed. */
function checkBatchRoot(
  suite: CryptoSuite,
  caller: VerifiedRequest,
  prepared: readonly PreparedRecord[],
): MerkleTree {
  const tree = new MerkleTree(
    suite,
    prepared.map((p) => p.record),
  );
  const root = tree.root();
  if (!caller.batchRoot || !equalBytes(root, caller.batchRoot)) {
    throw new ApiError(
      "BATCH_ROOT_MISMATCH",
      "zhixin-batch-root is not the RFC 6962 root over the records' hashes (see docs/FORMATS.md §2)",
      { expected: toBase64(root) },
    );
  }
  return tree;
}

/** What intake writes for a batch, and what the rules see of it. */
interface BoundBatch {
  rules: PreparedBatch;
  payloads: StoredPayload[];
  item: StoredBatch;
}

/** Each record's envelope (its entry id, the signature, its inclusion path) and payload. */
function bindBatch(
  suite: CryptoSuite,
  caller: VerifiedRequest,
  records: readonly ParsedRecord[],
  prepared: readonly PreparedRecord[],
  tree: MerkleTree,
  receivedAt: string,
): BoundBatch {
  const { department, keyId, nonce } = caller;
  const batchKey = batchKeyFor(keyId, nonce);
  const signature = toBase64(caller.signature);
  const root = toHex(tree.root());
  const envelopes: EntryEnvelope[] = prepared.map((p, index) => ({
    v: 1,
    id: entryIdFor(suite, keyId, nonce, index, p.record),
    dept: department,
    type: p.type,
    contentDigest: p.digest,
    keyId,
    alg: caller.alg,
    signatureBase: caller.signatureBase,
    signature,
    batch: { size: prepared.length, index, root, path: tree.inclusionProof(index).map(toHex) },
    receivedAt,
  }));
  const entryIds = envelopes.map((e) => e.id);
  return {
    rules: { submitter: { department, keyId, nonce }, records, entryIds, batchKey, receivedAt },
    payloads: envelopes.map((e, i) => ({
      entryId: e.id,
      batchKey,
      dept: e.dept,
      type: e.type,
      data: (prepared[i] as PreparedRecord).text,
    })),
    item: { key: batchKey, dept: department, keyId, nonce, receivedAt, envelopes },
  };
}

/**
 * After commitBatch said "replayed": a replayed (keyId, nonce) with the same records
 * wrote exactly the items the first request wrote (ids are derived from content), which
 * must stay. One with different records wrote items nobody references: remove them —
 * payloads, cosign marks, index entries, then claims — so a refusal changes nothing.
 */
async function undoReplay(
  store: Pick<
    IntakeStore,
    "getBatch" | "deletePayloads" | "deleteCosignMarks" | "deleteIndexEntries" | "releaseClaims"
  >,
  batch: BoundBatch,
  effects: Required<RuleEffects>,
  claims: readonly UniqueClaim[],
): Promise<void> {
  const committed = await store.getBatch(batch.item.key);
  const keep = new Set(committed?.envelopes.map((e) => e.id) ?? []);
  const orphans = batch.payloads.filter((p) => !keep.has(p.entryId)).map((p) => p.entryId);
  if (orphans.length > 0) await store.deletePayloads(orphans);
  const strayMarks = effects.marks.filter((m) => !keep.has(m.entryId));
  if (strayMarks.length > 0) await store.deleteCosignMarks(strayMarks);
  // Index entries are keyed by receive time too: a replay of the very same records
  // wrote its own, beside the original's, unless it arrived in the same millisecond.
  const strayIndex = effects.index.filter(
    (x) => !keep.has(x.entryId) || committed?.receivedAt !== x.receivedAt,
  );
  if (strayIndex.length > 0) await store.deleteIndexEntries(strayIndex);
  await releaseReplayedClaims(store, claims, committed);
}
