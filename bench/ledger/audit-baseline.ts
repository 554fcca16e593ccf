import { generateKeyPairSync, sign } from "node:crypto";
import { defaultThreads, SignaturePool } from "../../functions/audit/signature-pool.js";

/**
 * The audit's baseline on every core (issue 14): raw Ed25519 verifies of `message` on one
 * worker thread per core — the pool the audit checks signatures on, with no store, no
 * parsing, no hashing — so "raw verify × cores" is measured on this machine in this run,
 * not multiplied out. Returns verifies per wall-clock second and the thread count.
 */
export async function ed25519OnCores(
  message: Uint8Array,
  count: number,
): Promise<{ perSecond: number; threads: number }> {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const job = {
    alg: "ed25519" as const,
    spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })),
    message,
    signature: new Uint8Array(sign(null, message, privateKey)),
  };
  const threads = defaultThreads();
  const pool = new SignaturePool(threads);
  try {
    await pool.verifyAll(Array.from({ length: 500 * threads }, () => job)); // start and warm the workers
    const t0 = performance.now();
    const answers = await pool.verifyAll(Array.from({ length: count }, () => job));
    const seconds = (performance.now() - t0) / 1000;
    if (answers.some((a) => a !== 1)) throw new Error("the baseline signature did not verify on a worker");
    return { perSecond: count / seconds, threads };
  } finally {
    await pool.close();
  }
}
