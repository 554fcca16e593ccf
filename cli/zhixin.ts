import { parseArgs } from "node:util";
import type { AwsDeps } from "./aws.js";
import {
  COMMANDS,
  type CommandSpec,
  commandHelp,
  groupHelp,
  isCommand,
  isGroup,
  topUsage,
  usageFailure,
  type Values,
} from "./usage.js";

/**
 * `zhixin`: submit records, read entries, blocks and checkpoints, seal (local mode),
 * verify, and share under contracts (contract propose/approve/revoke/show, match,
 * access) — against a local consortium or a deployed stack (KMS keys, SigV4, the verify
 * function). Run by bin/zhixin.js; main returns the exit status:
 *   0  success
 *   1  the API refused the request, or verification found problems
 *   2  usage, input, key, credentials or connection error; a verify function that failed
 */

export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  /** AWS clients and credentials for tests; the CLI builds its own otherwise. */
  deps: AwsDeps = {},
): Promise<number> {
  const [first, ...afterFirst] = argv;
  if (first === undefined) {
    process.stderr.write(topUsage());
    return 2;
  }
  if (first === "--help" || first === "-h") {
    process.stdout.write(topUsage());
    return 0;
  }
  if (first === "help") return help(afterFirst);

  // A group's subcommand is one command: `contract approve` is COMMANDS["contract approve"].
  let name = first;
  let rest = afterFirst;
  if (isGroup(first)) {
    const [sub, ...afterSub] = afterFirst;
    if (sub === "--help" || sub === "-h") {
      process.stdout.write(groupHelp(first));
      return 0;
    }
    if (sub === undefined || sub.startsWith("-")) return usageFailure(`${first} needs a subcommand`, first);
    name = `${first} ${sub}`;
    rest = afterSub;
    if (!isCommand(name)) return usageFailure(`unknown ${first} subcommand ${JSON.stringify(sub)}`, first);
  }
  // "contract approve" as one argument is not how the command is spelled.
  if (!isCommand(name) || (name === first && first.includes(" "))) {
    return usageFailure(`unknown command ${JSON.stringify(first)}`);
  }
  const command: CommandSpec = COMMANDS[name];

  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    }));
  } catch (e) {
    // parseArgs' messages are long ("Unknown option '--x'. To specify a positional..."): keep the gist.
    const message = (e as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    return usageFailure(unknown ? `unknown option ${unknown[1]}` : (message.split(". ")[0] ?? message), name);
  }
  if (values.help) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  if (positionals.length < command.positionals.min || positionals.length > command.positionals.max) {
    const got = positionals.length === 0 ? "none" : positionals.map((p) => JSON.stringify(p)).join(" ");
    const { min, max } = command.positionals;
    const count = (n: number) => `${n} argument${n === 1 ? "" : "s"}`;
    const want =
      max === 0
        ? "no arguments"
        : min === max
          ? count(max)
          : min === 0
            ? `at most ${count(max)}`
            : `${min} to ${count(max)}`;
    return usageFailure(`${name} takes ${want}, got ${got}`, name);
  }

  // Loaded only now: --help and usage errors need none of it.
  const { runCommand } = await import("./commands/index.js");
  return runCommand(name, values, positionals, env, deps);
}

/** `zhixin help [<command> | <group> [<subcommand>]]`. */
function help([topic, sub]: string[]): number {
  if (topic === undefined) {
    process.stdout.write(topUsage());
    return 0;
  }
  if (isGroup(topic) && sub === undefined) {
    process.stdout.write(groupHelp(topic));
    return 0;
  }
  const name = isGroup(topic) ? `${topic} ${sub}` : topic;
  if (!isCommand(name)) {
    return isGroup(topic)
      ? usageFailure(`unknown ${topic} subcommand ${JSON.stringify(sub)}`, topic)
      : usageFailure(`unknown command ${JSON.stringify(topic)}`);
  }
  process.stdout.write(commandHelp(COMMANDS[name]));
  return 0;
}
