import type { Finding } from "#chain";

/** What the verify function answers: a chain audit's report, or one entry's (docs/API.md). */

export interface AuditReport {
  ok: boolean;
  blocksChecked: number;
  entriesChecked: number;
  findings: Finding[];
  /** Heights audited (inclusive); from 1 to 0 for a log with no blocks. */
  from: number;
  to: number;
  /**
   * Checks this audit could not make, each with the reason: a partial audit (from > 1)
   * does not see the contract records before its range, so it cannot tell whether an
   * answer was allowed (ACCESS_CONTRACT_MISMATCH). Absent when every check was made.
   */
  skipped?: string[];
  /**
   * The stored checkpoint of the last audited block. When `ok`, it has been verified
   * with everything before it: keep it, and pass it as `trusted` to the next audit.
   */
  checkpoint?: string;
  /**
   * The checkpoint published with the log's tiles, when the audit checked one: its size,
   * how many of the consortium's witnesses validly cosigned it and how many had to.
   */
  published?: { size: number; witnesses: number; threshold: number };
}

/** One entry's check: functions/audit/audit-entry.ts. */
export interface EntryAuditReport {
  ok: boolean;
  entryId: string;
  status: "missing" | "pending" | "sealed";
  height?: number;
  logIndex?: number;
  findings: Finding[];
}
