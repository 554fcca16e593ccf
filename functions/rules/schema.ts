import { type Consortium, schemaOf } from "../../lib/consortium/consortium.js";
import { type RecordProblem, recordDataProblems } from "../../lib/consortium/record-schemas.js";
import { ApiError } from "../../lib/protocol/errors.js";
import type { ParsedRecord, RecordRule } from "./rule.js";

/** The schema rule: each record's data against its type's JSON Schema in the consortium file. */
export const schemaRule: RecordRule = {
  name: "schema",
  checkRecords: refuseSchemaViolations,
};

/**
 * Each record's data against its type's schema (from the consortium file), all records
 * at once: one bad record refuses the whole batch, and the client sees every problem,
 * each as { index, path (JSON Pointer into that record's data), message }.
 */
export function refuseSchemaViolations(records: readonly ParsedRecord[], consortium: Consortium): void {
  const problems: RecordProblem[] = [];
  records.forEach((r, index) => {
    const schema = schemaOf(consortium, r.type);
    if (schema) problems.push(...recordDataProblems(index, schema, r.data));
  });
  const first = problems[0];
  if (!first) return;
  const more = problems.length > 1 ? ` (1 of ${problems.length} problems)` : "";
  throw new ApiError(
    "SCHEMA_VIOLATION",
    `records[${first.index}] is not a valid ${records[first.index]?.type}: ` +
      `${first.path || "data"} ${first.message}${more}`,
    problems,
  );
}
