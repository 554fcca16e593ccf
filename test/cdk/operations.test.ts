import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { SEAL_TRIGGER } from "../../cdk/lib/seal-trigger.js";
import { itemKeys } from "../../functions/store/table.js";
import {
  buildApp,
  type CfnTemplate,
  EXAMPLE_FILE,
  functionByService,
  jsonOf,
  readExample,
  resourcesOf,
  type Synthesized,
  synthesize,
  writeConsortium,
} from "./support.js";

// Issue 15: the consortium's stack as a platform team runs it — a sealer that costs
// nothing idle, alarms that reach someone, backups beyond PITR, a budget.

let s: Synthesized;
beforeAll(() => {
  s = synthesize(EXAMPLE_FILE);
}, 120_000);

/** Whether an event-filter pattern value (["x"] or [{ prefix }]) admits `value`. */
const admits = (rule: readonly unknown[], value: string) =>
  rule.some((r) =>
    typeof r === "string"
      ? r === value
      : typeof r === "object" && r !== null && "prefix" in r
        ? value.startsWith(String((r as { prefix: string }).prefix))
        : false,
  );

describe("seal trigger", () => {
  it("the table streams keys only, and the sealer is invoked by inserts of batch items alone", () => {
    s.template.hasResourceProperties("AWS::DynamoDB::Table", {
      StreamSpecification: { StreamViewType: "KEYS_ONLY" },
    });
    const mappings = s.template.findResources("AWS::Lambda::EventSourceMapping");
    expect(Object.keys(mappings)).toHaveLength(1);
    const [mapping] = Object.values(mappings) as Array<{ Properties: Record<string, unknown> }>;
    const props = mapping?.Properties ?? {};
    expect(props.StartingPosition).toBe("LATEST");
    expect(props.MaximumRetryAttempts).toBe(SEAL_TRIGGER.retryAttempts);
    expect(props.MaximumRecordAgeInSeconds).toBe(300);
    const [filter] = (props.FilterCriteria as { Filters: Array<{ Pattern: string }> }).Filters;
    expect(JSON.parse(filter?.Pattern ?? "{}")).toEqual({
      eventName: ["INSERT"],
      dynamodb: { Keys: { pk: { S: [{ prefix: "B#" }] }, sk: { S: ["B"] } } },
    });
    // The mapping targets the seal function.
    expect(props.FunctionName).toEqual(s.stack.resolve(s.stack.functions.seal.functionName));
  });

  it("its filter admits the key of a committed batch and no other item the table holds", () => {
    const keys = SEAL_TRIGGER.filter.dynamodb.Keys;
    const passes = (k: { pk: { S: string }; sk: { S: string } }) =>
      admits(keys.pk.S, k.pk.S) && admits(keys.sk.S, k.sk.S);
    expect(passes(itemKeys.batch("hf-haikou/0123456789abcdef#n1"))).toBe(true);
    for (const other of [
      itemKeys.payload("ab".repeat(16)),
      itemKeys.block(7),
      itemKeys.page("cd".repeat(32), 0),
      itemKeys.claim("ef".repeat(32)),
      itemKeys.cosign("ab".repeat(16), "hf-haikou"),
      itemKeys.index("S#00", "2026-12-04T00:00:00.000Z", "ab".repeat(16)),
      itemKeys.counter("contract#c1#hf", "29000000"),
    ])
      expect(passes(other)).toBe(false);
  });

  it("the seal schedule stays, as the backstop of a dropped wake-up", () => {
    s.template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 minute)",
      Targets: Match.arrayWith([Match.objectLike({ Arn: Match.anyValue() })]),
    });
  });
});

describe("alerts", () => {
  it("every alarm of the stack notifies the alert topic when it fires and when it recovers", () => {
    const topic = s.stack.resolve(s.stack.alerts.topic.topicArn);
    const alarms = Object.entries(s.template.findResources("AWS::CloudWatch::Alarm"));
    expect(alarms.length).toBeGreaterThanOrEqual(10);
    for (const [id, alarm] of alarms) {
      const props = (alarm as { Properties: { AlarmActions?: unknown[]; OKActions?: unknown[] } }).Properties;
      expect(props.AlarmActions, id).toEqual([topic]);
      expect(props.OKActions, id).toEqual([topic]);
    }
    expect(s.stack.monitoring.alarms).toHaveLength(alarms.length);
  });

  it("alarms on API 5xx, table throttles, KMS key reads, API and verify throttles, verify failures", () => {
    const byDescription = (text: string) =>
      Object.values(s.template.findResources("AWS::CloudWatch::Alarm")).filter((a) =>
        String((a as { Properties: { AlarmDescription: string } }).Properties.AlarmDescription).includes(
          text,
        ),
      );
    for (const text of [
      "answered 5xx",
      "DynamoDB throttled",
      "KMS refused to read",
      "Lambda throttled",
      "verify function failed or timed out",
    ])
      expect(byDescription(text), text).toHaveLength(1);
    s.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "5xx",
      Namespace: "AWS/ApiGateway",
      Threshold: 1,
      TreatMissingData: "notBreaching",
    });
    // The table's throttles as two metrics (an alarm is billed per metric: docs/COST.md).
    const throttles = Object.values(s.template.findResources("AWS::CloudWatch::Alarm")).find((a) =>
      String((a as { Properties: { AlarmDescription: string } }).Properties.AlarmDescription).includes(
        "DynamoDB throttled",
      ),
    ) as { Properties: { Metrics: Array<{ MetricStat?: { Metric: { MetricName: string } } }> } };
    expect(
      throttles.Properties.Metrics.flatMap((m) =>
        m.MetricStat ? [m.MetricStat.Metric.MetricName] : [],
      ).sort(),
    ).toEqual(["ReadThrottleEvents", "WriteThrottleEvents"]);
    s.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "KeyDirectoryFailures",
      Namespace: "Zhixin",
    });
  });

  it("the topic is encrypted, TLS-only, and mails the file's addresses", () => {
    s.template.hasResourceProperties("AWS::SNS::Topic", {
      DisplayName: "Zhixin demo alarms",
      KmsMasterKeyId: Match.anyValue(),
    });
    s.template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "zhixin-ops@example.gov.cn",
      TopicArn: s.stack.resolve(s.stack.alerts.topic.topicArn),
    });
    // CloudWatch and Budgets may publish, from this account only.
    s.template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "sns:Publish",
            Principal: { Service: ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"] },
            Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
          }),
        ]),
      },
    });
  });

  it("a monthly cost budget on the consortium's tag notifies the topic at 80 % actual and 100 % forecast", () => {
    s.template.hasResourceProperties("AWS::Budgets::Budget", {
      Budget: {
        BudgetType: "COST",
        TimeUnit: "MONTHLY",
        BudgetLimit: { Amount: 100, Unit: "USD" },
        CostFilters: { TagKeyValue: ["user:zhixin:consortium$demo"] },
      },
      NotificationsWithSubscribers: [
        Match.objectLike({
          Notification: Match.objectLike({ NotificationType: "ACTUAL", Threshold: 80 }),
          Subscribers: [{ SubscriptionType: "SNS", Address: s.stack.resolve(s.stack.alerts.topic.topicArn) }],
        }),
        Match.objectLike({
          Notification: Match.objectLike({ NotificationType: "FORECASTED", Threshold: 100 }),
        }),
      ],
    });
  });
});

describe("backup", () => {
  it("backs the ledger table up daily (7 days) and monthly (10 years, cold after 90 days) into a locked, retained vault", () => {
    s.template.hasResourceProperties("AWS::Backup::BackupVault", {
      LockConfiguration: { MinRetentionDays: 7, ChangeableForDays: 3 },
    });
    s.template.hasResource("AWS::Backup::BackupVault", { DeletionPolicy: "Retain" });
    s.template.hasResourceProperties("AWS::Backup::BackupPlan", {
      BackupPlan: {
        BackupPlanRule: Match.arrayWith([
          Match.objectLike({ RuleName: "Daily", Lifecycle: { DeleteAfterDays: 7 } }),
          Match.objectLike({
            RuleName: "Monthly",
            Lifecycle: { DeleteAfterDays: 3653, MoveToColdStorageAfterDays: 90 },
          }),
        ]),
      },
    });
    const table = s.stack.resolve(s.stack.ledger.table.tableArn);
    s.template.hasResourceProperties("AWS::Backup::BackupSelection", {
      BackupSelection: Match.objectLike({ Resources: [table] }),
    });
  });
});

describe("a restored table adopted in place of the stack's (aws.restoredTable)", () => {
  let restored: CfnTemplate;
  beforeAll(() => {
    const c = readExample();
    (c.aws as Record<string, unknown>).restoredTable = "zhixin-demo-restored";
    restored = jsonOf(buildApp(writeConsortium(c), { bundle: false }).stack);
  });

  it("declares one ledger table, by that name, under a new logical id, kept like the first — what cdk import needs", () => {
    const [created] = resourcesOf(s.json, "AWS::DynamoDB::Table");
    const tables = resourcesOf(restored, "AWS::DynamoDB::Table");
    expect(tables).toHaveLength(1);
    const [id, table] = tables[0] as [
      string,
      { Properties?: Record<string, unknown>; DeletionPolicy?: string },
    ];
    expect(id).not.toBe(created?.[0]);
    expect(id).toMatch(/^LedgerRestoredTable/);
    expect(table.DeletionPolicy).toBe("Retain");
    expect(table.Properties).toMatchObject({
      TableName: "zhixin-demo-restored",
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      StreamSpecification: { StreamViewType: "KEYS_ONLY" },
    });
    // Guarded, like the first: the committed-item statements of its resource policy.
    expect(JSON.stringify(table.Properties?.ResourcePolicy)).toContain("dynamodb:LeadingKeys");
    // Every function now works on it.
    for (const service of ["zhixin-submit", "zhixin-seal", "zhixin-verify"]) {
      const env = (
        functionByService(restored, service).props.Environment as { Variables: Record<string, unknown> }
      ).Variables;
      expect(env.ZHIXIN_TABLE, service).toEqual({ Ref: id });
    }
  });
});
