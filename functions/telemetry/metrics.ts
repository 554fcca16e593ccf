import { Metrics } from "@aws-lambda-powertools/metrics";
import {
  METRICS_NAMESPACE,
  type MetricDefinition,
  type MetricName,
  type MetricUnit,
} from "../../lib/metrics.js";

/**
 * CloudWatch metrics, written by Powertools as EMF lines on stdout (CloudWatch Logs
 * extracts them). The metrics, their units and the default namespace are listed once in
 * lib/metrics.ts, which the stack's alarms read too. Namespace
 * POWERTOOLS_METRICS_NAMESPACE (default METRICS_NAMESPACE, "Zhixin"); the
 * dimension set is exactly
 *   service = POWERTOOLS_SERVICE_NAME (default "zhixin"; Powertools' own dimension)
 *   Consortium = <consortium id>
 * which is what the stack's alarms select on (cdk/lib/monitoring.ts): CloudWatch matches
 * a metric only by its full dimension set.
 *
 * When they are emitted — one rule, read at each emit:
 *   POWERTOOLS_METRICS_DISABLED true (1, yes, on)    never
 *   POWERTOOLS_METRICS_DISABLED false (0, no, off)   always (to see the EMF lines locally)
 *   unset                                            only inside Lambda (AWS_LAMBDA_FUNCTION_NAME set)
 * so local mode, the tests and the CLI print no EMF unless asked to.
 */

export interface MetricValue {
  name: MetricName;
  unit: MetricUnit;
  value: number;
}

/** `value` of `metric`, in its unit. */
export const metricValue = (metric: MetricDefinition, value: number): MetricValue => ({
  name: metric.name,
  unit: metric.unit,
  value,
});

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
    namespace: env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
    serviceName: env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE,
  });
  metrics.addDimension("Consortium", consortium);
  for (const v of values) metrics.addMetric(v.name, v.unit, v.value);
  metrics.publishStoredMetrics();
}
