/**
 * Failures of lib/sm2. None is a verdict on a signature — sm2Verify answers false for
 * those — but a key, identifier or nonce a caller handed in that SM2 cannot use. Tests
 * assert `code`.
 */
export type Sm2ErrorCode =
  /** A private scalar, public point, SPKI or PKCS#8 that is not an SM2 key on the curve. */
  | "INVALID_KEY"
  /** A distinguishing identifier longer than ENTL's 16 bits can state (8191 bytes). */
  | "INVALID_ID"
  /** A digest handed to signDigest that is not 32 bytes (an SM3 output). */
  | "INVALID_DIGEST"
  /** A caller-chosen k (known-answer tests only) outside [1, n-1] or one §6.1 A5/A6 rejects. */
  | "INVALID_NONCE";

export class Sm2Error extends Error {
  override readonly name = "Sm2Error";

  constructor(
    readonly code: Sm2ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
