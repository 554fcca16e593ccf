import { cosignerKeyOf, formatCosignature, isCosignatureAlgorithm, type NoteSignature } from "#chain";
import type { Clock } from "../../lib/clock.js";
import type { Signer } from "../../lib/crypto/signer.js";
import {
  AddCheckpointError,
  type AddCheckpointRefusal,
  type AddCheckpointRequest,
  decideAddCheckpoint,
  formatCosignatureResponse,
  parseAddCheckpointRequest,
  refusalFor,
  TLOG_SIZE_CONTENT_TYPE,
  type WitnessedLog,
} from "../../lib/witness/index.js";
import type { WitnessStateStore } from "./state-store.js";

/**
 * A department's witness (c2sp.org/tlog-witness, docs/formats/witness.md §3): POST
 * /add-checkpoint. lib/witness decides on the stored state; this wires it to the store and
 * the key, in the one order that keeps the witness honest under races and crashes:
 *   1. parse the request (400 when it is not one);
 *   2. read the state for the checkpoint's origin, and decide (403, 404, 409, 422, or go);
 *   3. store the new state with a compare-and-swap on the size read in 2 — a concurrent
 *      request that stored first makes this one a 409 with the size it stored;
 *   4. only then sign the cosignature. A crash between 3 and 4 leaves a state nobody got a
 *      cosignature for, which is safe: the log asks again with that size, and gets one.
 * So two requests can never both be cosigned from the same stored size, and the witness
 * never cosigns a checkpoint inconsistent with one it cosigned before.
 */

export interface WitnessDeps {
  state: WitnessStateStore;
  /**
   * The witness's key (local key file or KMS; Ed25519, or SM2 for gm logs) and its cosigner
   * name (the vkey's name).
   */
  key: { name: string; signer: Signer };
  /** The logs this witness follows: their origins and the keys their checkpoints must carry. */
  logs: readonly WitnessedLog[];
  clock: Clock;
  /**
   * Told of every checkpoint the log really signed that this witness refused as inconsistent
   * (422) — a same-size ROOT_MISMATCH is a proven fork — to keep as evidence (the handler logs it).
   */
  onEvidence?: (refusal: AddCheckpointRefusal, request: AddCheckpointRequest) => void;
}

export interface WitnessResponse {
  status: number;
  contentType: string;
  body: string;
}

export async function addCheckpoint(body: Uint8Array, deps: WitnessDeps): Promise<WitnessResponse> {
  let request: AddCheckpointRequest;
  try {
    request = parseAddCheckpointRequest(body);
  } catch (err) {
    if (err instanceof AddCheckpointError) return refused(refusalFor(err));
    throw err;
  }
  const origin = request.checkpoint.origin;
  const log = deps.logs.find((l) => l.origin === origin);
  const state = log ? await deps.state.get(origin) : null;
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  const decision = decideAddCheckpoint({ request, log, state, now });
  if (!decision.accepted) {
    // A 409 is a log that lost track of this witness; a 422 for a checkpoint the log signed
    // is one inconsistent with what this witness cosigned: evidence of a fork.
    if (decision.signedCheckpoint && decision.status === 422) deps.onEvidence?.(decision, request);
    return refused(decision);
  }
  if (!(await deps.state.compareAndSwap(decision.update))) {
    // Another request stored a state since step 2: this one was decided on a stale size.
    const current = await deps.state.get(origin);
    return { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: `${current?.size ?? 0}\n` };
  }
  const cosignature = await cosign(deps.key, decision.timestamp, decision.message);
  return {
    status: 200,
    contentType: "text/plain; charset=utf-8",
    body: formatCosignatureResponse([cosignature]),
  };
}

async function cosign(
  key: WitnessDeps["key"],
  timestamp: number,
  message: Uint8Array,
): Promise<NoteSignature> {
  const { alg } = key.signer;
  if (!isCosignatureAlgorithm(alg))
    throw new Error(`${key.name}: a witness cosigns with Ed25519 or SM2, not ${alg}`);
  const cosigner = cosignerKeyOf(key.name, alg, await key.signer.publicKey());
  return formatCosignature(cosigner, timestamp, await key.signer.sign(message));
}

function refused(refusal: AddCheckpointRefusal): WitnessResponse {
  return {
    status: refusal.status,
    contentType: refusal.contentType ?? "text/plain; charset=utf-8",
    body: refusal.body ?? `${refusal.code}: ${refusal.message}\n`,
  };
}
