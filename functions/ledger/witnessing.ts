import {
  type CosignatureKey,
  cosignatureVerifierOf,
  formatSignedNote,
  type KeySignatureCheck,
  type NoteSignature,
  parseSignedNote,
  verifyCosignature,
} from "#chain";
import {
  formatAddCheckpointRequest,
  parseConflictResponse,
  parseCosignatureResponse,
} from "../../lib/witness/index.js";

/**
 * Asking the consortium's witnesses to cosign a checkpoint (c2sp.org/tlog-witness), after
 * its block's tiles are written and before the checkpoint is published (publish.ts). All
 * witnesses are asked at once, each with a timeout: a witness that is down, slow or
 * refuses only leaves its line out — witnesses must never be able to stop the ledger. The
 * checkpoint published then carries the cosignatures it got; verifiers count them against
 * the quorum (docs/formats/witness.md §4).
 *
 * The old size sent is the size of the checkpoint published before, which every witness
 * that cosigned it holds. A witness that holds another (it missed checkpoints, or one
 * was cosigned but not published before a crash) answers 409 with its size; it is sent
 * the proof from that size, once.
 */

export interface Witness {
  /** Its cosigner key, from the consortium file (or local mode's key file). */
  key: CosignatureKey;
  /** Its base URL: the request goes to `${url}/add-checkpoint`. */
  url: string;
  /**
   * Its earlier keys, oldest first (the consortium file's retiredVkeys): never asked to
   * sign, but what it cosigned with them still counts for it in the audit's quorum.
   */
  retired?: CosignatureKey[];
}

/** HTTP to a witness: POST `url` with `body`, answering within `timeoutMs` or throwing. */
export type WitnessPost = (
  url: string,
  body: string,
  timeoutMs: number,
) => Promise<{ status: number; body: string }>;

export interface WitnessingDeps {
  witnesses: readonly Witness[];
  post: WitnessPost;
  verify: KeySignatureCheck;
  /** Per request; default 5 s. */
  timeoutMs?: number;
}

/** What one witness did with the checkpoint. */
export type WitnessOutcome =
  | { witness: string; cosigned: true }
  | { witness: string; cosigned: false; reason: string };

export interface Witnessed {
  /** The checkpoint note with the log's signature and every valid cosignature it got. */
  note: string;
  outcomes: WitnessOutcome[];
}

export const DEFAULT_WITNESS_TIMEOUT_MS = 5_000;

/**
 * `note` (the log's signed checkpoint of `size`) with the witnesses' cosignatures added.
 * `proof(from)` is the consistency proof from `from` to `size` (empty when from is 0 or size).
 */
export async function gatherCosignatures(
  note: string,
  size: number,
  oldSize: number,
  proof: (from: number) => Promise<Uint8Array[]>,
  deps: WitnessingDeps,
): Promise<Witnessed> {
  const signed = parseSignedNote(note);
  const outcomes = await Promise.all(
    deps.witnesses.map((w) => askWitness(w, note, signed.text, size, oldSize, proof, deps)),
  );
  const lines = outcomes.flatMap((o) => (o.line ? [o.line] : []));
  return {
    note: lines.length === 0 ? note : formatSignedNote(signed.text, [...signed.signatures, ...lines]),
    outcomes: outcomes.map((o) => o.outcome),
  };
}

async function askWitness(
  witness: Witness,
  note: string,
  text: string,
  size: number,
  oldSize: number,
  proof: (from: number) => Promise<Uint8Array[]>,
  deps: WitnessingDeps,
): Promise<{ outcome: WitnessOutcome; line?: NoteSignature }> {
  const name = witness.key.name;
  const refused = (reason: string) => ({ outcome: { witness: name, cosigned: false as const, reason } });
  const url = `${witness.url.replace(/\/+$/, "")}/add-checkpoint`;
  const timeout = deps.timeoutMs ?? DEFAULT_WITNESS_TIMEOUT_MS;
  try {
    let from = oldSize;
    let answer = await deps.post(url, formatAddCheckpointRequest(from, await proof(from), note), timeout);
    if (answer.status === 409) {
      from = parseConflictResponse(answer.body);
      if (from > size) return refused(`it holds size ${from}, past this checkpoint's ${size}`);
      answer = await deps.post(url, formatAddCheckpointRequest(from, await proof(from), note), timeout);
    }
    if (answer.status !== 200) return refused(`HTTP ${answer.status}: ${answer.body.trim().slice(0, 200)}`);
    const verifier = cosignatureVerifierOf(witness.key, deps.verify);
    for (const line of parseCosignatureResponse(note, answer.body)) {
      if (line.name !== name) continue;
      // Only a line that verifies with the consortium's key for this witness is published.
      verifyCosignature(text, line, verifier);
      return { outcome: { witness: name, cosigned: true }, line };
    }
    return refused("its answer holds no cosignature by its key");
  } catch (err) {
    return refused((err as Error).message);
  }
}

/** fetch, with the timeout as an abort signal. */
export const fetchWitnessPost: WitnessPost = async (url, body, timeoutMs) => {
  const res = await fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "text/plain; charset=utf-8" },
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: await res.text() };
};
