import type { Operator } from "../lib/protocol/sharing.js";
import { UsageError } from "./usage.js";

/**
 * `zhixin match --where`: one predicate per option, written `<field><op><value>`:
 *   months>=12            {"field":"months","op":">=","value":12}
 *   status=active         {"field":"status","op":"=","value":"active"}
 *   'status != closed'    {"field":"status","op":"!=","value":"closed"}
 *   postcode="570100"     {"field":"postcode","op":"=","value":"570100"}
 * The field runs up to the first operator character, and the operator is read longest
 * first (>= <= != before > < =), so the value may itself contain operator characters,
 * but not start with one: `action==add`, `months=>12` and `a<>b` are mistyped operators,
 * refused rather than read as the value "=add" (write such a value as a JSON string:
 * action="=add"). Spaces around field and value are dropped. The value is a number when
 * it is a JSON number, true/false as booleans, a JSON string when quoted (to keep "12" or
 * " x " as text), and otherwise the text as written. The API refuses a value not of its
 * field's type (SCHEMA_VIOLATION), so digits meant as text must be quoted.
 */

export interface Predicate {
  field: string;
  op: Operator;
  value: string | number | boolean;
}

const PREDICATE = /^([^=!<>]*)(>=|<=|!=|>|<|=)(.*)$/s;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

export function parseWhere(text: string): Predicate {
  const m = PREDICATE.exec(text);
  const field = m?.[1]?.trim() ?? "";
  if (!m || field === "") {
    throw new UsageError(
      `--where ${JSON.stringify(text)}: expected <field><op><value> with op one of = != >= <= > <, e.g. months>=12`,
      "match",
    );
  }
  const op = m[2] as Operator;
  const raw = (m[3] ?? "").trim();
  if (/^[=!<>]/.test(raw)) {
    throw new UsageError(
      `--where ${JSON.stringify(text)}: ${op}${raw[0]} is not an operator (one of = != >= <= > <); ` +
        `a value that starts with ${raw[0]} is written as a JSON string: ${field}${op}${JSON.stringify(raw)}`,
      "match",
    );
  }
  return { field, op, value: parseValue(raw, text) };
}

function parseValue(raw: string, text: string): string | number | boolean {
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (JSON_NUMBER.test(raw)) {
    const n = Number(raw);
    // 1e400 reads as Infinity, which JSON cannot carry.
    if (!Number.isFinite(n))
      throw new UsageError(`--where ${JSON.stringify(text)}: ${raw} is out of range`, "match");
    return n;
  }
  if (raw.startsWith('"')) {
    try {
      const s: unknown = JSON.parse(raw);
      if (typeof s === "string") return s;
    } catch {
      // Not a whole JSON string: fall through to an error rather than guess.
    }
    throw new UsageError(
      `--where ${JSON.stringify(text)}: ${raw} starts with " but is not a JSON string`,
      "match",
    );
  }
  return raw;
}
