import { Stack } from "aws-cdk-lib";
import { CfnBudget } from "aws-cdk-lib/aws-budgets";
import type { Alarm } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { Key } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription, UrlSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import { TAGS } from "./defaults.js";

/**
 * Where the consortium's alarms go: one encrypted SNS topic, subscribed by the consortium
 * file's aws.alerts (emails, https endpoints), that every alarm of the stack notifies when
 * it fires and when it recovers, and an AWS Budgets budget that notifies the same topic
 * when the month's cost passes 80 % of aws.alerts.monthlyBudgetUsd, or is forecast to
 * pass 100 % (docs/OPERATIONS.md, "What each alarm means").
 *
 * CloudWatch and Budgets publish as their service principals, each held to this account
 * (aws:SourceAccount) in the topic's policy and its key's: SNS encrypts each message with
 * the topic's key, so the publisher needs kms:GenerateDataKey* and kms:Decrypt on it.
 */
export interface AlertsProps {
  readonly consortium: string;
  readonly emails: readonly string[];
  readonly https: readonly string[];
  readonly monthlyBudgetUsd: number;
  /** The key that encrypts the topic (the change alarms' topic key: one key serves both). */
  readonly key: Key;
}

/** Budget notifications: [type, percent of the budget]. */
export const BUDGET_NOTIFICATIONS = [
  ["ACTUAL", 80],
  ["FORECASTED", 100],
] as const;

export class Alerts extends Construct {
  readonly topic: Topic;
  readonly budget: CfnBudget;
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    const key = props.key;
    this.topic = new Topic(this, "Topic", {
      displayName: `Zhixin ${props.consortium} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const service of ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]) {
      const principal = new ServicePrincipal(service);
      const fromThisAccount = { StringEquals: { "aws:SourceAccount": account } };
      this.topic.addToResourcePolicy(
        new PolicyStatement({
          principals: [principal],
          actions: ["sns:Publish"],
          resources: [this.topic.topicArn],
          conditions: fromThisAccount,
        }),
      );
      key.addToResourcePolicy(
        new PolicyStatement({
          principals: [principal],
          actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
          resources: ["*"],
          conditions: fromThisAccount,
        }),
      );
    }
    for (const email of props.emails) this.topic.addSubscription(new EmailSubscription(email));
    for (const url of props.https) this.topic.addSubscription(new UrlSubscription(url));
    this.action = new SnsAction(this.topic);

    this.budget = new CfnBudget(this, "Budget", {
      budget: {
        budgetName: `Zhixin-${props.consortium}`,
        budgetType: "COST",
        timeUnit: "MONTHLY",
        budgetLimit: { amount: props.monthlyBudgetUsd, unit: "USD" },
        // The stack tags every resource zhixin:consortium=<consortium>; Budgets sees the tag
        // once it is activated as a cost allocation tag (docs/OPERATIONS.md, "Cost").
        costFilters: { TagKeyValue: [`user:${TAGS.consortium}$${props.consortium}`] },
      },
      notificationsWithSubscribers: BUDGET_NOTIFICATIONS.map(([type, percent]) => ({
        notification: {
          notificationType: type,
          comparisonOperator: "GREATER_THAN",
          threshold: percent,
          thresholdType: "PERCENTAGE",
        },
        subscribers: [{ subscriptionType: "SNS", address: this.topic.topicArn }],
      })),
    });
  }

  /** Notifies the topic when `alarm` fires and when it recovers. */
  notify(...alarms: Alarm[]): void {
    for (const alarm of alarms) {
      alarm.addAlarmAction(this.action);
      alarm.addOkAction(this.action);
    }
  }
}
