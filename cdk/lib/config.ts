import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Consortium, ConsortiumFileError, parseConsortium } from "../../lib/consortium/consortium.js";
import { LOG_RETENTION_DAYS, outputName } from "./defaults.js";

/**
 * The consortium file → the props the stack is built from. The file is the same one
 * local mode reads (lib/consortium/consortium.ts checks it); on top of that schema,
 * AWS needs what local mode can do without: a principal for every department and
 * auditor, a log retention CloudWatch accepts, member ids that give distinct stack
 * output names, and members' keys (keyArn) in one region. Every problem of both kinds is
 * reported in one ConsortiumFileError, each with the path of the bad field, so one synth
 * shows the whole list.
 */

type WithPrincipal<T> = T & { principal: string };
export type Department = WithPrincipal<Consortium["departments"][number]>;
export type Auditor = WithPrincipal<Consortium["auditors"][number]>;
export type ZhixinConsortium = Omit<Consortium, "departments" | "auditors"> & {
  departments: Department[];
  auditors: Auditor[];
};

export interface ZhixinConfig {
  /** Absolute path of the file; it is copied into each function bundle as consortium.json. */
  readonly file: string;
  readonly consortium: ZhixinConsortium;
}

export const DEFAULT_CONSORTIUM_FILE = "consortium.example.json";

/** `-c consortium=<path>` wins over ZHIXIN_CONSORTIUM, which wins over the demo file. */
export function consortiumFileFrom(context: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof context === "string" && context !== "") return resolve(context);
  return resolve(env.ZHIXIN_CONSORTIUM || DEFAULT_CONSORTIUM_FILE);
}

export function loadStackConfig(path: string): ZhixinConfig {
  const file = resolve(path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const what = e instanceof SyntaxError ? "not JSON" : "cannot read";
    throw new ConsortiumFileError(file, [`${what}: ${(e as Error).message}`]);
  }
  return { file, consortium: parseStackConsortium(json, file) };
}

/** The shared schema's problems and the AWS-only ones, in one error. */
export function parseStackConsortium(json: unknown, file = "consortium file"): ZhixinConsortium {
  let parsed: Consortium | undefined;
  const problems: string[] = [];
  try {
    parsed = parseConsortium(json, file);
  } catch (e) {
    if (!(e instanceof ConsortiumFileError)) throw e;
    problems.push(...e.problems);
  }
  problems.push(...awsProblems(json));
  if (problems.length > 0 || parsed === undefined) throw new ConsortiumFileError(file, problems);
  return parsed as ZhixinConsortium;
}

/**
 * Checked on the raw JSON, not on the parsed value, so that they are reported even
 * when the shared schema rejects something else in the same file.
 */
function awsProblems(json: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(json)) return problems;
  const outputs = new Map<string, string>();
  // KMS is regional: the ledger's functions call it in the ledger's region, and a key ARN of
  // another region is not found there. The stack cannot know its region at synth, but keys
  // in two regions cannot both be in it.
  let keyRegion: { region: string; id: string } | undefined;
  for (const list of ["departments", "auditors"] as const) {
    const members = json[list];
    if (!Array.isArray(members)) continue;
    members.forEach((member: unknown, i) => {
      if (!isRecord(member)) return;
      const id = typeof member.id === "string" ? member.id : `${list}[${i}]`;
      if (member.principal === undefined) {
        problems.push(
          `${list}.${i}.principal: required on AWS: the 12-digit account id or IAM role/user ARN ` +
            `allowed to assume ${id}'s role`,
        );
      }
      if (typeof member.id === "string") {
        const name = outputName(member.id);
        const clash = outputs.get(name);
        if (clash !== undefined && clash !== member.id) {
          problems.push(
            `${list}.${i}.id: ${member.id} and ${clash} would both name the stack outputs ${name}RoleArn ` +
              `and ${name}KeyArn; rename one`,
          );
        }
        outputs.set(name, member.id);
      }
      const located: [string, unknown][] = [
        ["keyArn", member.keyArn],
        ...(Array.isArray(member.keyArns)
          ? member.keyArns.map((arn, j): [string, unknown] => [`keyArns.${j}`, arn])
          : []),
      ];
      for (const [at, arn] of located) {
        const region = typeof arn === "string" ? arn.split(":")[3] : undefined;
        if (region === undefined || region === "") continue;
        if (keyRegion === undefined) keyRegion = { region, id };
        else if (region !== keyRegion.region) {
          problems.push(
            `${list}.${i}.${at}: ${id}'s key is in ${region}, ${keyRegion.id}'s in ${keyRegion.region}: the ` +
              "ledger's functions read every member's key in the ledger's region, so all must be there",
          );
        }
      }
    });
  }
  const retention = isRecord(json.aws) ? json.aws.logRetentionDays : undefined;
  if (typeof retention === "number" && !LOG_RETENTION_DAYS.includes(retention)) {
    problems.push(
      `aws.logRetentionDays: CloudWatch Logs keeps logs for ${LOG_RETENTION_DAYS.join(", ")} days; ` +
        `${retention} is not one of them`,
    );
  }
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
