import { type Checkpoint, formatCosignature } from "#chain";
import {
  type AddCheckpointAcceptance,
  type AddCheckpointDecision,
  AddCheckpointError,
  decideAddCheckpoint,
  formatCosignatureResponse,
  parseAddCheckpointRequest,
  refusalFor,
  type WitnessedLog,
  type WitnessState,
} from "../../../../lib/witness/index.js";
import type { TestWitness } from "../../../support/witness-keys.js";

/** An HTTP answer as the witness service sends it. */
export interface Answer {
  status: number;
  body: string;
  contentType?: string;
}

/**
 * A witness in memory, wired as the service wires lib/witness: parse, decide on the stored
 * state, compare-and-swap the update, and only then cosign. `decide` and `commit` are
 * separate so that tests can interleave concurrent requests between them.
 */
export class MemoryWitness {
  /** The stored state per origin: what a DynamoDB item per origin holds in the service. */
  readonly states = new Map<string, WitnessState>();
  /** Every checkpoint this witness cosigned, in order. */
  readonly cosigned: Checkpoint[] = [];
  /** Checkpoints the log signed that this witness refused (the spec's possible evidence). */
  readonly refusedSigned: { code: string; checkpoint: Checkpoint }[] = [];
  private readonly logs: readonly WitnessedLog[];

  constructor(
    readonly witness: TestWitness,
    logs: WitnessedLog | readonly WitnessedLog[],
  ) {
    this.logs = Array.isArray(logs) ? logs : [logs as WitnessedLog];
  }

  decide(body: string | Uint8Array, now: number): AddCheckpointDecision {
    let request: ReturnType<typeof parseAddCheckpointRequest>;
    try {
      request = parseAddCheckpointRequest(body);
    } catch (e) {
      if (e instanceof AddCheckpointError) return refusalFor(e);
      throw e;
    }
    const origin = request.checkpoint.origin;
    const log = this.logs.find((l) => l.origin === origin);
    return decideAddCheckpoint({ request, log, state: this.states.get(origin) ?? null, now });
  }

  /**
   * The store's conditional write: stores the update only if the origin's stored size is
   * still the one the decision was made on. Returns the answer, or "lost" when another
   * request moved the state first (nothing stored, nothing signed).
   */
  commit(decision: AddCheckpointDecision): Answer | "lost" {
    if (!decision.accepted) {
      if (decision.signedCheckpoint) {
        this.refusedSigned.push({ code: decision.code, checkpoint: decision.signedCheckpoint });
      }
      const answer: Answer = { status: decision.status, body: decision.body ?? "" };
      if (decision.contentType) answer.contentType = decision.contentType;
      return answer;
    }
    if (!this.swap(decision)) return "lost";
    this.cosigned.push(decision.checkpoint);
    const line = formatCosignature(
      this.witness.signer,
      decision.timestamp,
      this.witness.signer.sign(decision.message),
    );
    return { status: 200, body: formatCosignatureResponse([line]) };
  }

  /** One request, end to end: a lost race is decided again on the state now stored. */
  submit(body: string | Uint8Array, now: number): Answer {
    for (;;) {
      const answer = this.commit(this.decide(body, now));
      if (answer !== "lost") return answer;
    }
  }

  private swap({ update }: AddCheckpointAcceptance): boolean {
    const stored = this.states.get(update.origin);
    if ((stored === undefined ? null : stored.size) !== update.ifStoredSize) return false;
    this.states.set(update.origin, { size: update.next.size, rootHash: update.next.rootHash.slice() });
    return true;
  }
}
