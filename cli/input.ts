import { canonicalJson, type JsonValue } from "#chain";
import { MAX_BODY_BYTES, MAX_RECORD_BYTES, MAX_RECORDS } from "../functions/shared/submit.js";
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
 * anything is sent, so a bad line never leaves half a file submitted.
 */

export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    message: string,
    /** 1-based line number, for ndjson. */
    readonly line?: number,
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
    let value: unknown;
    let parseError: Error | undefined;
    try {
      value = JSON.parse(text);
    } catch (e) {
      parseError = e as Error;
    }
    if (parseError === undefined) {
      return { format: "json", records: [{ line: 1, data: checkData(value, undefined) }] };
    }
    const first = nonBlankLines(text)[0];
    if (!first || !isObject(tryParse(first.text))) {
      throw new InputError(
        `not JSON (${parseError.message}); give one JSON object, or one object per line (ndjson)`,
      );
    }
  }
  const lines = nonBlankLines(text);
  if (lines.length === 0) throw new InputError("no records: the input is empty");
  const records = lines.map(({ line, text: lineText }) => {
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch (e) {
      throw new InputError(`not JSON (${(e as Error).message})`, line);
    }
    return { line, data: checkData(value, line) };
  });
  return { format: "ndjson", records };
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
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
