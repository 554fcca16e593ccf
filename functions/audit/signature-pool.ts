import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { SignatureAlgorithm } from "#chain";

/**
 * Signature checks on worker threads (node:worker_threads), so that an audit verifies on
 * every core (issue 14). Each worker checks a slice of a job and answers, per check:
 *   1  the signature verifies;  0  it does not;
 *   2  undecided: the key is not one node:crypto reads as its `alg`.
 * The caller (./audit-signatures.ts) decides every 2 on its own thread, where
 * lib/crypto/verify.ts gives the one answer every audit gives, so a worker never has
 * the last word on a key it could not read.
 *
 * The workers run WORKER_SOURCE, JavaScript given to the Worker as a string (`eval`),
 * not a file: it then runs the same from TypeScript source under tsx and vitest, and
 * inside the verify function's esbuild bundle, which has no second entry to start a
 * worker from; its imports are dynamic, so that it runs whether Node takes it for a
 * CommonJS script or a module. It checks as lib/crypto/verify.ts verifySignature does: a 64-byte
 * signature; Ed25519 (RFC 8032) over the message, or ECDSA P-256 over SHA-256 of it with
 * r||s (IEEE P1363); false on any error of the check itself.
 *
 * A worker that fails (throws, exits, cannot start) fails every check it holds with
 * SignatureWorkerError, and the pool with it: an audit is never finished on the
 * strength of checks that were not made.
 */

export const WORKER_SOURCE = `(async () => {
const { parentPort } = await import("node:worker_threads");
const { createPublicKey, verify } = await import("node:crypto");
const KEY_TYPES = { ed25519: "ed25519", "ecdsa-p256-sha256": "ec" };
parentPort.on("message", ({ id, keys, checks, bytes }) => {
  const objects = keys.map(({ alg, spki }) => {
    try {
      const key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
      if (key.asymmetricKeyType !== KEY_TYPES[alg]) return undefined;
      if (alg !== "ed25519" && key.asymmetricKeyDetails.namedCurve !== "prime256v1") return undefined;
      return { alg, key };
    } catch {
      return undefined;
    }
  });
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const answers = new Uint8Array(checks.length / 5);
  for (let i = 0, c = 0; c < checks.length; i++, c += 5) {
    const k = objects[checks[c]];
    if (k === undefined) { answers[i] = 2; continue; }
    const message = data.subarray(checks[c + 1], checks[c + 1] + checks[c + 2]);
    const signature = data.subarray(checks[c + 3], checks[c + 3] + checks[c + 4]);
    if (signature.length !== 64) { answers[i] = 0; continue; }
    try {
      answers[i] = (k.alg === "ed25519"
        ? verify(null, message, k.key, signature)
        : verify("sha256", message, { key: k.key, dsaEncoding: "ieee-p1363" }, signature)) ? 1 : 0;
    } catch {
      answers[i] = 0;
    }
  }
  parentPort.postMessage({ id, answers }, [answers.buffer]);
});
})();
`;

export interface SignatureJob {
  alg: SignatureAlgorithm;
  spki: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

export class SignatureWorkerError extends Error {
  override readonly name = "SignatureWorkerError";
  readonly code = "SIGNATURE_WORKER_FAILED";
}

interface Pending {
  resolve(answers: Uint8Array): void;
  reject(error: Error): void;
}

/** The default number of signature threads: one per core this process may use. */
export const defaultThreads = (): number => availableParallelism();

export class SignaturePool {
  #workers: Worker[] = [];
  #pending = new Map<number, Pending>();
  #nextId = 0;
  #failure: SignatureWorkerError | undefined;
  /** Checks answered by the workers so far. */
  checked = 0;

  /** `threads` workers, started at the first verifyAll; `source` is for tests of a failing worker. */
  constructor(
    readonly threads: number,
    private readonly source: string = WORKER_SOURCE,
  ) {
    if (!Number.isSafeInteger(threads) || threads < 1)
      throw new RangeError(`threads must be ≥ 1, got ${threads}`);
  }

  /** One answer (1, 0 or 2, see above) per job, in order; the jobs are spread over the workers. */
  async verifyAll(jobs: readonly SignatureJob[]): Promise<Uint8Array> {
    if (this.#failure) throw this.#failure;
    if (this.#workers.length === 0) this.#start();
    const slice = Math.ceil(jobs.length / this.#workers.length);
    const parts = await Promise.all(
      this.#workers.map((worker, w) => this.#send(worker, jobs.slice(w * slice, (w + 1) * slice))),
    );
    const answers = new Uint8Array(jobs.length);
    for (const [w, part] of parts.entries()) answers.set(part, w * slice);
    this.checked += jobs.length;
    return answers;
  }

  /** Stops the workers; checks still in flight fail. */
  async close(): Promise<void> {
    const workers = this.#workers;
    this.#workers = [];
    this.#fail(new SignatureWorkerError("the signature pool was closed"), false);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  #start(): void {
    for (let i = 0; i < this.threads; i++) {
      // No execArgv of ours (tsx's loader, --input-type): the source is plain JavaScript.
      const worker = new Worker(this.source, { eval: true, execArgv: [] });
      worker.on("message", ({ id, answers }: { id: number; answers: Uint8Array }) => {
        const pending = this.#pending.get(id);
        this.#pending.delete(id);
        pending?.resolve(answers);
      });
      worker.on("error", (e) =>
        this.#fail(new SignatureWorkerError(`a signature worker failed: ${e.message}`)),
      );
      worker.on("exit", (code) => {
        if (this.#workers.includes(worker))
          this.#fail(
            new SignatureWorkerError(`a signature worker exited (code ${code}) with checks to make`),
          );
      });
      this.#workers.push(worker);
    }
  }

  #send(worker: Worker, jobs: readonly SignatureJob[]): Promise<Uint8Array> {
    if (jobs.length === 0) return Promise.resolve(new Uint8Array(0));
    // One buffer of messages and signatures, moved (not copied) to the worker; per check
    // five numbers: key index, message offset and length, signature offset and length.
    const keys: Array<{ alg: SignatureAlgorithm; spki: Uint8Array }> = [];
    const keyIndex = new Map<Uint8Array, number>();
    let size = 0;
    for (const j of jobs) size += j.message.length + j.signature.length;
    const bytes = new Uint8Array(size);
    const checks = new Int32Array(jobs.length * 5);
    let offset = 0;
    jobs.forEach((j, i) => {
      let k = keyIndex.get(j.spki);
      if (k === undefined || keys[k]?.alg !== j.alg) {
        k = keys.push({ alg: j.alg, spki: j.spki }) - 1;
        keyIndex.set(j.spki, k);
      }
      bytes.set(j.message, offset);
      bytes.set(j.signature, offset + j.message.length);
      checks.set([k, offset, j.message.length, offset + j.message.length, j.signature.length], i * 5);
      offset += j.message.length + j.signature.length;
    });
    const id = this.#nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, keys, checks, bytes }, [bytes.buffer, checks.buffer]);
    });
  }

  #fail(error: SignatureWorkerError, poison = true): void {
    if (poison) this.#failure ??= error;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(this.#failure ?? error);
    if (poison) {
      const workers = this.#workers;
      this.#workers = [];
      for (const w of workers) void w.terminate();
    }
  }
}
