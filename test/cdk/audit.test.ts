import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { AUDIT_COMPLETED_WINDOW_HOURS, LedgerAudit, type LedgerAuditProps } from "../../cdk/lib/audit.js";

// The audit construct (issue 15) on a bare stack: its own state bucket that only the
// verify role writes, the incremental run on the schedule looping until caught up, the
// full re-audit as a Distributed Map over height ranges, and the two alarms — no audit
// completed in 26 h with missing data breaching, and a state machine failing.

function build(props: Partial<LedgerAuditProps> = {}) {
  const stack = new Stack(new App(), "AuditTest", { env: { account: "111111111111", region: "us-east-1" } });
  const role = new Role(stack, "VerifyRole", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });
  const verify = new LambdaFunction(stack, "Verify", {
    runtime: Runtime.NODEJS_22_X,
    handler: "index.handler",
    code: Code.fromInline("exports.handler = async () => ({})"),
    role,
  });
  // A writer of the ledger (the API's or the sealer's role), which must get nothing.
  new Role(stack, "WriterRole", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });
  const audit = new LedgerAudit(stack, "Audit", {
    consortium: "demo",
    verify,
    auditEveryHours: 24,
    logRetentionDays: 30,
    ...props,
  });
  return {
    stack,
    audit,
    template: Template.fromStack(stack),
    roleRef: stack.getLogicalId(role.node.defaultChild as never),
  };
}

const definitionOf = (template: Template, comment: RegExp) => {
  const machines = Object.values(template.findResources("AWS::StepFunctions::StateMachine")) as Array<{
    Properties: { DefinitionString: unknown };
  }>;
  const texts = machines.map((m) => JSON.stringify(m.Properties.DefinitionString));
  const found = texts.find((t) => comment.test(t));
  if (!found) throw new Error(`no state machine ${comment}`);
  return found;
};

describe("LedgerAudit", () => {
  it("keeps its state in a versioned, encrypted, private, TLS-only bucket only the verify role may write", () => {
    const { template, roleRef } = build();
    template.hasResourceProperties("AWS::S3::Bucket", {
      VersioningConfiguration: { Status: "Enabled" },
      BucketEncryption: Match.objectLike({}),
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          Match.objectLike({
            Sid: "OnlyTheAuditWrites",
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: "s3:PutObject",
            Condition: { ArnNotEquals: { "aws:PrincipalArn": { "Fn::GetAtt": [roleRef, "Arn"] } } },
          }),
          Match.objectLike({ Sid: "NoStateErased", Effect: "Deny", Action: "s3:DeleteObjectVersion" }),
        ]),
      },
    });
    // The only identity policy naming the bucket is the verify role's: read and write objects.
    const policies = Object.values(template.findResources("AWS::IAM::Policy")) as Array<{
      Properties: { Roles: unknown[]; PolicyDocument: { Statement: Array<{ Action: unknown }> } };
    }>;
    const naming = policies.filter((p) => JSON.stringify(p).includes("AuditState"));
    expect(naming.map((p) => p.Properties.Roles)).toEqual([[{ Ref: roleRef }]]);
    expect(JSON.stringify(naming[0]?.Properties.PolicyDocument)).toContain('["s3:GetObject","s3:PutObject"]');
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: { ZHIXIN_AUDIT_STATE_BUCKET: { Ref: Match.stringLikeRegexp("AuditState") } },
      },
    });
  });

  it("runs the incremental audit on the schedule, invoking again until it is caught up", () => {
    const { template } = build({ auditEveryHours: 6 });
    const incremental = definitionOf(template, /audit the blocks sealed since/);
    expect(incremental).toContain('\\"audit\\":\\"incremental\\"');
    // complete false and ok true → the same task again; an error → a failed execution.
    expect(incremental).toMatch(/BooleanEquals\\":false.*Next\\":\\"AuditNewBlocks/);
    expect(incremental).toMatch(/IsPresent\\":true.*Next\\":\\"IncrementalRefused/);
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(6 hours)",
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp("AuditIncremental") } })],
    });
  });

  it("fans the full re-audit out over height ranges with a Distributed Map, then joins", () => {
    const { template } = build({ maxConcurrency: 4, chunkEntries: 100_000 });
    const full = definitionOf(template, /in height ranges/);
    for (const step of ["fan-out-plan", "fan-out-chunk", "fan-out-join"]) expect(full).toContain(step);
    expect(full).toContain('\\"Mode\\":\\"DISTRIBUTED\\"');
    expect(full).toContain('\\"MaxConcurrency\\":4');
    expect(full).toContain('\\"chunkEntries\\":100000');
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(7 days)",
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp("AuditFullAudit") } })],
    });
  });

  it(`alarms when no audit completed in ${AUDIT_COMPLETED_WINDOW_HOURS} h, missing data breaching`, () => {
    const { template, audit } = build();
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "AuditsCompleted",
      Namespace: "Zhixin",
      Dimensions: Match.arrayWith([{ Name: "Consortium", Value: "demo" }]),
      Statistic: "Sum",
      Period: 3600,
      EvaluationPeriods: 26,
      DatapointsToAlarm: 26,
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      TreatMissingData: "breaching",
    });
    // CloudWatch allows at most 7 days of evaluation for periods of an hour or more.
    expect(3600 * AUDIT_COMPLETED_WINDOW_HOURS).toBeLessThanOrEqual(7 * 86_400);
    expect(audit.alarms).toHaveLength(2);
  });

  it("alarms when either state machine fails, times out or is aborted", () => {
    const { template } = build();
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")) as Array<{
      Properties: {
        Metrics?: Array<{ MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } } }>;
      };
    }>;
    const failed = alarms.find((a) => a.Properties.Metrics !== undefined);
    const names = (failed?.Properties.Metrics ?? []).flatMap((m) =>
      m.MetricStat ? [m.MetricStat.Metric.MetricName] : [],
    );
    expect(names.sort()).toEqual(
      ["ExecutionsAborted", "ExecutionsFailed", "ExecutionsTimedOut"].flatMap((n) => [n, n]).sort(),
    );
  });

  it("refuses settings that would make its alarm fire between runs", () => {
    expect(() => build({ auditEveryHours: 25 })).toThrow(/audit at least every 24 h/);
    expect(() => build({ auditEveryHours: 1.5, maxConcurrency: 0 })).toThrow(/whole number.*maxConcurrency/);
  });

  it("passes cdk-nag's AwsSolutions checks", () => {
    const { stack } = build();
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(
      report.violations
        // The bare stack's stand-in function and role are not the construct's.
        .filter((v) => !/\/Verify(Role)?\b|\/WriterRole/.test(v.violatingResources[0]?.constructPath ?? ""))
        .map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`),
    ).toEqual([]);
  });
});
