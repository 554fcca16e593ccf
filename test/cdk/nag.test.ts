import { type Stack, Validations } from "aws-cdk-lib";
import { Annotations, Match } from "aws-cdk-lib/assertions";
import { ManagedPolicy, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { SYNTH_WARNINGS } from "../../cdk/lib/zhixin-stack.js";
import {
  annotationsOf,
  buildApp,
  buildMemberApp,
  EXAMPLE_FILE,
  type Synthesized,
  synthesize,
  warningsOf,
} from "./support.js";

// cdk-nag 3 runs as a CDK validation plugin (Validations.of(app).addPlugins, in
// cdk/lib/app.ts): its findings are a validation report that fails synthesis, not
// annotations. So the pack is run here directly on the stack, and synthesis of an app
// with an unacknowledged finding is shown to fail.

let s: Synthesized;
beforeAll(() => {
  s = synthesize(EXAMPLE_FILE);
});

/** Every acknowledgement in the stack: rule id → reasons. */
function acknowledgements(stack: Stack): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of stack.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(m.data as Record<string, string>)) {
        const rule = id.replace(/^annotation::/i, "").replace(/<Api[0-9A-F]+>/, "<Api>");
        out.set(rule, [...(out.get(rule) ?? []), reason]);
      }
    }
  }
  return out;
}

describe("cdk-nag AwsSolutions", () => {
  it("finds no unacknowledged errors or warnings in the stack", () => {
    const report = new AwsSolutionsChecks().validateScope(s.stack);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`)).toEqual(
      [],
    );
    expect(report.success).toBe(true);
  });

  it("acknowledges exactly these rules, each with a written reason", () => {
    const acks = acknowledgements(s.stack);
    expect([...acks.keys()].sort()).toEqual([
      // The console's distribution (cdk/lib/console.ts): no geo restriction, no WAF, CloudFront's certificate.
      "AwsSolutions-CFR1",
      "AwsSolutions-CFR2",
      "AwsSolutions-CFR4",
      // CDK's BucketDeployment handler, which copies the console's files at deploy time.
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      "AwsSolutions-IAM5[Action::s3:Abort*]",
      "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
      "AwsSolutions-IAM5[Action::s3:GetBucket*]",
      "AwsSolutions-IAM5[Action::s3:GetObject*]",
      "AwsSolutions-IAM5[Action::s3:List*]",
      // Every object of the tile bucket: the published log, read by members, written by the sealer.
      // dynamodb:ListStreams, which names no resource: the sealer's stream trigger (cdk/lib/seal-trigger.ts);
      // the state machines' log delivery and tracing (cdk/lib/audit.ts).
      "AwsSolutions-IAM5[Resource::*]",
      // The audit's state objects, which the audit names as it writes them (cdk/lib/audit.ts).
      "AwsSolutions-IAM5[Resource::<AuditState233010E1.Arn>/*]",
      // The console bucket, which CDK's BucketDeployment handler writes (cdk/lib/console.ts).
      "AwsSolutions-IAM5[Resource::<ConsoleBucket86B6957C.Arn>/*]",
      // The verify function's versions, which the audit's state machines invoke (cdk/lib/audit.ts).
      "AwsSolutions-IAM5[Resource::<FunctionsverifyFunction13BFC5EE.Arn>:*]",
      // The ledger table's recovery points, which AWS Backup names as it makes them (cdk/lib/backup.ts).
      "AwsSolutions-IAM5[Resource::<LedgerTable9343E4AA.Arn>/backup/*]",
      "AwsSolutions-IAM5[Resource::<TilesBucket880BA71B.Arn>/*]",
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<Api>/$default/GET/v1/blocks/*/entries]",
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<Api>/$default/GET/v1/blocks/*]",
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<Api>/$default/GET/v1/contracts/*]",
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<Api>/$default/GET/v1/entries/*/evidence]",
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<Api>/$default/GET/v1/entries/*]",
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<Api>/$default/GET/v1/keys/*]",
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<Api>/$default/GET/v1/log/tile/*]",
      // The CDK asset the console's files are copied from (cdk/lib/console.ts).
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]",
      // The full audit's Distributed Map starts and stops child executions, named as it runs (cdk/lib/audit.ts).
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"AuditFullAudit9462D658"}]}]}/*:*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"AuditFullAudit9462D658"}]}]}:*]',
      "AwsSolutions-L1",
      // The access-log bucket of the tile bucket does not log itself.
      "AwsSolutions-S1",
    ]);
    for (const [rule, reasons] of acks) {
      for (const reason of reasons) expect(reason.length, rule).toBeGreaterThan(80);
    }
  });

  it("leaves no CDK errors on the stack, and exactly the warnings of the demo's layout", () => {
    expect(annotationsOf(s.stack).findError("*", Match.anyValue())).toEqual([]);
    // The demo file keeps every member's key in the ledger account and names no deployed
    // witness: both are said at every synth (cdk/lib/zhixin-stack.ts SYNTH_WARNINGS).
    expect(warningsOf(s.stack).map((w) => w.id)).toEqual([
      SYNTH_WARNINGS.memberKeysInLedgerAccount,
      SYNTH_WARNINGS.witnessesNotDeployed,
    ]);
  });

  it("fails synthesis of the app on an unacknowledged finding", () => {
    const other = buildApp(EXAMPLE_FILE, { bundle: false });
    new Role(other.stack, "Careless", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName("AdministratorAccess")],
    });
    expect(() => other.app.synth()).toThrow(/AwsSolutions-IAM4/);
  });
});

describe("cdk-nag AwsSolutions on the member stacks", () => {
  // A witnessing department's (its witness: a function, its URL, its table, the genesis
  // custom resource) and one that does not witness.
  const stacks = () => ({
    witness: buildMemberApp(EXAMPLE_FILE, "hf-haikou", { bundle: false }).stack,
    plain: buildMemberApp(EXAMPLE_FILE, "market-regulation", { bundle: false }).stack,
  });

  it("finds no unacknowledged errors or warnings, and leaves no CDK errors or warnings", () => {
    for (const [name, stack] of Object.entries(stacks())) {
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(
        report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`),
        name,
      ).toEqual([]);
      expect(Annotations.fromStack(stack).findError("*", Match.anyValue()), name).toEqual([]);
      expect(Annotations.fromStack(stack).findWarning("*", Match.anyValue()), name).toEqual([]);
    }
  });

  it("acknowledges exactly these rules, each with a written reason", () => {
    const { witness, plain } = stacks();
    // The witness function's pinned Node.js 22 runtime, as the ledger's functions'. Its
    // public function URL (AuthType NONE) raises no AwsSolutions finding; why it is public
    // is said in cdk/lib/witness.ts.
    expect([...acknowledgements(witness).keys()].sort()).toEqual(["AwsSolutions-L1"]);
    expect([...acknowledgements(plain).keys()]).toEqual([]);
    for (const [rule, reasons] of acknowledgements(witness)) {
      for (const reason of reasons) expect(reason.length, rule).toBeGreaterThan(80);
    }
  });
});
