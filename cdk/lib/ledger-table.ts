import { RemovalPolicy } from "aws-cdk-lib";
import {
  type Attribute,
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from "aws-cdk-lib/aws-dynamodb";
import { AnyPrincipal, Effect, type IGrantable, type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import { LEDGER_TABLE, TTL_ATTRIBUTE } from "../../lib/store-layout.js";
import { type CommittedItemDenial, committedItemGuards, type FunctionName } from "./defaults.js";
import { kmsViaService } from "./partition.js";

/**
 * The ledger table, declared from LEDGER_TABLE (the layout local mode creates), kept
 * on deletion, recoverable to any second of the last 35 days, and encrypted with a
 * key of the consortium's own. What is committed — blocks, pages, batches — is guarded
 * twice (cdk/lib/defaults.ts COMMITTED_ITEM_WRITES): each function's role carries Deny
 * statements for every write its ports do not send (denyCommittedWrites), and the
 * table's resource policy denies the same to every other principal of the account,
 * administrators included (guardCommittedItems).
 */
export interface LedgerTableProps {
  readonly consortium: string;
  /**
   * A table restored from this one to adopt in its place (the consortium file's
   * aws.restoredTable): declared with that name under another logical id, so that
   * `cdk import` brings the existing table into the stack, and the next deploy applies
   * everything below to it — stream, PITR, deletion protection, the committed-item guard —
   * while the table first created leaves the stack and is kept (RETAIN).
   */
  readonly restoredTable?: string | undefined;
}

/** The construct id of the ledger table: another one for an adopted, restored table. */
export const ledgerTableId = (restoredTable: string | undefined) =>
  restoredTable === undefined ? "Table" : "RestoredTable";

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
    this.table = new Table(this, ledgerTableId(props.restoredTable), {
      ...(props.restoredTable === undefined ? {} : { tableName: props.restoredTable }),
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
      // Keys only: it wakes the sealer when a batch commits (./seal-trigger.ts).
      stream: StreamViewType.KEYS_ONLY,
    });
    const index = layout.pendingIndex;
    this.table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: key(index.partitionKey),
      sortKey: key(index.sortKey),
      projectionType: ProjectionType[index.projectionType],
    });
  }

  /** Deny statements in `grantee`'s identity policy: it may not make these writes on committed items. */
  denyCommittedWrites(grantee: IGrantable, denials: readonly CommittedItemDenial[]): void {
    for (const d of denials) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.DENY,
          actions: [...d.actions],
          resources: [this.table.tableArn],
          conditions: committedItemConditions(d),
        }),
      );
    }
  }

  /**
   * The table's resource policy (committedItemGuards): the committed-item limits for every
   * principal, each write allowed only to the roles of the functions that send it.
   * Resources are "*" (this table): naming the table's own ARN in its policy is a cycle.
   */
  guardCommittedItems(roles: Record<FunctionName, IRole>): void {
    for (const guard of committedItemGuards()) {
      const except = guard.exceptWriters.map((name) => roles[name].roleArn);
      this.table.addToResourcePolicy(
        new PolicyStatement({
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: [...guard.actions],
          resources: ["*"],
          conditions: {
            ...committedItemConditions(guard),
            ...(except.length > 0 ? { ArnNotEquals: { "aws:PrincipalArn": except } } : {}),
          },
        }),
      );
    }
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
          StringEquals: { "kms:ViaService": kmsViaService(this.table.stack, "dynamodb") },
        },
      }),
    );
  }
}

/**
 * ForAnyValue: the request is denied when any one of its partition keys (a BatchWriteItem
 * has many) is committed, and, for an attribute limit, when it names any one attribute
 * outside the list (a negated operator with several values matches none of them).
 */
function committedItemConditions(d: CommittedItemDenial): Record<string, Record<string, string[]>> {
  return {
    "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": [...d.partitions] },
    ...(d.unlessOnlyAttributes === undefined
      ? {}
      : { "ForAnyValue:StringNotEquals": { "dynamodb:Attributes": [...d.unlessOnlyAttributes] } }),
  };
}
