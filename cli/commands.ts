import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import { JsonTextError, parseJson, type SignatureAlgorithm } from "#chain";
import { type Consortium, ConsortiumFileError, loadConsortium } from "../functions/rules/consortium.js";
import {
  CONTRACT_APPROVE,
  CONTRACT_PROPOSE,
  CONTRACT_REVOKE,
  type ContractDocument,
  ContractDocumentSchema,
  contractVersion,
} from "../functions/rules/contracts.js";
import type { ContractView } from "../functions/sharing/contract-view.js";
import {
  AwsCliError,
  type AwsDeps,
  type CredentialsProvider,
  executeApiRegion,
  explainAwsError,
  regionOfArn,
  resolveRegion,
} from "./aws.js";
import {
  ClientError,
  type TransportSigner,
  type VerifyPayload,
  type VerifyReport,
  ZhixinClient,
} from "./client.js";
import { localPaths } from "./defaults.js";
import { type Identity, IdentityError, loadIdentity } from "./identity.js";
import { type Batch, InputError, parseRecordInput, planBatches } from "./input.js";
import { ProgressBar } from "./progress.js";
import { BatchesFailed, combineReceipts, sendBatches } from "./send-batches.js";
import { type CommandName, DEFAULTS, UsageError, usageFailure, type Values } from "./usage.js";
import { parseWhere } from "./where.js";

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
  "contract propose": runContractPropose,
  "contract approve": runContractApprove,
  "contract revoke": runContractRevoke,
  "contract show": runContractShow,
  match: runMatch,
  access: runAccess,
};

/** Runs a parsed command; returns its exit status (see ./zhixin.ts). */
export async function runCommand(
  name: CommandName,
  values: Values,
  positionals: string[],
  env: NodeJS.ProcessEnv,
  deps: AwsDeps = {},
): Promise<number> {
  const ctx = new Context(env, values, name, deps);
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
  /** The API is IAM-authorised: requests are SigV4-signed (--sigv4, ZHIXIN_SIGV4=1, or an execute-api URL). */
  readonly sigv4: boolean;
  #consortium: Consortium | undefined;
  #credentials: CredentialsProvider | undefined;
  #transport: Promise<TransportSigner | undefined> | undefined;

  constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly values: Values,
    readonly command: CommandName,
    readonly deps: AwsDeps,
  ) {
    this.url = env.ZHIXIN_URL || DEFAULTS.url;
    const paths = localPaths(env, process.cwd());
    this.home = paths.home;
    this.consortiumFile = paths.consortium;
    this.sigv4 =
      values.sigv4 === true ||
      ["1", "true", "yes"].includes((env.ZHIXIN_SIGV4 ?? "").toLowerCase()) ||
      executeApiRegion(this.url) !== undefined;
  }

  get consortium(): Consortium {
    this.#consortium ??= loadConsortium(this.consortiumFile);
    return this.#consortium;
  }

  /** One provider for KMS, Lambda and SigV4, so credentials are resolved (and an SSO prompt shown) once. */
  async credentials(): Promise<CredentialsProvider> {
    if (this.deps.credentials) return this.deps.credentials;
    if (!this.#credentials) {
      const { fromNodeProviderChain } = await import("@aws-sdk/credential-providers");
      this.#credentials = fromNodeProviderChain();
    }
    return this.#credentials;
  }

  /** --region, else the region in `arn`, else AWS_REGION / AWS_DEFAULT_REGION, else the SDK's (profile). */
  region(arn?: string): string | undefined {
    return resolveRegion(optionalString(this.values, "region"), arn && regionOfArn(arn), this.env);
  }

  /** SigV4 for the API, when it is IAM-authorised. */
  transport(): Promise<TransportSigner | undefined> {
    this.#transport ??= (async () => {
      if (!this.sigv4) return undefined;
      const { sigv4Signer } = await import("./sigv4.js");
      const region = resolveRegion(
        optionalString(this.values, "region"),
        executeApiRegion(this.url),
        this.env,
      );
      if (region === undefined) {
        throw new UsageError(`cannot tell the AWS region of ${this.url} to SigV4-sign for: pass --region`);
      }
      const sign = sigv4Signer({ region, credentials: await this.credentials() });
      return async (request) => {
        try {
          return await sign(request);
        } catch (e) {
          throw explainAwsError(e, { kind: "sigv4" });
        }
      };
    })();
    return this.#transport;
  }

  /** A client with no identity: health and the local admin routes. */
  async anonymousClient(): Promise<ZhixinClient> {
    const transport = await this.transport();
    return new ZhixinClient({ url: this.url, ...(transport ? { transport } : {}) });
  }

  /** A client signing as --as (or the member of --kms-key's alias), or as the consortium's first auditor. */
  async client(): Promise<ZhixinClient> {
    const identity = await this.identity();
    const transport = await this.transport();
    return new ZhixinClient({ url: this.url, ...identity, ...(transport ? { transport } : {}) });
  }

  async identity(): Promise<Identity> {
    const kmsKey = optionalString(this.values, "kms-key");
    const as = optionalString(this.values, "as");
    if (kmsKey !== undefined) {
      const [{ kmsIdentity }, { KMSClient }] = await Promise.all([
        import("./kms-identity.js"),
        import("@aws-sdk/client-kms"),
      ]);
      const region = this.region(kmsKey);
      const client =
        this.deps.kmsClient?.(region) ??
        new KMSClient({ ...(region ? { region } : {}), credentials: await this.credentials() });
      return kmsIdentity({
        kmsKey,
        as,
        keyId: optionalString(this.values, "key-id"),
        alg: this.alg(),
        client,
        command: this.command,
      });
    }
    for (const flag of ["key-id", "alg"]) {
      if (this.values[flag] !== undefined) throw new UsageError(`--${flag} goes with --kms-key`);
    }
    return loadIdentity(this.home, this.member(as));
  }

  /** Checks --as against the consortium file; without it, the consortium's first auditor. */
  member(as: string | undefined): string {
    const c = this.consortium;
    const members = [...c.departments.map((d) => d.id), ...c.auditors.map((a) => a.id)];
    if (as === undefined) {
      const auditor = c.auditors[0]?.id;
      if (auditor === undefined) {
        throw new UsageError(`${this.consortiumFile} names no auditor to read as; pass --as <member>`);
      }
      return auditor;
    }
    if (!members.includes(as)) {
      throw new UsageError(
        `--as ${as} is not a member of ${c.consortium} (${this.consortiumFile}); members: ${members.join(", ")}`,
      );
    }
    return as;
  }

  alg(): SignatureAlgorithm | undefined {
    const alg = optionalString(this.values, "alg");
    if (alg === undefined || alg === "ed25519" || alg === "ecdsa-p256-sha256") return alg;
    throw new UsageError(`--alg must be ed25519 or ecdsa-p256-sha256, got ${JSON.stringify(alg)}`);
  }

  /** The verify function's client; region from --region, the function ARN, or the environment. */
  async lambdaClient(fn: string) {
    const region = this.region(fn);
    const injected = this.deps.lambdaClient?.(region);
    if (injected) return injected;
    const { LambdaClient } = await import("@aws-sdk/client-lambda");
    return new LambdaClient({ ...(region ? { region } : {}), credentials: await this.credentials() });
  }
}

// ---- commands -------------------------------------------------------------------------

async function runSubmit(ctx: Context, values: Values): Promise<number> {
  // With a KMS key the member may follow from its alias (see ./kms-identity.ts).
  if (values["kms-key"] === undefined) requireString(values, "as", "submit");
  const type = requireString(values, "type", "submit");
  const file = requireString(values, "file", "submit");
  const concurrency =
    values.concurrency === undefined ? 4 : positiveInteger(values.concurrency, "--concurrency", "submit");

  const client = await ctx.client();
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

async function runGet(ctx: Context, _values: Values, [id]: string[]): Promise<number> {
  if (id === undefined || !/^[0-9a-f]{32}$/.test(id)) {
    throw new UsageError(`entry ids are 32 lowercase hex digits, got ${JSON.stringify(id ?? "")}`, "get");
  }
  const client = await ctx.client();
  printJson(await client.getEntry(id));
  return 0;
}

async function runBlock(ctx: Context, _values: Values, [which]: string[]): Promise<number> {
  const height =
    which === undefined || which === "latest" ? "latest" : positiveInteger(which, "height", "block");
  const client = await ctx.client();
  printJson(await client.block(height));
  return 0;
}

async function runCheckpoint(ctx: Context): Promise<number> {
  const client = await ctx.client();
  const note = await client.checkpoint();
  process.stdout.write(note.endsWith("\n") ? note : `${note}\n`);
  return 0;
}

async function runSeal(ctx: Context): Promise<number> {
  if (ctx.sigv4) {
    throw new UsageError(
      "`zhixin seal` is for local mode: a deployed stack seals on its schedule (the seal-block function)",
    );
  }
  printJson(await (await ctx.anonymousClient()).seal());
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
      throw new UsageError(
        `--from ${from} is after --to ${to}: a range runs up from --from (\`zhixin block\` shows the latest height)`,
        "verify",
      );
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

  const fn = optionalString(values, "function") ?? (ctx.env.ZHIXIN_VERIFY_FUNCTION || undefined);
  let report: VerifyReport;
  if (fn !== undefined) {
    const { invokeVerifyFunction } = await import("./verify-function.js");
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

// ---- sharing ------------------------------------------------------------------------------

async function runContractPropose(ctx: Context, values: Values): Promise<number> {
  if (values["kms-key"] === undefined) requireString(values, "as", ctx.command);
  const file = requireString(values, "file", ctx.command);
  const doc = parseContractDocument(await readInput(file), file);
  const client = await ctx.client();
  const receipt = await client.submit([{ type: CONTRACT_PROPOSE, data: doc }]);
  printJson({ contractId: doc.id, version: contractVersion(doc), entryId: receipt.entries[0]?.id });
  return 0;
}

async function runContractApprove(ctx: Context, values: Values, [id]: string[]): Promise<number> {
  if (values["kms-key"] === undefined) requireString(values, "as", ctx.command);
  const contractId = contractIdOf(id, ctx.command);
  const given = optionalString(values, "version");
  if (given !== undefined && !/^[0-9a-f]{64}$/.test(given)) {
    throw new UsageError(
      `--version is a contract version, 64 lowercase hex digits; got ${JSON.stringify(given)}`,
      ctx.command,
    );
  }
  const client = await ctx.client();
  const version = given ?? newestProposed(await client.contract(contractId));
  const receipt = await client.submit([{ type: CONTRACT_APPROVE, data: { contractId, version } }]);
  printJson({ contractId, version, entryId: receipt.entries[0]?.id });
  return 0;
}

async function runContractRevoke(ctx: Context, values: Values, [id]: string[]): Promise<number> {
  if (values["kms-key"] === undefined) requireString(values, "as", ctx.command);
  const contractId = contractIdOf(id, ctx.command);
  if (values.reason === "") throw new UsageError("--reason must not be empty", ctx.command);
  const client = await ctx.client();
  const reason = optionalString(values, "reason") ?? `revoked by ${client.department}`;
  const receipt = await client.submit([{ type: CONTRACT_REVOKE, data: { contractId, reason } }]);
  printJson({ contractId, entryId: receipt.entries[0]?.id });
  return 0;
}

async function runContractShow(ctx: Context, _values: Values, [id]: string[]): Promise<number> {
  const contractId = contractIdOf(id, ctx.command);
  printJson(await (await ctx.client()).contract(contractId));
  return 0;
}

async function runMatch(ctx: Context, values: Values): Promise<number> {
  if (values["kms-key"] === undefined) requireString(values, "as", "match");
  const contract = contractIdOf(requireString(values, "contract", "match"), "match", "--contract");
  const subject = requireString(values, "subject", "match");
  const where = optionalStrings(values, "where").map(parseWhere);
  const authorisation = await authorisationOf(values);
  const client = await ctx.client();
  // A refusal is a ClientError whose details name the access entry; reportError prints them.
  const answer = await client.match({
    contract,
    subject,
    where,
    want: values.fields === true ? "fields" : "match",
    ...(authorisation ? { authorisation } : {}),
  });
  printJson(answer);
  return 0;
}

async function runAccess(ctx: Context, values: Values): Promise<number> {
  const subject = requireString(values, "subject", "access");
  printJson(await (await ctx.client()).accessTrail(subject));
  return 0;
}

/**
 * The contract document in a --file, checked as the API will check it (the consortium
 * checks — are provider and consumer departments, does the type exist — stay the API's):
 * an InputError lists every problem, so nothing is sent for a document the API would refuse.
 */
function parseContractDocument(text: string, file: string): ContractDocument {
  const name = file === "-" ? "stdin" : file;
  let json: unknown;
  try {
    // Read as the API reads bodies (docs/FORMATS.md §1.1): a name given twice is refused
    // here, not silently resolved to its last value and signed.
    json = parseJson(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    if (!(e instanceof JsonTextError)) throw e;
    const what = e.code === "INVALID_JSON" ? "not JSON" : `refused as the API would (${e.code})`;
    throw new InputError(`${name}: ${what}: ${e.message}`, undefined, e.code);
  }
  const parsed = ContractDocumentSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  // zod words a missing field as "expected string, received undefined".
  const absent = (path: readonly PropertyKey[]) =>
    path.reduce<unknown>(
      (v, k) => (typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined),
      json,
    ) === undefined;
  const problems = parsed.error.issues.map(
    (i) =>
      `  ${i.path.join(".") || "(document)"}: ${i.code === "invalid_type" && absent(i.path) ? "required" : i.message}`,
  );
  throw new InputError(`${name} is not a valid contract document:\n${problems.join("\n")}`);
}

/** The newest version awaiting approval: what `contract approve` approves without --version. */
function newestProposed(contract: ContractView): string {
  const proposed = contract.versions.findLast((v) => v.status === "proposed");
  if (proposed) return proposed.version;
  const statuses = contract.versions.map((v) => `${v.version.slice(0, 12)}… ${v.status}`).join(", ");
  // The code the API gives for approving a version that is not proposed.
  throw new ClientError(
    "CONTRACT_STATE_CONFLICT",
    `${contract.id} has no proposed version to approve (versions: ${statuses})`,
  );
}

/** The subject's authorisation: --authorisation-ref with the SHA-256 of --authorisation-file, or --authorisation-digest. */
async function authorisationOf(values: Values): Promise<{ ref: string; digest: string } | undefined> {
  const ref = optionalString(values, "authorisation-ref");
  const file = optionalString(values, "authorisation-file");
  const digest = optionalString(values, "authorisation-digest");
  if (ref === undefined && file === undefined && digest === undefined) return undefined;
  if (ref === undefined || ref === "") {
    throw new UsageError(
      "--authorisation-file and --authorisation-digest go with --authorisation-ref",
      "match",
    );
  }
  if ((file === undefined) === (digest === undefined)) {
    throw new UsageError(
      "--authorisation-ref needs one of --authorisation-file and --authorisation-digest",
      "match",
    );
  }
  if (digest !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(digest)) {
      throw new UsageError(
        `--authorisation-digest is a SHA-256, 64 hex digits; got ${JSON.stringify(digest)}`,
        "match",
      );
    }
    return { ref, digest: digest.toLowerCase() };
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file as string);
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { ref, digest: createHash("sha256").update(bytes).digest("hex") };
}

/** Contract ids as the API takes them (functions/rules/contracts.ts Identifier). */
function contractIdOf(id: string | undefined, command: string, what = "the contract id"): string {
  if (id === undefined || !/^[a-z0-9][a-z0-9-]{1,62}$/.test(id)) {
    throw new UsageError(
      `${what} is 2 to 63 lowercase letters, digits and '-'; got ${JSON.stringify(id ?? "")}`,
      command,
    );
  }
  return id;
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

/** A repeatable option's values, in command-line order. */
function optionalStrings(values: Values, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
}

function positiveInteger(value: NonNullable<Values[string]>, what: string, command: string): number {
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
  if (e instanceof AwsCliError) {
    process.stderr.write(`zhixin: ${e.message}\n`);
    return 2;
  }
  if (e instanceof InputError || e instanceof IdentityError || e instanceof ConsortiumFileError) {
    const hint = e instanceof ConsortiumFileError ? " (set ZHIXIN_CONSORTIUM)" : "";
    process.stderr.write(`zhixin: ${e.message}${hint}\n`);
    return 2;
  }
  if (e instanceof ClientError) {
    if (e.code === "CONNECTION") {
      process.stderr.write(
        ctx.sigv4
          ? `zhixin: ${e.message} (set ZHIXIN_URL to the stack's API URL)\n`
          : `zhixin: cannot reach ${ctx.url} — is \`npm start\` running? (set ZHIXIN_URL)\n`,
      );
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
        : e.code === "HTTP_403" && !ctx.sigv4
          ? " (an IAM-authorised API wants SigV4: pass --sigv4 and --region, or set ZHIXIN_SIGV4=1)"
          : e.code === "HTTP_403"
            ? " (check that your role may call execute-api:Invoke on this route)"
            : "";
    process.stderr.write(`zhixin: ${e.code}: ${e.message}${hint}\n`);
    // The API's details (the records or fields at fault; a recorded match refusal's
    // accessEntryId) follow as its error body, for scripts.
    if (e.status !== undefined && e.details !== undefined) {
      const body = { error: { code: e.code, message: e.message, details: e.details } };
      process.stderr.write(`${JSON.stringify(body, null, 2)}\n`);
    }
    return 1;
  }
  process.stderr.write(`zhixin: ${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}
