import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

/**
 * Record-type schemas: the consortium file may give each record type a JSON Schema
 * (draft 2020-12) for its records' `data`. Schemas are checked when the file is loaded
 * and compiled once per process; submit validates every record of a batch against its
 * type's schema before anything is written.
 *
 * The validator only reads: no defaults, no type coercion, no removal of additional
 * properties — `data` is hashed as the department signed it. Whether a type accepts
 * fields its schema does not name (`additionalProperties`) is the schema author's call.
 */

/** A JSON Schema object, as it appears in the consortium file. */
export type RecordSchema = { [keyword: string]: unknown };

/** A problem with a schema itself; `path` continues the consortium file path into the schema. */
export interface SchemaProblem {
  path: Array<string | number>;
  message: string;
}

/** A record that does not match its type's schema: `path` is a JSON Pointer (RFC 6901) into its `data`. */
export interface RecordProblem {
  index: number;
  path: string;
  message: string;
}

export const SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";

// CommonJS module whose default export TypeScript (NodeNext) sees as the namespace.
const addFormats = addFormatsModule.default;

// One validator instance per process. `strict`: unknown keywords, unknown formats,
// keywords that cannot apply to the declared type and `required` names without a
// definition are errors, not silently ignored; nullable fields (`["string", "null"]`)
// stay expressible. `addUsedSchema: false`: schemas are not registered by `$id`, so two
// record types may reuse one. No `loadSchema`: a `$ref` outside the schema cannot be
// fetched and fails to compile. `ownProperties`: a record's members only — without it
// `required: ["constructor"]` holds for {} and `properties: {toString: …}` tests the
// function every object inherits.
const ajv = new Ajv2020({
  strict: true,
  allowUnionTypes: true,
  allErrors: true,
  addUsedSchema: false,
  ownProperties: true,
});
addFormats(ajv);

// Keyed by the schema object the parsed consortium holds, so each type's schema is
// compiled once, when the file is loaded, and reused by every submit.
const compiled = new WeakMap<RecordSchema, ValidateFunction>();

/** Everything wrong with a record-type schema; [] when it compiles. Compiles and caches it. */
export function recordSchemaProblems(schema: unknown): SchemaProblem[] {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    return [{ path: [], message: "must be a JSON Schema object" }];
  }
  const s = schema as RecordSchema;
  if (compiled.has(s)) return [];
  if (s.$schema !== undefined && s.$schema !== SCHEMA_DIALECT) {
    return [
      { path: ["$schema"], message: `only JSON Schema draft 2020-12 is supported (${SCHEMA_DIALECT})` },
    ];
  }
  if (s.type !== "object") {
    return [{ path: ["type"], message: 'must be "object": a record\'s data is a JSON object' }];
  }
  if (!ajv.validateSchema(s)) {
    // The meta-schema's first error at a place says it best ("must be equal to one of
    // the allowed values: …"); the rest there are its anyOf branches failing too.
    const first = new Map<string, ErrorObject>();
    for (const e of ajv.errors ?? []) if (!first.has(e.instancePath)) first.set(e.instancePath, e);
    return [...first.values()].map((e) => ({
      path: pointerSegments(e.instancePath),
      message: `${e.message ?? "is invalid"}${describeParams(e)}`,
    }));
  }
  try {
    compiled.set(s, ajv.compile(s));
  } catch (e) {
    // Strict mode throws where it would otherwise warn ("... ignored in schema at path").
    return [{ path: [], message: (e as Error).message.replace(" ignored in schema at path ", " at ") }];
  }
  return [];
}

/**
 * The problems of record `index`'s data against `schema` (which must have passed
 * recordSchemaProblems, as every schema of a parsed consortium has); [] when it matches.
 */
export function recordDataProblems(index: number, schema: RecordSchema, data: unknown): RecordProblem[] {
  let validate = compiled.get(schema);
  if (!validate) {
    const problems = recordSchemaProblems(schema);
    validate = compiled.get(schema);
    if (!validate) throw new Error(`record schema does not compile: ${problems[0]?.message}`);
  }
  if (validate(data)) return [];
  const seen = new Set<string>();
  const problems: RecordProblem[] = [];
  for (const e of validate.errors ?? []) {
    const problem = { index, ...describeDataError(e) };
    const key = `${problem.path}\n${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

/** A missing or forbidden property is reported at its own path, not its parent's. */
function describeDataError(e: ErrorObject): { path: string; message: string } {
  const params = e.params as Record<string, unknown>;
  const property =
    e.keyword === "required" || e.keyword === "dependentRequired"
      ? params.missingProperty
      : e.keyword === "additionalProperties" || e.keyword === "unevaluatedProperties"
        ? (params.additionalProperty ?? params.unevaluatedProperty)
        : undefined;
  const path = typeof property === "string" ? `${e.instancePath}/${escapePointer(property)}` : e.instancePath;
  return { path, message: `${e.message ?? "is invalid"}${describeParams(e)}` };
}

function describeParams(e: ErrorObject): string {
  const allowed = (e.params as { allowedValues?: unknown }).allowedValues;
  return e.keyword === "enum" && Array.isArray(allowed)
    ? `: ${allowed.map((v) => JSON.stringify(v)).join(", ")}`
    : "";
}

// RFC 6901 §4: "~1" is "/", "~0" is "~".
function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

function pointerSegments(pointer: string): Array<string | number> {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}
