import type { JsonValue } from "./canonical.js";
import { ChainError, type ChainErrorCode } from "./errors.js";

/**
 * JSON text (RFC 8259) → value, for text whose every member must reach RFC 8785 canonical
 * JSON exactly as written. JSON.parse keeps the last of two members with one name and
 * rounds numbers without a word; parseJson requires I-JSON (RFC 7493), the domain of JCS
 * (RFC 8785 §3.1), and refuses what would not survive canonicalisation:
 *
 *   {"a":1,"a":2}            DUPLICATE_KEY     member names unique in each object (RFC 7493 §2.3)
 *   "\ud800"                 LONE_SURROGATE    no lone surrogate, escaped or raw (RFC 7493 §2.1)
 *   9007199254740993, 1e400  NUMBER_NOT_EXACT  a number must have exactly the value its
 *                                              canonical form writes (RFC 7493 §2.2, RFC 8785
 *                                              §3.2.2.3): 1.50, 1e2 and -0 are 1.5, 100 and 0;
 *                                              0.10000000000000001 is not 0.1
 *   [[[ … 129 deep           INVALID_ENCODING  more than maxDepth nested containers
 *   anything else            INVALID_JSON      not JSON text: no BOM, comments, NaN, trailing commas
 *
 * Each object is a plain object whose members are own data properties, as JSON.parse
 * makes them: "__proto__", "constructor" or "0" are names like any other, and no
 * prototype is touched. Member order is as written, except that JavaScript lists
 * integer-like names ("0", "10") first; JCS sorts all names anyway (RFC 8785 §3.2.3).
 *
 * Every refusal is a JsonTextError that says where: a JSON Pointer (RFC 6901) — of the
 * refused value, of the second of two members, or of the object whose name holds a lone
 * surrogate — and the offset in the text, in UTF-16 code units, of the token that
 * starts it.
 */

export class JsonTextError extends ChainError {
  constructor(
    code: ChainErrorCode,
    message: string,
    /** JSON Pointer (RFC 6901) of the refused value; "" is the whole text. */
    readonly pointer: string,
    /** UTF-16 code-unit offset in the text where the refused token starts. */
    readonly offset: number,
  ) {
    super(code, `${message} at ${pointer === "" ? "the top level" : pointer} (offset ${offset})`);
  }
}

/** Nesting bound: deep enough for any record (canonicalJson allows 64), shallow enough for the stack. */
export const MAX_JSON_DEPTH = 128;

export function parseJson(text: string, options: { maxDepth?: number } = {}): JsonValue {
  const parser = new Parser(text, options.maxDepth ?? MAX_JSON_DEPTH);
  parser.skipWhitespace();
  const value = parser.value("", 0);
  parser.skipWhitespace();
  if (parser.pos < text.length) parser.fail("INVALID_JSON", "unexpected text after the JSON value", "");
  return value;
}

// RFC 8259 §2: ws = *( %x20 / %x09 / %x0A / %x0D )
const WHITESPACE = /[ \t\n\r]*/y;
// §6: number = [ minus ] int [ frac ] [ exp ]
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// §7: unescaped = %x20-21 / %x23-5B / %x5D-10FFFF — a run up to a quote, backslash or control character.
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000–U+001F are exactly what §7 says must be escaped.
const UNESCAPED = /[^"\\\u0000-\u001f]*/y;
const HEX4 = /[0-9a-fA-F]{4}/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};
const LITERALS = [
  ["true", true],
  ["false", false],
  ["null", null],
] as const;

class Parser {
  pos = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  fail(code: ChainErrorCode, message: string, pointer: string, offset = this.pos): never {
    throw new JsonTextError(code, message, pointer, offset);
  }

  skipWhitespace(): void {
    this.pos = this.match(WHITESPACE)?.end ?? this.pos;
  }

  /** A value starting at pos (whitespace skipped); `depth` containers enclose it. */
  value(pointer: string, depth: number): JsonValue {
    const c = this.text[this.pos];
    if (c === "{" || c === "[") {
      if (depth >= this.maxDepth)
        this.fail("INVALID_ENCODING", `nested deeper than ${this.maxDepth} objects and arrays`, pointer);
      return c === "{" ? this.object(pointer, depth + 1) : this.array(pointer, depth + 1);
    }
    if (c === '"') return this.string(pointer);
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number(pointer);
    for (const [word, literal] of LITERALS) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return literal;
      }
    }
    return this.fail(
      "INVALID_JSON",
      c === undefined ? "the text ends where a value is due" : "not a JSON value",
      pointer,
    );
  }

  private object(pointer: string, depth: number): JsonValue {
    const out: { [key: string]: JsonValue } = {};
    this.pos++; // {
    this.skipWhitespace();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail("INVALID_JSON", "a member name (a string) is due", pointer);
      const start = this.pos;
      const name = this.string(pointer);
      const member = `${pointer}/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`;
      if (Object.hasOwn(out, name))
        this.fail("DUPLICATE_KEY", "member name used twice in one object", member, start);
      this.skipWhitespace();
      if (this.text[this.pos] !== ":") this.fail("INVALID_JSON", "':' is due after a member name", pointer);
      this.pos++;
      this.skipWhitespace();
      // defineProperty, not assignment: `out["__proto__"] = v` would set the prototype.
      Object.defineProperty(out, name, {
        value: this.value(member, depth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === "}") return out;
      if (next !== ",") this.fail("INVALID_JSON", "',' or '}' is due", pointer, this.pos - 1);
      this.skipWhitespace();
    }
  }

  private array(pointer: string, depth: number): JsonValue {
    const out: JsonValue[] = [];
    this.pos++; // [
    this.skipWhitespace();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(`${pointer}/${out.length}`, depth));
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === "]") return out;
      if (next !== ",") this.fail("INVALID_JSON", "',' or ']' is due", pointer, this.pos - 1);
      this.skipWhitespace();
    }
  }

  /** A string starting at pos (its opening quote). */
  private string(pointer: string): string {
    const start = this.pos;
    this.pos++; // "
    let out = "";
    for (;;) {
      const run = this.match(UNESCAPED);
      if (run) {
        out += this.text.slice(this.pos, run.end);
        this.pos = run.end;
      }
      const c = this.text[this.pos];
      if (c === '"') break;
      if (c === undefined) this.fail("INVALID_JSON", "unterminated string", pointer);
      if (c !== "\\") this.fail("INVALID_JSON", "a control character must be escaped in a string", pointer);
      out += this.escape(pointer);
    }
    this.pos++; // "
    if (!out.isWellFormed())
      this.fail("LONE_SURROGATE", "string holds a lone UTF-16 surrogate", pointer, start);
    return out;
  }

  /** One escape sequence at pos (its backslash). */
  private escape(pointer: string): string {
    const at = this.pos;
    const c = this.text[at + 1] ?? "";
    if (c === "u") {
      this.pos = at + 2;
      const hex = this.match(HEX4);
      if (!hex) this.fail("INVALID_JSON", "\\u must be followed by 4 hex digits", pointer, at);
      this.pos = hex.end;
      return String.fromCharCode(Number.parseInt(this.text.slice(at + 2, hex.end), 16));
    }
    const escaped = Object.hasOwn(ESCAPES, c) ? ESCAPES[c] : undefined;
    if (escaped === undefined) this.fail("INVALID_JSON", "not a JSON escape sequence", pointer, at);
    this.pos = at + 2;
    return escaped;
  }

  private number(pointer: string): number {
    const start = this.pos;
    const m = this.match(NUMBER);
    // The grammar must match to a delimiter: "1." or "-" are not numbers (a following "1" in "01" is left to the caller).
    const next = m ? this.text[m.end] : undefined;
    if (!m || next === "." || next === "e" || next === "E")
      this.fail("INVALID_JSON", "not a JSON number", pointer, start);
    const literal = this.text.slice(start, m.end);
    this.pos = m.end;
    const value = Number(literal);
    // JSON.stringify writes a number as RFC 8785 §3.2.2.3 does (ECMAScript Number::toString).
    const canonical = Number.isFinite(value) ? JSON.stringify(value) : undefined;
    if (canonical === undefined || decimalOf(literal) !== decimalOf(canonical)) {
      this.fail(
        "NUMBER_NOT_EXACT",
        `${literal} is not exactly an IEEE 754 double (it would be stored as ${canonical ?? "nothing: out of range"})`,
        pointer,
        start,
      );
    }
    return value;
  }

  private match(re: RegExp): { end: number } | undefined {
    re.lastIndex = this.pos;
    return re.exec(this.text) ? { end: re.lastIndex } : undefined;
  }
}

/**
 * The exact decimal value of a JSON number literal, as "[-]digits e exponent" with no
 * leading or trailing zeros ("0" for any zero): two literals denote the same number
 * exactly when these agree. "1.50" and "15e-1" are both "15e-1".
 */
function decimalOf(literal: string): string {
  const [, sign = "", int = "", frac = "", exp = "0"] =
    /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(literal) ?? [];
  const digits = `${int}${frac}`.replace(/^0+/, "");
  if (digits === "") return "0";
  const significant = digits.replace(/0+$/, "");
  const exponent = BigInt(exp) - BigInt(frac.length) + BigInt(digits.length - significant.length);
  return `${sign}${significant}e${exponent}`;
}
