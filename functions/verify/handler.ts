import type { Context } from "aws-lambda";
import { keyGovernanceOf, suiteOf } from "../../lib/consortium/consortium.js";
import { METRICS } from "../../lib/metrics.js";
import type { AuditStateStore } from "../audit/audit-state.js";
import { stopInTime } from "../audit/incremental.js";
import {
  completedAudit,
  parseVerifyPayload,
  runVerifyRequest,
  VerifyRequestError,
  type VerifyResult,
} from "../audit/verify-request.js";
import { auditStateStore } from "../runtime/audit-state.js";
import { getRuntime, type Runtime } from "../runtime/runtime.js";
import { addLogContext, log } from "../telemetry/log.js";
import { emitMetrics, metricValue } from "../telemetry/metrics.js";

/**
 * Direct-invoke handler for auditors (`aws lambda invoke`, or local mode's
 * `zhixin verify`) and for the scheduled audits (cdk/lib/audit.ts): the payload and the
 * refusals are those of runVerifyRequest (functions/audit/verify-request.ts). Returns the
 * report (ok false when there are findings), or, for a request it cannot answer,
 * { ok: false, error: { code, message, details? } } rather than throwing. Each report
 * emits AuditsRun and AuditFindings, and AuditsCompleted when the audit reached the
 * latest block (lib/metrics.ts); a fan-out's plan and chunk steps emit nothing (the join
 * reports). An incremental run stops in time before the invocation's deadline.
 */
export interface VerifyPorts {
  runtime: () => Promise<Pick<Runtime, "store" | "keys" | "consortium" | "tiles" | "witnesses">>;
  verify: typeof runVerifyRequest;
  /** The audit's own store (ZHIXIN_AUDIT_STATE_BUCKET); absent: the scheduled payloads are refused. */
  auditState?: () => AuditStateStore | undefined;
}

export function verifyHandler(ports: VerifyPorts) {
  return async (event: unknown, context?: Context): Promise<VerifyResult> => {
    addLogContext(context);
    try {
      const payload = parseVerifyPayload(event ?? {});
      const { store, keys, consortium, tiles, witnesses } = await ports.runtime();
      const auditState = ports.auditState?.();
      const result = await ports.verify(payload, {
        store,
        keys,
        members: [...consortium.departments, ...consortium.auditors].map((m) => m.id),
        keyGovernance: keyGovernanceOf(consortium),
        log: consortium.log,
        suite: suiteOf(consortium),
        ...(tiles ? { tiles } : {}),
        ...(witnesses ? { witnesses } : {}),
        ...(auditState ? { auditState } : {}),
        ...(context ? { stop: stopInTime(() => context.getRemainingTimeInMillis(), Date.now) } : {}),
      });
      if (!("ok" in result)) return result;
      if (!result.ok)
        log("WARN", "audit findings", { findings: result.findings.length, first: result.findings[0] });
      emitMetrics(consortium.consortium, [
        metricValue(METRICS.auditsRun, 1),
        metricValue(METRICS.auditFindings, result.findings.length),
        ...(completedAudit(payload, result) ? [metricValue(METRICS.auditsCompleted, 1)] : []),
      ]);
      return result;
    } catch (e) {
      if (e instanceof VerifyRequestError) return e.toJSON();
      throw e;
    }
  };
}

export const handler = verifyHandler({
  runtime: () => getRuntime(),
  verify: runVerifyRequest,
  auditState: () => auditStateStore(),
});
