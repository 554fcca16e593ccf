/**
 * lib/witness — the pure core of a C2SP witness (c2sp.org/tlog-witness) and of the quorum
 * check its cosignatures serve: parse and decide POST /add-checkpoint, and count a
 * checkpoint's witness cosignatures against the consortium's policy. No I/O, no clock, no
 * keys: storage, HTTP and signing are wired by the callers. Formats: docs/formats/witness.md.
 */

export {
  type AddCheckpointAcceptance,
  type AddCheckpointDecision,
  type AddCheckpointInput,
  type AddCheckpointRefusal,
  decideAddCheckpoint,
  refusalFor,
  type WitnessedLog,
  type WitnessState,
  type WitnessStateUpdate,
} from "./add-checkpoint.js";
export {
  ADD_CHECKPOINT_STATUS,
  type AddCheckpointCode,
  AddCheckpointError,
  type AddCheckpointStatus,
  WitnessError,
  type WitnessErrorCode,
} from "./errors.js";
export {
  assertWitnessPolicy,
  checkWitnessQuorum,
  openWitnessedCheckpoint,
  QUORUM_FINDING_CODES,
  type QuorumFinding,
  type QuorumFindingCode,
  type QuorumReport,
  type WitnessPolicy,
  witnessNames,
} from "./quorum.js";
export {
  type AddCheckpointRequest,
  formatAddCheckpointRequest,
  formatCosignatureResponse,
  MAX_ADD_CHECKPOINT_BODY,
  MAX_PROOF_LINES,
  parseAddCheckpointRequest,
  parseConflictResponse,
  parseCosignatureResponse,
  TLOG_SIZE_CONTENT_TYPE,
} from "./wire.js";
