/**
 * Why signing in on AWS failed, or why a signed-in page can no longer sign: one class, a
 * closed set of codes, each with a sentence in ../i18n/signin.ts saying what to do. Tests
 * assert the code.
 */
export type SignInErrorCode =
  /** config.json is not what the CDK stack writes. */
  | "CONFIG_INVALID"
  /** The pasted text is not a JSON object. */
  | "CREDENTIALS_NOT_JSON"
  /** A field of the credentials is missing or not text ({field}). */
  | "CREDENTIALS_INCOMPLETE"
  /** The credentials' Expiration has passed ({expiration}), or AWS says they have. */
  | "CREDENTIALS_EXPIRED"
  /** AWS does not know the access key, or the secret does not match it. */
  | "CREDENTIALS_REJECTED"
  /** KMS refused these credentials the member's key ({key}). */
  | "KMS_ACCESS_DENIED"
  /** KMS has no such key or alias in this account and region ({key}). */
  | "KMS_KEY_NOT_FOUND"
  /** The key is disabled or pending deletion ({key}). */
  | "KMS_KEY_DISABLED"
  /** KMS could not be reached, or answered what KMS does not ({detail}). */
  | "KMS_UNREACHABLE"
  /** The key is not of the member's algorithm, or not a signing key ({key}, {detail}). */
  | "KEY_WRONG_ALGORITHM"
  /** The ledger refused the signature the key made: it is not this member's key ({keyId}, {detail}). */
  | "KEY_NOT_MEMBERS"
  /** The API's IAM refused the credentials: not the member's role ({detail}). */
  | "API_FORBIDDEN";

export class SignInError extends Error {
  override readonly name = "SignInError";

  constructor(
    readonly code: SignInErrorCode,
    readonly values: Record<string, string> = {},
  ) {
    super(`${code}${Object.keys(values).length ? ` ${JSON.stringify(values)}` : ""}`);
  }
}
