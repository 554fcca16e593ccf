import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { VerifyPayload, VerifyReport } from "../client.js";
import { UsageError, type Values } from "../usage.js";
import { type Context, optionalString, positiveInteger, printJson } from "./context.js";
import { runVerifyBundle } from "./evidence.js";
import { runVerifyExport } from "./export.js";

/**
 * `zhixin verify`: audit an entry, a range or the whole chain, keeping the trusted
 * checkpoint; with --bundle, check an evidence bundle offline (./evidence.ts); with
 * --export, audit a whole-log export offline (./export.ts).
 */

export async function runVerify(ctx: Context, values: Values): Promise<number> {
  // An evidence bundle is checked on this machine alone: no client is made, no URL read.
  if (values.export !== undefined) return runVerifyExport(values);
  if (values.bundle !== undefined) return runVerifyBundle(values);
  for (const flag of ["trust-root", "payload", "file", "field"]) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --bundle`, "verify");
  }
  let payload: VerifyPayload;
  const entry = optionalString(values, "entry");
  if (entry !== undefined) {
    if (values.from !== undefined || values.to !== undefined || values["min-witnesses"] !== undefined) {
      throw new UsageError("--entry cannot be combined with --from, --to or --min-witnesses", "verify");
    }
    if (!/^[0-9a-f]{32}$/.test(entry))
      throw new UsageError("entry ids are 32 lowercase hex digits", "verify");
    payload = { entry };
  } else {
    const from = values.from === undefined ? undefined : positiveInteger(values.from, "--from", "verify");
    const to = values.to === undefined ? undefined : positiveInteger(values.to, "--to", "verify");
    if (from !== undefined && to !== undefined && from > to) {
      throw new UsageError(
        `--from ${from} is after --to ${to}: a range runs up from --from (\`zhixin block\` shows the latest height)`,
        "verify",
      );
    }
    const min = values["min-witnesses"];
    const minWitnesses =
      min === undefined ? undefined : /^(0|[1-9]\d{0,2})$/.test(String(min)) ? Number(min) : Number.NaN;
    if (Number.isNaN(minWitnesses)) {
      throw new UsageError(
        `--min-witnesses is a count of witnesses (0 or more), got ${JSON.stringify(min)}`,
        "verify",
      );
    }
    payload = {
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(minWitnesses === undefined ? {} : { minWitnesses }),
    };
  }

  // A checkpoint kept from the last clean full audit (or given with --trust) pins the past.
  const kept = join(ctx.home, "audit", "trusted-checkpoint");
  const trustFile = optionalString(values, "trust");
  const forget = values.forget === true;
  if (!("entry" in payload)) {
    const file = trustFile ?? (forget ? undefined : kept);
    const note =
      file === undefined
        ? undefined
        : await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
            if (e.code === "ENOENT" && trustFile === undefined) return undefined;
            throw new UsageError(`cannot read the checkpoint ${file}: ${e.message}`, "verify");
          });
    if (note !== undefined) payload = { ...payload, trustedCheckpoint: note };
  }

  const fn = optionalString(values, "function") ?? (ctx.env.ZHIXIN_VERIFY_FUNCTION || undefined);
  let report: VerifyReport;
  if (fn !== undefined) {
    const { invokeVerifyFunction } = await import("../verify-function.js");
    report = await invokeVerifyFunction(await ctx.lambdaClient(fn), fn, payload);
  } else if (ctx.sigv4) {
    throw new UsageError(
      "on AWS, verify runs the stack's verify function: pass --function <name|arn> (or set ZHIXIN_VERIFY_FUNCTION)",
    );
  } else {
    report = await (await ctx.anonymousClient()).verify(payload);
  }
  // The function could not answer this request (a range past the latest block, an entry
  // the ledger never had, a malformed payload): the caller's mistake, not a finding.
  if ("error" in report) throw new UsageError(`${report.error.code}: ${report.error.message}`, "verify");
  printJson(report);
  if (process.stderr.isTTY) process.stderr.write(`${verifySummary(report)}\n`);
  const wholeChain = !("entry" in payload) && values.from === undefined && values.to === undefined;
  if (report.ok && wholeChain && !forget && "checkpoint" in report && report.checkpoint) {
    await mkdir(dirname(kept), { recursive: true, mode: 0o700 });
    await writeFile(kept, report.checkpoint);
  }
  return report.ok ? 0 : 1;
}

export function verifySummary(report: Exclude<VerifyReport, { error: unknown }>): string {
  if (report.ok) {
    if ("entryId" in report) {
      return report.status === "sealed"
        ? `ok: entry ${report.entryId} is sealed in block ${report.height} (log index ${report.logIndex})`
        : `ok: entry ${report.entryId} is pending (not sealed yet); its signature checks out`;
    }
    const witnessed = report.published
      ? `; the published checkpoint (size ${report.published.size}) has ${report.published.witnesses} witness cosignature(s), ${report.published.threshold} required`
      : "";
    return `ok: ${report.blocksChecked} blocks, ${report.entriesChecked} entries checked${witnessed}`;
  }
  const shown = report.findings.slice(0, 3).map((f) => {
    const where = [f.height === undefined ? "" : `height ${f.height}`, f.entryId ? `entry ${f.entryId}` : ""]
      .filter(Boolean)
      .join(", ");
    return `${f.code}${where ? ` (${where})` : ""}: ${f.message}`;
  });
  const more =
    report.findings.length > shown.length ? `; … ${report.findings.length - shown.length} more` : "";
  const n = report.findings.length;
  return `${n} finding${n === 1 ? "" : "s"}: ${shown.join("; ")}${more}`;
}
