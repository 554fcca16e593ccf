/**
 * Failures of key handling and signing. These are never a caller's fault: a key file,
 * a key-directory entry or a KMS key is misconfigured, or KMS answered something
 * unexpected. The API maps them to INTERNAL; tests assert `code`.
 */
export type CryptoErrorCode =
  /** Key bytes or a key file cannot be parsed. */
  | "INVALID_KEY"
  /** A key is not of the algorithm it is declared for (e.g. a P-384 SPKI for ecdsa-p256-sha256). */
  | "KEY_ALGORITHM_MISMATCH"
  /** A message is longer than the signer accepts (KMS RAW: 4096 bytes). */
  | "MESSAGE_TOO_LONG"
  /** A signature from a key store is not in the encoding it must have (strict DER, 64 raw bytes). */
  | "MALFORMED_SIGNATURE"
  /** KMS answered without a field we need, or with a different algorithm or key spec. */
  | "UNEXPECTED_RESPONSE";

export class CryptoError extends Error {
  override readonly name = "CryptoError";

  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}
