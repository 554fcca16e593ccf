import { QUICK } from "../harness.js";

/** The sizes, parties, contract and question of the match benchmark (../match.ts). */

export const SIZES = QUICK
  ? {
      certificates: 300,
      singles: 50,
      reads: 1_000,
      queries: 400,
      singleQueries: 150,
      sampled: 20,
      warmup: 40,
    }
  : {
      certificates: 1_000,
      singles: 100,
      reads: 2_000,
      queries: 1_000,
      singleQueries: 200,
      sampled: 30,
      warmup: 60,
    };

export const CONCURRENCY = 8;
export const BATCH_RECORDS = 100;
export const PROVIDER = "hf-haikou";
export const CONSUMER = "hf-sanya";
export const CERTIFICATE = "housing-fund.deposit-certificate";
export const CONTRACT_FILE = new URL(
  "../../examples/contracts/s1-housing-fund-certificate.json",
  import.meta.url,
);
export const CONSORTIUM_FILE = new URL("../../consortium.example.json", import.meta.url);
/** The subject's authorisation, which the conditional S1 contract requires. */
export const AUTHORISATION = { ref: "sanya-mortgage-bench", digest: "a".repeat(64) };
/** The question S1 asks: a certificate of at least 12 months, still active. */
export const MIN_MONTHS = 12;

export interface Certificate {
  citizen: string;
  months: number;
  status: "active" | "closed";
  entryId: string;
  batchKey: string;
}
