import { toHex, utf8 } from "./bytes.js";
import { ChainError } from "./errors.js";
import type { CryptoSuite } from "./suite.js";

/**
 * Keyed subject digests (docs/FORMATS.md §7). Subjects — ID-card numbers, company codes,
 * invoice numbers — are low-entropy: a plain hash of one is a lookup table away from the
 * clear value. Every index that is keyed by a subject uses instead
 *
 *   subjectHmac = hex HMAC-H(K, "zhixin/subject/v1\n" || subject), H the suite's hash
 *
 * with K the deployment's subject key (derived once per process from a KMS HMAC key on
 * AWS, from keys/subject.key in local mode), so the ledger can be matched against without
 * becoming a directory of citizens. The tag keeps these MACs apart from any other use of K.
 */

export const SUBJECT_TAG = "zhixin/subject/v1\n";
export const UNIQUE_TAG = "zhixin/unique/v2\n";
/** Key derivation label: K = HMAC(master, SUBJECT_KEY_LABEL) (see deriveSubjectKey). */
export const SUBJECT_KEY_LABEL = "zhixin/subject-key/v1";
export const SUBJECT_KEY_BYTES = 32;
/** Longest subject accepted, in UTF-8 bytes. */
export const MAX_SUBJECT_BYTES = 256;

function checkKey(key: Uint8Array): void {
  if (key.length !== SUBJECT_KEY_BYTES) {
    throw new ChainError(
      "INVALID_ENCODING",
      `subject key must be ${SUBJECT_KEY_BYTES} bytes, got ${key.length}`,
    );
  }
}

/** hex HMAC-H(key, SUBJECT_TAG || subject). Precondition: subject is 1..256 UTF-8 bytes. */
export function subjectHmac(suite: CryptoSuite, key: Uint8Array, subject: string): string {
  checkKey(key);
  const bytes = utf8(subject);
  if (bytes.length === 0 || bytes.length > MAX_SUBJECT_BYTES) {
    throw new ChainError("INVALID_ENCODING", `a subject is 1 to ${MAX_SUBJECT_BYTES} UTF-8 bytes`);
  }
  return toHex(suite.hmac(key, utf8(SUBJECT_TAG + subject)));
}

/**
 * hex HMAC-H(key, UNIQUE_TAG || text): the claim key of a uniqueness key's values
 * (text is their canonical JSON, with the record type), keyed for the same reason as
 * subjects — an invoice number is guessable.
 */
export function uniqueHmac(suite: CryptoSuite, key: Uint8Array, text: string): string {
  checkKey(key);
  return toHex(suite.hmac(key, utf8(UNIQUE_TAG + text)));
}

/**
 * The working subject key from a 32-byte master secret: HMAC-H(master, label).
 * Local mode derives it from keys/subject.key; on AWS the same message goes to KMS
 * GenerateMac once per process, so the master never leaves KMS.
 */
export function deriveSubjectKey(suite: CryptoSuite, master: Uint8Array): Uint8Array {
  checkKey(master);
  return suite.hmac(master, utf8(SUBJECT_KEY_LABEL));
}
