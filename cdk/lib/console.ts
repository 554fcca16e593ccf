import { existsSync } from "node:fs";
import { join } from "node:path";
import { Duration, Fn, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  OriginRequestPolicy,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from "aws-cdk-lib/aws-cloudfront";
import { HttpOrigin, S3BucketOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
} from "aws-cdk-lib/aws-s3";
import { BucketDeployment, Source } from "aws-cdk-lib/aws-s3-deployment";
import { Construct } from "constructs";
import {
  type Consortium,
  keyVersionAlias,
  keyVersionsOf,
  memberKeyArns,
} from "../../lib/consortium/consortium.js";
import type { LedgerApi } from "./api.js";
import { nagPseudo } from "./partition.js";

/**
 * The web console on AWS (docs/CONSOLE.md "On AWS"): the static bundle of dist/console in a
 * private bucket that only CloudFront reads, through origin access control, and one
 * CloudFront distribution serving it at its root and forwarding `/v1/*` to the HTTP API.
 *
 * The API behind the same origin is what lets the page stay `connect-src 'self'` and the
 * API keep no CORS rule: the browser SigV4-signs each request for the API's own host (the
 * member role's credentials, from the department's sign-in), CloudFront forwards every
 * viewer header but Host and sets Host to the API's, so IAM sees the request as signed;
 * nothing is cached on that path. The RFC 9421 signature the handler checks is made in the
 * browser with the member's KMS key (kms:Sign), whose endpoint the page may also call.
 */
export interface LedgerConsoleProps {
  readonly api: LedgerApi;
  /** The consortium file: its members are who may sign in (config.json). */
  readonly consortium: Consortium;
  /** The clone's root: the bundle is `<repoRoot>/dist/console`, built by `npm ci`. */
  readonly repoRoot: string;
  /** Days to keep the deployment handler's log (the consortium file's logRetentionDays). */
  readonly logRetentionDays: number;
}

export class LedgerConsole extends Construct {
  readonly bucket: Bucket;
  readonly logs: Bucket;
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: LedgerConsoleProps) {
    super(scope, id);
    const bundle = join(props.repoRoot, "dist", "console");
    if (!existsSync(join(bundle, "index.html"))) {
      throw new Error(
        `${bundle}/index.html is missing: build the console first (npm run build:console; npm ci does)`,
      );
    }
    const stack = Stack.of(this);

    this.logs = new Bucket(this, "Logs", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront's standard logs are written with an ACL: the bucket must allow one.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logs).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "This bucket holds the console's CloudFront and bucket access logs; logging its own access to itself would loop.",
    });
    this.bucket = new Bucket(this, "Bucket", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: "bucket/",
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });

    const apiHost = Fn.select(2, Fn.split("/", props.api.url));
    const kms = `https://kms.${stack.region}.${stack.urlSuffix}`;
    const headers = new ResponseHeadersPolicy(this, "Headers", {
      comment: "Zhixin console: the page loads only its own files and calls only its origin and KMS",
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          // local/console.ts CONSOLE_CSP, with the KMS endpoint the page signs through.
          contentSecurityPolicy: `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ${kms}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });
    this.distribution = new Distribution(this, "Distribution", {
      comment: "Zhixin web console",
      defaultRootObject: "index.html",
      enableLogging: true,
      logBucket: this.logs,
      logFilePrefix: "cloudfront/",
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
      },
      additionalBehaviors: {
        "/v1/*": {
          origin: new HttpOrigin(apiHost),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    for (const [id, reason] of [
      [
        "AwsSolutions-CFR1",
        "Who may use the console is decided by IAM (the member roles) and each request's signature by a member key, not by country.",
      ],
      [
        "AwsSolutions-CFR2",
        "No WAF: every /v1/ request is IAM-authorised and throttled by the API's stage; the rest is static files.",
      ],
      [
        "AwsSolutions-CFR4",
        "The distribution uses CloudFront's default certificate, whose minimum protocol CloudFront fixes; a consortium with its own domain and certificate sets TLSv1.2_2021 (docs/CONSOLE.md).",
      ],
    ] as const) {
      Validations.of(this.distribution).acknowledge({ id, reason });
    }

    const deployment = new BucketDeployment(this, "Deploy", {
      sources: [
        // The bundle's own config.json says "local"; this stack's says how to sign in here.
        Source.asset(bundle, { exclude: [CONFIG_FILE] }),
        Source.jsonData(
          CONFIG_FILE,
          consoleConfig(props.consortium, { region: stack.region, apiHost, kmsEndpoint: kms }),
        ),
      ],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ["/index.html", `/${CONFIG_FILE}`],
      // Hashed asset files are immutable; older ones stay for pages already open.
      prune: false,
      logGroup: new LogGroup(this, "DeployLogs", {
        retention: props.logRetentionDays as RetentionDays,
        removalPolicy: RemovalPolicy.RETAIN,
      }),
    });
    acknowledgeDeploymentHandler(stack, deployment, this.bucket);
  }

  /** https://<distribution domain>: where the console is. */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}

export const CONFIG_FILE = "config.json";

/** One member as the console's sign-in lists it (console/src/aws/config.ts AwsMember). */
export interface ConsoleMember {
  id: string;
  name: string;
  role: "department" | "auditor";
  alg: string;
  /** What KMS takes as KeyId: the member's newest key (the one that signs once rotated in). */
  kmsKey: string;
  /** The key is in the member's own account, signed with by its signing role's credentials. */
  ownAccount: boolean;
}

/**
 * config.json (console/src/aws/config.ts): the region, the API's host that SigV4 names,
 * the KMS endpoint the CSP allows, and each member with the key it signs with — the newest
 * of its keyArns in its own account, else the alias of the newest key this stack creates.
 */
export function consoleConfig(
  consortium: Consortium,
  where: { region: string; apiHost: string; kmsEndpoint: string },
): Record<string, unknown> {
  const member = (
    m: Consortium["departments"][number] | Consortium["auditors"][number],
    role: ConsoleMember["role"],
  ) => {
    const own = memberKeyArns(m);
    return {
      id: m.id,
      name: m.name,
      role,
      alg: m.alg,
      kmsKey: own.at(-1) ?? keyVersionAlias(consortium.consortium, m.id, keyVersionsOf(m)),
      ownAccount: own.length > 0,
    } satisfies ConsoleMember;
  };
  return {
    mode: "aws",
    ...where,
    consortium: consortium.consortium,
    log: consortium.log,
    members: [
      ...consortium.departments.map((m) => member(m, "department")),
      ...consortium.auditors.map((m) => member(m, "auditor")),
    ],
  };
}

/**
 * BucketDeployment runs a singleton Lambda of CDK's own (a custom resource) during a deploy,
 * with AWS's basic execution policy, the s3 wildcards over the asset and console buckets
 * that it copies by prefix, and CloudFront invalidation, which IAM scopes to no resource.
 */
function acknowledgeDeploymentHandler(stack: Stack, deployment: BucketDeployment, bucket: Bucket): void {
  const bucketRef = stack.resolve(stack.getLogicalId(bucket.node.defaultChild as CfnBucket)) as string;
  const partition = nagPseudo(stack.partition, "Partition");
  const wildcards = [
    "Action::s3:GetBucket*",
    "Action::s3:GetObject*",
    "Action::s3:List*",
    "Action::s3:Abort*",
    "Action::s3:DeleteObject*",
    `Resource::arn:${partition}:s3:::cdk-hnb659fds-assets-${nagPseudo(stack.account, "AccountId")}-${nagPseudo(stack.region, "Region")}/*`,
    `Resource::<${bucketRef}.Arn>/*`,
    "Resource::*",
  ];
  for (const [id, reason] of [
    [
      `AwsSolutions-IAM4[Policy::arn:${partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]`,
      "CDK's BucketDeployment handler writes its own logs with AWSLambdaBasicExecutionRole; it runs only during a deploy.",
    ],
    ...wildcards.map(
      (w) =>
        [
          `AwsSolutions-IAM5[${w}]`,
          "CDK's BucketDeployment handler copies the console's files from the CDK asset to the console bucket by prefix, and invalidates the distribution (cloudfront:CreateInvalidation takes no resource).",
        ] as const,
    ),
  ] as const) {
    Validations.of(deployment.handlerRole).acknowledge({ id, reason });
  }
  const fn = deployment.handlerRole.node.scope;
  if (fn)
    Validations.of(fn).acknowledge({
      id: "AwsSolutions-L1",
      reason: "CDK's BucketDeployment handler's runtime is chosen by aws-cdk-lib, not by this stack.",
    });
}
