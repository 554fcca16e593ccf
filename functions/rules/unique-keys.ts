import { type CryptoSuite, canonicalJson, type JsonValue, uniqueHmac } from "#chain";

/**
 * Uniqueness keys (consortium file: recordTypes[].unique). A record of a type with a
 * uniqueness key claims the tuple of its values of those fields; a tuple can be claimed
 * by one committed record only, ever (S8: one invoice, one reimbursement claim).
 *
 * The claim's key is a keyed HMAC of the tuple, never the values themselves — a plain
 * hash would only hide high-entropy values (an 8-digit invoice number is found by
 * hashing all 10^8 candidates):
 *
 *   key = hex HMAC-SHA-256(K, "zhixin/unique/v2\n" || JCS({"type": T, "values": [v1, ...]}))
 *
 * with K the deployment's subject key (lib/chain subject.ts uniqueHmac; JCS: RFC 8785;
 * values in the order the consortium file names the fields). v1 was a plain SHA-256.
 */

/** Requires `values` to be JSON (the record's data already passed canonicalJson). */
export function uniqueKeyFor(
  suite: CryptoSuite,
  subjectKey: Uint8Array,
  type: string,
  values: readonly JsonValue[],
): string {
  return uniqueHmac(suite, subjectKey, canonicalJson({ type, values: [...values] } as JsonValue));
}

/** The record's values of the unique fields, or the first field it lacks. */
export function uniqueValuesOf(
  fields: readonly string[],
  data: Record<string, unknown>,
): { values: JsonValue[] } | { missing: string } {
  const values: JsonValue[] = [];
  for (const field of fields) {
    if (!Object.hasOwn(data, field) || data[field] === undefined) return { missing: field };
    values.push(data[field] as JsonValue);
  }
  return { values };
}
