import { Aws, Duration, Fn } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  Metric,
  Stats,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { METRICS, METRICS_NAMESPACE, type MetricDefinition } from "../../lib/metrics.js";
import { FUNCTIONS, WITNESS_LAG_SEALS } from "./defaults.js";

/**
 * Alarms on what matters to a ledger — entries waiting too long to be sealed, a sealer
 * that fails, an audit that finds something — and one dashboard. The alarms have no
 * actions: connect them to the platform team's own topic or pager.
 */
export interface LedgerMonitoringProps {
  readonly consortium: string;
  readonly api: HttpApi;
  readonly functions: { submit: IFunction; seal: IFunction; verify: IFunction };
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

    const fns = Object.entries(props.functions);
    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: Fn.join("-", ["Zhixin", props.consortium, Aws.REGION]),
      widgets: [
        [
          new AlarmStatusWidget({
            title: "Alarms",
            alarms: [
              this.pendingAgeAlarm,
              this.sealErrorsAlarm,
              this.auditFindingsAlarm,
              ...(this.witnessLagAlarm ? [this.witnessLagAlarm] : []),
              ...(props.otherAlarms ?? []),
            ],
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
