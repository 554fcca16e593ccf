import {
  type Checkpoint,
  type CryptoSuite,
  cosignatureMessage,
  equalBytes,
  HASH_SIZE,
  type NoteVerifier,
  type SignedNote,
  toHex,
  utf8,
  verifyConsistency,
} from "#chain";
import {
  ADD_CHECKPOINT_STATUS,
  type AddCheckpointCode,
  type AddCheckpointError,
  type AddCheckpointStatus,
  WitnessError,
} from "./errors.js";
import { type AddCheckpointRequest, TLOG_SIZE_CONTENT_TYPE } from "./wire.js";

/**
 * A witness's decision on POST <submission prefix>/add-checkpoint, c2sp.org/tlog-witness
 * (docs/formats/witness.md §3), without I/O: from a parsed request (wire.ts), the log's
 * keys and this witness's stored state for the origin (§2). The caller loads that state,
 * stores the decision's update with a compare-and-swap, then signs the cosignature/v1
 * message with the witness key and answers.
 */

/** What a witness keeps per log origin: the size and root of the last checkpoint it cosigned. */
export interface WitnessState {
  size: number;
  rootHash: Uint8Array;
}

/** A log this witness follows: its origin and the keys it trusts for the log's checkpoints. */
export interface WitnessedLog {
  origin: string;
  /** The log's crypto suite (its genesis block's): its tree hashes with the suite's H. */
  suite: CryptoSuite;
  verifiers: readonly NoteVerifier[];
}

export interface AddCheckpointInput {
  request: AddCheckpointRequest;
  /** The log whose origin the checkpoint names, or undefined when this witness does not follow it. */
  log: WitnessedLog | undefined;
  /** The stored state for that origin; null when this witness never cosigned for it. */
  state: WitnessState | null;
  /** POSIX seconds, at least 1: the cosignature's timestamp. */
  now: number;
}

/**
 * Compare-and-swap: store `next` for `origin` only if the stored state's size is still
 * `ifStoredSize` (null: only if nothing is stored for the origin). Size alone identifies
 * the state, as this witness never stores two roots for one size. If the swap fails,
 * another request moved the state first: drop this acceptance (never sign or send its
 * cosignature) and decide again on the state now stored.
 */
export interface WitnessStateUpdate {
  origin: string;
  ifStoredSize: number | null;
  next: WitnessState;
}

export interface AddCheckpointAcceptance {
  accepted: true;
  status: 200;
  /** The checkpoint, its log signature verified. */
  checkpoint: Checkpoint;
  /** Its note text, what the cosignature covers. */
  checkpointText: string;
  update: WitnessStateUpdate;
  /** The cosignature's timestamp (the input's `now`). */
  timestamp: number;
  /** The cosignature/v1 message for the witness's Ed25519 key to sign, once the update is stored. */
  message: Uint8Array;
}

export interface AddCheckpointRefusal {
  accepted: false;
  code: AddCheckpointCode;
  status: AddCheckpointStatus;
  /** For logs and people; never branched on. */
  message: string;
  /** 409 only: "<stored size>\n", served as TLOG_SIZE_CONTENT_TYPE. */
  body?: string;
  contentType?: typeof TLOG_SIZE_CONTENT_TYPE;
  /**
   * Set when the log's signature verified: a checkpoint the log really signed and this
   * witness refused, which the spec allows the witness to keep as possible evidence of
   * log misbehaviour (a same-size ROOT_MISMATCH is a proven fork).
   */
  signedCheckpoint?: Checkpoint;
}

export type AddCheckpointDecision = AddCheckpointAcceptance | AddCheckpointRefusal;

function refuse(
  code: AddCheckpointCode,
  message: string,
  signedCheckpoint?: Checkpoint,
): AddCheckpointRefusal {
  const refusal: AddCheckpointRefusal = {
    accepted: false,
    code,
    status: ADD_CHECKPOINT_STATUS[code],
    message,
  };
  if (signedCheckpoint) refusal.signedCheckpoint = signedCheckpoint;
  return refusal;
}

/** The refusal a parse error answers (always a 400). */
export function refusalFor(error: AddCheckpointError): AddCheckpointRefusal {
  return refuse(error.code, error.message);
}

function assertInput(input: AddCheckpointInput): void {
  const fail = (message: string): never => {
    throw new WitnessError("INVALID_INPUT", message);
  };
  if (!Number.isSafeInteger(input.now) || input.now < 1) {
    // A witness MUST NOT send a cosignature with timestamp 0 (c2sp.org/tlog-witness).
    fail(`now must be POSIX seconds, at least 1, got ${input.now}`);
  }
  const { state, log, request } = input;
  if (state !== null) {
    if (!Number.isSafeInteger(state.size) || state.size < 0) fail(`stored size ${state.size} is not a size`);
    if (!(state.rootHash instanceof Uint8Array) || state.rootHash.length !== HASH_SIZE) {
      fail(`stored root must be ${HASH_SIZE} bytes`);
    }
    if (state.size === 0 && log !== undefined && !equalBytes(state.rootHash, log.suite.emptyRoot()))
      fail("stored size 0 with a non-empty root");
  }
  if (log !== undefined && log.origin !== request.checkpoint.origin) {
    fail(
      `log ${JSON.stringify(log.origin)} given for a checkpoint of ${JSON.stringify(request.checkpoint.origin)}`,
    );
  }
}

/**
 * The log's signature, c2sp.org/tlog-witness: signatures from unknown keys are ignored;
 * 403 when none is from a trusted key, or when one from a trusted key (name and key ID)
 * fails — every one is checked.
 */
function checkLogSignature(note: SignedNote, log: WitnessedLog): AddCheckpointRefusal | undefined {
  const message = utf8(note.text);
  let verified = false;
  for (const line of note.signatures) {
    const verifier = log.verifiers.find((v) => v.name === line.name && equalBytes(v.keyHash, line.keyHash));
    if (!verifier) continue;
    let ok: boolean;
    try {
      ok = verifier.verify(message.slice(), line.signature.slice()) === true;
    } catch {
      ok = false;
    }
    const id = `${line.name}+${toHex(line.keyHash)}`;
    if (!ok) return refuse("LOG_SIGNATURE_INVALID", `the signature by log key ${id} does not verify`);
    verified = true;
  }
  if (!verified) return refuse("LOG_SIGNATURE_MISSING", "no signature from a key trusted for this log");
  return undefined;
}

/**
 * The witness's decision on a parsed request, in the order of c2sp.org/tlog-witness
 * §add-checkpoint: 404 unknown origin, 403 log signature, 400 old size past the
 * checkpoint, 409 old size not the stored size, then 422 for an empty tree with another
 * root, a proof sent from size 0, a same-size checkpoint with another root, or a
 * consistency proof that fails. Never accepts a checkpoint smaller than the stored one or
 * inconsistent with it; re-cosigns a checkpoint equal to the stored one.
 */
export function decideAddCheckpoint(input: AddCheckpointInput): AddCheckpointDecision {
  assertInput(input);
  const { request, log, state, now } = input;
  const { oldSize, proof, note, checkpoint } = request;

  if (log === undefined) return refuse("ORIGIN_UNKNOWN", `this witness does not follow ${checkpoint.origin}`);
  const unsigned = checkLogSignature(note, log);
  if (unsigned) return unsigned;

  if (oldSize > checkpoint.size) {
    return refuse(
      "OLD_SIZE_AFTER_CHECKPOINT",
      `old size ${oldSize} exceeds the checkpoint's size ${checkpoint.size}`,
      checkpoint,
    );
  }
  const storedSize = state === null ? 0 : state.size;
  if (oldSize !== storedSize) {
    return {
      ...refuse("OLD_SIZE_MISMATCH", `old size ${oldSize}, but this witness is at ${storedSize}`, checkpoint),
      body: `${storedSize}\n`,
      contentType: TLOG_SIZE_CONTENT_TYPE,
    };
  }
  if (checkpoint.size === 0 && !equalBytes(checkpoint.rootHash, log.suite.emptyRoot())) {
    return refuse(
      "EMPTY_TREE_ROOT_INVALID",
      "a checkpoint of size 0 must have the empty tree's root",
      checkpoint,
    );
  }
  if (state === null || state.size === 0) {
    // The empty tree is consistent with every tree: nothing to prove.
    if (proof.length > 0) {
      return refuse("PROOF_NOT_EMPTY", `old size 0 takes no proof, got ${proof.length} lines`, checkpoint);
    }
  } else {
    if (checkpoint.size === state.size && !equalBytes(checkpoint.rootHash, state.rootHash)) {
      return refuse(
        "ROOT_MISMATCH",
        `size ${state.size} was cosigned with root ${toHex(state.rootHash)}, not ${toHex(checkpoint.rootHash)}`,
        checkpoint,
      );
    }
    try {
      verifyConsistency(log.suite, state.size, checkpoint.size, state.rootHash, checkpoint.rootHash, proof);
    } catch (e) {
      return refuse(
        "CONSISTENCY_PROOF_INVALID",
        `no consistency from ${state.size} to ${checkpoint.size}: ${(e as Error).message}`,
        checkpoint,
      );
    }
  }
  return {
    accepted: true,
    status: 200,
    checkpoint,
    checkpointText: note.text,
    update: {
      origin: checkpoint.origin,
      ifStoredSize: state === null ? null : state.size,
      next: { size: checkpoint.size, rootHash: checkpoint.rootHash.slice() },
    },
    timestamp: now,
    message: cosignatureMessage(note.text, now),
  };
}
