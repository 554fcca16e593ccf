import { canonicalJson, JsonTextError, type JsonValue, parseJson } from "#chain";
import { MAX_BODY_BYTES, MAX_RECORD_BYTES, MAX_RECORDS } from "../lib/protocol/limits.js";
import { type SubmitRecord, submitBody } from "./client.js";

/**
 * What `zhixin submit --file` reads, and how it is cut into signed batches. Either
 *   one record's data, a JSON object (any layout):
 *       { "citizen": "460100199001011234", "months": 36 }
 *   or ndjson, one record's data per line (blank lines ignored):
 *       {"citizen":"460100199001011234","months":36}
 *       {"citizen":"460100199202024321","months":12}
 * ndjson is chosen by a .ndjson file name, or when the text is not one JSON value but
 * its first non-blank line is an object on its own. Every line is checked before
 * anything is sent, so a bad line never leaves half a file submitted. JSON is read as
 * the API reads it (lib/chain parseJson, docs/FORMATS.md §1.1): a name used twice, a
 * lone surrogate or a number a double would round is refused with the API's code, and
 * every name kept — "__proto__" too — is signed and sent.
 */

export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    message: string,
    /** 1-based line number, for ndjson and for JSON the API would refuse. */
    readonly line?: number,
    /** The API's code for JSON it would refuse: INVALID_JSON, DUPLICATE_KEY, LONE_SURROGATE, NUMBER_NOT_EXACT. */
    readonly code?: string,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
  }
}

export interface InputRecord {
  /** 1-based line number in the input (1 for a single JSON object). */
  line: number;
  data: Record<string, unknown>;
}

export interface ParsedInput {
  format: "json" | "ndjson";
  records: InputRecord[];
}

export function parseRecordInput(input: string, options: { ndjson?: boolean } = {}): ParsedInput {
  const text = input.replace(/^\uFEFF/, "");
  if (!options.ndjson) {
    let value: JsonValue | undefined;
    let syntax: JsonTextError | undefined;
    try {
      value = parseJson(text);
    } catch (e) {
      // Only a syntax error may mean ndjson; anything else is refused where it is.
      if (!(e instanceof JsonTextError) || e.code !== "INVALID_JSON") throw refusal(e, lineAt(text, e));
      syntax = e;
    }
    if (syntax === undefined) {
      return { format: "json", records: [{ line: 1, data: checkData(value, undefined) }] };
    }
    const first = nonBlankLines(text)[0];
    if (!first || !isObject(tryParse(first.text))) {
      throw new InputError(
        `not JSON (${syntax.message}); give one JSON object, or one object per line (ndjson)`,
        undefined,
        "INVALID_JSON",
      );
    }
  }
  const lines = nonBlankLines(text);
  if (lines.length === 0) throw new InputError("no records: the input is empty");
  const records = lines.map(({ line, text: lineText }) => {
    let value: JsonValue;
    try {
      value = parseJson(lineText);
    } catch (e) {
      throw refusal(e, line);
    }
    return { line, data: checkData(value, line) };
  });
  return { format: "ndjson", records };
}

/**
 * One ndjson line's record data (`zhixin ship` reads its input line by line): a JSON
 * object, read as the API reads it, whose canonical form fits MAX_RECORD_BYTES.
 * Throws InputError naming `line` (when given).
 */
export function parseRecordLine(text: string, line?: number): Record<string, unknown> {
  let value: JsonValue;
  try {
    value = parseJson(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    throw refusal(e, line);
  }
  return checkData(value, line);
}

/** A parseJson refusal as an InputError with the API's code; anything else is rethrown. */
function refusal(e: unknown, line: number | undefined): InputError {
  if (!(e instanceof JsonTextError)) throw e;
  const what = e.code === "INVALID_JSON" ? "not JSON" : `refused as the API would (${e.code})`;
  return new InputError(`${what}: ${e.message}`, line, e.code);
}

/** The 1-based line of a JsonTextError's offset in `text`. */
function lineAt(text: string, e: unknown): number | undefined {
  if (!(e instanceof JsonTextError)) return undefined;
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < e.offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** Record data must be a JSON object whose canonical form fits MAX_RECORD_BYTES (as submit checks). */
function checkData(value: unknown, line: number | undefined): Record<string, unknown> {
  if (!isObject(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new InputError(`record data must be a JSON object, not ${kind}`, line);
  }
  let canonical: string;
  try {
    canonical = canonicalJson(value as JsonValue);
  } catch (e) {
    throw new InputError(`record data cannot be canonicalised: ${(e as Error).message}`, line);
  }
  const size = Buffer.byteLength(canonical, "utf8");
  if (size > MAX_RECORD_BYTES) {
    throw new InputError(
      `record data is ${size} bytes as canonical JSON; the limit is ${MAX_RECORD_BYTES}`,
      line,
    );
  }
  return value;
}

export interface Batch {
  records: SubmitRecord[];
  /** Input line of each record. */
  lines: number[];
}

/** Room left under the API's 1 MiB body limit for headers of proxies and rounding. */
export const TARGET_BODY_BYTES = 900_000;

/**
 * Cuts records into consecutive batches of at most MAX_RECORDS records whose
 * submitBody stays within maxBodyBytes (a record alone always fits: it is at most
 * MAX_RECORD_BYTES of data). Order is kept, so receipts can be joined in input order.
 */
export function planBatches(
  type: string,
  records: readonly InputRecord[],
  limits: { maxRecords?: number; maxBodyBytes?: number } = {},
): Batch[] {
  const maxRecords = limits.maxRecords ?? MAX_RECORDS;
  const maxBody = Math.min(limits.maxBodyBytes ?? TARGET_BODY_BYTES, MAX_BODY_BYTES);
  // {"records":[ ... ]} around the records, and one comma between each two.
  const envelope = submitBody([]).length;
  const batches: Batch[] = [];
  let current: Batch = { records: [], lines: [] };
  let size = envelope;
  for (const r of records) {
    const record = { type, data: r.data };
    const bytes = Buffer.byteLength(JSON.stringify(record), "utf8");
    const added = bytes + (current.records.length > 0 ? 1 : 0);
    if (current.records.length > 0 && (current.records.length >= maxRecords || size + added > maxBody)) {
      batches.push(current);
      current = { records: [], lines: [] };
      size = envelope;
    }
    size += bytes + (current.records.length > 0 ? 1 : 0);
    current.records.push(record);
    current.lines.push(r.line);
  }
  if (current.records.length > 0) batches.push(current);
  return batches;
}

function nonBlankLines(text: string): Array<{ line: number; text: string }> {
  return text
    .split("\n")
    .map((t, i) => ({ line: i + 1, text: t.trim() }))
    .filter((l) => l.text !== "");
}

function tryParse(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
