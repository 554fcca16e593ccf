import { Duration } from "aws-cdk-lib";
import { Rule, RuleTargetInput, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

/**
 * The sealer's clock (EventBridge's finest rate is a minute; the handler seals on a
 * shorter loop inside each run) and, when configured, a whole-chain audit.
 */
export interface LedgerSchedulesProps {
  readonly consortium: string;
  readonly seal: IFunction;
  readonly sealEveryMinutes: number;
  readonly verify: IFunction;
  /** 0: no scheduled audit. */
  readonly auditEveryHours: number;
}

export class LedgerSchedules extends Construct {
  readonly sealRule: Rule;
  readonly auditRule: Rule | undefined;

  constructor(scope: Construct, id: string, props: LedgerSchedulesProps) {
    super(scope, id);
    this.sealRule = new Rule(this, "Seal", {
      description: `Zhixin ${props.consortium}: seal pending entries into a block`,
      schedule: Schedule.rate(Duration.minutes(props.sealEveryMinutes)),
      targets: [new LambdaFunction(props.seal, { retryAttempts: 0 })],
    });
    if (props.auditEveryHours > 0) {
      this.auditRule = new Rule(this, "Audit", {
        description: `Zhixin ${props.consortium}: audit the whole chain`,
        schedule: Schedule.rate(Duration.hours(props.auditEveryHours)),
        // The verify handler takes {} for "the whole chain"; the scheduled event itself is not a payload.
        targets: [
          new LambdaFunction(props.verify, { event: RuleTargetInput.fromObject({}), retryAttempts: 0 }),
        ],
      });
    }
  }
}
