import {
  applyKeyRecord,
  type CryptoSuite,
  canonicalJson,
  foldKeyRecords,
  isKeyRecordType,
  type JsonValue,
  KEY_COSIGN_TYPE,
  type KeyGovernance,
  type KeyHistory,
  type KeyRecordEntry,
  type KeyRefusalCode,
  ownerOfKeyRecord,
  parseKeyCosign,
  parseKeyRecord,
} from "#chain";
import { keyGovernanceOf, suiteOf } from "../../lib/consortium/consortium.js";
import { keySignatureCheckOf } from "../../lib/crypto/verify.js";
import { ApiError, type ApiErrorCode, nonceReplayed } from "../../lib/protocol/errors.js";
import { KEY_INDEX_PREFIX, keyIndex } from "../../lib/store-layout.js";
import { loadKeyRecords } from "../store/key-records.js";
import { type IndexEntry, StoreInvariantError } from "../store/ports.js";
import type { ParsedRecord, PreparedBatch, RecordRule, RuleDeps, RuleStore, WantedClaim } from "./rule.js";
import { uniqueKeyFor } from "./unique-keys.js";

/**
 * Key records (docs/design/key-history.md, docs/FORMATS.md §10): `zhixin.key.add`,
 * `zhixin.key.retire` and `zhixin.key.revoke`, the ledger's own account of which key
 * signs for whom. Whether one counts is lib/chain's fold (applyKeyRecord), the same the
 * audit and an offline verifier run; intake refuses what the fold would not count, so
 * the log holds none that do not.
 *
 * The fold runs under the consortium file's governance (keyGovernanceOf, design §3 rules
 * 4–5): another department may propose a recovery of an owner's key (an add or a revoke),
 * and a record may await departments' cosigns. A `zhixin.cosign` of a key record is
 * therefore this rule's too, not cosign.ts's (key record types have no signers): the fold
 * judges it against the owner's history (KEY_COSIGN_REFUSED and the record's own state
 * checks when it completes one), and it is written exactly as a key record is.
 *
 * Everything about an owner's keys — its own records, recoveries of its keys, the cosigns
 * of either — is indexed under `K#<owner>` and folded from there. It is serialised per
 * owner by a uniqueness claim on (owner, how many such records are committed): two
 * requests judged against the same history cannot both commit, so the history intake
 * judged against is the one the fold will see (the second gets KEY_STATE_CONFLICT and
 * retries against the new history).
 *
 * A key record travels alone in its request (KEY_RECORD_NOT_ALONE): a retire or revoke
 * of the very key that signed the request ends that key at the record's receivedAt, the
 * receive time of every record of the batch, which the audit would then refuse. So does
 * a key record's cosign, which may complete such a record.
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
    const found = await keyRecordOf(batch, deps.store);
    if (found === undefined) return {};
    // A retry of a committed key record would be judged against the history it made.
    if ((await deps.store.getBatchHeads([batch.batchKey])).length > 0) throw nonceReplayed(batch.submitter);
    return prepareKeyRecord(batch, found, deps);
  },
};

/** The batch's key record, or its cosign of one, and whose key history judges it. */
async function keyRecordOf(
  batch: PreparedBatch,
  store: RuleStore,
): Promise<{ index: number; owner: string } | undefined> {
  const index = batch.records.findIndex((r) => isKeyRecordType(r.type));
  if (index >= 0) {
    const record = batch.records[index] as ParsedRecord;
    return { index, owner: ownerOfKeyRecord(parseKeyRecord(record.type, record.data)) };
  }
  for (const [index, r] of batch.records.entries()) {
    if (r.type !== KEY_COSIGN_TYPE) continue;
    const owner = await keyCosignOwner(store, r.data);
    if (owner === undefined) continue;
    if (batch.records.length > 1) {
      throw new ApiError(
        "KEY_RECORD_NOT_ALONE",
        `records[${index}] is a ${KEY_COSIGN_TYPE} of a key record: it is sent alone, one per request`,
        { index },
      );
    }
    return { index, owner };
  }
  return undefined;
}

/**
 * Whose key history judges a zhixin.cosign: the owner of the key record it names, when it
 * names a stored one (cosign.ts leaves the cosigns of committed key records to this
 * rule); undefined for a cosign of anything else. One payload read.
 */
export async function keyCosignOwner(
  store: Pick<RuleStore, "getPayload">,
  data: unknown,
): Promise<string | undefined> {
  let target: string;
  try {
    target = parseKeyCosign(data).entryId;
  } catch {
    return undefined; // cosign.ts refuses its form
  }
  const payload = await store.getPayload(target);
  if (payload === undefined || !isKeyRecordType(payload.type)) return undefined;
  try {
    return ownerOfKeyRecord(parseKeyRecord(payload.type, JSON.parse(payload.data)));
  } catch (e) {
    // Intake stored only key records of their type's form.
    throw new StoreInvariantError(
      `key record ${target}'s stored data is unreadable: ${(e as Error).message}`,
    );
  }
}

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

async function prepareKeyRecord(
  batch: PreparedBatch,
  { index, owner }: { index: number; owner: string },
  deps: RuleDeps,
): Promise<{ claims: WantedClaim[]; index: IndexEntry[] }> {
  const record = batch.records[index] as ParsedRecord;
  const governance = keyGovernanceOf(deps.consortium);
  const committed = await loadKeyRecords(deps.store, owner);
  const entryId = batch.entryIds[index] as string;
  const suite = suiteOf(deps.consortium);
  const step = applyKeyRecord(
    suite,
    foldCommitted(suite, committed, governance),
    {
      entryId,
      writer: batch.submitter.department,
      signedBy: batch.submitter.keyId,
      receivedAt: batch.receivedAt,
      type: record.type,
      data: record.data,
    },
    keySignatureCheckOf(suite),
    governance,
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
          key: uniqueKeyFor(suiteOf(deps.consortium), deps.subjectKey, "zhixin.key", [owner, sequence]),
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

/** The history of committed records: each was judged to count (or to await cosigns) when it was written. */
function foldCommitted(
  suite: CryptoSuite,
  records: readonly KeyRecordEntry[],
  governance: KeyGovernance,
): KeyHistory {
  const { history, refused } = foldKeyRecords(
    suite,
    records,
    keySignatureCheckOf(suite),
    undefined,
    governance,
  );
  // Intake wrote only records that counted, serialised per owner: one that does not is
  // corrupt — or the consortium file's departments or keyRecords changed since.
  if (refused.length > 0) {
    throw new StoreInvariantError(
      `key record ${refused[0]?.entryId} under ${KEY_INDEX_PREFIX} does not count: ${refused[0]?.code}, ${refused[0]?.message}` +
        " (if the consortium file's departments or keyRecords changed since it was written, the committed records are judged by the new rule: restore it)",
    );
  }
  return history;
}
