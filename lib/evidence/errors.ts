/**
 * What an offline verifier refuses, as a closed set of codes: callers and tests branch on
 * the code, never on the message (docs/formats/trust-root.md §3 lists them).
 */
export type EvidenceErrorCode =
  /** A trust root file that is not exactly the format of docs/formats/trust-root.md §1. */
  | "TRUST_ROOT_INVALID"
  /** A checkpoint not signed by one of the trust root's sealer keys for its log. */
  | "CHECKPOINT_UNTRUSTED";

export const EVIDENCE_ERROR_CODES: readonly EvidenceErrorCode[] = [
  "TRUST_ROOT_INVALID",
  "CHECKPOINT_UNTRUSTED",
];

export class EvidenceError extends Error {
  override readonly name = "EvidenceError";

  constructor(
    readonly code: EvidenceErrorCode,
    message: string,
  ) {
    super(message);
  }
}
