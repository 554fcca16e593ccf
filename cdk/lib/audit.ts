import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import {
  Alarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { SfnStateMachine } from "aws-cdk-lib/aws-events-targets";
import { AnyPrincipal, Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket } from "aws-cdk-lib/aws-s3";
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Fail,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct, type IConstruct } from "constructs";
import { METRICS, METRICS_NAMESPACE } from "../../lib/metrics.js";
import { FUNCTIONS } from "./defaults.js";
import { nagPseudo } from "./partition.js";

/**
 * The audit that scales (issue 15; functions/audit/incremental.ts and fan-out.ts), run by
 * the verify function:
 *
 * - **State bucket.** The audit's own memory: the last block it verified (its trusted
 *   checkpoint) and a fan-out's plan and range results. S3 rather than a DynamoDB table:
 *   versioned, so every state the audit kept stays readable and a change by anyone shows;
 *   a state grows with the contract records seen, past DynamoDB's 400 KB item; and range
 *   results are objects anyway. Only the verify role may write it: the bucket policy
 *   denies every other principal PutObject (the ledger's writer roles, and an
 *   administrator who has not first changed the policy, which CloudTrail records), and
 *   everyone the erasure of a version (old versions expire by the lifecycle rules only). Deleting the state is left open: it makes the next
 *   run a full audit from genesis — noisy, never silent (docs/TRUST.md §5).
 * - **Incremental audit**, every `auditEveryHours`: a Standard state machine invoking the
 *   verify function with { "audit": "incremental" } until it answers complete, so a run
 *   that stops in time before Lambda's 15 minutes goes on at once.
 * - **Full re-audit**, every `fullAuditEveryDays` (or on demand: start the state machine):
 *   plan → a Distributed Map over the planned height ranges (each range a verify
 *   invocation) → join.
 * - **Alarms** (`alarms`): no audit completed in 26 h (AuditsCompleted summed hourly, 26
 *   hours breaching, missing data breaching: a run that timed out, failed or never ran
 *   emits nothing), and either state machine failing, timing out or aborted.
 *
 * The verify function gets the bucket's name (ZHIXIN_AUDIT_STATE_BUCKET) and its grants here.
 */
export interface LedgerAuditProps {
  readonly consortium: string;
  /** The verify function (LedgerFunctions.verify): every step runs in it. */
  readonly verify: LambdaFunction;
  /** Hours between incremental runs (the consortium file's auditEveryHours); 0: none scheduled. */
  readonly auditEveryHours: number;
  /** Days between full fanned-out re-audits; 0: only when started by hand. Default 7. */
  readonly fullAuditEveryDays?: number;
  /** Most blocks and about how many entries one range of the fan-out holds (defaults: functions/audit/fan-out.ts). */
  readonly chunkBlocks?: number;
  readonly chunkEntries?: number;
  /** Ranges audited at once (verify invocations, and store read load). Default 10. */
  readonly maxConcurrency?: number;
  /** Where the state bucket's server access logs go (LogTiles.accessLogs); absent: not logged. */
  readonly accessLogs?: IBucket;
  readonly logRetentionDays: number;
}

/** Hours without a completed audit before the alarm: a day's schedule and two hours' slack. */
export const AUDIT_COMPLETED_WINDOW_HOURS = 26;

export class LedgerAudit extends Construct {
  readonly stateBucket: Bucket;
  readonly incremental: StateMachine;
  readonly fullAudit: StateMachine;
  readonly incrementalRule: Rule | undefined;
  readonly fullAuditRule: Rule | undefined;
  readonly noAuditCompletedAlarm: Alarm;
  readonly auditFailedAlarm: Alarm;
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: LedgerAuditProps) {
    super(scope, id);
    const problems = [
      props.auditEveryHours < 0 || !Number.isInteger(props.auditEveryHours)
        ? "auditEveryHours must be a whole number of hours ≥ 0"
        : undefined,
      props.auditEveryHours > AUDIT_COMPLETED_WINDOW_HOURS - 2
        ? `auditEveryHours ${props.auditEveryHours} leaves no audit completed in ${AUDIT_COMPLETED_WINDOW_HOURS} h: the alarm would fire between runs; audit at least every ${AUDIT_COMPLETED_WINDOW_HOURS - 2} h`
        : undefined,
      (props.maxConcurrency ?? 10) < 1 ? "maxConcurrency must be ≥ 1" : undefined,
    ].filter((p): p is string => p !== undefined);
    if (problems.length > 0) throw new Error(`LedgerAudit: ${problems.join("; ")}`);

    this.stateBucket = new Bucket(this, "State", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(props.accessLogs
        ? { serverAccessLogsBucket: props.accessLogs, serverAccessLogsPrefix: "audit-state/" }
        : {}),
      lifecycleRules: [
        // A fan-out's plan and range results are read by its join only.
        { prefix: "fan-out/", expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(30) },
        // Past states: a year of them, to show who changed the audit's memory and when.
        { prefix: "incremental/", noncurrentVersionExpiration: Duration.days(400) },
      ],
    });
    if (!props.accessLogs) {
      Validations.of(this.stateBucket).acknowledge({
        id: "AwsSolutions-S1",
        reason:
          "The stack was given no access-log bucket for the audit's state; it is versioned, only the verify role " +
          "may write it, and every write by another principal is denied by its policy.",
      });
    }
    const verifyRole = props.verify.role;
    if (!verifyRole)
      throw new Error("LedgerAudit: the verify function has no role to grant the state bucket");
    verifyRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["s3:GetObject", "s3:PutObject"],
        resources: [this.stateBucket.arnForObjects("*")],
      }),
    );
    acknowledgeObjects(verifyRole as unknown as IConstruct, this.stateBucket);
    this.stateBucket.addToResourcePolicy(
      new PolicyStatement({
        sid: "OnlyTheAuditWrites",
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ["s3:PutObject"],
        resources: [this.stateBucket.arnForObjects("*")],
        conditions: { ArnNotEquals: { "aws:PrincipalArn": verifyRole.roleArn } },
      }),
    );
    this.stateBucket.addToResourcePolicy(
      new PolicyStatement({
        sid: "NoStateErased",
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ["s3:DeleteObjectVersion"],
        resources: [this.stateBucket.arnForObjects("*")],
      }),
    );
    props.verify.addEnvironment("ZHIXIN_AUDIT_STATE_BUCKET", this.stateBucket.bucketName);

    const invoke = (name: string, payload: Record<string, unknown>) =>
      new LambdaInvoke(this, name, {
        lambdaFunction: props.verify,
        payload: TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        retryOnServiceExceptions: true,
      });
    const logs = (name: string) =>
      new LogGroup(this, `${name}Logs`, {
        retention: props.logRetentionDays as RetentionDays,
        removalPolicy: RemovalPolicy.RETAIN,
      });

    // Incremental: invoke until caught up. A refusal ({ ok: false, error }) fails the execution.
    const auditNew = invoke("AuditNewBlocks", { audit: "incremental" });
    const refused = new Fail(this, "IncrementalRefused", {
      error: "AuditRefused",
      causePath: JsonPath.jsonToString(JsonPath.objectAt("$.error")),
    });
    auditNew.next(
      new Choice(this, "IncrementalAnswered")
        .when(Condition.isPresent("$.error"), refused)
        .when(
          Condition.and(Condition.booleanEquals("$.complete", false), Condition.booleanEquals("$.ok", true)),
          auditNew,
        )
        .otherwise(new Succeed(this, "CaughtUp")),
    );
    this.incremental = new StateMachine(this, "Incremental", {
      comment: `Zhixin ${props.consortium}: audit the blocks sealed since the audit's own state, until caught up`,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(auditNew),
      timeout: Duration.hours(12),
      tracingEnabled: true,
      logs: { destination: logs("Incremental"), level: LogLevel.ALL },
    });

    // Full re-audit: plan, the ranges in parallel, join.
    const run = JsonPath.stringAt("$$.Execution.Name");
    const plan = invoke("PlanRanges", {
      audit: "fan-out-plan",
      run,
      ...(props.chunkBlocks ? { chunkBlocks: props.chunkBlocks } : {}),
      ...(props.chunkEntries ? { chunkEntries: props.chunkEntries } : {}),
    });
    plan.addRetry({ errors: ["States.ALL"], maxAttempts: 0 });
    const ranges = new DistributedMap(this, "AuditRanges", {
      itemsPath: "$.chunks",
      maxConcurrency: props.maxConcurrency ?? 10,
      itemSelector: {
        run: JsonPath.stringAt("$$.Execution.Name"),
        from: JsonPath.numberAt("$$.Map.Item.Value.from"),
        to: JsonPath.numberAt("$$.Map.Item.Value.to"),
      },
      resultPath: JsonPath.DISCARD,
    });
    ranges.itemProcessor(
      invoke("AuditRange", {
        audit: "fan-out-chunk",
        run: JsonPath.stringAt("$.run"),
        from: JsonPath.numberAt("$.from"),
        to: JsonPath.numberAt("$.to"),
      }),
    );
    const join = invoke("JoinRanges", { audit: "fan-out-join", run });
    const planRefused = new Fail(this, "PlanRefused", {
      error: "AuditRefused",
      causePath: JsonPath.jsonToString(JsonPath.objectAt("$.error")),
    });
    const joinRefused = new Fail(this, "JoinRefused", {
      error: "AuditRefused",
      causePath: JsonPath.jsonToString(JsonPath.objectAt("$.error")),
    });
    plan.next(
      new Choice(this, "Planned")
        .when(Condition.isPresent("$.error"), planRefused)
        .otherwise(
          ranges
            .next(join)
            .next(
              new Choice(this, "Joined")
                .when(Condition.isPresent("$.error"), joinRefused)
                .otherwise(new Succeed(this, "FullAuditDone")),
            ),
        ),
    );
    this.fullAudit = new StateMachine(this, "FullAudit", {
      comment: `Zhixin ${props.consortium}: audit the whole chain in height ranges at once, then join`,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(plan),
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: logs("FullAudit"), level: LogLevel.ALL },
    });

    acknowledgeStateMachineGrants(this.incremental, this.fullAudit, props.verify);

    if (props.auditEveryHours > 0) {
      this.incrementalRule = new Rule(this, "IncrementalSchedule", {
        description: `Zhixin ${props.consortium}: audit the blocks sealed since the last audit`,
        schedule: Schedule.rate(Duration.hours(props.auditEveryHours)),
        targets: [new SfnStateMachine(this.incremental, { retryAttempts: 0 })],
      });
    }
    const fullEvery = props.fullAuditEveryDays ?? 7;
    if (fullEvery > 0) {
      this.fullAuditRule = new Rule(this, "FullAuditSchedule", {
        description: `Zhixin ${props.consortium}: audit the whole chain again, fanned out`,
        schedule: Schedule.rate(Duration.days(fullEvery)),
        targets: [new SfnStateMachine(this.fullAudit, { retryAttempts: 0 })],
      });
    }

    this.noAuditCompletedAlarm = new Alarm(this, "NoAuditCompleted", {
      alarmDescription:
        `Zhixin ${props.consortium}: no audit reached the latest block in ${AUDIT_COMPLETED_WINDOW_HOURS} h ` +
        "(AuditsCompleted). Look at the Incremental state machine's last execution and the verify " +
        "function's logs (docs/OPERATIONS.md, 'The audit did not complete').",
      metric: new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRICS.auditsCompleted.name,
        dimensionsMap: { Consortium: props.consortium, service: FUNCTIONS.verify.service },
        statistic: "Sum",
        period: Duration.hours(1),
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: AUDIT_COMPLETED_WINDOW_HOURS,
      datapointsToAlarm: AUDIT_COMPLETED_WINDOW_HOURS,
      treatMissingData: TreatMissingData.BREACHING,
    });
    const failures = (machine: StateMachine, key: string) => ({
      [`${key}Failed`]: machine.metricFailed({ period: Duration.minutes(5), statistic: "Sum" }),
      [`${key}TimedOut`]: machine.metricTimedOut({ period: Duration.minutes(5), statistic: "Sum" }),
      [`${key}Aborted`]: machine.metricAborted({ period: Duration.minutes(5), statistic: "Sum" }),
    });
    const usingMetrics = { ...failures(this.incremental, "inc"), ...failures(this.fullAudit, "full") };
    this.auditFailedAlarm = new Alarm(this, "AuditFailed", {
      alarmDescription:
        `Zhixin ${props.consortium}: an audit state machine (Incremental or FullAudit) failed, timed out or ` +
        "was aborted: a refusal (AUDIT_STATE_INVALID), a verify error or a range that did not finish. Its " +
        "execution history names the step (docs/OPERATIONS.md, 'The audit did not complete').",
      metric: new MathExpression({
        expression: Object.keys(usingMetrics).join(" + "),
        usingMetrics,
        period: Duration.minutes(5),
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [this.noAuditCompletedAlarm, this.auditFailedAlarm];
  }
}

/** The verify role reads and writes any object of the state bucket: its state and every run's ranges. */
function acknowledgeObjects(role: IConstruct, bucket: Bucket): void {
  const stack = Stack.of(bucket);
  const ref = stack.resolve(stack.getLogicalId(bucket.node.defaultChild as never)) as string;
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${ref}.Arn>/*]`,
    reason:
      "The verify function keeps the audit's state and each fan-out run's plan and range results under keys " +
      "it makes per run (fan-out/<execution>/…), so it needs every object of the audit's own bucket, nothing else.",
  });
}

/**
 * What CDK writes for the state machines, acknowledged by the exact finding: invoking the
 * verify function and its versions (<arn>:*), the log-delivery and X-Ray actions (IAM
 * grants them on Resource * only), and the Distributed Map's child executions, whose
 * names are known only at run time.
 */
function acknowledgeStateMachineGrants(
  incremental: StateMachine,
  full: StateMachine,
  verify: LambdaFunction,
): void {
  const stack = Stack.of(full);
  const ref = (c: IConstruct) => stack.resolve(stack.getLogicalId(c.node.defaultChild as never)) as string;
  const invoke = `AwsSolutions-IAM5[Resource::<${ref(verify)}.Arn>:*]`;
  const star = "AwsSolutions-IAM5[Resource::*]";
  for (const machine of [incremental, full]) {
    const role = machine.role as unknown as IConstruct;
    Validations.of(role).acknowledge({
      id: invoke,
      reason:
        "Written by CDK's LambdaInvoke task: the state machine may invoke the verify function and its versions " +
        "and aliases (<arn>:*), which is that one function only.",
    });
    Validations.of(role).acknowledge({
      id: star,
      reason:
        "Written by CDK for the state machine's logging and tracing: logs:CreateLogDelivery and the other " +
        "log-delivery actions, and xray:PutTraceSegments, which IAM grants only on Resource *.",
    });
  }
  const mapPolicy = full.node.tryFindChild("DistributedMapPolicy");
  if (!mapPolicy) return;
  const execution =
    `arn:${nagPseudo(stack.partition, "Partition")}:states:${nagPseudo(stack.region, "Region")}:${nagPseudo(stack.account, "AccountId")}:execution:` +
    `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${ref(full)}"}]}]}`;
  for (const resource of [`${execution}:*`, `${execution}/*:*`]) {
    Validations.of(mapPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${resource}]`,
      reason:
        "Written by CDK for the Distributed Map: describing and stopping the child executions of this state " +
        "machine's own runs, whose names are only known at run time.",
    });
  }
}
