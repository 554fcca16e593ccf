import { beforeAll, describe, expect, it } from "vitest";
import {
  asList,
  buildApp,
  type CfnTemplate,
  EXAMPLE_FILE,
  getAtt,
  grantsOf,
  jsonOf,
  keysByAlias,
  readExample,
  refId,
  resourcesOf,
  type Statement,
  writeConsortium,
} from "./support.js";

// cdk/lib/change-alarms.ts: CloudTrail events that change a key the ledger depends on, or
// lift the ledger table's guards, reach an encrypted SNS topic and raise an alarm. The
// rules' event patterns are evaluated here against CloudTrail events as EventBridge would
// (the subset of its pattern language the stack uses), so a pattern that misses a key, or
// matches what it should not, fails.

let t: CfnTemplate;
beforeAll(() => {
  t = jsonOf(buildApp(EXAMPLE_FILE, { bundle: false }).stack);
});

type Pattern = Record<string, unknown>;

/** EventBridge matching for exact values, { prefix }, nested fields, arrays of objects and $or. */
function matches(pattern: Pattern, event: unknown): boolean {
  return Object.entries(pattern).every(([field, want]) => {
    if (field === "$or") return (want as Pattern[]).some((p) => matches(p, event));
    const values = asList((event as Record<string, unknown> | undefined)?.[field]);
    if (Array.isArray(want)) {
      return values.some((v) =>
        want.some((w) =>
          typeof w === "object" && w !== null && "prefix" in w
            ? typeof v === "string" && v.startsWith((w as { prefix: string }).prefix)
            : JSON.stringify(w) === JSON.stringify(v),
        ),
      );
    }
    return values.some((v) => matches(want as Pattern, v));
  });
}

/** The rules on CloudTrail events (the schedules have no pattern). */
const patternOf = (r: { Properties?: Record<string, unknown> }): string =>
  JSON.stringify(r.Properties?.EventPattern ?? {});
const rules = () =>
  resourcesOf(t, "AWS::Events::Rule").filter(([, r]) => patternOf(r).includes("AWS API Call via CloudTrail"));
const matchedBy = (event: unknown) =>
  rules()
    .filter(([, r]) => matches(r.Properties?.EventPattern as Pattern, event))
    .map(([id]) => id);

const kmsCall = (eventName: string, detail: Record<string, unknown>) => ({
  source: "aws.kms",
  "detail-type": "AWS API Call via CloudTrail",
  detail: { eventSource: "kms.amazonaws.com", eventName, ...detail },
});
const onKey = (key: string) => ({ resources: [{ ARN: getAtt(key), type: "AWS::KMS::Key" }] });

/** The topic the rules publish to, and its key. */
function topic(): { id: string; key: string } {
  // The change alarms' topic; the other is the consortium's alert topic (test/cdk/operations.test.ts).
  const topics = resourcesOf(t, "AWS::SNS::Topic").filter(([id]) => id.startsWith("ChangeAlarms"));
  expect(topics).toHaveLength(1);
  const [id, r] = topics[0] as [string, { Properties?: Record<string, unknown> }];
  return { id, key: refId(r.Properties?.KmsMasterKeyId) as string };
}

describe("alarms on key and table guard changes", () => {
  const EVENTS = [
    "PutKeyPolicy",
    "DisableKey",
    "ScheduleKeyDeletion",
    "UpdateAlias",
    "CreateAlias",
    "DeleteAlias",
  ];

  it("catch each change to every key of the ledger: the sealer's, the subject key, the table's and every member's", () => {
    const keys = resourcesOf(t, "AWS::KMS::Key")
      .map(([id]) => id)
      .filter((id) => id !== topic().key);
    // The signing keys (members' and the sealer's), the subject key and the table's key.
    expect(keys).toHaveLength(keysByAlias(t).size + 1);
    for (const key of keys) {
      for (const name of EVENTS)
        expect(matchedBy(kmsCall(name, onKey(key))), `${name} ${key}`).toHaveLength(1);
      // Reading a key changes nothing.
      expect(matchedBy(kmsCall("GetPublicKey", onKey(key))), key).toEqual([]);
    }
  });

  it("catch an alias of the consortium moved, created or deleted, whatever key it names", () => {
    const other = { resources: [{ ARN: "arn:aws:kms:r:123456789012:key/other" }] };
    for (const alias of keysByAlias(t).keys()) {
      for (const name of ["UpdateAlias", "CreateAlias", "DeleteAlias"]) {
        expect(
          matchedBy(kmsCall(name, { requestParameters: { aliasName: alias }, ...other })),
          alias,
        ).toHaveLength(1);
      }
    }
    expect(
      matchedBy(kmsCall("UpdateAlias", { requestParameters: { aliasName: "alias/other" }, ...other })),
    ).toEqual([]);
  });

  it("catch the ledger table's resource policy replaced or removed, and its deletion protection turned off", () => {
    const table = resourcesOf(t, "AWS::DynamoDB::Table")[0]?.[0] as string;
    const call = (eventName: string, requestParameters: Record<string, unknown>) => ({
      source: "aws.dynamodb",
      "detail-type": "AWS API Call via CloudTrail",
      detail: { eventSource: "dynamodb.amazonaws.com", eventName, requestParameters },
    });
    for (const name of ["PutResourcePolicy", "DeleteResourcePolicy"]) {
      expect(matchedBy(call(name, { resourceArn: getAtt(table) })), name).toHaveLength(1);
      expect(matchedBy(call(name, { resourceArn: "arn:aws:dynamodb:r:1:table/other" })), name).toEqual([]);
    }
    for (const tableName of [{ Ref: table }, getAtt(table)]) {
      expect(matchedBy(call("UpdateTable", { tableName, deletionProtectionEnabled: false }))).toHaveLength(1);
      expect(matchedBy(call("UpdateTable", { tableName, deletionProtectionEnabled: true }))).toEqual([]);
    }
  });

  it("publish to a KMS-encrypted, TLS-only topic through a role only this account's EventBridge assumes", () => {
    const { id, key } = topic();
    expect(t.Resources[key]?.Properties?.EnableKeyRotation).toBe(true);
    const policy = resourcesOf(t, "AWS::SNS::TopicPolicy")[0]?.[1].Properties?.PolicyDocument as {
      Statement: Statement[];
    };
    // Nobody but the role publishes: the policy only refuses plain HTTP.
    expect(policy.Statement.filter((s) => s.Effect === "Allow")).toEqual([]);
    expect(policy.Statement).toContainEqual(
      expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    );
    const roles = new Set<string>();
    for (const [, r] of rules()) {
      const targets = r.Properties?.Targets as { Arn: unknown; RoleArn: unknown }[];
      expect(targets).toHaveLength(1);
      expect(refId(targets[0]?.Arn)).toBe(id);
      roles.add(refId(targets[0]?.RoleArn) as string);
    }
    expect(roles.size).toBe(1);
    const role = [...roles][0] as string;
    expect(t.Resources[role]?.Properties?.AssumeRolePolicyDocument).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Action: "sts:AssumeRole",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
        },
      ],
    });
    expect(Object.fromEntries([...grantsOf(t, role)].map(([a, r]) => [a, r.map(refId)]))).toEqual({
      "sns:Publish": [id],
      "kms:GenerateDataKey": [key],
      "kms:Decrypt": [key],
    });
  });

  it("raise an alarm when the topic publishes anything, shown on the dashboard, and output the topic", () => {
    const { id } = topic();
    const alarms = resourcesOf(t, "AWS::CloudWatch::Alarm").filter(
      ([, r]) => r.Properties?.Namespace === "AWS/SNS",
    );
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.[1].Properties).toMatchObject({
      MetricName: "NumberOfMessagesPublished",
      Dimensions: [{ Name: "TopicName", Value: { "Fn::GetAtt": [id, "TopicName"] } }],
      Statistic: "Sum",
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
      TreatMissingData: "notBreaching",
    });
    const dashboard = JSON.stringify(resourcesOf(t, "AWS::CloudWatch::Dashboard")[0]?.[1].Properties);
    expect(dashboard).toContain(alarms[0]?.[0]);
    expect(t.Outputs?.ChangeAlarmTopicArn?.Value).toEqual({ Ref: id });
    expect(t.Outputs?.ChangeAlarmTopicArn?.Description).toMatch(/CloudTrail/);
  });

  it("split the keys over rules of at most 20 ARNs each, so a large consortium keeps its patterns short", () => {
    const c = readExample() as { departments: Record<string, unknown>[] };
    for (let i = 0; i < 45; i++)
      c.departments.push({ id: `dept-${i}`, name: `D${i}`, alg: "ed25519", principal: "888888888888" });
    const big = jsonOf(buildApp(writeConsortium(c), { bundle: false }).stack);
    const keyRules = resourcesOf(big, "AWS::Events::Rule").filter(([, r]) =>
      patternOf(r).includes('"aws.kms"'),
    );
    const covered = keyRules.flatMap(([, r]) => {
      const detail = (r.Properties?.EventPattern as { detail: Pattern } | undefined)?.detail ?? {};
      const alternatives = (detail.$or as Pattern[] | undefined) ?? [detail];
      const arns = alternatives.flatMap((p) => asList((p.resources as { ARN?: unknown[] } | undefined)?.ARN));
      expect(arns.length).toBeLessThanOrEqual(20);
      // As deployed: each key ARN resolved, arn:aws:kms:<region>:<account>:key/<uuid> (at most ~85 characters).
      const deployed = JSON.stringify(r.Properties?.EventPattern, (_k, v) =>
        typeof v === "object" && v !== null && "Fn::GetAtt" in v ? "x".repeat(85) : v,
      );
      expect(deployed.length).toBeLessThan(4096);
      return arns.map(refId);
    });
    const topicKey = refId(resourcesOf(big, "AWS::SNS::Topic")[0]?.[1].Properties?.KmsMasterKeyId);
    const keys = resourcesOf(big, "AWS::KMS::Key")
      .map(([id]) => id)
      .filter((id) => id !== topicKey);
    expect(keyRules.length).toBe(Math.ceil(keys.length / 20));
    expect(covered.sort()).toEqual(keys.sort());
  });
});
