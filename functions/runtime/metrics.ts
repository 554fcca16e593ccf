import { Metrics } from "@aws-lambda-powertools/metrics";

/**
 * CloudWatch metrics, written by Powertools as EMF lines on stdout (CloudWatch Logs
 * extracts them). Namespace POWERTOOLS_METRICS_NAMESPACE (default "Zhixin"); the
 * dimension set is exactly
 *   service = POWERTOOLS_SERVICE_NAME (default "zhixin"; Powertools' own dimension)
 *   Consortium = <consortium id>
 * which is what the stack's alarms select on (cdk/lib/monitoring.ts): CloudWatch matches
 * a metric only by its full dimension set.
 *
 *   seal-block   EntriesSealed (Count)              entries sealed by the invocation
 *                OldestPendingAgeSeconds (Seconds)  age of the oldest batch still pending, 0 when none
 *   verify       AuditsRun (Count)                  1 per audit
 *                AuditFindings (Count)              findings of that audit
 *
 * When they are emitted — one rule, read at each emit:
 *   POWERTOOLS_METRICS_DISABLED true (1, yes, on)    never
 *   POWERTOOLS_METRICS_DISABLED false (0, no, off)   always (to see the EMF lines locally)
 *   unset                                            only inside Lambda (AWS_LAMBDA_FUNCTION_NAME set)
 * so local mode, the tests and the CLI print no EMF unless asked to.
 */

export type MetricName = "EntriesSealed" | "OldestPendingAgeSeconds" | "AuditsRun" | "AuditFindings";

export interface MetricValue {
  name: MetricName;
  unit: "Count" | "Seconds";
  value: number;
}

export const DEFAULT_NAMESPACE = "Zhixin";
export const DEFAULT_SERVICE = "zhixin";

export function metricsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const disabled = env.POWERTOOLS_METRICS_DISABLED?.trim().toLowerCase();
  if (disabled !== undefined && ["true", "1", "yes", "on"].includes(disabled)) return false;
  if (disabled !== undefined && ["false", "0", "no", "off"].includes(disabled)) return true;
  return Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
}

// One per container, like the SDK clients; created on the first emit.
let metrics: Metrics | undefined;

/** Publishes `values` as one EMF document, if metrics are enabled (see above). */
export function emitMetrics(
  consortium: string,
  values: readonly MetricValue[],
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (!metricsEnabled(env) || values.length === 0) return;
  metrics ??= new Metrics({
    namespace: env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_NAMESPACE,
    serviceName: env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE,
  });
  metrics.addDimension("Consortium", consortium);
  for (const v of values) metrics.addMetric(v.name, v.unit, v.value);
  metrics.publishStoredMetrics();
}
