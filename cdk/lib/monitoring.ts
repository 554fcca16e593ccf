import { Aws, Duration, Fn } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { METRICS, METRICS_NAMESPACE, type MetricDefinition } from "../../lib/metrics.js";
import { FUNCTIONS, WITNESS_LAG_SEALS } from "./defaults.js";

/**
 * Alarms on what matters to a ledger — entries waiting too long to be sealed, a sealer
 * that fails, an audit that finds something or fails, the API answering 5xx, throttling
 * anywhere on the request path (DynamoDB, KMS, Lambda) — and one dashboard. `alarms`
 * lists every one; the stack sends them all to its alert topic (./alerts.ts), and
 * docs/OPERATIONS.md says what each means and what to do.
 */
export interface LedgerMonitoringProps {
  readonly consortium: string;
  readonly api: HttpApi;
  readonly functions: { submit: IFunction; seal: IFunction; verify: IFunction };
  readonly table: ITable;
  readonly sealEveryMinutes: number;
  readonly maxPendingAgeSeconds: number;
  /** Alarms made elsewhere, shown on the dashboard beside these (cdk/lib/change-alarms.ts). */
  readonly otherAlarms?: readonly Alarm[];
  /** The witnesses the sealer asks and the quorum; no witness alarm when the quorum is 0. */
  readonly witnesses?: { count: number; quorum: number };
}

export class LedgerMonitoring extends Construct {
  readonly pendingAgeAlarm: Alarm;
  readonly sealErrorsAlarm: Alarm;
  readonly auditFindingsAlarm: Alarm;
  readonly witnessLagAlarm?: Alarm;
  readonly apiServerErrorsAlarm: Alarm;
  readonly tableThrottlesAlarm: Alarm;
  readonly keyDirectoryAlarm: Alarm;
  readonly functionThrottlesAlarm: Alarm;
  readonly verifyErrorsAlarm: Alarm;
  /** Every alarm above, and otherAlarms. */
  readonly alarms: Alarm[];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: LedgerMonitoringProps) {
    super(scope, id);
    // What the functions emit (lib/metrics.ts, EMF via Powertools), selected by its full
    // dimension set: Consortium and the emitting function's service.
    const metric = (m: MetricDefinition, statistic: string, period: Duration) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: m.name,
        dimensionsMap: { Consortium: props.consortium, service: FUNCTIONS[m.function].service },
        statistic,
        period,
      });
    const sealPeriod = Duration.minutes(props.sealEveryMinutes);
    const oldestPendingAge = metric(METRICS.oldestPendingAge, Stats.MAXIMUM, sealPeriod);
    const entriesSealed = metric(METRICS.entriesSealed, Stats.SUM, sealPeriod);
    const auditFindings = metric(METRICS.auditFindings, Stats.SUM, Duration.hours(1));
    const auditsRun = metric(METRICS.auditsRun, Stats.SUM, Duration.hours(1));

    this.pendingAgeAlarm = new Alarm(this, "PendingAge", {
      alarmDescription:
        `Zhixin ${props.consortium}: an entry has waited more than ${props.maxPendingAgeSeconds} s to be ` +
        "sealed, or the sealer has stopped reporting (no data counts as breaching).",
      metric: oldestPendingAge,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: props.maxPendingAgeSeconds,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.BREACHING,
    });
    this.sealErrorsAlarm = new Alarm(this, "SealErrors", {
      alarmDescription: `Zhixin ${props.consortium}: the sealer function failed.`,
      metric: props.functions.seal.metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.auditFindingsAlarm = new Alarm(this, "AuditFindings", {
      alarmDescription:
        `Zhixin ${props.consortium}: an audit found a problem in the chain. ` +
        "Invoke the verify function for the report.",
      metric: auditFindings,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    if (props.witnesses && props.witnesses.quorum > 0) {
      // Witnesses must not stop the ledger, so an unwitnessed checkpoint is published
      // anyway; this says when the witnessed checkpoint has fallen WITNESS_LAG_SEALS seal
      // periods behind the log. The sealer reports CheckpointWitnesses only when it asks
      // someone: with witnesses to ask, no seal means no datum, not breaching (PendingAge
      // covers a silent sealer); with none the file can give a URL, nothing will ever be
      // witnessed, so no datum is breaching and the alarm stays on until the file names them.
      const { count, quorum } = props.witnesses;
      this.witnessLagAlarm = new Alarm(this, "WitnessLag", {
        alarmDescription:
          `Zhixin ${props.consortium}: for ${WITNESS_LAG_SEALS} seal periods in a row the published ` +
          `checkpoint had fewer than ${quorum} witness cosignatures: the witnessed ` +
          "checkpoint lags the log. Check the witnesses (GET /v1/health shows the published size; " +
          "the seal function's log says what each witness answered)." +
          (count === 0
            ? " The consortium file names no deployed witness ({ url, vkey }): nobody is asked, so " +
              "this alarm stays on until it does (docs/DEPLOY.md, 3. Deploy)."
            : count < quorum
              ? ` The file names only ${count} deployed witness(es): the quorum cannot be met until it names more.`
              : ""),
        metric: metric(METRICS.checkpointWitnesses, Stats.MINIMUM, sealPeriod),
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        threshold: quorum,
        evaluationPeriods: WITNESS_LAG_SEALS,
        datapointsToAlarm: WITNESS_LAG_SEALS,
        treatMissingData: count === 0 ? TreatMissingData.BREACHING : TreatMissingData.NOT_BREACHING,
      });
    }

    const fiveMinutes = Duration.minutes(5);
    const anyIn = (id: string, description: string, m: Metric | MathExpression, period = fiveMinutes) =>
      new Alarm(this, id, {
        alarmDescription: `Zhixin ${props.consortium}: ${description}`,
        metric: m instanceof Metric ? m.with({ period, statistic: Stats.SUM }) : m,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    // No byte sequence a client sends may reach a 5xx (docs/ERRORS.md): one is a fault or an outage.
    this.apiServerErrorsAlarm = anyIn(
      "ApiServerErrors",
      "the API answered 5xx. The submit function's log has each failed request, with its " +
        "error code and what to do (docs/OPERATIONS.md, What each alarm means).",
      props.api.metricServerError(),
    );
    this.tableThrottlesAlarm = anyIn(
      "TableThrottles",
      "DynamoDB throttled requests to the ledger table (on demand: a partition's limit, or the " +
        "account's table throughput quota). docs/OPERATIONS.md, Raise throttles.",
      // The table's read and write throttle events: two metrics, where ThrottledRequests would
      // take one per operation (an alarm is billed per metric: docs/COST.md).
      new MathExpression({
        expression: "reads + writes",
        usingMetrics: {
          reads: props.table.metric("ReadThrottleEvents", { period: fiveMinutes, statistic: Stats.SUM }),
          writes: props.table.metric("WriteThrottleEvents", { period: fiveMinutes, statistic: Stats.SUM }),
        },
        period: fiveMinutes,
      }),
    );
    // KMS publishes no throttle metric of its own per caller: a throttled key read is seen
    // here (the API's and the audit's KeyDirectoryFailures), a throttled signature as a
    // sealer error (SealErrors), a throttled subject-key MAC as an API 5xx.
    this.keyDirectoryAlarm = anyIn(
      "KeyDirectoryFailures",
      "KMS refused to read a member's public key (throttled, disabled, missing or denied). Only " +
        "that member's requests are refused; the function's log names the member and the code.",
      metric(METRICS.keyDirectoryFailures, Stats.SUM, fiveMinutes),
    );
    // The sealer is left out: its reserved concurrency of one throttles the stream trigger
    // by design while a seal loop runs (./seal-trigger.ts).
    this.functionThrottlesAlarm = anyIn(
      "FunctionThrottles",
      "Lambda throttled the API or the verify function (the account's concurrency, or a " +
        "reservation). docs/OPERATIONS.md, Raise throttles.",
      new MathExpression({
        expression: "submit + verify",
        usingMetrics: {
          submit: props.functions.submit.metricThrottles({ period: fiveMinutes, statistic: Stats.SUM }),
          verify: props.functions.verify.metricThrottles({ period: fiveMinutes, statistic: Stats.SUM }),
        },
        period: fiveMinutes,
      }),
    );
    // Errors include timeouts: an audit that ran out of time fails here, not silently.
    this.verifyErrorsAlarm = anyIn(
      "VerifyErrors",
      "the verify function failed or timed out. Its log has the error; an audit that cannot " +
        "finish in one run is docs/OPERATIONS.md, The audit did not complete.",
      props.functions.verify.metricErrors(),
      Duration.hours(1),
    );
    this.alarms = [
      this.pendingAgeAlarm,
      this.sealErrorsAlarm,
      this.auditFindingsAlarm,
      ...(this.witnessLagAlarm ? [this.witnessLagAlarm] : []),
      this.apiServerErrorsAlarm,
      this.tableThrottlesAlarm,
      this.keyDirectoryAlarm,
      this.functionThrottlesAlarm,
      this.verifyErrorsAlarm,
      ...(props.otherAlarms ?? []),
    ];

    const fns = Object.entries(props.functions);
    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: Fn.join("-", ["Zhixin", props.consortium, Aws.REGION]),
      widgets: [
        [
          new AlarmStatusWidget({
            title: "Alarms",
            alarms: this.alarms,
            width: 24,
          }),
        ],
        [
          new GraphWidget({ title: "Entries sealed", left: [entriesSealed], width: 8 }),
          new GraphWidget({
            title: "Oldest pending entry (s)",
            left: [oldestPendingAge],
            leftAnnotations: [{ value: props.maxPendingAgeSeconds, label: "alarm" }],
            width: 8,
          }),
          new GraphWidget({
            title: "Audits and findings",
            left: [auditsRun],
            right: [auditFindings],
            width: 8,
          }),
        ],
        [
          new GraphWidget({
            title: "API requests",
            left: [props.api.metricCount(), props.api.metricClientError(), props.api.metricServerError()],
            width: 12,
          }),
          new GraphWidget({
            title: "API latency p99 (ms)",
            left: [props.api.metricLatency({ statistic: "p99" })],
            width: 12,
          }),
        ],
        [
          new GraphWidget({
            title: "Function errors",
            left: fns.map(([label, f]) => f.metricErrors({ label })),
            width: 8,
          }),
          new GraphWidget({
            title: "Function throttles",
            left: fns.map(([label, f]) => f.metricThrottles({ label })),
            width: 8,
          }),
          new GraphWidget({
            title: "Function duration p99 (ms)",
            left: fns.map(([label, f]) => f.metricDuration({ label, statistic: "p99" })),
            width: 8,
          }),
        ],
      ],
    });
  }
}
