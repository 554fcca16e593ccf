import { z } from "zod";
import { type AuditReport, auditChain } from "../shared/audit.js";
import { auditEntry, type EntryAuditReport } from "../shared/audit-entry.js";
import { log } from "../shared/log.js";
import { getRuntime } from "../shared/runtime.js";

/**
 * Direct-invoke handler for auditors (`aws lambda invoke`, or local mode's
 * `zhixin verify`). Payload, one of:
 *   {}                              the whole chain
 *   { "from": 10, "to": 20 }        a height range (inclusive)
 *   { "entry": "<entry id>" }       one entry: envelope, proof, block, signatures
 * Returns the report; ok is false when there are findings. A bad payload returns
 * { ok: false, error: { code: "INVALID_PARAMETER", ... } } rather than throwing.
 */
const Payload = z.union([
  z.object({ entry: z.string().regex(/^[0-9a-f]{32}$/) }).strict(),
  z
    .object({ from: z.number().int().positive().optional(), to: z.number().int().positive().optional() })
    .strict(),
]);

export type VerifyResult =
  | AuditReport
  | EntryAuditReport
  | { ok: false; error: { code: "INVALID_PARAMETER"; message: string } };

export async function handler(event: unknown): Promise<VerifyResult> {
  const parsed = Payload.safeParse(event ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: "INVALID_PARAMETER",
        message: parsed.error.issues
          .map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`)
          .join("; "),
      },
    };
  }
  const { store, keys, consortium } = await getRuntime();
  const deps = { store, keys, log: consortium.log };
  const report =
    "entry" in parsed.data ? await auditEntry(deps, parsed.data.entry) : await auditChain(deps, parsed.data);
  if (!report.ok)
    console.log(
      JSON.stringify({ level: "WARN", message: "audit findings", findings: report.findings.length }),
    );
  return report;
}
