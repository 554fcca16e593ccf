import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { SEAL_TRIGGER } from "../../cdk/lib/seal-trigger.js";
import { itemKeys } from "../../functions/store/table.js";
import { EXAMPLE_FILE, type Synthesized, synthesize } from "./support.js";

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
