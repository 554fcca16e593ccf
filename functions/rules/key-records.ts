import {
  applyKeyRecord,
  canonicalJson,
  foldKeyRecords,
  isKeyRecordType,
  type JsonValue,
  KEY_ADD_TYPE,
  type KeyHistory,
  type KeyRecordEntry,
  type KeyRefusalCode,
  parseKeyRecord,
} from "#chain";
import { verifyRecordedKeySignature } from "../../lib/crypto/verify.js";
import { ApiError, type ApiErrorCode, nonceReplayed } from "../../lib/protocol/errors.js";
import { KEY_INDEX_PREFIX, keyIndex } from "../../lib/store-layout.js";
import { loadKeyRecords } from "../store/key-records.js";
import { type IndexEntry, StoreInvariantError } from "../store/ports.js";
import type { ParsedRecord, PreparedBatch, RecordRule, RuleDeps, WantedClaim } from "./rule.js";
import { uniqueKeyFor } from "./unique-keys.js";

/**
 * Key records (docs/design/key-history.md, docs/FORMATS.md §10): `zhixin.key.add`,
 * `zhixin.key.retire` and `zhixin.key.revoke`, the ledger's own account of which key
 * signs for whom. Whether one counts is lib/chain's fold (applyKeyRecord), the same the
 * audit and an offline verifier run; intake refuses what the fold would not count, so
 * the log holds none that do not.
 *
 * Each owner's key records are indexed under `K#<owner>` and folded from there. They are
 * serialised per owner by a uniqueness claim on (owner, how many key records it has
 * committed): two requests judged against the same history cannot both commit, so the
 * history intake judged against is the one the fold will see (the second gets
 * KEY_STATE_CONFLICT and retries against the new history).
 *
 * A key record travels alone in its request (KEY_RECORD_NOT_ALONE): a retire or revoke
 * of the very key that signed the request ends that key at the record's receivedAt, the
 * receive time of every record of the batch, which the audit would then refuse.
 */

const INTAKE_CODE: Record<KeyRefusalCode, ApiErrorCode> = {
  // The data is checked in checkRecords already; the fold's code for it, were it reached.
  KEY_RECORD_INVALID: "SCHEMA_VIOLATION",
  KEY_ID_INVALID: "KEY_ID_INVALID",
  KEY_ID_TAKEN: "KEY_ID_TAKEN",
  KEY_NOT_OWNED: "KEY_NOT_OWNED",
  KEY_STATE_CONFLICT: "KEY_STATE_CONFLICT",
  KEY_COSIGN_REFUSED: "KEY_COSIGN_REFUSED",
};

export const keyRecordsRule: RecordRule = {
  name: "key-records",
  ownsType: isKeyRecordType,
  checkRecords: checkKeyRecords,
  async apply(batch, deps) {
    const index = batch.records.findIndex((r) => isKeyRecordType(r.type));
    if (index < 0) return {};
    // A retry of a committed key record would be judged against the history it made.
    if ((await deps.store.getBatchHeads([batch.batchKey])).length > 0) throw nonceReplayed(batch.submitter);
    return prepareKeyRecord(batch, index, deps);
  },
};

/** A key record alone in its batch, of its type's form (SCHEMA_VIOLATION otherwise). */
function checkKeyRecords(records: readonly ParsedRecord[]): void {
  records.forEach((r, index) => {
    if (!isKeyRecordType(r.type)) return;
    if (records.length > 1) {
      throw new ApiError(
        "KEY_RECORD_NOT_ALONE",
        `records[${index}] is a ${r.type}: a key record is sent alone, one per request`,
        { index },
      );
    }
    try {
      parseKeyRecord(r.type, r.data);
    } catch (e) {
      throw new ApiError("SCHEMA_VIOLATION", `records[${index}].data: ${(e as Error).message}`, [
        { index, path: "", message: (e as Error).message },
      ]);
    }
  });
}

/** Whose key a record is about: an add says it, a retire or revoke names a derived id `<owner>/<hash>`. */
function ownerOf(record: ParsedRecord): string {
  const data = parseKeyRecord(record.type, record.data);
  return data.type === KEY_ADD_TYPE ? data.owner : (data.keyId.split("/")[0] as string);
}

async function prepareKeyRecord(
  batch: PreparedBatch,
  index: number,
  deps: RuleDeps,
): Promise<{ claims: WantedClaim[]; index: IndexEntry[] }> {
  const record = batch.records[index] as ParsedRecord;
  const owner = ownerOf(record);
  const committed = await loadKeyRecords(deps.store, owner);
  const entryId = batch.entryIds[index] as string;
  const step = applyKeyRecord(
    foldCommitted(committed),
    {
      entryId,
      writer: batch.submitter.department,
      signedBy: batch.submitter.keyId,
      receivedAt: batch.receivedAt,
      type: record.type,
      data: record.data,
    },
    verifyRecordedKeySignature,
  );
  if ("refusal" in step) {
    const { code, message } = step.refusal;
    throw new ApiError(INTAKE_CODE[code], `records[${index}]: ${message}`, { index });
  }
  const sequence = committed.length;
  return {
    claims: [
      {
        index,
        fields: [],
        claim: {
          key: uniqueKeyFor(deps.subjectKey, "zhixin.key", [owner, sequence]),
          batchKey: batch.batchKey,
          entryId,
          claimedAt: batch.receivedAt,
        },
        duplicate: () =>
          new ApiError(
            "KEY_STATE_CONFLICT",
            `records[${index}]: another key record of ${owner} is being written; send this one again`,
            { index },
          ),
      },
    ],
    index: [
      {
        index: keyIndex(owner),
        entryId,
        batchKey: batch.batchKey,
        receivedAt: batch.receivedAt,
        position: index,
        attrs: {
          type: record.type,
          dept: batch.submitter.department,
          keyId: batch.submitter.keyId,
          data: canonicalJson(record.data as JsonValue),
        },
      },
    ],
  };
}

/** The history of committed records: each was judged to count when it was written. */
function foldCommitted(records: readonly KeyRecordEntry[]): KeyHistory {
  const { history, refused } = foldKeyRecords(records, verifyRecordedKeySignature);
  // Intake wrote only records that counted, serialised per owner: one that does not is corrupt.
  if (refused.length > 0) {
    throw new StoreInvariantError(
      `key record ${refused[0]?.entryId} under ${KEY_INDEX_PREFIX} does not count: ${refused[0]?.code}`,
    );
  }
  return history;
}
