import { readFile } from "node:fs/promises";
import { type CryptoSuite, toHex } from "#chain";
import { suiteOf } from "../../lib/consortium/consortium.js";
import { InputError } from "../input.js";
import { UsageError, type Values } from "../usage.js";
import { parseWhere } from "../where.js";
import { type Context, optionalString, optionalStrings, printJson, requireString } from "./context.js";
import { contractIdOf } from "./contract.js";

/** `zhixin match` and `zhixin access`: matching a subject under a contract, and the subject's access trail. */

export async function runMatch(ctx: Context, values: Values): Promise<number> {
  if (values["kms-key"] === undefined) requireString(values, "as", "match");
  const contract = contractIdOf(requireString(values, "contract", "match"), "match", "--contract");
  const subject = requireString(values, "subject", "match");
  const where = optionalStrings(values, "where").map(parseWhere);
  const authorisation = await authorisationOf(values, suiteOf(ctx.consortium));
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

export async function runAccess(ctx: Context, values: Values): Promise<number> {
  const subject = optionalString(values, "subject");
  if ((subject === undefined) === (values.list !== true)) {
    throw new UsageError(
      "give --subject <subject> for one subject's trail, or --list for every access you may see",
      "access",
    );
  }
  if (subject === "") throw new UsageError("--subject must not be empty", "access");
  const client = await ctx.client();
  printJson(subject === undefined ? await client.accesses() : await client.accessTrail(subject));
  return 0;
}

/**
 * The subject's authorisation: --authorisation-ref with the hash of --authorisation-file,
 * or --authorisation-digest; the hash is the suite's (SHA-256, SM3 under gm), as every
 * digest the ledger keeps.
 */
async function authorisationOf(
  values: Values,
  suite: CryptoSuite,
): Promise<{ ref: string; digest: string } | undefined> {
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
        `--authorisation-digest is the consent's ${suite.hashName}, 64 hex digits; got ${JSON.stringify(digest)}`,
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
  return { ref, digest: toHex(suite.hash(bytes)) };
}
