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
  /** Where the stacks are built for (stackTarget); absent or empty: environment-agnostic, any commercial region. */
  readonly target?: StackTarget;
}

/**
 * The AWS partition of the China Regions (Beijing cn-north-1, Ningxia cn-northwest-1): its own
 * accounts, ARNs (arn:aws-cn:…) and endpoints (amazonaws.com.cn), and the only one whose KMS
 * has SM2 keys, so the only one a gm consortium can be deployed in (docs/DEPLOY.md, "AWS
 * China Regions (the gm suite)").
 */
export const CHINA_PARTITION = "aws-cn";

/**
 * Where a consortium file puts its stacks. A file of the commercial partition gives
 * environment-agnostic stacks, as ever: one template for any region, its ARNs built from
 * AWS::Partition at deployment. A file for the China partition gives stacks built for one
 * China Region, so that what differs there is decided at synthesis, in the template the tests
 * read: the partition and endpoint suffix as literals, the console left out, both forms of a
 * kms:ViaService value (./partition.ts).
 */
export interface StackTarget {
  /** CHINA_PARTITION when the suite is gm or an ARN in the file is in it; absent: the commercial partition. */
  readonly partition?: typeof CHINA_PARTITION;
  /** The China Region the stacks are built for: that of the file's key ARNs, else the CLI's. */
  readonly region?: string;
  /** The file leaves aws.console out and the stacks are for the China partition, which leaves it out by default. */
  readonly consoleLeftOut?: boolean;
}

export interface StackConfigOptions {
  /**
   * The CLI's region, which `cdk synth` passes to the app as CDK_DEFAULT_REGION (the profile's
   * or AWS_REGION; us-east-1 when none is configured). Used only for a file of the China
   * partition that names no key ARN, and only when it is a China Region.
   */
  readonly cliRegion?: string | undefined;
}

export const DEFAULT_CONSORTIUM_FILE = "consortium.example.json";

/** `-c consortium=<path>` wins over ZHIXIN_CONSORTIUM, which wins over the demo file. */
export function consortiumFileFrom(context: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof context === "string" && context !== "") return resolve(context);
  return resolve(env.ZHIXIN_CONSORTIUM || DEFAULT_CONSORTIUM_FILE);
}

export function loadStackConfig(path: string, options: StackConfigOptions = {}): ZhixinConfig {
  const file = resolve(path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const what = e instanceof SyntaxError ? "not JSON" : "cannot read";
    throw new ConsortiumFileError(file, [`${what}: ${(e as Error).message}`]);
  }
  return { file, ...parseStackFile(json, file, options) };
}

/** The shared schema's problems and the AWS-only ones, in one error. */
export function parseStackConsortium(json: unknown, file = "consortium file"): ZhixinConsortium {
  return parseStackFile(json, file).consortium;
}

/** The consortium and where its stacks go, or every problem of the file in one error. */
export function parseStackFile(
  json: unknown,
  file = "consortium file",
  options: StackConfigOptions = {},
): { consortium: ZhixinConsortium; target: StackTarget } {
  let parsed: Consortium | undefined;
  const problems: string[] = [];
  try {
    parsed = parseConsortium(json, file);
  } catch (e) {
    if (!(e instanceof ConsortiumFileError)) throw e;
    problems.push(...e.problems);
  }
  problems.push(...awsProblems(json));
  const { target, problems: targetProblems } = stackTarget(json, options);
  problems.push(...targetProblems);
  if (problems.length > 0 || parsed === undefined) throw new ConsortiumFileError(file, problems);
  // The console is the file's to switch on or off; left out, it follows the partition.
  const consortium = target.consoleLeftOut ? { ...parsed, aws: { ...parsed.aws, console: false } } : parsed;
  return { consortium: consortium as ZhixinConsortium, target };
}

/**
 * Where the file's stacks go (StackTarget), and what in the file cannot be deployed there.
 * Read from the raw JSON, as awsProblems is, so that these are reported beside the schema's.
 *
 * The China partition is decided by the file alone: its suite (gm: KMS has SM2 keys in the
 * China Regions only) or any ARN in it (a key's, a principal's). Its region is that of the
 * members' key ARNs, which awsProblems already holds to one region (the functions read every
 * key in their own); without one, the CLI's region when that is a China Region. IAM trust and
 * KMS key policies do not cross partitions, so every ARN of such a file must be in aws-cn.
 */
function stackTarget(
  json: unknown,
  options: StackConfigOptions,
): { target: StackTarget; problems: string[] } {
  const problems: string[] = [];
  if (!isRecord(json)) return { target: {}, problems };
  const arns: { at: string; arn: string }[] = [];
  for (const list of ["departments", "auditors"] as const) {
    const members = json[list];
    if (!Array.isArray(members)) continue;
    members.forEach((member: unknown, i) => {
      if (!isRecord(member)) return;
      if (typeof member.principal === "string" && member.principal.startsWith("arn:"))
        arns.push({ at: `${list}.${i}.principal`, arn: member.principal });
      if (typeof member.keyArn === "string") arns.push({ at: `${list}.${i}.keyArn`, arn: member.keyArn });
      if (Array.isArray(member.keyArns))
        member.keyArns.forEach((arn, j) => {
          if (typeof arn === "string") arns.push({ at: `${list}.${i}.keyArns.${j}`, arn });
        });
    });
  }
  const gm = json.suite === "gm";
  const partitionOf = (arn: string) => arn.split(":")[1] ?? "";
  const china = gm || arns.some(({ arn }) => partitionOf(arn) === CHINA_PARTITION);
  if (!china) return { target: {}, problems };

  const why = gm
    ? "the suite is gm, whose SM2 keys KMS offers only in the China Regions (partition aws-cn)"
    : "the file names ARNs of the China Regions (partition aws-cn)";
  for (const { at, arn } of arns) {
    const partition = partitionOf(arn);
    if (partition !== CHINA_PARTITION)
      problems.push(
        `${at}: ${arn} is in partition ${partition}, but ${why}: IAM and KMS policies do not reach across ` +
          "partitions, so every account, role and key of the consortium must be in aws-cn (arn:aws-cn:…)",
      );
  }
  const keyRegion = arns
    .filter(({ at, arn }) => !at.endsWith(".principal") && partitionOf(arn) === CHINA_PARTITION)
    .map(({ arn }) => arn.split(":")[3] ?? "")[0];
  const cliRegion = options.cliRegion?.startsWith("cn-") ? options.cliRegion : undefined;
  const region = keyRegion || cliRegion;
  if (region === undefined)
    problems.push(
      `(root): the stacks must be built for a China Region, as ${why}, and the file names none: give ` +
        "the members' keyArns (arn:aws-cn:kms:<region>:…, their region is the ledger's), or synthesise with " +
        "the China Region the stacks go to, e.g. AWS_REGION=cn-northwest-1 npm run synth (the CDK CLI " +
        "passes it to the app as CDK_DEFAULT_REGION)",
    );
  else if (!region.startsWith("cn-"))
    problems.push(
      `(root): the members' keys are in ${region}, which is not a China Region, but ${why}: the ledger's ` +
        "functions read the keys in their own region, so both must be cn-north-1 or cn-northwest-1",
    );
  const consoleSetting = isRecord(json.aws) ? json.aws.console : undefined;
  if (consoleSetting === true)
    problems.push(
      "aws.console: the console's CloudFront distribution serves on its default domain with CloudFront's " +
        "certificate, which CloudFront in the China Regions does not allow (an ICP-recorded domain of your own " +
        "and a certificate uploaded to IAM are required): leave aws.console out, or false, and host dist/console " +
        "yourself (docs/DEPLOY.md, AWS China Regions)",
    );
  return {
    problems,
    target: {
      partition: CHINA_PARTITION,
      ...(region === undefined ? {} : { region }),
      ...(consoleSetting === undefined ? { consoleLeftOut: true } : {}),
    },
  };
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
