/**
 * What an offline verifier refuses, as a closed set of codes: callers and tests branch on
 * the code, never on the message. docs/formats/trust-root.md §3 explains the first two,
 * docs/formats/evidence.md §6 every one, in the order a bundle's checks reach them.
 */
export type EvidenceErrorCode =
  /** A trust root file that is not exactly the format of docs/formats/trust-root.md §1. */
  | "TRUST_ROOT_INVALID"
  /** An evidence bundle that is not the format of docs/formats/evidence.md §1. */
  | "BUNDLE_INVALID"
  /** A checkpoint not signed by one of the trust root's sealer keys for its log. */
  | "CHECKPOINT_UNTRUSTED"
  /** A cosignature line of a trust-root witness that does not verify: the note was altered. */
  | "WITNESS_SIGNATURE_INVALID"
  /** Fewer valid witness cosignatures than required (the root's quorum, or the caller's minimum). */
  | "CHECKPOINT_UNWITNESSED"
  /** An envelope that the checkpoint's tree does not hold at the index its proof says. */
  | "INCLUSION_PROOF_INVALID"
  /** An envelope not bound to a signed request: batch path, signature base or derived entry id. */
  | "ENTRY_BINDING_INVALID"
  /** A receivedAt further from the signature's `created` than the API accepts (FORMATS.md §2 step 5). */
  | "RECEIVED_AT_INVALID"
  /** A payload whose SHA-256 is not its envelope's contentDigest. */
  | "PAYLOAD_MISMATCH"
  /** A key record of the bundle that does not count in the key-history fold (FORMATS.md §10). */
  | "KEY_HISTORY_INVALID"
  /** The entry's key was never added, by the bundle's key records. */
  | "KEY_UNKNOWN"
  /** The entry was received at or after its key's compromisedSince. */
  | "KEY_REVOKED"
  /** The entry was received before its key's add, or at or after its retire. */
  | "KEY_NOT_VALID_AT_TIME"
  /** A request signature that does not verify, or by a key that cannot sign for that writer. */
  | "ENTRY_SIGNATURE_INVALID"
  /** A file check asked of a bundle whose payload was withheld. */
  | "PAYLOAD_WITHHELD"
  /** A file check naming a field the payload does not hold as 64 lowercase hex digits. */
  | "DIGEST_FIELD_INVALID"
  /** A file whose SHA-256 is not the one the record holds. */
  | "FILE_MISMATCH";

export const EVIDENCE_ERROR_CODES: readonly EvidenceErrorCode[] = [
  "TRUST_ROOT_INVALID",
  "BUNDLE_INVALID",
  "CHECKPOINT_UNTRUSTED",
  "WITNESS_SIGNATURE_INVALID",
  "CHECKPOINT_UNWITNESSED",
  "INCLUSION_PROOF_INVALID",
  "ENTRY_BINDING_INVALID",
  "RECEIVED_AT_INVALID",
  "PAYLOAD_MISMATCH",
  "KEY_HISTORY_INVALID",
  "KEY_UNKNOWN",
  "KEY_REVOKED",
  "KEY_NOT_VALID_AT_TIME",
  "ENTRY_SIGNATURE_INVALID",
  "PAYLOAD_WITHHELD",
  "DIGEST_FIELD_INVALID",
  "FILE_MISMATCH",
];

export class EvidenceError extends Error {
  override readonly name = "EvidenceError";

  constructor(
    readonly code: EvidenceErrorCode,
    message: string,
    /** Where in the bundle, as a JSON Pointer (RFC 6901): "/entry", "/keyRecords/2", "/checkpoint". */
    readonly pointer?: string,
  ) {
    super(pointer ? `${pointer}: ${message}` : message);
  }
}
