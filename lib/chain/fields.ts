import { ChainError } from "./errors.js";

/**
 * Field checks shared by the envelope and header parsers. Stored and exported
 * documents are attacker-controlled from a verifier's point of view, so each field is
 * checked for presence and form, and a failure names the field (INVALID_FORMAT).
 */

export type Fields = Record<string, unknown>;

export function asObject(value: unknown, what: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ChainError("INVALID_FORMAT", `${what} must be a JSON object`);
  }
  return value as Fields;
}

export function requireString(o: Fields, key: string, what: string, pattern?: RegExp): string {
  const v = o[key];
  if (typeof v !== "string" || v.length === 0)
    throw new ChainError("INVALID_FORMAT", `${what}.${key} must be a non-empty string`);
  if (pattern && !pattern.test(v))
    throw new ChainError("INVALID_FORMAT", `${what}.${key} has the wrong form`);
  return v;
}

export function requireInteger(o: Fields, key: string, what: string, min = 0): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    throw new ChainError("INVALID_FORMAT", `${what}.${key} must be a safe integer >= ${min}`);
  }
  return v;
}

export function requireExactKeys(o: Fields, keys: readonly string[], what: string): void {
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length > 0)
    throw new ChainError("INVALID_FORMAT", `${what} has unknown fields: ${extra.join(", ")}`);
}

export const HEX32 = /^[0-9a-f]{64}$/;
/** RFC 3339 UTC timestamp with millisecond precision, as produced by Date.prototype.toISOString. */
export const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Identifiers: departments, key ids, record types. Printable, no spaces, bounded. */
export const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/**
 * Unix time in seconds (with milliseconds as a fraction) of an RFC 3339 UTC timestamp
 * of the TIMESTAMP form, by the proleptic Gregorian calendar — computed here because
 * lib/chain reads no clock and uses no Date. Precondition: TIMESTAMP.test(ts).
 */
export function timestampSeconds(ts: string): number {
  const [y, mo, d, h, mi, s, ms] = (ts.match(/\d+/g) ?? []).map(Number) as number[];
  // Days from civil (H. Hinnant): years start in March so the leap day ends a year.
  const year = (y as number) - ((mo as number) <= 2 ? 1 : 0);
  const era = Math.floor(year / 400);
  const yoe = year - era * 400;
  const mp = ((mo as number) + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + (d as number) - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  return days * 86400 + (h as number) * 3600 + (mi as number) * 60 + (s as number) + (ms as number) / 1000;
}
