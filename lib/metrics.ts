/**
 * The CloudWatch metrics the functions emit (functions/telemetry/metrics.ts) and the stack's
 * alarms and dashboard read (cdk/lib/monitoring.ts): one list, so a renamed metric cannot
 * leave an alarm watching a name nothing emits (with missing data breaching, the pending-age
 * alarm would fire for ever; the audit-findings alarm would never fire). Constants only: the
 * CDK app imports this without any runtime code.
 *
 *   seal-block   EntriesSealed (Count)              entries sealed by the invocation
 *                OldestPendingAgeSeconds (Seconds)  age of the oldest batch still pending, 0 when none
 *                CheckpointWitnesses (Count)        witnesses that cosigned the last checkpoint the
 *                                                   invocation published (only when witnesses are asked)
 *   verify       AuditsRun (Count)                  1 per audit
 *                AuditFindings (Count)              findings of that audit
 *                AuditsCompleted (Count)            1 per audit that reached the latest block: a
 *                                                   whole-chain audit, an incremental run that
 *                                                   caught up, a fan-out's join (not a range, not
 *                                                   a run that stopped to resume)
 *   submit,      KeyDirectoryFailures (Count)       1 per failed read of one owner's keys from KMS
 *   verify                                          (the log line names the owner and the code;
 *                                                   the metric has no Member dimension)
 */

/** The namespace the stack sets (POWERTOOLS_METRICS_NAMESPACE) and the functions default to. */
export const METRICS_NAMESPACE = "Zhixin";

/** Each metric: its name, its unit, and the function (cdk/lib/defaults.ts FUNCTIONS) that emits it. */
export const METRICS = {
  entriesSealed: { name: "EntriesSealed", unit: "Count", function: "seal" },
  oldestPendingAge: { name: "OldestPendingAgeSeconds", unit: "Seconds", function: "seal" },
  checkpointWitnesses: { name: "CheckpointWitnesses", unit: "Count", function: "seal" },
  auditFindings: { name: "AuditFindings", unit: "Count", function: "verify" },
  auditsRun: { name: "AuditsRun", unit: "Count", function: "verify" },
  auditsCompleted: { name: "AuditsCompleted", unit: "Count", function: "verify" },
  // Emitted by verify too (its audits read every owner's keys); an alarm on the API's is the one that matters.
  keyDirectoryFailures: { name: "KeyDirectoryFailures", unit: "Count", function: "submit" },
} as const;

export type MetricDefinition = (typeof METRICS)[keyof typeof METRICS];
export type MetricName = MetricDefinition["name"];
export type MetricUnit = MetricDefinition["unit"];
