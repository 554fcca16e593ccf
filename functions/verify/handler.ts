import type { Context } from "aws-lambda";
import { z } from "zod";
import { METRICS } from "../../lib/metrics.js";
import {
  AuditRangeError,
  type AuditReport,
  auditChain,
  openSealerCheckpoint,
  type TrustedState,
} from "../audit/audit.js";
import { auditEntry, type EntryAuditReport, EntryNotFoundError } from "../audit/audit-entry.js";
import { addLogContext, log } from "../runtime/log.js";
import { emitMetrics, metricValue } from "../runtime/metrics.js";
import { getRuntime } from "../runtime/runtime.js";

/**
 * Direct-invoke handler for auditors (`aws lambda invoke`, or local mode's
 * `zhixin verify`). Payload, one of:
 *   {}                              the whole chain
 *   { "from": 10, "to": 20 }        a height range (inclusive)
 *   { "entry": "<entry id>" }       one entry: envelope, proof, block, signatures
 * and, with either of the first two, "trustedCheckpoint": a sealer-signed C2SP
 * checkpoint kept from an earlier audit — the log must still reach its size, with its
 * root there (this is what shows removal of the newest blocks).
 * Returns the report; ok is false when there are findings. A request it cannot answer
 * returns { ok: false, error: { code, message, details? } } rather than throwing:
 *   INVALID_PARAMETER   the payload is not one of the above (from/to below 1, a bad id)
 *   RANGE_INVALID       from/to name heights the log does not have: from > to, or past
 *                       the latest block; details { from, to, latestHeight }
 *   NOT_FOUND           an entry id the ledger never had (one it names whose items are
 *                       gone is a report with findings)
 * Each audit emits AuditsRun and AuditFindings (lib/metrics.ts).
 */
const Payload = z.union([
  z.object({ entry: z.string().regex(/^[0-9a-f]{32}$/) }).strict(),
  z
    .object({
      from: z.number().int().positive().optional(),
      to: z.number().int().positive().optional(),
      trustedCheckpoint: z.string().max(65536).optional(),
    })
    .strict(),
]);

export type VerifyErrorCode = "INVALID_PARAMETER" | "RANGE_INVALID" | "NOT_FOUND";
type Refusal = { ok: false; error: { code: VerifyErrorCode; message: string; details?: unknown } };
export type VerifyResult = AuditReport | EntryAuditReport | Refusal;

const invalid = (message: string): Refusal => ({
  ok: false,
  error: { code: "INVALID_PARAMETER", message },
});

export async function handler(event: unknown, context?: Context): Promise<VerifyResult> {
  addLogContext(context);
  const parsed = Payload.safeParse(event ?? {});
  if (!parsed.success) {
    return invalid(
      parsed.error.issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).join("; "),
    );
  }
  const { store, keys, consortium } = await getRuntime();
  const deps = { source: store, keys, log: consortium.log };
  let report: AuditReport | EntryAuditReport;
  if ("entry" in parsed.data) {
    try {
      report = await auditEntry({ ...deps, pending: store }, parsed.data.entry);
    } catch (e) {
      if (!(e instanceof EntryNotFoundError)) throw e;
      return { ok: false, error: { code: e.code, message: e.message } };
    }
  } else {
    const { trustedCheckpoint, ...range } = parsed.data;
    let trusted: TrustedState | undefined;
    if (trustedCheckpoint !== undefined) {
      try {
        trusted = openSealerCheckpoint(keys, trustedCheckpoint, consortium.log);
      } catch (e) {
        return invalid(`trustedCheckpoint: ${(e as Error).message}`);
      }
    }
    try {
      report = await auditChain(deps, { ...range, ...(trusted ? { trusted } : {}) });
    } catch (e) {
      if (!(e instanceof AuditRangeError)) throw e;
      return { ok: false, error: { code: e.code, message: e.message, details: e.details } };
    }
  }
  if (!report.ok)
    log("WARN", "audit findings", { findings: report.findings.length, first: report.findings[0] });
  emitMetrics(consortium.consortium, [
    metricValue(METRICS.auditsRun, 1),
    metricValue(METRICS.auditFindings, report.findings.length),
  ]);
  return report;
}
