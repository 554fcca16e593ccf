import { createHash } from "node:crypto";
import { toBase64 } from "#chain";
import { parseDictionary, StructuredFieldError } from "./structured-fields.js";

/**
 * RFC 9530 §2 Content-Digest, sha-256 only (§5 registry key "sha-256"):
 *
 *   content-digest: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:
 *
 * a Dictionary whose members are algorithm keys with sf-binary digests of the exact
 * body bytes (no content coding is ever applied to Zhixin requests).
 */

export const CONTENT_DIGEST_HEADER = "content-digest";

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

export function contentDigestHeaderValue(body: Uint8Array): string {
  return `sha-256=:${toBase64(sha256(body))}:`;
}

/**
 * The sha-256 digest in a Content-Digest value, or undefined if it has no sha-256 member
 * (other algorithms are ignored, RFC 9530 §2). Throws StructuredFieldError if the value
 * is not a Dictionary or its sha-256 member is not a bare 32-byte sf-binary.
 */
export function sha256FromContentDigest(value: string): Uint8Array | undefined {
  const member = parseDictionary(value).get("sha-256");
  if (member === undefined) return undefined;
  if (member.kind !== "item" || member.value.type !== "binary" || member.params.size > 0) {
    throw new StructuredFieldError("content-digest sha-256 is not a byte sequence");
  }
  if (member.value.value.length !== 32) {
    throw new StructuredFieldError(`content-digest sha-256 is ${member.value.value.length} bytes, not 32`);
  }
  return member.value.value;
}
