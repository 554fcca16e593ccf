/**
 * The refusals of POST /add-checkpoint (c2sp.org/tlog-witness §add-checkpoint), each with
 * the HTTP status the spec gives it. A closed set: callers and tests branch on the code;
 * docs/formats/witness.md §3.4 lists the same table.
 */
export const ADD_CHECKPOINT_STATUS = {
  // 400: not an add-checkpoint request. The spec names no status for a body it cannot
  // parse; 400 is HTTP's, and the one transparency-dev/witness answers.
  REQUEST_TOO_LARGE: 400,
  REQUEST_NOT_UTF8: 400,
  OLD_SIZE_LINE_INVALID: 400,
  PROOF_LINE_INVALID: 400,
  TOO_MANY_PROOF_LINES: 400,
  BLANK_LINE_MISSING: 400,
  CHECKPOINT_MALFORMED: 400,
  // 400 (spec): the old size is larger than the checkpoint's size
  OLD_SIZE_AFTER_CHECKPOINT: 400,
  // 403 (spec): no signature from a trusted log key, or one that fails
  LOG_SIGNATURE_MISSING: 403,
  LOG_SIGNATURE_INVALID: 403,
  // 404 (spec): a log this witness does not follow
  ORIGIN_UNKNOWN: 404,
  // 409 (spec): the old size is not the size this witness last cosigned; the body says which
  OLD_SIZE_MISMATCH: 409,
  // 422 (spec): the checkpoint is not consistent with what this witness cosigned
  EMPTY_TREE_ROOT_INVALID: 422,
  PROOF_NOT_EMPTY: 422,
  ROOT_MISMATCH: 422,
  CONSISTENCY_PROOF_INVALID: 422,
} as const;

export type AddCheckpointCode = keyof typeof ADD_CHECKPOINT_STATUS;
export type AddCheckpointStatus = (typeof ADD_CHECKPOINT_STATUS)[AddCheckpointCode];

/** A request body that is not an add-checkpoint request (always a 400). */
export class AddCheckpointError extends Error {
  override readonly name = "AddCheckpointError";

  constructor(
    readonly code: AddCheckpointCode,
    message: string,
  ) {
    super(message);
  }

  get status(): AddCheckpointStatus {
    return ADD_CHECKPOINT_STATUS[this.code];
  }
}

/** Codes of WitnessError: a caller's mistake, not a request's. */
export type WitnessErrorCode =
  /** A witness policy with a bad threshold, or a key listed twice (by name and ID, or by public key). */
  | "INVALID_POLICY"
  /** A stored state, log, clock reading or response that cannot be right. */
  | "INVALID_INPUT";

export class WitnessError extends Error {
  override readonly name = "WitnessError";

  constructor(
    readonly code: WitnessErrorCode,
    message: string,
  ) {
    super(message);
  }
}
