import { createHash } from "node:crypto";
import { canonicalJson, type JsonValue } from "#chain";

/**
 * Uniqueness keys (consortium file: recordTypes[].unique). A record of a type with a
 * uniqueness key claims the tuple of its values of those fields; a tuple can be claimed
 * by one committed record only, ever (S8: one invoice, one reimbursement claim).
 *
 * The claim's key is a hash of the tuple, never the values themselves, so the index does
 * not list raw invoice numbers:
 *
 *   key = hex SHA-256("zhixin/unique/v1\n" || JCS({"type": T, "values": [v1, ...]}))
 *
 * (JCS: RFC 8785 canonical JSON; values in the order the consortium file names the
 * fields.) A plain hash only hides high-entropy values: an 8-digit invoice number is
 * found by hashing all 10^8 candidates. Against that a keyed HMAC is needed — the
 * subject HMAC key of issue #5's match queries will replace this hash (a new version
 * prefix, "zhixin/unique/v2").
 */

export const UNIQUE_KEY_DOMAIN = "zhixin/unique/v1\n";

/** Requires `values` to be JSON (the record's data already passed canonicalJson). */
export function uniqueKeyFor(type: string, values: readonly JsonValue[]): string {
  const preimage = UNIQUE_KEY_DOMAIN + canonicalJson({ type, values: [...values] } as JsonValue);
  return createHash("sha256").update(preimage, "utf8").digest("hex");
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
