import { RemovalPolicy, Stack } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  type CfnApi,
  HttpApi,
  HttpMethod,
  type HttpStage,
  LogGroupLogDestination,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpIamAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { ACCESS_LOG_FIELDS, API_ROUTES, arnPath, type RouteAccess } from "./defaults.js";
import { nagPseudo } from "./partition.js";

/**
 * The HTTP API: every route IAM-authorised (callers SigV4-sign with their member role,
 * on top of the RFC 9421 signature the handler checks), one $default stage with
 * throttling and JSON access logs naming the IAM caller.
 */
export interface LedgerApiProps {
  readonly consortium: string;
  readonly handler: IFunction;
  readonly throttle: { rateLimit: number; burstLimit: number };
  readonly logRetentionDays: number;
}

export class LedgerApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: LedgerApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, "Api", {
      apiName: `zhixin-${props.consortium}`,
      description: `Zhixin ${props.consortium}: the consortium ledger's HTTP API`,
      createDefaultStage: false,
      defaultAuthorizer: new HttpIamAuthorizer(),
    });
    this.accessLogs = new LogGroup(this, "AccessLogs", {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = this.api.addStage("DefaultStage", {
      stageName: "$default",
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const integration = new HttpLambdaIntegration("Handler", props.handler);
    for (const route of API_ROUTES) {
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer: new HttpIamAuthorizer(),
      });
    }
  }

  /** The base URL: the $default stage is served at the root, so no trailing slash or stage. */
  get url(): string {
    return this.api.apiEndpoint;
  }

  /** execute-api:Invoke resources for the routes of the given kinds of access. */
  routeArns(access: readonly RouteAccess[]): string[] {
    return API_ROUTES.filter((r) => access.includes(r.access)).map((r) =>
      this.api.arnForExecuteApi(r.method, arnPath(r.path), this.stage.stageName),
    );
  }

  /**
   * cdk-nag's AwsSolutions-IAM5 finding ids for the route ARNs above that end in a path
   * parameter (`/v1/entries/*`): the `*` stands for the one segment the route takes.
   */
  pathParameterFindings(access: readonly RouteAccess[]): string[] {
    const stack = Stack.of(this);
    const apiRef = stack.resolve(stack.getLogicalId(this.api.node.defaultChild as CfnApi)) as string;
    const arn = `arn:${nagPseudo(stack.partition, "Partition")}:execute-api:${nagPseudo(stack.region, "Region")}:${nagPseudo(stack.account, "AccountId")}`;
    return API_ROUTES.filter((r) => access.includes(r.access) && arnPath(r.path) !== r.path).map(
      (r) =>
        `AwsSolutions-IAM5[Resource::${arn}:<${apiRef}>/${this.stage.stageName}/${r.method}${arnPath(r.path)}]`,
    );
  }
}
