import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { type EventPattern, type IRuleTarget, Rule } from "aws-cdk-lib/aws-events";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { type IKey, Key } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { KEY_CHANGE_EVENTS, KEYS_PER_RULE, TABLE_POLICY_EVENTS } from "./defaults.js";

/**
 * Alarms on the calls that would let an account administrator take a trust decision out
 * of the ledger's hands, caught from CloudTrail as they happen: a key the ledger depends on
 * gets a new policy, is disabled or scheduled for deletion, or an alias is moved to another
 * key (KEY_CHANGE_EVENTS); a guarded table loses its resource policy or its deletion
 * protection (TABLE_POLICY_EVENTS). EventBridge rules on "AWS API Call via CloudTrail" send
 * each matching event to an SNS topic (encrypted with a key of its own, TLS only) and an
 * alarm fires when the topic has published anything — subscribe the security team to the
 * topic, or add an action to the alarm.
 *
 * EventBridge receives these events only where a CloudTrail trail logs management events
 * (docs/DEPLOY.md "Watching the keys and the table" says how to check). Nothing here can
 * stop such a call: it makes it loud.
 */
export interface ChangeAlarmsProps {
  /** What the alarm's description calls this deployment ("Zhixin demo", "hf-haikou's member stack"). */
  readonly label: string;
  readonly keys: readonly IKey[];
  /**
   * The key aliases whose target must not move, by name or by a prefix of names (an alias's
   * ARN is not in every event; a prefix keeps the pattern short however many members).
   */
  readonly aliases: readonly (string | { prefix: string })[];
  readonly tables: readonly ITable[];
}

export class ChangeAlarms extends Construct {
  readonly topic: Topic;
  /** The topic's key; the consortium's alert topic shares it (./alerts.ts): one key less to pay for. */
  readonly topicKey: Key;
  readonly rules: Rule[] = [];
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: ChangeAlarmsProps) {
    super(scope, id);
    const topicKey = new Key(this, "TopicKey", {
      description: `${props.label}: encrypts the topic of key and table change alarms`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.topicKey = topicKey;
    this.topic = new Topic(this, "Topic", {
      displayName: `${props.label}: a key or table guard was changed`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    // The rules publish through a role of this account's EventBridge, not as the EventBridge
    // service: a topic policy for the service would let any account's rules publish here.
    // Written out rather than Topic.grantPublish, whose grant on the key is kms:GenerateDataKey*:
    // SNS encrypts each message with one GenerateDataKey on the topic's key.
    const role = new Role(this, "PublishRole", {
      assumedBy: new ServicePrincipal("events.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": Stack.of(this).account } },
      }),
      description: `${props.label}: EventBridge publishes key and table change events`,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["sns:Publish"], resources: [this.topic.topicArn] }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [topicKey.keyArn] }),
    );
    const target: IRuleTarget = { bind: () => ({ arn: this.topic.topicArn, role }) };

    const cloudTrail = (source: string, detail: Record<string, unknown>): EventPattern => ({
      source: [`aws.${source}`],
      detailType: ["AWS API Call via CloudTrail"],
      detail: { eventSource: [`${source}.amazonaws.com`], ...detail },
    });
    // The keys by their ARNs wherever CloudTrail lists them; the aliases by name, so that
    // moving one is caught whichever key it moves to.
    const keyMatches = chunk(
      props.keys.map((k) => k.keyArn),
      KEYS_PER_RULE,
    ).map((arns) => ({ resources: { ARN: arns } }));
    const aliasMatch =
      props.aliases.length > 0 ? [{ requestParameters: { aliasName: [...props.aliases] } }] : [];
    const keyRules =
      keyMatches.length > 0 ? keyMatches.map((m, i) => [m, ...(i === 0 ? aliasMatch : [])]) : [aliasMatch];
    keyRules.forEach((matches, i) => {
      if (matches.length === 0) return;
      this.rules.push(
        new Rule(this, i === 0 ? "KeyChanged" : `KeyChanged${i + 1}`, {
          description: `${props.label}: ${KEY_CHANGE_EVENTS.join(", ")} on a key the ledger depends on`,
          eventPattern: cloudTrail("kms", { eventName: [...KEY_CHANGE_EVENTS], ...anyOf(matches) }),
          targets: [target],
        }),
      );
    });
    if (props.tables.length > 0) {
      this.rules.push(
        new Rule(this, "TableGuardChanged", {
          description: `${props.label}: a table's resource policy or deletion protection changed`,
          eventPattern: cloudTrail(
            "dynamodb",
            anyOf([
              {
                eventName: [...TABLE_POLICY_EVENTS],
                requestParameters: { resourceArn: props.tables.map((t) => t.tableArn) },
              },
              {
                // The table by name or ARN, as the caller gave it.
                eventName: ["UpdateTable"],
                requestParameters: {
                  tableName: props.tables.flatMap((t) => [t.tableName, t.tableArn]),
                  deletionProtectionEnabled: [false],
                },
              },
            ]),
          ),
          targets: [target],
        }),
      );
    }

    // One alarm whatever the number of rules: the topic receives nothing else.
    this.alarm = new Alarm(this, "Alarm", {
      alarmDescription:
        `${props.label}: a key the ledger depends on, or a table's guard, was changed ` +
        "(CloudTrail). Read the event from the topic's subscribers or CloudTrail's event history.",
      metric: this.topic.metricNumberOfMessagesPublished({
        period: Duration.minutes(5),
        statistic: Stats.SUM,
      }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

/** An event pattern's fields matching any one of `matches` (EventBridge's $or needs two or more). */
function anyOf(matches: readonly Record<string, unknown>[]): Record<string, unknown> {
  return matches.length === 1 ? { ...matches[0] } : { $or: [...matches] };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
