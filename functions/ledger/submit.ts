import { z } from "zod";
import {
  batchKeyFor,
  canonicalJson,
  contentDigest,
  type EntryEnvelope,
  entryIdFor,
  entryLeafHash,
  equalBytes,
  type JsonValue,
  MerkleTree,
  recordHash,
  subjectHmac,
  toBase64,
  toHex,
} from "#chain";
import type { Clock } from "../../lib/clock.js";
import { type Consortium, writersOf } from "../../lib/consortium/consortium.js";
import { isContractType } from "../../lib/protocol/contracts.js";
import type { Receipt } from "../../lib/protocol/entries.js";
import { ApiError, nonceReplayed } from "../../lib/protocol/errors.js";
import { MAX_BODY_BYTES, MAX_RECORD_BYTES, MAX_RECORDS } from "../../lib/protocol/limits.js";
import { subjectIndex } from "../../lib/store-layout.js";
import type { Caller } from "../api/caller.js";
import { parseJsonBody } from "../api/json-body.js";
import { prepareContracts } from "../rules/contracts.js";
import { COSIGN_TYPE, prepareCosigns } from "../rules/cosign.js";
import { refuseSchemaViolations } from "../rules/schema.js";
import { subjectsOf } from "../rules/subject-index.js";
import { releaseReplayedClaims, takeClaims, type WantedClaim, wantedClaims } from "../rules/unique-claims.js";
import type { IndexEntry, LedgerStore, StoredBatch, StoredPayload, UniqueClaim } from "../store/ports.js";

/**
 * Submitting a batch of records (POST /v1/entries): validate (each record's type, its
 * writer, its size, then its data against its type's schema), bind each record to the
 * department's signed batch root, then store — uniqueness claims first (unique-claims.ts;
 * a zhixin.cosign claims its (entry, department), cosign.ts), then payloads, cosign
 * marks and index entries (a record's subject, a contract's records), then the batch item, whose conditional put is both the commit point and
 * the (keyId, nonce) replay guard. Every refusal happens before the first write, or
 * undoes what it wrote (a claim refused midway, a replay).
 */

export interface SubmitDeps {
  store: LedgerStore;
  consortium: Consortium;
  clock: Clock;
  /** The deployment's subject key (lib/chain subject.ts): subjects are indexed by their HMAC. */
  subjectKey: Uint8Array;
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

export async function submitEntries(caller: Caller, body: Uint8Array, deps: SubmitDeps): Promise<Receipt> {
  if (caller.role !== "department") {
    throw new ApiError(
      "ROLE_FORBIDDEN",
      `${caller.department} is an ${caller.role} identity and may not write records`,
    );
  }
  if (body.length > MAX_BODY_BYTES) {
    throw new ApiError("BODY_TOO_LARGE", `body is ${body.length} bytes; the limit is ${MAX_BODY_BYTES}`);
  }
  const records = parseRecords(body);
  const prepared = records.map((r, index) => {
    // Any department may co-sign or write contract records; prepareCosigns and
    // prepareContracts decide whether it may write that one.
    const writers =
      r.type === COSIGN_TYPE || isContractType(r.type)
        ? [caller.department]
        : writersOf(deps.consortium, r.type);
    if (!writers) {
      const recordTypes = deps.consortium.recordTypes.map((t) => t.type);
      throw new ApiError(
        "UNKNOWN_RECORD_TYPE",
        `records[${index}].type ${r.type} is not a record type of this consortium; its record types: ${recordTypes.join(", ")}`,
        { index, type: r.type, recordTypes },
      );
    }
    if (!writers.includes(caller.department)) {
      throw new ApiError("RECORD_TYPE_FORBIDDEN", `${caller.department} may not write ${r.type}`, {
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
    const digest = contentDigest(r.data as JsonValue);
    return { type: r.type, text, digest, record: recordHash(r.type, digest) };
  });
  refuseSchemaViolations(records, deps.consortium);
  const subjects = subjectsOf(records, deps.consortium);

  const tree = new MerkleTree(prepared.map((p) => p.record));
  const root = tree.root();
  if (!caller.batchRoot || !equalBytes(root, caller.batchRoot)) {
    throw new ApiError(
      "BATCH_ROOT_MISMATCH",
      "zhixin-batch-root is not the RFC 6962 root over the records' hashes (see docs/FORMATS.md §2)",
      { expected: toBase64(root) },
    );
  }

  const receivedAt = deps.clock.now().toISOString();
  const batchKey = batchKeyFor(caller.keyId, caller.nonce);
  const signature = toBase64(caller.signature);
  const envelopes: EntryEnvelope[] = prepared.map((p, index) => ({
    v: 1,
    id: entryIdFor(caller.keyId, caller.nonce, index, p.record),
    dept: caller.department,
    type: p.type,
    contentDigest: p.digest,
    keyId: caller.keyId,
    alg: caller.alg,
    signatureBase: caller.signatureBase,
    signature,
    batch: { size: prepared.length, index, root: toHex(root), path: tree.inclusionProof(index).map(toHex) },
    receivedAt,
  }));
  const payloads: StoredPayload[] = envelopes.map((e, i) => ({
    entryId: e.id,
    batchKey,
    dept: e.dept,
    type: e.type,
    data: (prepared[i] as { text: string }).text,
  }));
  const batch: StoredBatch = {
    key: batchKey,
    dept: caller.department,
    keyId: caller.keyId,
    nonce: caller.nonce,
    receivedAt,
    envelopes,
  };

  const wanted = wantedClaims(
    records,
    envelopes.map((e) => e.id),
    batchKey,
    receivedAt,
    deps.consortium,
    deps.subjectKey,
  );
  const cosigns = await prepareCosigns(
    caller,
    records,
    envelopes.map((e) => e.id),
    batchKey,
    receivedAt,
    deps,
  );
  wanted.push(...cosigns.wanted);
  // A retried contract record that already committed would be judged against the state
  // it made itself (CONTRACT_STATE_CONFLICT): tell the client the truth first.
  if (
    records.some((r) => isContractType(r.type)) &&
    (await deps.store.getBatchHeads([batchKey])).length > 0
  ) {
    throw nonceReplayed(caller);
  }
  const index: IndexEntry[] = await prepareContracts(
    caller,
    records,
    envelopes.map((e) => e.id),
    batchKey,
    receivedAt,
    deps,
  );
  for (const [i, subject] of subjects) {
    const e = envelopes[i] as EntryEnvelope;
    index.push({
      index: subjectIndex(subjectHmac(deps.subjectKey, subject)),
      entryId: e.id,
      batchKey,
      receivedAt,
      position: i,
      attrs: { type: e.type, dept: e.dept },
    });
  }
  const claims = wanted.length > 0 ? await takeCosignAwareClaims(deps, wanted, cosigns.wanted) : [];
  await deps.store.putPayloads(payloads);
  if (cosigns.marks.length > 0) await deps.store.putCosignMarks(cosigns.marks);
  if (index.length > 0) await deps.store.putIndexEntries(index);
  if ((await deps.store.commitBatch(batch)) === "replayed") {
    const committed = await removeOrphanPayloads(deps.store, batchKey, payloads);
    const keep = new Set(committed?.envelopes.map((e) => e.id) ?? []);
    const strayMarks = cosigns.marks.filter((m) => !keep.has(m.entryId));
    if (strayMarks.length > 0) await deps.store.deleteCosignMarks(strayMarks);
    // Index entries are keyed by receive time too: a replay of the very same records
    // wrote its own, beside the original's, unless it arrived in the same millisecond.
    const strayIndex = index.filter((x) => !keep.has(x.entryId) || committed?.receivedAt !== x.receivedAt);
    if (strayIndex.length > 0) await deps.store.deleteIndexEntries(strayIndex);
    await releaseReplayedClaims(deps.store, claims, committed);
    throw nonceReplayed(caller);
  }
  return { entries: envelopes.map((e) => ({ id: e.id, leafHash: toHex(entryLeafHash(e)) })), receivedAt };
}

/** takeClaims, where a cosign's claim held by another signature is COSIGN_DUPLICATE. */
async function takeCosignAwareClaims(
  deps: SubmitDeps,
  wanted: readonly WantedClaim[],
  cosigns: readonly WantedClaim[],
): Promise<UniqueClaim[]> {
  try {
    return await takeClaims(deps.store, wanted, deps.clock);
  } catch (err) {
    const index = (err as ApiError).code === "DUPLICATE_RECORD" && (err as ApiError).details;
    const cosign = cosigns.find((c) => c.index === (index as { index?: number })?.index);
    if (!cosign) throw err;
    throw new ApiError(
      "COSIGN_DUPLICATE",
      `records[${cosign.index}]: this department has signed that entry already, or is signing it now`,
      { index: cosign.index },
    );
  }
}

/**
 * The body's records, as parsed: zod checks their shape, but its output is not used —
 * z.record rebuilds `data` by assignment, and `out["__proto__"] = v` sets a prototype
 * instead of keeping the member. What is hashed and stored must be exactly what was
 * signed (parseJsonBody keeps every member as an own property, or refuses the body).
 */
function parseRecords(body: Uint8Array): Array<{ type: string; data: Record<string, unknown> }> {
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

/**
 * A replayed (keyId, nonce) with the same records wrote exactly the items the first
 * request wrote (ids are derived from content), which must stay. One with different
 * records wrote items nobody references: remove them, so a refusal changes nothing.
 */
async function removeOrphanPayloads(
  store: LedgerStore,
  batchKey: string,
  written: StoredPayload[],
): Promise<StoredBatch | undefined> {
  const committed = await store.getBatch(batchKey);
  const keep = new Set(committed?.envelopes.map((e) => e.id) ?? []);
  const orphans = written.filter((p) => !keep.has(p.entryId)).map((p) => p.entryId);
  if (orphans.length > 0) await store.deletePayloads(orphans);
  return committed;
}
