import { MAX_SUBJECT_BYTES } from "#chain";
import { type Consortium, subjectFieldOf } from "../../lib/consortium/consortium.js";
import { ApiError } from "../../lib/protocol/errors.js";

/**
 * Each record's subject (by record index), for types whose consortium entry names a
 * subject field. A schema usually makes the field a required string already; a type
 * without one still gets a clear refusal instead of an unindexable record.
 */
export function subjectsOf(
  records: ReadonlyArray<{ type: string; data: Record<string, unknown> }>,
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
