import type { JsonValue } from "#chain";
import type { Clock } from "../../lib/clock.js";
import { suiteOf, uniqueFieldsOf } from "../../lib/consortium/consortium.js";
import { ApiError } from "../../lib/protocol/errors.js";
import type { BatchStore, ClaimStore, StoredBatch, UniqueClaim } from "../store/ports.js";
import type { PreparedBatch, RecordRule, RuleDeps, WantedClaim } from "./rule.js";
import { uniqueKeyFor, uniqueValuesOf } from "./unique-keys.js";

/**
 * Submit's uniqueness claims (consortium file: recordTypes[].unique). Without
 * transactions (ARCHITECTURE.md §7) a claim is its own item, written before the batch's
 * payloads and commit:
 *
 *   1. each record claims its key with a conditional put (first writer wins);
 *   2. a claim held by a record of a committed batch is final: the request is refused
 *      with DUPLICATE_RECORD (or NONCE_REPLAYED when that batch is this request's own);
 *      one naming a committed batch without that record is a refused replay's stray,
 *      taken over at once;
 *   3. a claim whose batch does not exist is a submit in progress — or one that crashed
 *      or was refused before committing. Younger than the lease it blocks (DUPLICATE_RECORD,
 *      retry after the lease); older, it is taken over with a write conditioned on it
 *      being unchanged. A retry of the claiming request (same keyId#nonce, same record)
 *      takes over its own claim at once, renewing the lease.
 *
 * Every refusal first releases the claims this request took, so it leaves the store as
 * it found it. The lease must outlast the longest submit (the API function's timeout, 20 s
 * in cdk/lib/defaults.ts): a submit still running after its lease can lose its claim to
 * another, and both commit.
 */

export const UNIQUE_CLAIM_LEASE_MS = 60_000;

/** The uniqueness rule: each record of a type with `unique` fields claims their values. */
export const uniquenessRule: RecordRule = {
  name: "uniqueness",
  apply: (batch, deps) => ({ claims: wantedClaims(batch, deps) }),
};

/**
 * The claims a batch's records must take. Refuses, before any write, a record that lacks
 * a unique field (SCHEMA_VIOLATION) and two records of the batch with the same values
 * (DUPLICATE_RECORD naming both).
 */
export function wantedClaims(
  batch: PreparedBatch,
  deps: Pick<RuleDeps, "consortium" | "subjectKey">,
): WantedClaim[] {
  const { entryIds, batchKey, receivedAt: claimedAt } = batch;
  const wanted: WantedClaim[] = [];
  const firstIndex = new Map<string, number>();
  batch.records.forEach((r, index) => {
    const fields = uniqueFieldsOf(deps.consortium, r.type);
    if (!fields) return;
    const found = uniqueValuesOf(fields, r.data);
    if ("missing" in found) {
      throw new ApiError(
        "SCHEMA_VIOLATION",
        `records[${index}].data lacks ${found.missing}, a unique field`,
        [{ index, path: "", message: `must have property '${found.missing}' (unique field of ${r.type})` }],
      );
    }
    const key = uniqueKeyFor(suiteOf(deps.consortium), deps.subjectKey, r.type, found.values as JsonValue[]);
    const earlier = firstIndex.get(key);
    if (earlier !== undefined) {
      throw new ApiError(
        "DUPLICATE_RECORD",
        `records[${earlier}] and records[${index}] have the same ${fields.join(", ")}; a ${r.type} is unique by it`,
        { index, fields, sameAs: earlier },
      );
    }
    firstIndex.set(key, index);
    wanted.push({ index, fields, claim: { key, batchKey, entryId: entryIds[index] as string, claimedAt } });
  });
  return wanted;
}

/** Rounds per claim of "claim, find the holder, try to take it over" before giving up. */
const MAX_ROUNDS = 5;

/** What takeClaims sends: the claim writes, and a read of the holder's batch. */
export type ClaimStores = Pick<ClaimStore, "claimUnique" | "takeOverClaim" | "releaseClaims"> &
  Pick<BatchStore, "getBatch">;

/**
 * Takes every wanted claim, in the order given (the rules' order, then record order);
 * returns them all, or releases those it took and throws — a claim another record holds
 * as the claim's `duplicate` refusal, when it has one. Requires that the request wrote
 * nothing else yet.
 */
export async function takeClaims(
  store: ClaimStores,
  wanted: readonly WantedClaim[],
  clock: Clock,
): Promise<UniqueClaim[]> {
  const taken: UniqueClaim[] = [];
  for (const w of wanted) {
    try {
      taken.push(await takeClaim(store, w, clock));
    } catch (err) {
      if (taken.length > 0) await store.releaseClaims(taken);
      const held = err instanceof ApiError && err.code === "DUPLICATE_RECORD";
      throw held && w.duplicate ? w.duplicate() : err;
    }
  }
  return taken;
}

async function takeClaim(store: ClaimStores, w: WantedClaim, clock: Clock): Promise<UniqueClaim> {
  const { claim, index, fields } = w;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const result = await store.claimUnique(claim);
    if (result === "claimed") return claim;
    const holder = result.holder;
    const batch = await store.getBatch(holder.batchKey);
    const final = batch?.envelopes.some((e) => e.id === holder.entryId) ?? false;
    if (final) {
      if (holder.batchKey === claim.batchKey) {
        throw new ApiError(
          "NONCE_REPLAYED",
          `batch ${claim.batchKey} (key id # nonce) was already committed`,
        );
      }
      throw new ApiError(
        "DUPLICATE_RECORD",
        `records[${index}]: a record with the same ${fields.join(", ")} is already on the ledger`,
        { index, fields },
      );
    }
    // A committed batch without the holder's entry: the claim is a stray of a refused
    // replay that died before releasing it, and can never become final.
    const stray = batch !== undefined;
    const own = holder.batchKey === claim.batchKey && holder.entryId === claim.entryId;
    const age = clock.now().getTime() - Date.parse(holder.claimedAt);
    if (!stray && !own && age < UNIQUE_CLAIM_LEASE_MS) {
      const waitS = Math.ceil((UNIQUE_CLAIM_LEASE_MS - age) / 1000);
      throw new ApiError(
        "DUPLICATE_RECORD",
        `records[${index}]: another submit of the same ${fields.join(", ")} is in progress; ` +
          `if it does not commit, retry in ${waitS} s`,
        { index, fields },
      );
    }
    // Ours from a crashed attempt of this very request, or an abandoned one: take it.
    if (await store.takeOverClaim(claim, holder)) return claim;
  }
  throw new ApiError(
    "UNAVAILABLE",
    `records[${index}]: the claim on its unique fields keeps changing; retry`,
  );
}

/**
 * After a replay was refused (commitBatch said "replayed"): releases the claims this
 * request took for records the committed batch does not have. A replay shares the
 * original's batch key, so the claims are told apart by entry id.
 */
export async function releaseReplayedClaims(
  store: Pick<ClaimStore, "releaseClaims">,
  taken: readonly UniqueClaim[],
  committed: StoredBatch | undefined,
): Promise<void> {
  const keep = new Set(committed?.envelopes.map((e) => e.id) ?? []);
  const strays = taken.filter((c) => !keep.has(c.entryId));
  if (strays.length > 0) await store.releaseClaims(strays);
}
