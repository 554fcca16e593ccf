import { RemovalPolicy } from "aws-cdk-lib";
import {
  type Attribute,
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
} from "aws-cdk-lib/aws-dynamodb";
import { type IGrantable, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import { LEDGER_TABLE, TTL_ATTRIBUTE } from "../../lib/store-layout.js";

/**
 * The ledger table, declared from LEDGER_TABLE (the layout local mode creates), kept
 * on deletion, recoverable to any second of the last 35 days, and encrypted with a
 * key of the consortium's own.
 */
export interface LedgerTableProps {
  readonly consortium: string;
}

const key = (k: { name: string; type: "S" | "N" | "B" }): Attribute => ({
  name: k.name,
  type: { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY }[k.type],
});

export class LedgerTable extends Construct {
  readonly table: Table;
  readonly encryptionKey: Key;

  constructor(scope: Construct, id: string, props: LedgerTableProps) {
    super(scope, id);
    const layout = LEDGER_TABLE;
    this.encryptionKey = new Key(this, "Key", {
      description: `Zhixin ${props.consortium}: encrypts the ledger table`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table = new Table(this, "Table", {
      partitionKey: key(layout.partitionKey),
      sortKey: key(layout.sortKey),
      billingMode: BillingMode[layout.billingMode],
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
      // Only request counters carry it (a contract's rate-limit windows): DynamoDB deletes
      // them after their window; ledger items never expire.
      timeToLiveAttribute: TTL_ATTRIBUTE,
    });
    const index = layout.pendingIndex;
    this.table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: key(index.partitionKey),
      sortKey: key(index.sortKey),
      projectionType: ProjectionType[index.projectionType],
    });
  }

  /** Exactly `actions` on the table, `indexActions` on the pending index, `keyActions` on its key. */
  grant(
    grantee: IGrantable,
    access: { table: readonly string[]; pendingIndex: readonly string[]; key: readonly string[] },
  ): void {
    const policy = grantee.grantPrincipal;
    policy.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...access.table], resources: [this.table.tableArn] }),
    );
    if (access.pendingIndex.length > 0) {
      policy.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [...access.pendingIndex],
          resources: [`${this.table.tableArn}/index/${LEDGER_TABLE.pendingIndex.indexName}`],
        }),
      );
    }
    policy.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...access.key],
        resources: [this.encryptionKey.keyArn],
        conditions: {
          StringEquals: { "kms:ViaService": `dynamodb.${this.table.stack.region}.amazonaws.com` },
        },
      }),
    );
  }
}
