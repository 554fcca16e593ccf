import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { type Consortium, ConsortiumFileError, loadConsortium } from "../functions/shared/consortium.js";
import { ClientError, type VerifyPayload, type VerifyReport, ZhixinClient } from "./client.js";
import { IdentityError, loadIdentity } from "./identity.js";
import { type Batch, InputError, parseRecordInput, planBatches } from "./input.js";
import { ProgressBar } from "./progress.js";
import { BatchesFailed, combineReceipts, sendBatches } from "./send-batches.js";
import { type CommandName, DEFAULTS, UsageError, usageFailure, type Values } from "./usage.js";

/**
 * What each `zhixin` command does (its arguments are already parsed by ./zhixin.ts),
 * and how failures become messages and exit statuses.
 */

type Runner = (ctx: Context, values: Values, positionals: string[]) => Promise<number>;

const RUNNERS: Record<CommandName, Runner> = {
  submit: runSubmit,
  get: runGet,
  block: runBlock,
  checkpoint: runCheckpoint,
  seal: runSeal,
  verify: runVerify,
};

/** Runs a parsed command; returns its exit status (see ./zhixin.ts). */
export async function runCommand(
  name: CommandName,
  values: Values,
  positionals: string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const ctx = new Context(env);
  try {
    return await RUNNERS[name](ctx, values, positionals);
  } catch (e) {
    return reportError(e, ctx, name);
  }
}

// ---- context ------------------------------------------------------------------------

class Context {
  readonly url: string;
  readonly home: string;
  readonly consortiumFile: string;
  #consortium: Consortium | undefined;

  constructor(env: NodeJS.ProcessEnv) {
    this.url = env.ZHIXIN_URL || DEFAULTS.url;
    this.home = resolve(env.ZHIXIN_HOME || DEFAULTS.home);
    this.consortiumFile = resolve(env.ZHIXIN_CONSORTIUM || DEFAULTS.consortium);
  }

  get consortium(): Consortium {
    this.#consortium ??= loadConsortium(this.consortiumFile);
    return this.#consortium;
  }

  /** A client with no identity: health and the local admin routes. */
  anonymousClient(): ZhixinClient {
    return new ZhixinClient({ url: this.url });
  }

  /** A client signing as `member`, or as the consortium's first auditor. */
  async clientAs(member: string | undefined, command: string): Promise<ZhixinClient> {
    const c = this.consortium;
    const members = [...c.departments.map((d) => d.id), ...c.auditors.map((a) => a.id)];
    let id = member;
    if (id === undefined) {
      id = c.auditors[0]?.id;
      if (id === undefined) {
        throw new UsageError(
          `${this.consortiumFile} names no auditor to read as; pass --as <member>`,
          command,
        );
      }
    } else if (!members.includes(id)) {
      throw new UsageError(
        `--as ${id} is not a member of ${c.consortium} (${this.consortiumFile}); members: ${members.join(", ")}`,
        command,
      );
    }
    const identity = await loadIdentity(this.home, id);
    return new ZhixinClient({ url: this.url, ...identity });
  }
}

// ---- commands -------------------------------------------------------------------------

async function runSubmit(ctx: Context, values: Values): Promise<number> {
  const as = requireString(values, "as", "submit");
  const type = requireString(values, "type", "submit");
  const file = requireString(values, "file", "submit");
  const concurrency =
    values.concurrency === undefined ? 4 : positiveInteger(values.concurrency, "--concurrency", "submit");

  const client = await ctx.clientAs(as, "submit");
  const input = parseInputFile(await readInput(file), file);

  if (input.format === "json") {
    const [only] = planBatches(type, input.records);
    if (!only) throw new InputError("no records");
    printJson(await client.submit(only.records));
    return 0;
  }

  const batches = planBatches(type, input.records);
  const total = input.records.length;
  const bar = process.stderr.isTTY ? new ProgressBar(process.stderr, total) : undefined;
  try {
    const receipts = await sendBatches(client, batches, {
      concurrency,
      onBatch: (batch) => bar?.advance(batch.records.length),
    });
    bar?.finish();
    printJson(combineReceipts(receipts));
    return 0;
  } catch (e) {
    bar?.clear();
    if (!(e instanceof BatchesFailed)) throw e;
    const failed = batches[e.batch];
    const where = failed ? ` (lines ${lineSpan([failed])})` : "";
    if (e.accepted.length > 0) {
      const accepted = e.accepted.flatMap((i) => batches[i] ?? []);
      const records = accepted.reduce((n, b) => n + b.records.length, 0);
      process.stderr.write(
        `zhixin: batch ${e.batch + 1} of ${batches.length}${where} failed; ${records} records (lines ${lineSpan(accepted)}) were accepted and are in the ledger\n`,
      );
    } else if (batches.length > 1) {
      process.stderr.write(
        `zhixin: nothing was accepted; batch ${e.batch + 1} of ${batches.length}${where} failed\n`,
      );
    }
    throw e.error;
  }
}

async function runGet(ctx: Context, values: Values, [id]: string[]): Promise<number> {
  if (id === undefined || !/^[0-9a-f]{32}$/.test(id)) {
    throw new UsageError(`entry ids are 32 lowercase hex digits, got ${JSON.stringify(id ?? "")}`, "get");
  }
  const client = await ctx.clientAs(optionalString(values, "as"), "get");
  printJson(await client.getEntry(id));
  return 0;
}

async function runBlock(ctx: Context, values: Values, [which]: string[]): Promise<number> {
  const height =
    which === undefined || which === "latest" ? "latest" : positiveInteger(which, "height", "block");
  const client = await ctx.clientAs(optionalString(values, "as"), "block");
  printJson(await client.block(height));
  return 0;
}

async function runCheckpoint(ctx: Context, values: Values): Promise<number> {
  const client = await ctx.clientAs(optionalString(values, "as"), "checkpoint");
  const note = await client.checkpoint();
  process.stdout.write(note.endsWith("\n") ? note : `${note}\n`);
  return 0;
}

async function runSeal(ctx: Context): Promise<number> {
  printJson(await ctx.anonymousClient().seal());
  return 0;
}

async function runVerify(ctx: Context, values: Values): Promise<number> {
  let payload: VerifyPayload;
  const entry = optionalString(values, "entry");
  if (entry !== undefined) {
    if (values.from !== undefined || values.to !== undefined) {
      throw new UsageError("--entry cannot be combined with --from or --to", "verify");
    }
    if (!/^[0-9a-f]{32}$/.test(entry))
      throw new UsageError("entry ids are 32 lowercase hex digits", "verify");
    payload = { entry };
  } else {
    const from = values.from === undefined ? undefined : positiveInteger(values.from, "--from", "verify");
    const to = values.to === undefined ? undefined : positiveInteger(values.to, "--to", "verify");
    if (from !== undefined && to !== undefined && from > to) {
      throw new UsageError(`--from ${from} is after --to ${to}`, "verify");
    }
    payload = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
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

  const report = await ctx.anonymousClient().verify(payload);
  if ("error" in report) throw new ClientError(report.error.code, report.error.message);
  printJson(report);
  if (process.stderr.isTTY) process.stderr.write(`${verifySummary(report)}\n`);
  const wholeChain = !("entry" in payload) && values.from === undefined && values.to === undefined;
  if (report.ok && wholeChain && !forget && "checkpoint" in report && report.checkpoint) {
    await mkdir(dirname(kept), { recursive: true, mode: 0o700 });
    await writeFile(kept, report.checkpoint);
  }
  return report.ok ? 0 : 1;
}

function verifySummary(report: Exclude<VerifyReport, { error: unknown }>): string {
  if (report.ok) {
    if ("entryId" in report) {
      return report.status === "sealed"
        ? `ok: entry ${report.entryId} is sealed in block ${report.height} (log index ${report.logIndex})`
        : `ok: entry ${report.entryId} is pending (not sealed yet); its signature checks out`;
    }
    return `ok: ${report.blocksChecked} blocks, ${report.entriesChecked} entries checked`;
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

// ---- input helpers ------------------------------------------------------------------------

async function readInput(file: string): Promise<string> {
  if (file === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function parseInputFile(text: string, file: string): ReturnType<typeof parseRecordInput> {
  try {
    return parseRecordInput(text, { ndjson: extname(file).toLowerCase() === ".ndjson" });
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${file === "-" ? "stdin" : file}: ${e.message}`);
    throw e;
  }
}

/** "1–100, 201–300": the input lines of batches, adjacent batches merged (batches hold consecutive lines). */
function lineSpan(batches: readonly Batch[]): string {
  const spans: Array<[number, number]> = [];
  for (const b of batches) {
    const first = b.lines[0];
    const last = b.lines[b.lines.length - 1];
    if (first === undefined || last === undefined) continue;
    const previous = spans[spans.length - 1];
    if (previous && previous[1] + 1 >= first) previous[1] = Math.max(previous[1], last);
    else spans.push([first, last]);
  }
  return spans.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(", ");
}

function requireString(values: Values, name: string, command: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`, command);
  return value;
}

function optionalString(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

function positiveInteger(value: string | boolean, what: string, command: string): number {
  const text = String(value);
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${what} must be a positive integer, got ${JSON.stringify(text)}`, command);
  }
  return Number(text);
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

// ---- errors -------------------------------------------------------------------------------

function reportError(e: unknown, ctx: Context, command: string): number {
  if (e instanceof UsageError) return usageFailure(e.message, e.command ?? command);
  if (e instanceof InputError || e instanceof IdentityError || e instanceof ConsortiumFileError) {
    const hint = e instanceof ConsortiumFileError ? " (set ZHIXIN_CONSORTIUM)" : "";
    process.stderr.write(`zhixin: ${e.message}${hint}\n`);
    return 2;
  }
  if (e instanceof ClientError) {
    if (e.code === "CONNECTION") {
      process.stderr.write(`zhixin: cannot reach ${ctx.url} — is \`npm start\` running? (set ZHIXIN_URL)\n`);
      return 2;
    }
    if (e.code === "TIMEOUT" || e.code === "INVALID_URL") {
      process.stderr.write(`zhixin: ${e.message} (set ZHIXIN_URL)\n`);
      return 2;
    }
    if (e.code === "INVALID_PARAMETER" && e.status === undefined) {
      process.stderr.write(`zhixin: ${e.code}: ${e.message}\n`);
      return 2;
    }
    const hint =
      e.code === "ROUTE_NOT_FOUND" && (command === "seal" || command === "verify")
        ? ` (\`zhixin ${command}\` needs a local consortium: npm start)`
        : "";
    process.stderr.write(`zhixin: ${e.code}: ${e.message}${hint}\n`);
    return 1;
  }
  process.stderr.write(`zhixin: ${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}
