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
  const value = parser.value(0);
  parser.skipWhitespace();
  if (parser.pos < text.length) parser.fail("INVALID_JSON", "unexpected text after the JSON value");
  return value;
}

// RFC 8259 §6: number = [ minus ] int [ frac ] [ exp ]
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
  /** Member names and array indexes from the top to the value being read. */
  private readonly path: Array<string | number> = [];

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  fail(code: ChainErrorCode, message: string, offset = this.pos): never {
    const pointer = this.path
      .map((s) => `/${String(s).replaceAll("~", "~0").replaceAll("/", "~1")}`)
      .join("");
    throw new JsonTextError(code, message, pointer, offset);
  }

  // RFC 8259 §2: ws = *( %x20 / %x09 / %x0A / %x0D )
  skipWhitespace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos++;
    }
  }

  /** A value starting at pos (whitespace skipped); `depth` containers enclose it. */
  value(depth: number): JsonValue {
    const c = this.text[this.pos];
    if (c === "{" || c === "[") {
      if (depth >= this.maxDepth)
        this.fail("INVALID_ENCODING", `nested deeper than ${this.maxDepth} objects and arrays`);
      return c === "{" ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c === '"') return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    for (const [word, literal] of LITERALS) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return literal;
      }
    }
    return this.fail(
      "INVALID_JSON",
      c === undefined ? "the text ends where a value is due" : "not a JSON value",
    );
  }

  private object(depth: number): JsonValue {
    const out: { [key: string]: JsonValue } = {};
    this.pos++; // {
    this.skipWhitespace();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail("INVALID_JSON", "a member name (a string) is due");
      const start = this.pos;
      const name = this.string();
      this.path.push(name);
      if (Object.hasOwn(out, name)) this.fail("DUPLICATE_KEY", "member name used twice in one object", start);
      this.skipWhitespace();
      if (this.text[this.pos] !== ":") this.fail("INVALID_JSON", "':' is due after a member name");
      this.pos++;
      this.skipWhitespace();
      const value = this.value(depth);
      // Assigning "__proto__" would set the prototype: define it, as JSON.parse does.
      if (name === "__proto__")
        Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
      else out[name] = value;
      this.path.pop();
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === "}") return out;
      if (next !== ",") this.fail("INVALID_JSON", "',' or '}' is due", this.pos - 1);
      this.skipWhitespace();
    }
  }

  private array(depth: number): JsonValue {
    const out: JsonValue[] = [];
    this.pos++; // [
    this.skipWhitespace();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.path.push(out.length);
      out.push(this.value(depth));
      this.path.pop();
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === "]") return out;
      if (next !== ",") this.fail("INVALID_JSON", "',' or ']' is due", this.pos - 1);
      this.skipWhitespace();
    }
  }

  /** A string starting at pos (its opening quote). */
  private string(): string {
    const start = this.pos;
    this.pos++; // "
    let out = "";
    for (;;) {
      const end = this.match(UNESCAPED);
      out += this.text.slice(this.pos, end);
      this.pos = end;
      const c = this.text[this.pos];
      if (c === '"') break;
      if (c === undefined) this.fail("INVALID_JSON", "unterminated string");
      if (c !== "\\") this.fail("INVALID_JSON", "a control character must be escaped in a string");
      out += this.escape();
    }
    this.pos++; // "
    if (!out.isWellFormed()) this.fail("LONE_SURROGATE", "string holds a lone UTF-16 surrogate", start);
    return out;
  }

  /** One escape sequence at pos (its backslash). */
  private escape(): string {
    const at = this.pos;
    const c = this.text[at + 1] ?? "";
    if (c === "u") {
      this.pos = at + 2;
      const end = this.match(HEX4);
      if (end < 0) this.fail("INVALID_JSON", "\\u must be followed by 4 hex digits", at);
      this.pos = end;
      return String.fromCharCode(Number.parseInt(this.text.slice(at + 2, end), 16));
    }
    const escaped = Object.hasOwn(ESCAPES, c) ? ESCAPES[c] : undefined;
    if (escaped === undefined) this.fail("INVALID_JSON", "not a JSON escape sequence", at);
    this.pos = at + 2;
    return escaped;
  }

  private number(): number {
    const start = this.pos;
    const end = this.match(NUMBER);
    // The grammar must match up to a delimiter: "1." and "1e" are not numbers ("01" is
    // 0 and then text the caller refuses).
    const next = this.text[end];
    if (end < 0 || next === "." || next === "e" || next === "E")
      this.fail("INVALID_JSON", "not a JSON number", start);
    const literal = this.text.slice(start, end);
    this.pos = end;
    const value = Number(literal);
    // RFC 8785 §3.2.2.3 writes a finite number as ECMAScript's Number::toString does
    // (String(-0) is "0" too); most literals are already written so.
    const canonical = Number.isFinite(value) ? String(value) : undefined;
    if (canonical !== literal && (canonical === undefined || decimalOf(literal) !== decimalOf(canonical))) {
      this.fail(
        "NUMBER_NOT_EXACT",
        `${literal} is not exactly an IEEE 754 double (it would be stored as ${canonical ?? "nothing: out of range"})`,
        start,
      );
    }
    return value;
  }

  /** Where a sticky `re` matching at pos ends; -1 when it does not match. */
  private match(re: RegExp): number {
    re.lastIndex = this.pos;
    return re.test(this.text) ? re.lastIndex : -1;
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
