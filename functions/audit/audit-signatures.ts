import {
  type BlockEvidence,
  fromBase64,
  type KeySignatureCheck,
  type SignatureAlgorithm,
  utf8,
} from "#chain";
import type { SignatureJob, SignaturePool } from "./signature-pool.js";

/**
 * The department signatures of a run of blocks, checked ahead on the pool's worker
 * threads, then given to lib/chain verifyBlocks — which is synchronous and stays so — as
 * its KeySignatureCheck: an answer looked up, not computed. Nothing about the audit's
 * judgement moves: verifyBlocks still parses each envelope and lib/chain's
 * judgeEntrySignature still picks the key and calls this check with exactly the bytes it
 * would verify; a check the workers made for those bytes answers from the table, any
 * other (a key the guess below missed, a key a worker could not read) is verified here
 * by lib/crypto as before. So the report is the same with or without workers, only faster.
 *
 * The guess: each stored envelope's signature over its signatureBase, by the key its
 * keyId names in the ledger's key history, else in the trust bundle — the key the judge
 * picks whenever it verifies at all. Batches share one signature, checked once.
 */

/** The key an envelope's keyId names, as the judge would find it: key history first, then the bundle. */
export type KeyLookup = (keyId: string) => { alg: SignatureAlgorithm; spki: Uint8Array } | undefined;

/** Below this many distinct signatures a run is checked on the calling thread: workers would cost more. */
export const MIN_PARALLEL_CHECKS = 16;

export class SignatureAnswers {
  private constructor(private readonly answers: ReadonlyMap<string, boolean>) {}

  /** No answers: every check is made on the calling thread. */
  static readonly NONE = new SignatureAnswers(new Map());

  /** Checks on `pool` the signatures the blocks' envelopes carry. */
  static async prefetch(
    pool: SignaturePool,
    blocks: readonly BlockEvidence[],
    keyOf: KeyLookup,
  ): Promise<SignatureAnswers> {
    const jobs: SignatureJob[] = [];
    const keys: string[] = [];
    const seen = new Set<string>();
    for (const block of blocks) {
      for (const stored of block.entries) {
        const job = guess(stored?.envelope, keyOf);
        if (!job) continue;
        const key = answerKey(job.alg, job.spki, job.message, job.signature);
        if (seen.has(key)) continue;
        seen.add(key);
        jobs.push(job);
        keys.push(key);
      }
    }
    if (jobs.length < MIN_PARALLEL_CHECKS) return SignatureAnswers.NONE;
    const results = await pool.verifyAll(jobs);
    const answers = new Map<string, boolean>();
    keys.forEach((key, i) => {
      if (results[i] === 0 || results[i] === 1) answers.set(key, results[i] === 1);
    });
    return new SignatureAnswers(answers);
  }

  /**
   * lib/chain's KeySignatureCheck: the worker's answer for these bytes, else `check` (the
   * ledger suite's, lib/crypto keySignatureCheckOf) here. Workers check intl's algorithms
   * only (signature-pool.ts), so an SM2 signature and its identifier are always `check`'s.
   */
  verifyOr(check: KeySignatureCheck): KeySignatureCheck {
    return (alg, spki, message, signature) =>
      this.answers.get(answerKey(alg, spki, message, signature)) ?? check(alg, spki, message, signature);
  }

  /** How many checks the workers answered (for tests: that the parallel path ran). */
  get size(): number {
    return this.answers.size;
  }
}

/** The check the judge will make for a raw stored envelope, or undefined if it cannot be foreseen. */
function guess(envelope: unknown, keyOf: KeyLookup): SignatureJob | undefined {
  if (typeof envelope !== "object" || envelope === null) return undefined;
  const { keyId, signatureBase, signature } = envelope as Record<string, unknown>;
  if (typeof keyId !== "string" || typeof signatureBase !== "string" || typeof signature !== "string")
    return undefined;
  const key = keyOf(keyId);
  if (!key) return undefined;
  try {
    // As lib/chain verifyEnvelope makes them.
    return { alg: key.alg, spki: key.spki, message: utf8(signatureBase), signature: fromBase64(signature) };
  } catch {
    return undefined;
  }
}

const hexOf = new WeakMap<Uint8Array, string>();
const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");

/** Every byte of a check, as one string. */
function answerKey(alg: string, spki: Uint8Array, message: Uint8Array, signature: Uint8Array): string {
  let spkiHex = hexOf.get(spki);
  if (spkiHex === undefined) {
    spkiHex = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength).toString("hex");
    hexOf.set(spki, spkiHex);
  }
  return `${alg}\n${spkiHex}\n${signature.length}\n${latin1(signature)}${latin1(message)}`;
}
