import type { Context } from "aws-lambda";
import { keyGovernanceOf } from "../../lib/consortium/consortium.js";
import { METRICS } from "../../lib/metrics.js";
import {
  parseVerifyPayload,
  runVerifyRequest,
  VerifyRequestError,
  type VerifyResult,
} from "../audit/verify-request.js";
import { getRuntime, type Runtime } from "../runtime/runtime.js";
import { addLogContext, log } from "../telemetry/log.js";
import { emitMetrics, metricValue } from "../telemetry/metrics.js";

/**
 * Direct-invoke handler for auditors (`aws lambda invoke`, or local mode's
 * `zhixin verify`): the payload and the refusals are those of runVerifyRequest
 * (functions/audit/verify-request.ts). Returns the report (ok false when there are
 * findings), or, for a request it cannot answer, { ok: false, error: { code, message,
 * details? } } rather than throwing. Each audit emits AuditsRun and AuditFindings
 * (lib/metrics.ts).
 */
export interface VerifyPorts {
  runtime: () => Promise<Pick<Runtime, "store" | "keys" | "consortium" | "tiles" | "witnesses">>;
  verify: typeof runVerifyRequest;
}

export function verifyHandler(ports: VerifyPorts) {
  return async (event: unknown, context?: Context): Promise<VerifyResult> => {
    addLogContext(context);
    try {
      const payload = parseVerifyPayload(event ?? {});
      const { store, keys, consortium, tiles, witnesses } = await ports.runtime();
      const report = await ports.verify(payload, {
        store,
        keys,
        members: [...consortium.departments, ...consortium.auditors].map((m) => m.id),
        keyGovernance: keyGovernanceOf(consortium),
        log: consortium.log,
        ...(tiles ? { tiles } : {}),
        ...(witnesses ? { witnesses } : {}),
      });
      if (!report.ok)
        log("WARN", "audit findings", { findings: report.findings.length, first: report.findings[0] });
      emitMetrics(consortium.consortium, [
        metricValue(METRICS.auditsRun, 1),
        metricValue(METRICS.auditFindings, report.findings.length),
      ]);
      return report;
    } catch (e) {
      if (e instanceof VerifyRequestError) return e.toJSON();
      throw e;
    }
  };
}

export const handler = verifyHandler({ runtime: () => getRuntime(), verify: runVerifyRequest });
