import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { type IGrantable, PolicyStatement } from "aws-cdk-lib/aws-iam";
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectLockRetention,
  ObjectOwnership,
} from "aws-cdk-lib/aws-s3";
import { Construct, type IConstruct } from "constructs";
import { TILE_ACTIONS } from "./defaults.js";

/**
 * The bucket the sealer publishes the log to as C2SP tiles (docs/formats/tiles.md): hash
 * tiles, entry bundles and the checkpoint, readable by every member's role straight from
 * S3. What is published must stay published: the bucket is versioned, and S3 Object Lock
 * in governance mode keeps every version — a replaced partial tile or checkpoint
 * included — for `retentionDays`, so no role of the ledger can delete or silently rewrite
 * the published log; only a principal granted s3:BypassGovernanceRetention could, and no
 * role here is (test/cdk/log-tiles.test.ts). Reads and writes are logged to a second
 * bucket (S3 server access logs).
 *
 * Encrypted with S3-managed keys, not a consortium KMS key: the tiles are the public face
 * of the log, meant for any member and any tlog-tiles client; a KMS key would only add a
 * grant every reader needs and prove nothing more.
 */
export interface LogTilesProps {
  readonly consortium: string;
  /** Days each object version is kept under Object Lock (consortium file aws.tileRetentionDays). */
  readonly retentionDays: number;
}

export class LogTiles extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: LogTilesProps) {
    super(scope, id);
    this.accessLogs = new Bucket(this, "AccessLogs", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "This bucket holds the tile bucket's server access logs; logging its own access to itself " +
        "would loop. Its objects are versioned and it blocks public access.",
    });
    this.bucket = new Bucket(this, "Bucket", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.governance(Duration.days(props.retentionDays)),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: "tiles/",
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** Exactly TILE_ACTIONS[access] on the bucket's objects: never a delete, never a retention change. */
  grant(grantee: IGrantable, access: keyof typeof TILE_ACTIONS): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...TILE_ACTIONS[access]],
        resources: [this.bucket.arnForObjects("*")],
      }),
    );
    const stack = Stack.of(this);
    const bucketRef = stack.resolve(stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket)) as string;
    Validations.of(grantee as unknown as IConstruct).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketRef}.Arn>/*]`,
      reason:
        "The objects of the tile bucket are the published log (checkpoint, tile/...), each named by " +
        "its tlog-tiles path; the grant is only the actions the role needs, on that one bucket.",
    });
  }
}
