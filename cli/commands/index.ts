import { ConsortiumFileError } from "../../lib/consortium/consortium.js";
import { AwsCliError, type AwsDeps } from "../aws.js";
import { ClientError } from "../client.js";
import { IdentityError } from "../identity.js";
import { InputError } from "../input.js";
import { type CommandName, UsageError, usageFailure, type Values } from "../usage.js";
import { Context } from "./context.js";
import {
  runContractApprove,
  runContractList,
  runContractPropose,
  runContractRevoke,
  runContractShow,
} from "./contract.js";
import { runEvidence } from "./evidence.js";
import { runExport } from "./export.js";
import {
  runKeysAdd,
  runKeysCosign,
  runKeysIntroduce,
  runKeysRetire,
  runKeysRevoke,
  runKeysRotate,
  runKeysShow,
} from "./keys.js";
import { runAccess, runMatch } from "./match.js";
import { runBlock, runCheckpoint, runGet } from "./read.js";
import { runSeal } from "./seal.js";
import { runShip } from "./ship.js";
import { runSubmit } from "./submit.js";
import { runTrustExport } from "./trust.js";
import { runVerify } from "./verify.js";

/**
 * Runs each `zhixin` command (its arguments are already parsed by ../zhixin.ts), and turns
 * failures into messages and exit statuses. The commands are in this folder, one file per
 * group; what they share (Context and the option helpers) is in ./context.ts.
 */

type Runner = (ctx: Context, values: Values, positionals: string[]) => Promise<number>;

const RUNNERS: Record<CommandName, Runner> = {
  submit: runSubmit,
  ship: runShip,
  get: runGet,
  block: runBlock,
  checkpoint: runCheckpoint,
  seal: runSeal,
  verify: runVerify,
  evidence: runEvidence,
  export: runExport,
  "trust export": runTrustExport,
  "keys show": runKeysShow,
  "keys rotate": runKeysRotate,
  "keys introduce": runKeysIntroduce,
  "keys add": runKeysAdd,
  "keys retire": runKeysRetire,
  "keys revoke": runKeysRevoke,
  "keys cosign": runKeysCosign,
  "contract propose": runContractPropose,
  "contract approve": runContractApprove,
  "contract revoke": runContractRevoke,
  "contract show": runContractShow,
  "contract list": runContractList,
  match: runMatch,
  access: runAccess,
};

/** Runs a parsed command; returns its exit status (see ../zhixin.ts). */
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
