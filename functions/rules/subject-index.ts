import { MAX_SUBJECT_BYTES, subjectHmac } from "#chain";
import { type Consortium, subjectFieldOf, suiteOf } from "../../lib/consortium/consortium.js";
import { ApiError } from "../../lib/protocol/errors.js";
import { subjectIndex } from "../../lib/store-layout.js";
import type { IndexEntry } from "../store/ports.js";
import type { ParsedRecord, PreparedBatch, RecordRule, RuleDeps } from "./rule.js";

/**
 * The subject index rule: a record of a type whose consortium entry names a subject field
 * is indexed under `S#<subjectHmac>` (lib/store-layout.ts), so match finds a subject's
 * records by one query without the subject ever being stored in the clear.
 */
export const subjectIndexRule: RecordRule = {
  name: "subject-index",
  checkRecords: (records, consortium) => {
    subjectsOf(records, consortium);
  },
  apply: (batch, deps) => ({ index: subjectIndexEntries(batch, deps) }),
};

/** The S# index entries of the batch's records, in record order; requires checkRecords to have passed. */
export function subjectIndexEntries(
  batch: PreparedBatch,
  deps: Pick<RuleDeps, "consortium" | "subjectKey">,
): IndexEntry[] {
  return subjectsOf(batch.records, deps.consortium).map(([i, subject]) => ({
    index: subjectIndex(subjectHmac(suiteOf(deps.consortium), deps.subjectKey, subject)),
    entryId: batch.entryIds[i] as string,
    batchKey: batch.batchKey,
    receivedAt: batch.receivedAt,
    position: i,
    attrs: { type: (batch.records[i] as ParsedRecord).type, dept: batch.submitter.department },
  }));
}

/**
 * Each record's subject (by record index), for types whose consortium entry names a
 * subject field. A schema usually makes the field a required string already; a type
 * without one still gets a clear refusal instead of an unindexable record.
 */
export function subjectsOf(
  records: readonly ParsedRecord[],
  consortium: Consortium,
): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  records.forEach((r, index) => {
    const field = subjectFieldOf(consortium, r.type);
    if (field === undefined) return;
    const value = Object.hasOwn(r.data, field) ? r.data[field] : undefined;
    const length = typeof value === "string" ? new TextEncoder().encode(value).length : 0;
    if (length === 0 || length > MAX_SUBJECT_BYTES) {
      throw new ApiError(
        "SCHEMA_VIOLATION",
        `records[${index}].data.${field} is the subject of ${r.type}: a string of 1 to ${MAX_SUBJECT_BYTES} bytes`,
        [{ index, path: `/${field}`, message: "must be a non-empty string" }],
      );
    }
    out.push([index, value as string]);
  });
  return out;
}
