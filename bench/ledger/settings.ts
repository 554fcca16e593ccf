import { QUICK } from "../harness.js";

/** The sizes, loads and writers of the ledger benchmark (../ledger.ts). */

export const SIZES = QUICK
  ? {
      putSequential: 300,
      putConcurrent: 1_200,
      verifies: 5_000,
      singles: 600,
      batches: 20,
      latencyWindowMs: 4_000,
    }
  : {
      putSequential: 1_000,
      putConcurrent: 4_000,
      verifies: 20_000,
      singles: 2_000,
      batches: 100,
      latencyWindowMs: 10_000,
    };

export const CONCURRENCY = 8;
export const BATCH_RECORDS = 100;
export const SEAL_INTERVAL_MS = 500;
/**
 * Submit load of the latency runs, as fractions of the measured batched throughput: the
 * target is judged at the first; the second, lighter one shows what the timer alone costs.
 */
export const LATENCY_LOADS = [0.5, 0.2] as const;
/** Seal-marker polls during the latency run: resolution, against load on the consortium process. */
export const POLL_MS = 50;
export const RUNS = 3;

/** Ed25519 writers of the example consortium (market-regulation signs with P-256, left out). */
export const WRITERS = [
  { dept: "hf-haikou", type: "housing-fund.deposit-certificate" },
  { dept: "hf-sanya", type: "housing-fund.deposit-certificate" },
  { dept: "civil-affairs", type: "licence.marriage" },
  { dept: "service-centre", type: "audit.db-operation" },
  { dept: "internet-court", type: "evidence.digest" },
] as const;
