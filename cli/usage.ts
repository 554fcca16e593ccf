import type { ParseArgsConfig } from "node:util";

/**
 * The `zhixin` commands as users see them: names, usage lines, help text, options.
 * Kept free of heavy imports so that --help and usage errors answer quickly; the
 * commands themselves are in ./commands.ts.
 */

export const DEFAULTS = {
  url: "http://127.0.0.1:8787",
  home: ".zhixin",
  consortium: "consortium.example.json",
};

const ENVIRONMENT = `Environment:
  ZHIXIN_URL          API base URL (default ${DEFAULTS.url}); a deployed stack's is
                      https://<id>.execute-api.<region>.amazonaws.com (a stack output)
  ZHIXIN_HOME         local keys: $ZHIXIN_HOME/keys/<member>.pem (default ./${DEFAULTS.home})
  ZHIXIN_CONSORTIUM   consortium file: members and the auditor identity (default ./${DEFAULTS.consortium})
  ZHIXIN_SIGV4        1: SigV4-sign every request, as --sigv4
  ZHIXIN_VERIFY_FUNCTION   \`zhixin verify\` invokes this verify function, as --function
  AWS_PROFILE, AWS_ACCESS_KEY_ID, …   AWS credentials (the standard provider chain)
  AWS_REGION, AWS_DEFAULT_REGION      the region when neither --region, an ARN nor the API host says`;

export type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values = Record<string, string | boolean | undefined>;

export interface CommandSpec {
  summary: string;
  usage: string;
  /** Description and option list shown by --help, after the usage line. */
  details: string;
  options: Options;
  positionals: { min: number; max: number };
}

const AS_OPTION = `  --as <member>       act as this department or auditor (key from ZHIXIN_HOME; with
                      --kms-key, default: the <member> of alias/zhixin/<consortium>/<member>)`;

/** Options of every command that signs requests, for a deployed stack. */
const AWS_SIGNING_HELP = `
On AWS (a deployed stack):
  --kms-key <arn|alias>  sign with this KMS key instead of a key file (kms:Sign; AWS
                      credentials from the standard provider chain)
  --key-id <id>       the key's id in the consortium (default: the alias name, e.g.
                      alias/zhixin/<consortium>/<member>; required with a key ARN or id)
  --alg <alg>         ed25519 or ecdsa-p256-sha256 (default: the key's KeySpec, read with
                      kms:GetPublicKey)
  --region <region>   AWS region for KMS and SigV4 (default: from the key ARN or the API
                      host, else AWS_REGION / AWS_DEFAULT_REGION)
  --sigv4             SigV4-sign every request (service execute-api) for an IAM-authorised
                      API; automatic for https://….execute-api.<region>.amazonaws.com URLs`;

const AWS_SIGNING_OPTIONS = {
  "kms-key": { type: "string" },
  "key-id": { type: "string" },
  alg: { type: "string" },
  region: { type: "string" },
  sigv4: { type: "boolean" },
} as const satisfies Options;

export const COMMANDS = {
  submit: {
    summary: "sign and submit records of one type as a department",
    usage:
      "zhixin submit (--as <department> | --kms-key <arn|alias>) --type <record type> --file <file.json | file.ndjson | ->",
    details: `The file holds one record's data (a JSON object), or one object per line (ndjson:
a .ndjson name, or several lines that are each an object); "-" reads stdin. ndjson is
sent as signed batches of up to 100 records, a few at a time; every line is checked
before anything is sent. Prints the receipt: for ndjson
  { "entries": [...in input order], "batches": N, "receivedAt": [first, last] }

Options:
  --as <department>   the writing department (key from ZHIXIN_HOME; with --kms-key,
                      default: the <member> of alias/zhixin/<consortium>/<member>)
  --type <type>       record type, e.g. housing-fund.deposit-certificate
  --file <path>       the record data; - for stdin
  --concurrency <n>   batches in flight at once (default 4)
${AWS_SIGNING_HELP}`,
    options: {
      as: { type: "string" },
      type: { type: "string" },
      file: { type: "string" },
      concurrency: { type: "string" },
      ...AWS_SIGNING_OPTIONS,
    },
    positionals: { min: 0, max: 0 },
  },
  get: {
    summary: "show an entry: status, envelope, proof once sealed, payload for its writer",
    usage: "zhixin get <entry id> [--as <member>] [--kms-key <arn|alias>]",
    details: `Prints the entry as the API returns it. Reads as the consortium's first auditor unless
--as is given; only the writing department sees the payload.

Options:
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    options: { as: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 1, max: 1 },
  },
  block: {
    summary: "show a sealed block: header, hash, signature, checkpoint",
    usage: "zhixin block [<height> | latest] [--as <member>] [--kms-key <arn|alias>]",
    details: `Prints the block at <height> (default: the latest), read as the consortium's first
auditor unless --as is given.

Options:
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    options: { as: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 0, max: 1 },
  },
  checkpoint: {
    summary: "print the latest signed checkpoint (C2SP signed note)",
    usage: "zhixin checkpoint [--as <member>] [--kms-key <arn|alias>]",
    details: `Prints the checkpoint note of the latest block, read as the consortium's first auditor
unless --as is given.

Options:
${AS_OPTION}
${AWS_SIGNING_HELP}`,
    options: { as: { type: "string" }, ...AWS_SIGNING_OPTIONS },
    positionals: { min: 0, max: 0 },
  },
  seal: {
    summary: "seal pending entries into a block now (local mode)",
    usage: "zhixin seal",
    details: `Asks the local consortium (npm start) to seal one block now, and prints the result.
A deployed stack seals on its EventBridge schedule (the seal-block function).`,
    options: {},
    positionals: { min: 0, max: 0 },
  },
  verify: {
    summary: "audit the chain, a range of heights, or one entry",
    usage:
      "zhixin verify [--from <height>] [--to <height>] | zhixin verify --entry <entry id>   [--function <name|arn>]",
    details: `Runs the verify function — of the local consortium, or with --function the deployed
stack's (invoked directly, with your AWS credentials) — and prints its report. Exit status
0 when ok, 1 when there are findings, 2 when the function itself failed.

A chain cannot show on its own that its newest blocks were removed. So after every clean
audit of the whole chain, the checkpoint of its last block (signed by the sealer) is kept
in $ZHIXIN_HOME/audit/trusted-checkpoint, and the next audit requires the log to still
reach it, with the same root (findings LOG_TRUNCATED, LOG_REWRITTEN).

Options:
  --from <height>     first height to audit (default 1)
  --to <height>       last height to audit (default: the latest)
  --entry <id>        check one entry: envelope, signature, inclusion proof, block
  --trust <file>      hold the log to this checkpoint instead of the kept one
  --forget            neither use nor update the kept checkpoint

On AWS (a deployed stack):
  --function <name|arn>  invoke this verify function (lambda:InvokeFunction; stack output)
                      instead of the local consortium's (default: $ZHIXIN_VERIFY_FUNCTION)
  --region <region>   the function's region (default: from its ARN, else AWS_REGION /
                      AWS_DEFAULT_REGION)`,
    options: {
      from: { type: "string" },
      to: { type: "string" },
      entry: { type: "string" },
      trust: { type: "string" },
      forget: { type: "boolean" },
      function: { type: "string" },
      region: { type: "string" },
    },
    positionals: { min: 0, max: 0 },
  },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export function isCommand(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMANDS, name);
}

export function topUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`);
  return `zhixin — client for a Zhixin consortium ledger

Usage: zhixin <command> [options]

Commands:
${lines.join("\n")}
  ${"help".padEnd(width)}show help for a command

${ENVIRONMENT}

Run \`zhixin <command> --help\` for its options. Exit status: 0 success; 1 refused by
the API or verification findings; 2 usage, input, key, AWS credentials or connection
error.
`;
}

export function commandHelp(command: CommandSpec): string {
  return `Usage: ${command.usage}

${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.

${command.details}
  -h, --help          show this help

${ENVIRONMENT}
`;
}

/** Bad arguments: reported with the command's usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** Prints `zhixin: <message>` and the usage (of the command, or of zhixin) on stderr; returns exit status 2. */
export function usageFailure(message: string, command?: string): number {
  const usage = command
    ? `Usage: ${isCommand(command) ? COMMANDS[command].usage : ""}\nRun \`zhixin ${command} --help\` for its options.\n`
    : topUsage();
  process.stderr.write(`zhixin: ${message}\n\n${usage}`);
  return 2;
}
