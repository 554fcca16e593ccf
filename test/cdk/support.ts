import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { App, type Stack } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { addMemberStack, addZhixinApp, addZhixinStack, type ZhixinApp } from "../../cdk/lib/app.js";
import { loadStackConfig } from "../../cdk/lib/config.js";
import type { ZhixinMemberStack } from "../../cdk/lib/member-stack.js";
import { SYNTH_WARNINGS, type ZhixinStack } from "../../cdk/lib/zhixin-stack.js";
import { captureOutput } from "../support/output.js";

/**
 * Synthesis for the CDK tests: the same app wiring and feature flags as `cdk synth`
 * (cdk/lib/app.ts, cdk.json's context), so what is asserted is what deploys.
 */

export const EXAMPLE_FILE = resolve("consortium.example.json");
/** The production layout's example: every member's key in its own account (docs/DEPLOY.md, Members' keys). */
export const OWN_KEYS_FILE = resolve("examples/consortium.own-keys.json");
/** The production layout halfway through rotating hf-haikou's key and the sealer's (test/cdk/key-versions.test.ts). */
export const ROTATION_FILE = resolve("examples/consortium.key-rotation.json");
/** The national suite (gm) in the China partition, cn-northwest-1 (test/cdk/china-gm.test.ts). */
export const GM_FILE = resolve("examples/consortium.gm.json");
const CDK_CONTEXT = JSON.parse(readFileSync("cdk.json", "utf8")).context as Record<string, unknown>;

export function readExample(): Record<string, unknown> {
  return JSON.parse(readFileSync(EXAMPLE_FILE, "utf8"));
}

/** Writes a consortium file into a fresh temporary directory. */
export function writeConsortium(value: unknown, name = "consortium.json"): string {
  const file = join(mkdtempSync(join(tmpdir(), "zhixin-cdk-")), name);
  writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  return file;
}

export interface Synthesized {
  app: App;
  stack: ZhixinStack;
  template: Template;
  json: CfnTemplate;
}

/**
 * How a test builds: `bundle: false` skips esbuild (for tests of the tree only); `cliRegion` is
 * the CLI's region as `cdk synth` passes it (CDK_DEFAULT_REGION; cdk/lib/config.ts StackConfigOptions).
 */
export interface BuildOptions {
  bundle?: boolean;
  cliRegion?: string;
}

/** The app and stack, not yet synthesised. */
export function buildApp(file: string, options: BuildOptions = {}): { app: App; stack: ZhixinStack } {
  return build(options, (app) => addZhixinStack(app, loadStackConfig(file, options)));
}

/** Department `id`'s member stack (cdk/lib/member-stack.ts) in an app of its own, as `-c member=<id>` builds it. */
export function buildMemberApp(
  file: string,
  id: string,
  options: BuildOptions = {},
): { app: App; stack: ZhixinMemberStack } {
  return build(options, (app) => addMemberStack(app, loadStackConfig(file, options), id));
}

/** Every stack of the file, as `npm run synth` builds them (cdk/lib/app.ts addZhixinApp), not yet synthesised. */
export function buildZhixinApp(file: string, options: BuildOptions = {}): { app: App; stack: ZhixinApp } {
  return build(options, (app) => addZhixinApp(app, loadStackConfig(file, options)));
}

function build<S>(options: BuildOptions, add: (app: App) => S): { app: App; stack: S } {
  const context = { ...CDK_CONTEXT, ...(options.bundle === false ? { "aws:cdk:bundling-stacks": [] } : {}) };
  const app = new App({ context });
  // Building the stack bundles each function with esbuild, and the CDK announces each one on
  // stderr ("Bundling asset Zhixin-demo/Functions/seal/Function/Code/Stage..."): expected,
  // so taken here; anything else printed is not.
  const output = captureOutput();
  let stack: S;
  try {
    stack = add(app);
  } finally {
    output.stop();
  }
  const unexpected = output.stderr
    .split("\n")
    .filter((line) => line !== "" && !/^Bundling asset \S+\.\.\.$/.test(line));
  if (output.stdout !== "" || unexpected.length > 0)
    throw new Error(`building the stack printed:\n${output.stdout}${unexpected.join("\n")}`);
  return { app, stack };
}

export function synthesize(file: string): Synthesized {
  const { app, stack } = buildApp(file);
  const template = templateOf(stack);
  return { app, stack, template, json: template.toJSON() as CfnTemplate };
}

/**
 * Synthesis runs the app's validation (cdk-nag, and the stacks' annotations: cdk.json's
 * annotationsInValidationReport) and prints the report of any warning on stderr, as `cdk
 * synth` shows it: the consortium stack's SYNTH_WARNINGS (a layout that trusts the operator
 * says so at every synth). `synth` runs with that report taken and held to those warnings;
 * anything else printed fails.
 */
function synthesizing<T>(synth: () => T): T {
  const output = captureOutput();
  let result: T;
  try {
    result = synth();
  } finally {
    output.stop();
  }
  const reported = [...output.stderr.matchAll(/^[A-Z]{2,} .*$/gm)].map((m) => m[0]);
  const acknowledgeable = [...output.stderr.matchAll(/Acknowledge with 'Annotation::([^']+)'/g)].map(
    (m) => m[1],
  );
  const known: readonly string[] = Object.values(SYNTH_WARNINGS);
  if (
    output.stdout !== "" ||
    !reported.every((line) => line.startsWith("WARNING ")) ||
    acknowledgeable.length !== reported.length ||
    !acknowledgeable.every((id) => id !== undefined && known.includes(id))
  )
    throw new Error(
      `synthesis printed more than the stacks' synth warnings:\n${output.stdout}${output.stderr}`,
    );
  return result;
}

/** The stack's template, synthesising its app (quietly: synthesizing). */
export const templateOf = (stack: Stack): Template => synthesizing(() => Template.fromStack(stack));

/** The stack's annotations (Annotations.fromStack synthesises again: quietly, as templateOf). */
export const annotationsOf = (stack: Stack): Annotations => synthesizing(() => Annotations.fromStack(stack));

/** The stack's synth warnings: addWarningV2's id, and the message without it. */
export function warningsOf(stack: Stack): { id: string; message: string }[] {
  return annotationsOf(stack)
    .findWarning("*", Match.anyValue())
    .map((w) => {
      const [, message = "", id = ""] = /^(.*) \[ack: ([^\]]+)\]$/s.exec(String(w.entry.data)) ?? [];
      return { id, message };
    });
}

/** templateOf(stack), as the JSON the tests read. */
export const jsonOf = (stack: Stack): CfnTemplate => templateOf(stack).toJSON() as CfnTemplate;

// ---- reading the template -----------------------------------------------------------

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export const asList = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/**
 * CDK's own BucketDeployment handler (cdk/lib/console.ts), which copies the console's files
 * into its bucket at deploy time: a function, role and policy whose shape aws-cdk-lib decides.
 * Invariants about the ledger's functions and roles are checked without it, and its grants on
 * their own (test/cdk/console.test.ts).
 */
export const CONSOLE_DEPLOY = /^CustomCDKBucketDeployment/;

export function resourcesOf(t: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` or `{ Ref: id }` → id; anything else → undefined. */
export function refId(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === "string") return v.Ref;
  const att = v["Fn::GetAtt"];
  if (Array.isArray(att) && typeof att[0] === "string") return att[0];
  return undefined;
}

/** Does an IAM action pattern (with * and ?) cover `action`? */
export function actionCovers(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );
  return re.test(action);
}

export const allows = (s: Statement, action: string): boolean =>
  s.Effect === "Allow" && asList(s.Action).some((a) => actionCovers(a, action));

/** Tags on a resource, as a map (KMS keys and IAM roles carry them as a list). */
export function tagsOf(r: CfnResource): Record<string, string> {
  const tags = r.Properties?.Tags;
  if (Array.isArray(tags))
    return Object.fromEntries(tags.map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
  return (tags as Record<string, string> | undefined) ?? {};
}

/** Every identity-policy statement in the template, with the roles it is attached to. */
export function identityStatements(
  t: CfnTemplate,
): { roles: string[]; statement: Statement; where: string }[] {
  const out: { roles: string[]; statement: Statement; where: string }[] = [];
  for (const [id, r] of Object.entries(t.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === "AWS::IAM::Policy" || r.Type === "AWS::IAM::ManagedPolicy") {
      const roles = asList(p.Roles as unknown[])
        .map(refId)
        .filter((x): x is string => x !== undefined);
      const doc = p.PolicyDocument as { Statement: Statement[] };
      for (const statement of doc.Statement) out.push({ roles, statement, where: id });
    }
    if (r.Type === "AWS::IAM::Role") {
      for (const inline of asList(p.Policies as { PolicyDocument: { Statement: Statement[] } }[])) {
        for (const statement of inline.PolicyDocument.Statement)
          out.push({ roles: [id], statement, where: id });
      }
    }
  }
  return out;
}

/** What a role's identity policies allow: action → resources (merged statements split apart). */
export function grantsOf(t: CfnTemplate, role: string): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const { roles, statement } of identityStatements(t)) {
    if (!roles.includes(role) || statement.Effect !== "Allow") continue;
    for (const action of asList(statement.Action)) {
      out.set(action, [...(out.get(action) ?? []), ...asList(statement.Resource)]);
    }
  }
  return out;
}

/** The logical ids of the member roles and keys, found by the zhixin:member tag. */
export function memberResources(t: CfnTemplate, member: string): { role: string; key: string } {
  const tagged = (type: string) => {
    const found = resourcesOf(t, type).filter(([, r]) => tagsOf(r)["zhixin:member"] === member);
    if (found.length !== 1) throw new Error(`${found.length} ${type} tagged ${member}`);
    return (found[0] as [string, CfnResource])[0];
  };
  return { role: tagged("AWS::IAM::Role"), key: tagged("AWS::KMS::Key") };
}

/** `{ "Fn::GetAtt": [id, "Arn"] }`: how a template names the ARN of its own resource `id`. */
export const getAtt = (id: string) => ({ "Fn::GetAtt": [id, "Arn"] });

/** The statements of KMS key `key`'s key policy (none if it has none). */
export const keyPolicyOf = (t: CfnTemplate, key: string): Statement[] =>
  (t.Resources[key]?.Properties?.KeyPolicy as { Statement?: Statement[] } | undefined)?.Statement ?? [];

/** The resources a role's identity policies grant `action` on: logical ids of this template's, ARNs of others', sorted, once each. */
export const grantedOn = (t: CfnTemplate, role: string, action: string): string[] =>
  [...new Set((grantsOf(t, role).get(action) ?? []).map((r) => refId(r) ?? (r as string)))].sort();

/** The alias names the function of `service` depends on (it reads those keys at start). */
export function aliasDependencies(t: CfnTemplate, service: string): string[] {
  const names = new Map(
    resourcesOf(t, "AWS::KMS::Alias").map(([id, r]) => [id, r.Properties?.AliasName as string]),
  );
  const { fn } = functionByService(t, service);
  return (t.Resources[fn]?.DependsOn ?? []).flatMap((d) => names.get(d) ?? []).sort();
}

/** alias name → the key it points at. */
export function keysByAlias(t: CfnTemplate): Map<string, string> {
  return new Map(
    resourcesOf(t, "AWS::KMS::Alias").map(([, r]) => [
      r.Properties?.AliasName as string,
      refId(r.Properties?.TargetKeyId) as string,
    ]),
  );
}

/** The function whose POWERTOOLS_SERVICE_NAME is `service`, and its role. */
export function functionByService(
  t: CfnTemplate,
  service: string,
): { fn: string; role: string; props: Record<string, unknown> } {
  const found = resourcesOf(t, "AWS::Lambda::Function").filter(
    ([, r]) =>
      (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
        ?.POWERTOOLS_SERVICE_NAME === service,
  );
  if (found.length !== 1) throw new Error(`${found.length} functions for ${service}`);
  const [fn, r] = found[0] as [string, CfnResource];
  const props = r.Properties ?? {};
  return { fn, role: refId(props.Role) as string, props };
}
