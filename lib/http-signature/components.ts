import { BATCH_ROOT_HEADER, DEPARTMENT_HEADER, NONCE } from "#chain";
import { CONTENT_DIGEST_HEADER } from "./content-digest.js";

/** Header names as they appear in signatures: lowercase (RFC 9421 §2.1). */
export const SIGNATURE_HEADER = "signature";
export const SIGNATURE_INPUT_HEADER = "signature-input";
// NONCE, the nonce form (16..128 characters of the base64url alphabet, no padding), is
// defined once in lib/chain because the audit holds stored signature bases to it too.
export { BATCH_ROOT_HEADER, CONTENT_DIGEST_HEADER, DEPARTMENT_HEADER, NONCE };

export const DEFAULT_LABEL = "sig1";

/** The derived components (RFC 9421 §2.2) a Zhixin request may cover. */
export const DERIVED_COMPONENTS: ReadonlySet<string> = new Set(["@method", "@path", "@query"]);

/** Request headers as handlers get them: any name case, one or several values. */
export type HeaderValues = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Header fields by lowercase name, each value trimmed and several values (or several
 * names differing only in case) joined with ", ", as RFC 9421 §2.1 and RFC 9110 §5.3
 * combine field lines.
 */
export function normalizeHeaders(headers: HeaderValues): Map<string, string> {
  const out = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const values = (typeof value === "string" ? [value] : value).map((v) => v.trim());
    const key = name.toLowerCase();
    out.set(key, [...(out.get(key) ?? []), ...values]);
  }
  return new Map([...out].map(([name, values]) => [name, values.join(", ")]));
}

export interface RequestTarget {
  method: string;
  /** Path without the query, e.g. /v1/entries. */
  path: string;
  /** Raw query string without the "?"; undefined or "" when there is none. */
  query?: string | undefined;
}

export function hasQuery(target: RequestTarget): boolean {
  return target.query !== undefined && target.query !== "";
}

/**
 * RFC 9421 §2.2: "@method" the method (uppercase here), "@path" the absolute path
 * ("/" if empty), "@query" "?" followed by the raw query ("?" alone if there is none).
 */
export function derivedComponentValue(id: string, target: RequestTarget): string {
  switch (id) {
    case "@method":
      return target.method.toUpperCase();
    case "@path":
      return target.path === "" ? "/" : target.path;
    case "@query":
      return `?${target.query ?? ""}`;
    default:
      throw new TypeError(`unsupported derived component ${id}`);
  }
}
