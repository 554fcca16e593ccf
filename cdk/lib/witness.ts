import { join } from "node:path";
import { Aws, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import { HttpApi, HttpMethod, LogGroupLogDestination } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { AttributeType, BillingMode, Table } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import type { CosignatureAlgorithm } from "#chain";
import {
  ACCESS_LOG_FIELDS,
  ARCHITECTURE,
  bundlingOptions,
  RUNTIME,
  WITNESS_FUNCTION,
  WITNESS_GENESIS_CONDITION,
  WITNESS_GENESIS_KEY,
  WITNESS_KEY_ACTIONS,
  WITNESS_TABLE_ACTIONS,
  WITNESS_TABLE_KEY,
  witnessEnvironment,
} from "./defaults.js";
import { inChinaPartition } from "./partition.js";
import { SigningKey } from "./signing-key.js";

/**
 * A department's witness (docs/formats/witness.md, functions/witness/): the Lambda that
 * answers POST <url>/add-checkpoint behind a public function URL (an HTTP API in the China
 * partition), its KMS key (Ed25519, or
 * SM2 under the gm suite: witness.md §1.7), and
 * the table of what it last cosigned per log, with the genesis item that tells a table
 * that kept its state from one that lost it.
 *
 * The URL takes no authentication (AuthType NONE) on purpose: c2sp.org/tlog-witness is a
 * public protocol, and a request carries everything the witness needs to judge it. It
 * cosigns only a checkpoint the log's key signed, proven consistent with what it cosigned
 * before (stored with a conditional write first), so anyone may ask; what they can get is
 * a cosignature on the log's own history. The role may sign with the witness key and read
 * its public key, read and write its table's items — nothing else.
 */
export interface DepartmentWitnessProps {
  readonly repoRoot: string;
  /** Its cosigner name: zhixin-witness/<consortium>/<id> (the name in its vkey). */
  readonly name: string;
  /** Version 1's alias; version n's is `<keyAlias>/v<n>`. */
  readonly keyAlias: string;
  /**
   * How many cosignature keys (the file's witnessKeyVersions, default 1). The newest signs;
   * the older ones are kept (their public keys stay in trust roots) but no role may sign
   * with them (docs/DEPLOY.md §8, "Rotating a witness's key").
   */
  readonly keyVersions?: number;
  /** What it cosigns with: the consortium's suite's cosignature algorithm (cosignatureAlgorithmOf). */
  readonly alg: CosignatureAlgorithm;
  /** ZHIXIN_WITNESS_SM2_ID: the consortium file's sm2Id, when it sets one (gm only). */
  readonly sm2Id?: string;
  /** ZHIXIN_WITNESS_LOG_VKEYS: the logs it follows (a parameter's value; empty: none yet). */
  readonly logVkeys: string;
  readonly logRetentionDays: number;
}

export class DepartmentWitness extends Construct {
  /** The key it cosigns with: the newest of `keys`. */
  readonly key: SigningKey;
  /** Every version of its cosignature key, oldest first. */
  readonly keys: SigningKey[];
  readonly table: Table;
  readonly function: NodejsFunction;
  readonly role: Role;
  /**
   * Its base URL (the consortium file's witness.url; the log POSTs <url>/add-checkpoint):
   * a Lambda function URL, or in the China partition, which has none, an HTTP API's
   * $default stage with the one route POST /add-checkpoint (same payload format 2.0).
   */
  readonly url: string;
  /** The HTTP API in the China partition; undefined where a function URL serves. */
  readonly api: HttpApi | undefined;

  constructor(scope: Construct, id: string, props: DepartmentWitnessProps) {
    super(scope, id);
    // Version 1 keeps the construct id and alias it had before versions existed, so adding a
    // version to a deployed stack creates a key and replaces none.
    this.keys = Array.from({ length: props.keyVersions ?? 1 }, (_, i) => {
      const version = i + 1;
      return new SigningKey(this, version === 1 ? "Key" : `KeyV${version}`, {
        owner: props.name,
        aliasName: version === 1 ? props.keyAlias : `${props.keyAlias}/v${version}`,
        // c2sp.org/tlog-cosignature's cosignature/v1 is Ed25519; the gm suite's is SM2 (witness.md §1.7).
        alg: props.alg,
        description: `${props.name}: the witness's cosigning key (cosignature/v1)${version === 1 ? "" : `, version ${version}`}`,
      });
    });
    this.key = this.keys[this.keys.length - 1] as SigningKey;
    // What it cosigned per log: losing it would let the witness cosign a fork. Kept, recoverable.
    this.table = new Table(this, "State", {
      partitionKey: {
        name: WITNESS_TABLE_KEY.name,
        type: { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY }[
          WITNESS_TABLE_KEY.type
        ],
      },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const logGroup = new LogGroup(this, "Logs", {
      retention: props.logRetentionDays as RetentionDays,
      // A refused checkpoint the log signed is logged whole: it is evidence.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.name}: the witness function`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...WITNESS_TABLE_ACTIONS], resources: [this.table.tableArn] }),
    );
    // kms:Sign through the key policy too (the witness role alone signs, with the newest key
    // only: an older version signs nothing more); GetPublicKey is KmsSigner's check of the key's spec.
    this.key.grantSignOnlyTo(this.role);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: WITNESS_KEY_ACTIONS.filter((a) => a !== "kms:Sign"),
        resources: [this.key.key.keyArn],
      }),
    );

    this.function = new NodejsFunction(this, "Function", {
      entry: join(props.repoRoot, WITNESS_FUNCTION.entry),
      handler: "handler",
      projectRoot: props.repoRoot,
      depsLockFilePath: join(props.repoRoot, "package-lock.json"),
      runtime: RUNTIME,
      architecture: ARCHITECTURE,
      memorySize: WITNESS_FUNCTION.memorySize,
      timeout: WITNESS_FUNCTION.timeout,
      description: WITNESS_FUNCTION.description,
      reservedConcurrentExecutions: WITNESS_FUNCTION.reservedConcurrentExecutions,
      role: this.role,
      logGroup,
      bundling: bundlingOptions(),
      environment: witnessEnvironment({
        tableName: this.table.tableName,
        name: props.name,
        kmsKeyArn: this.key.key.keyArn,
        keyAlg: props.alg,
        ...(props.sm2Id === undefined ? {} : { sm2Id: props.sm2Id }),
        logVkeys: props.logVkeys,
      }),
    });
    this.function.node.addDependency(this.role);
    Validations.of(this.function).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "Zhixin pins the Node.js 22 runtime (issue #4, ARCHITECTURE.md §10): the handlers, the " +
        "esbuild target and the tests are all for Node.js 22; moving to a newer runtime is a " +
        "deliberate upgrade, not something to take silently from the CDK's latest.",
    });
    if (inChinaPartition(Stack.of(this))) {
      this.api = this.chinaFrontDoor(props);
      this.url = this.api.apiEndpoint;
    } else {
      this.api = undefined;
      this.url = this.function.addFunctionUrl({ authType: FunctionUrlAuthType.NONE }).url;
    }

    // The genesis item, once, when the stack creates the table (never on update: a table
    // that lost it must stay refused until restored, not be quietly re-initialised). Its
    // function gets a role of its own, as the witness does, rather than the CDK's default
    // with AWS's managed AWSLambdaBasicExecutionRole: write to its own log group, put items.
    const genesisLogs = new LogGroup(this, "GenesisLogs", {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const genesisRole = new Role(this, "GenesisRole", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.name}: writes the witness table's genesis item once`,
    });
    genesisRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [genesisLogs.logGroupArn],
      }),
    );
    const genesis = new AwsCustomResource(this, "Genesis", {
      role: genesisRole,
      logGroup: genesisLogs,
      onCreate: {
        service: "DynamoDB",
        action: "PutItem",
        parameters: {
          TableName: this.table.tableName,
          Item: {
            [WITNESS_TABLE_KEY.name]: { S: WITNESS_GENESIS_KEY },
            createdBy: { S: Aws.STACK_ID },
          },
          ConditionExpression: WITNESS_GENESIS_CONDITION,
        },
        physicalResourceId: PhysicalResourceId.of(`${WITNESS_GENESIS_KEY}-${Stack.of(this).stackName}`),
      },
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ["dynamodb:PutItem"], resources: [this.table.tableArn] }),
      ]),
      installLatestAwsSdk: false,
    });
    // The witness answers nothing useful before its table has the item.
    this.function.node.addDependency(genesis);
  }

  /**
   * The China Regions' front door: an HTTP API, unauthenticated as the function URL is (the
   * protocol is public, and the log calls from another account), throttled and access-logged.
   * API Gateway there serves unauthenticated requests only for an account with an ICP filing
   * (docs/DEPLOY.md, "AWS China Regions"), as a government department's is.
   */
  private chinaFrontDoor(props: DepartmentWitnessProps): HttpApi {
    const api = new HttpApi(this, "Api", {
      apiName: `zhixin-witness-${props.name.replaceAll("/", "-")}`,
      description: `${props.name}: POST /add-checkpoint (c2sp.org/tlog-witness)`,
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, "AccessLogs", {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    api.addStage("DefaultStage", {
      stageName: "$default",
      autoDeploy: true,
      throttle: WITNESS_FUNCTION.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    api.addRoutes({
      path: "/add-checkpoint",
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration("AddCheckpoint", this.function),
    });
    const route = api.node.findChild("POST--add-checkpoint");
    Validations.of(route).acknowledge({
      id: "AwsSolutions-APIG4",
      reason:
        "c2sp.org/tlog-witness is a public protocol: the log asks from the consortium's account, and " +
        "anyone may; the witness cosigns only a checkpoint the log signed and proved consistent with " +
        "what it cosigned before, so an unauthenticated caller can get nothing but a cosignature on " +
        "the log's own history. The Lambda function URL it replaces outside China is AuthType NONE too.",
    });
    return api;
  }
}
