import { join } from "node:path";
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct, type IConstruct } from "constructs";
import {
  ARCHITECTURE,
  bundlingOptions,
  committedItemDenials,
  type DeployedWitness,
  FUNCTIONS,
  type FunctionName,
  functionEnvironment,
  RUNTIME,
  TABLE_ACTIONS,
} from "./defaults.js";
import type { LedgerTable } from "./ledger-table.js";
import type { LogTiles } from "./log-tiles.js";
import type { SigningKey } from "./signing-key.js";
import type { SubjectKey } from "./subject-key.js";

/**
 * The three handlers, bundled from functions/ with esbuild on this machine. Each has
 * its own role — written out here rather than AWSLambdaBasicExecutionRole, so each may
 * write only its own log group — and its own log group with the consortium's retention.
 */
export interface LedgerFunctionsProps {
  readonly repoRoot: string;
  readonly consortiumFile: string;
  readonly ledger: LedgerTable;
  readonly sealerKey: SigningKey;
  readonly subjectKey: SubjectKey;
  /** Where the sealer publishes the log as tiles. */
  readonly tiles: LogTiles;
  /** The witnesses the sealer asks and the audit counts (the consortium file's deployed ones). */
  readonly witnesses: readonly DeployedWitness[];
  readonly sealLoopSeconds: number;
  readonly logRetentionDays: number;
}

export class LedgerFunctions extends Construct {
  readonly submit: NodejsFunction;
  readonly seal: NodejsFunction;
  readonly verify: NodejsFunction;
  readonly #roles = new Map<FunctionName, Role>();

  constructor(scope: Construct, id: string, props: LedgerFunctionsProps) {
    super(scope, id);
    const build = (
      name: FunctionName,
      extra: {
        sealerKeyArn?: string;
        subjectKeyArn?: string;
        sealLoopSeconds?: number;
        tilesBucket?: string;
        witnesses?: readonly DeployedWitness[];
        reservedConcurrentExecutions?: number;
      },
    ) => {
      const { reservedConcurrentExecutions, ...environment } = extra;
      const settings = FUNCTIONS[name];
      const own = new Construct(this, name);
      const logGroup = new LogGroup(own, "Logs", {
        retention: props.logRetentionDays as RetentionDays,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const role = new Role(own, "Role", {
        assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
        description: `Zhixin: the ${settings.service} function`,
      });
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [logGroup.logGroupArn],
        }),
      );
      props.ledger.grant(role, TABLE_ACTIONS[name]);
      props.ledger.denyCommittedWrites(role, committedItemDenials(name));
      this.#roles.set(name, role);
      const fn = new NodejsFunction(own, "Function", {
        entry: join(props.repoRoot, settings.entry),
        handler: "handler",
        projectRoot: props.repoRoot,
        depsLockFilePath: join(props.repoRoot, "package-lock.json"),
        runtime: RUNTIME,
        architecture: ARCHITECTURE,
        memorySize: settings.memorySize,
        timeout: settings.timeout,
        description: settings.description,
        role,
        logGroup,
        ...(reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions }),
        bundling: bundlingOptions(props.consortiumFile),
        environment: functionEnvironment({
          name,
          tableName: props.ledger.table.tableName,
          ...environment,
        }),
      });
      // Not before its policy: a scheduled run that starts first would fail on access.
      fn.node.addDependency(role);
      Validations.of(fn).acknowledge({
        id: "AwsSolutions-L1",
        reason:
          "Zhixin pins the Node.js 22 runtime (issue #4, ARCHITECTURE.md §10): the handlers, the " +
          "esbuild target and the tests are all for Node.js 22; moving to a newer runtime is a " +
          "deliberate upgrade, not something to take silently from the CDK's latest.",
      });
      return fn;
    };

    const tilesBucket = props.tiles.bucket.bucketName;
    // submit serves the published checkpoint (GET /v1/log/checkpoint).
    this.submit = build("submit", { subjectKeyArn: props.subjectKey.key.keyArn, tilesBucket });
    this.seal = build("seal", {
      sealerKeyArn: props.sealerKey.key.keyArn,
      sealLoopSeconds: props.sealLoopSeconds,
      tilesBucket,
      witnesses: props.witnesses,
      // One sealer at a time: a second would only lose the race for block h+1.
      reservedConcurrentExecutions: 1,
    });
    // The audit checks the published checkpoint, and counts its witnesses' cosignatures.
    this.verify = build("verify", { tilesBucket, witnesses: props.witnesses });
    props.tiles.grant(this.roleOf("seal"), "publish");
    props.tiles.grant(this.roleOf("submit"), "read");
    props.tiles.grant(this.roleOf("verify"), "read");
    props.ledger.guardCommittedItems({
      submit: this.roleOf("submit"),
      seal: this.roleOf("seal"),
      verify: this.roleOf("verify"),
    });

    // A missed or failed tick is taken up by the next one; a queued retry would only pile up.
    this.seal.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    this.verify.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.hours(1) });
  }

  get all(): NodejsFunction[] {
    return [this.submit, this.seal, this.verify];
  }

  /** Deploy these functions themselves (not their permissions or invoke settings) after `construct`. */
  dependOn(construct: IConstruct, names: readonly FunctionName[]): void {
    for (const name of names) (this[name].node.defaultChild as CfnFunction).node.addDependency(construct);
  }

  roleOf(name: FunctionName): Role {
    const role = this.#roles.get(name);
    if (role === undefined) throw new Error(`no function ${name}`);
    return role;
  }
}
