import { JsonTextError, parseJson } from "#chain";
import {
  CONTRACT_APPROVE,
  CONTRACT_PROPOSE,
  CONTRACT_REVOKE,
  type ContractDocument,
  ContractDocumentSchema,
  type ContractView,
  contractVersion,
} from "../../lib/protocol/contracts.js";
import { ClientError } from "../client.js";
import { InputError } from "../input.js";
import { UsageError, type Values } from "../usage.js";
import { type Context, optionalString, printJson, readInput, requireString } from "./context.js";

/** `zhixin contract propose|approve|revoke|show`: sharing contracts between departments. */

export async function runContractPropose(ctx: Context, values: Values): Promise<number> {
  if (values["kms-key"] === undefined) requireString(values, "as", ctx.command);
  const file = requireString(values, "file", ctx.command);
  const doc = parseContractDocument(await readInput(file), file);
  const client = await ctx.client();
  const receipt = await client.submit([{ type: CONTRACT_PROPOSE, data: doc }]);
  printJson({
    contractId: doc.id,
    version: contractVersion(client.suite, doc),
    entryId: receipt.entries[0]?.id,
  });
  return 0;
}

export async function runContractApprove(ctx: Context, values: Values, [id]: string[]): Promise<number> {
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

export async function runContractRevoke(ctx: Context, values: Values, [id]: string[]): Promise<number> {
  if (values["kms-key"] === undefined) requireString(values, "as", ctx.command);
  const contractId = contractIdOf(id, ctx.command);
  if (values.reason === "") throw new UsageError("--reason must not be empty", ctx.command);
  const client = await ctx.client();
  const reason = optionalString(values, "reason") ?? `revoked by ${client.department}`;
  const receipt = await client.submit([{ type: CONTRACT_REVOKE, data: { contractId, reason } }]);
  printJson({ contractId, entryId: receipt.entries[0]?.id });
  return 0;
}

export async function runContractList(ctx: Context): Promise<number> {
  printJson(await (await ctx.client()).contracts());
  return 0;
}

export async function runContractShow(ctx: Context, _values: Values, [id]: string[]): Promise<number> {
  const contractId = contractIdOf(id, ctx.command);
  printJson(await (await ctx.client()).contract(contractId));
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

/** Contract ids as the API takes them (functions/rules/contracts.ts Identifier). */
export function contractIdOf(id: string | undefined, command: string, what = "the contract id"): string {
  if (id === undefined || !/^[a-z0-9][a-z0-9-]{1,62}$/.test(id)) {
    throw new UsageError(
      `${what} is 2 to 63 lowercase letters, digits and '-'; got ${JSON.stringify(id ?? "")}`,
      command,
    );
  }
  return id;
}
