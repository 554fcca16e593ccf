import type { Operator } from "../../lib/protocol/sharing.js";
/**
 * The predicates of a match question (docs/design/sharing.md §4): the operators, how one
 * predicate holds for a provider's record, and which predicates a record type's schema
 * rules out before any record is read.
 */

/**
 * One predicate against a record, compared as JSON values of the same type: numbers as
 * numbers, strings by UTF-16 code unit (ISO dates and times order correctly), booleans by =
 * and != only. A missing field, a field of another type (12 against "12"), or an object
 * or array field satisfies nothing — not even != — so a mistyped question answers no
 * rather than something it did not ask. (Where the record type has a schema, such a
 * predicate is refused before it gets here: predicateTypeProblems.)
 */
export function holdsFor(
  data: Record<string, unknown>,
  p: { field: string; op: Operator; value: unknown },
): boolean {
  if (!Object.hasOwn(data, p.field)) return false;
  const actual = data[p.field];
  const type = typeof actual;
  if (type !== typeof p.value || !(type === "number" || type === "string" || type === "boolean"))
    return false;
  if (p.op === "=") return actual === p.value;
  if (p.op === "!=") return actual !== p.value;
  if (type === "boolean") return false;
  const a = actual as number | string;
  const b = p.value as number | string;
  if (p.op === ">=") return a >= b;
  if (p.op === "<=") return a <= b;
  if (p.op === ">") return a > b;
  return a < b;
}

/**
 * Predicates whose value cannot be of its field's type, by the record type's JSON Schema
 * (`properties.<field>.type`; "integer" accepts any JSON number here). A mistyped
 * question is the consumer's mistake, refused as SCHEMA_VIOLATION, not answered no.
 */
export function predicateTypeProblems(
  schema: unknown,
  where: ReadonlyArray<{ field: string; value: unknown }>,
): Array<{ path: string; message: string }> {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties;
  const problems: Array<{ path: string; message: string }> = [];
  where.forEach((p, i) => {
    const declared = properties?.[p.field]?.type;
    if (declared === undefined) return;
    const types = (Array.isArray(declared) ? declared : [declared]).map((t) =>
      t === "integer" ? "number" : t,
    );
    const actual = typeof p.value;
    if (!types.includes(actual)) {
      problems.push({
        path: `where.${i}.value`,
        message: `${p.field} is ${types.join(" or ")}, not ${actual}`,
      });
    }
  });
  return problems;
}
