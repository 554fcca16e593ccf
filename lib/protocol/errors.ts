/**
 * The API's closed set of error codes and their HTTP statuses — the one place errors
 * map to HTTP. Every refusal is an ApiError; handlers turn it into
 *   { "error": { "code": "NONCE_REPLAYED", "message": "...", "details": ... } }
 * Tests assert `code`, never `message`. docs/ERRORS.md lists the same table.
 */
export const ERROR_STATUS = {
  // 400: the request itself is malformed
  INVALID_JSON: 400,
  // a body that is JSON but not I-JSON (RFC 7493): what was signed could not be kept exactly
  DUPLICATE_KEY: 400,
  LONE_SURROGATE: 400,
  NUMBER_NOT_EXACT: 400,
  SCHEMA_VIOLATION: 400,
  BATCH_SIZE_INVALID: 400,
  UNKNOWN_RECORD_TYPE: 400,
  DIGEST_MISSING: 400,
  DIGEST_MISMATCH: 400,
  BATCH_ROOT_MISSING: 400,
  BATCH_ROOT_MISMATCH: 400,
  INVALID_PARAMETER: 400,
  COSIGN_DIGEST_MISMATCH: 400,
  CONTRACT_INVALID: 400,
  CONTRACT_UNKNOWN_DEPARTMENT: 400,
  CONTRACT_UNKNOWN_TYPE: 400,
  // key records (docs/FORMATS.md §10): not the derived id, or a pop that does not verify
  KEY_ID_INVALID: 400,
  KEY_RECORD_NOT_ALONE: 400,
  // 401: who is asking cannot be established
  SIGNATURE_MISSING: 401,
  SIGNATURE_MALFORMED: 401,
  SIGNATURE_COMPONENTS_MISSING: 401,
  UNKNOWN_KEY: 401,
  KEY_NOT_VALID: 401,
  ALG_MISMATCH: 401,
  SIGNATURE_INVALID: 401,
  CLOCK_SKEW: 401,
  // 403: known caller, not allowed
  KEY_NOT_OWNED: 403,
  RECORD_TYPE_FORBIDDEN: 403,
  ROLE_FORBIDDEN: 403,
  COSIGN_NOT_SIGNER: 403,
  CONTRACT_NOT_PARTY: 403,
  CONTRACT_SELF_APPROVAL: 403,
  // 403, recorded: a consumer's match refused by its contract (an access entry is written)
  NOT_CONSUMER: 403,
  CONTRACT_NOT_EFFECTIVE: 403,
  SHARE_NONE: 403,
  AUTHORISATION_REQUIRED: 403,
  FIELD_NOT_ALLOWED: 403,
  // 404 / 405
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  COSIGN_TARGET_NOT_FOUND: 404,
  CONTRACT_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  // 409: conflicts with what is stored
  NONCE_REPLAYED: 409,
  DUPLICATE_RECORD: 409,
  COSIGN_DUPLICATE: 409,
  CONTRACT_STATE_CONFLICT: 409,
  KEY_ID_TAKEN: 409,
  KEY_STATE_CONFLICT: 409,
  KEY_COSIGN_REFUSED: 409,
  // an entry's evidence bundle asked for before a published (witnessed) checkpoint covers
  // it: a state the ledger moves out of by itself (details.retryAfterSeconds, Retry-After)
  EVIDENCE_NOT_READY: 409,
  // 413: too large
  BODY_TOO_LARGE: 413,
  RECORD_TOO_LARGE: 413,
  // 429: a contract's rate limit (recorded, like the 403s above)
  RATE_LIMITED: 429,
  // 5xx: ours
  INTERNAL: 500,
  // an entry bundle too large for a Lambda response: read it from the tile bucket instead
  TILE_TOO_LARGE: 501,
  UNAVAILABLE: 503,
} as const;

export type ApiErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly statusCode: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.statusCode = ERROR_STATUS[code];
  }

  toJSON(): { error: { code: ApiErrorCode; message: string; details?: unknown } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

/** The (keyId, nonce) of a request was used before: one request, one batch, ever. */
export function nonceReplayed(request: { keyId: string; nonce: string }): ApiError {
  return new ApiError("NONCE_REPLAYED", `nonce ${request.nonce} was already used with key ${request.keyId}`);
}
