import { fromBase64 } from "#chain";

/**
 * A strict subset of RFC 8941 Structured Field Values: what Signature-Input, Signature
 * (RFC 9421 §4), Content-Digest (RFC 9530 §2) and zhixin-batch-root need.
 *
 *   sf-dictionary = dict-member *( OWS "," OWS dict-member )
 *   dict-member   = member-key ( parameters / ( "=" member-value ) )
 *   member-value  = sf-item / inner-list
 *   inner-list    = "(" *SP [ sf-item *( 1*SP sf-item ) *SP ] ")" parameters
 *   sf-item       = bare-item parameters
 *   parameters    = *( ";" *SP param-key [ "=" bare-item ] )
 *   bare-item     = sf-integer / sf-string / sf-token / sf-binary / sf-boolean
 *   key           = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
 *
 *   sf-integer  -1234            at most 15 digits
 *   sf-string   "a \"b\" \\"     printable ASCII, only \" and \\ escaped
 *   sf-token    sha-256, *foo/x
 *   sf-binary   :cHJldGVuZA==:   base64 (RFC 4648 §4), padded and canonical here
 *   sf-boolean  ?1 / ?0
 *
 * Stricter than RFC 8941 where leniency would let two parties read one header two ways:
 * a repeated dictionary key or parameter key is an error (RFC 8941 keeps the last),
 * sf-binary must be canonical padded base64, and sf-decimal is not supported.
 */

export type BareItem =
  | { type: "integer"; value: number }
  | { type: "string"; value: string }
  | { type: "token"; value: string }
  | { type: "binary"; value: Uint8Array }
  | { type: "boolean"; value: boolean };

export type Parameters = Map<string, BareItem>;

export interface Item {
  value: BareItem;
  params: Parameters;
}

export type DictionaryMember =
  | { kind: "item"; value: BareItem; params: Parameters; raw: string }
  | { kind: "inner-list"; items: Item[]; params: Parameters; raw: string };

/** Each member keeps `raw`: its exact text after `key=`, parameters included. */
export type Dictionary = Map<string, DictionaryMember>;

export class StructuredFieldError extends Error {
  override readonly name = "StructuredFieldError";
}

export function parseDictionary(text: string): Dictionary {
  const p = new Parser(text);
  p.skipSpaces();
  const dict: Dictionary = new Map();
  while (!p.done()) {
    const key = p.key();
    if (dict.has(key)) throw p.fail(`dictionary key ${key} repeated`);
    const start = p.pos;
    let member: DictionaryMember;
    if (p.peek() === "=") {
      p.pos++;
      const valueStart = p.pos;
      if (p.peek() === "(") {
        const items = p.innerList();
        const params = p.parameters();
        member = { kind: "inner-list", items, params, raw: text.slice(valueStart, p.pos) };
      } else {
        const value = p.bareItem();
        const params = p.parameters();
        member = { kind: "item", value, params, raw: text.slice(valueStart, p.pos) };
      }
    } else {
      const params = p.parameters();
      member = {
        kind: "item",
        value: { type: "boolean", value: true },
        params,
        raw: text.slice(start, p.pos),
      };
    }
    dict.set(key, member);
    p.skipOws();
    if (p.done()) break;
    p.expect(",");
    p.skipOws();
    if (p.done()) throw p.fail("trailing comma");
  }
  return dict;
}

export function parseItem(text: string): Item {
  const p = new Parser(text);
  p.skipSpaces();
  const value = p.bareItem();
  const params = p.parameters();
  p.skipSpaces();
  if (!p.done()) throw p.fail("unexpected text after the item");
  return { value, params };
}

const LCALPHA = /[a-z]/;
const KEY_CHAR = /[a-z0-9_.*-]/;
const DIGIT = /[0-9]/;
const TOKEN_START = /[A-Za-z*]/;
const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z:/-]/;
const BASE64_CHAR = /[A-Za-z0-9+/=]/;

class Parser {
  pos = 0;

  constructor(readonly text: string) {}

  done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text.charAt(this.pos);
  }

  fail(why: string): StructuredFieldError {
    return new StructuredFieldError(`${why} at offset ${this.pos}`);
  }

  expect(c: string): void {
    if (this.peek() !== c) throw this.fail(`expected ${JSON.stringify(c)}`);
    this.pos++;
  }

  skipSpaces(): void {
    while (this.peek() === " ") this.pos++;
  }

  skipOws(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
  }

  key(): string {
    const start = this.pos;
    const first = this.peek();
    if (!(LCALPHA.test(first) || first === "*")) throw this.fail("expected a key");
    this.pos++;
    while (!this.done() && KEY_CHAR.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  innerList(): Item[] {
    this.expect("(");
    const items: Item[] = [];
    for (;;) {
      this.skipSpaces();
      if (this.peek() === ")") {
        this.pos++;
        return items;
      }
      const value = this.bareItem();
      items.push({ value, params: this.parameters() });
      if (this.peek() !== " " && this.peek() !== ")")
        throw this.fail("expected a space or ) in the inner list");
    }
  }

  parameters(): Parameters {
    const params: Parameters = new Map();
    while (this.peek() === ";") {
      this.pos++;
      this.skipSpaces();
      const key = this.key();
      if (params.has(key)) throw this.fail(`parameter ${key} repeated`);
      let value: BareItem = { type: "boolean", value: true };
      if (this.peek() === "=") {
        this.pos++;
        value = this.bareItem();
      }
      params.set(key, value);
    }
    return params;
  }

  bareItem(): BareItem {
    const c = this.peek();
    if (c === "-" || DIGIT.test(c)) return this.integer();
    if (c === '"') return this.string();
    if (c === ":") return this.binary();
    if (c === "?") return this.boolean();
    if (TOKEN_START.test(c)) return this.token();
    throw this.fail(c === "" ? "expected an item, found the end" : `unexpected ${JSON.stringify(c)}`);
  }

  integer(): BareItem {
    const start = this.pos;
    if (this.peek() === "-") this.pos++;
    const digitsStart = this.pos;
    while (!this.done() && DIGIT.test(this.peek())) this.pos++;
    const digits = this.pos - digitsStart;
    if (digits === 0) throw this.fail("expected a digit");
    if (this.peek() === ".") throw this.fail("decimals are not supported");
    if (digits > 15) throw this.fail("integer longer than 15 digits");
    return { type: "integer", value: Number(this.text.slice(start, this.pos)) };
  }

  string(): BareItem {
    this.expect('"');
    let out = "";
    for (;;) {
      if (this.done()) throw this.fail("unterminated string");
      const c = this.peek();
      this.pos++;
      if (c === '"') return { type: "string", value: out };
      if (c === "\\") {
        const next = this.peek();
        if (next !== '"' && next !== "\\") throw this.fail("bad escape in string");
        this.pos++;
        out += next;
      } else if (c < " " || c > "~") {
        throw this.fail("non-printable character in string");
      } else {
        out += c;
      }
    }
  }

  token(): BareItem {
    const start = this.pos;
    this.pos++;
    while (!this.done() && TOKEN_CHAR.test(this.peek())) this.pos++;
    return { type: "token", value: this.text.slice(start, this.pos) };
  }

  binary(): BareItem {
    this.expect(":");
    const start = this.pos;
    while (!this.done() && BASE64_CHAR.test(this.peek())) this.pos++;
    const encoded = this.text.slice(start, this.pos);
    this.expect(":");
    try {
      return { type: "binary", value: fromBase64(encoded) };
    } catch {
      throw this.fail("byte sequence is not canonical padded base64");
    }
  }

  boolean(): BareItem {
    this.expect("?");
    const c = this.peek();
    if (c !== "0" && c !== "1") throw this.fail("expected ?0 or ?1");
    this.pos++;
    return { type: "boolean", value: c === "1" };
  }
}
