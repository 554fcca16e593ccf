import canonicalizeModule from "canonicalize";
import { utf8 } from "./bytes.js";
import { ChainError } from "./errors.js";

/** A value that is exactly representable as I-JSON (RFC 7493), the domain of RFC 8785. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * RFC 8785 (JCS) canonical JSON text of `value`, via `canonicalize` (the reference
 * implementation by the RFC's author). The library quietly drops `undefined`, calls
 * `toJSON` and accepts class instances, any of which would make two parties hash
 * different bytes for what they think is the same value — so the value is first
 * checked to be plain JSON, and anything else is INVALID_ENCODING.
 */
export function canonicalJson(value: unknown): string {
  assertPlainJson(value, "$", 0);
  return canonicalize(value) as string;
}

export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}

// `canonicalize` is CommonJS (module.exports = serialize) while its typings declare an
// ES default export; under Node ESM, vitest and esbuild the default import *is* the function.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

const MAX_DEPTH = 64;

function assertPlainJson(value: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new ChainError("INVALID_ENCODING", `${path}: nested deeper than ${MAX_DEPTH}`);
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed())
        throw new ChainError("INVALID_ENCODING", `${path}: string has a lone surrogate`);
      return;
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new ChainError("INVALID_ENCODING", `${path}: ${value} is not JSON`);
      return;
    case "object": {
      if (value === null) return;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) assertPlainJson(value[i], `${path}[${i}]`, depth + 1);
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new ChainError("INVALID_ENCODING", `${path}: not a plain object`);
      }
      for (const [k, v] of Object.entries(value)) {
        if (!k.isWellFormed()) throw new ChainError("INVALID_ENCODING", `${path}: key has a lone surrogate`);
        assertPlainJson(v, `${path}.${k}`, depth + 1);
      }
      return;
    }
    default:
      throw new ChainError("INVALID_ENCODING", `${path}: ${typeof value} is not JSON`);
  }
}
