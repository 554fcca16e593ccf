import { Duration } from "aws-cdk-lib";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

/**
 * The sealer's clock: EventBridge's finest rate is a minute. A committed batch also wakes
 * the sealer through the table's stream (./seal-trigger.ts), so the schedule is the
 * backstop, and what reports the pending age while nothing arrives. The audits' schedules
 * are the audit's own (./audit.ts).
 */
export interface LedgerSchedulesProps {
  readonly consortium: string;
  readonly seal: IFunction;
  readonly sealEveryMinutes: number;
}

export class LedgerSchedules extends Construct {
  readonly sealRule: Rule;

  constructor(scope: Construct, id: string, props: LedgerSchedulesProps) {
    super(scope, id);
    this.sealRule = new Rule(this, "Seal", {
      description: `Zhixin ${props.consortium}: seal pending entries into a block`,
      schedule: Schedule.rate(Duration.minutes(props.sealEveryMinutes)),
      targets: [new LambdaFunction(props.seal, { retryAttempts: 0 })],
    });
  }
}
