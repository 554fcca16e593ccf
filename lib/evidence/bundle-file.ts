import { sha256Bytes, toHex } from "#chain";
import type { VerifiedEvidence } from "./bundle.js";
import { EvidenceError } from "./errors.js";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The S6 question (docs/formats/evidence.md §5): is `file` the one whose SHA-256 the
 * proven record holds in its top-level member `field` (64 lowercase hex digits)?
 * PAYLOAD_WITHHELD if the bundle carried no payload, DIGEST_FIELD_INVALID if the record
 * holds no such digest there, FILE_MISMATCH if the file's digest is another.
 */
export function checkFileDigest(
  file: Uint8Array,
  evidence: Pick<VerifiedEvidence, "payload">,
  field = "sha256",
): { field: string; sha256: string } {
  if (evidence.payload === null)
    throw new EvidenceError("PAYLOAD_WITHHELD", "the bundle carries no payload to read a digest from");
  const { data } = evidence.payload;
  const recorded = Object.hasOwn(data, field) ? data[field] : undefined;
  if (typeof recorded !== "string" || !SHA256_HEX.test(recorded))
    throw new EvidenceError(
      "DIGEST_FIELD_INVALID",
      `the record's ${JSON.stringify(field)} is not a SHA-256 as 64 lowercase hex digits`,
    );
  const sha256 = toHex(sha256Bytes(file));
  if (sha256 !== recorded)
    throw new EvidenceError("FILE_MISMATCH", `the file's SHA-256 is ${sha256}, the record's ${recorded}`);
  return { field, sha256 };
}
