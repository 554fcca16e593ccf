import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from "aws-cdk-lib/aws-backup";
import type { CfnTable, ITable } from "aws-cdk-lib/aws-dynamodb";
import { Schedule } from "aws-cdk-lib/aws-events";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import { kmsViaService } from "./partition.js";

/**
 * Recovery points of the ledger table beyond PITR's 35 days (docs/OPERATIONS.md, "Back up
 * beyond 35 days"), in a vault of the stack's own, encrypted with AWS Backup's key: a daily
 * one kept `dailyDays`, a monthly one kept `monthlyDays` (cold after 90 days). With
 * `lockDays` > 0 the vault is locked (AWS Backup Vault Lock, compliance mode once its grace
 * time of 3 days ends): no one, the account's administrators included, can delete a
 * recovery point before its retention ends or shorten it, and no job may keep one for
 * less than `lockDays` — the operator cannot make the evidence behind an old block vanish
 * from the backups either.
 *
 * The plan backs up through a role of its own rather than AWS's managed
 * AWSBackupServiceRolePolicyForBackup (the stack attaches no managed policy): that
 * policy's DynamoDB statements, on this table and its key alone.
 */
export interface LedgerBackupProps {
  readonly consortium: string;
  readonly table: ITable;
  readonly tableKey: IKey;
  readonly dailyDays: number;
  readonly monthlyDays: number;
  readonly lockDays: number;
}

/** What the backup role may do on the table (and its backups); IAM actions. */
export const BACKUP_TABLE_ACTIONS = [
  "dynamodb:DescribeTable",
  "dynamodb:CreateBackup",
  "dynamodb:StartAwsBackupJob",
  "dynamodb:ListTagsOfResource",
] as const;
export const BACKUP_RECOVERY_POINT_ACTIONS = ["dynamodb:DescribeBackup", "dynamodb:DeleteBackup"] as const;

export class LedgerBackup extends Construct {
  readonly vault: BackupVault;
  readonly plan: BackupPlan;

  constructor(scope: Construct, id: string, props: LedgerBackupProps) {
    super(scope, id);
    // AWS Backup's own key (aws/backup): a key of the stack's would cost $1 a month and more
    // with each rotation (docs/COST.md), and would protect nothing more — the vault lock,
    // not the key, keeps recovery points from the account's administrators.
    this.vault = new BackupVault(this, "Vault", {
      removalPolicy: RemovalPolicy.RETAIN,
      // changeableFor makes it compliance mode: after 3 days not even the account's root can
      // remove the lock (without it, governance mode, an administrator could).
      ...(props.lockDays > 0
        ? {
            lockConfiguration: {
              minRetention: Duration.days(props.lockDays),
              changeableFor: Duration.days(3),
            },
          }
        : {}),
    });
    this.plan = new BackupPlan(this, "Plan", {
      backupVault: this.vault,
      backupPlanRules: [
        new BackupPlanRule({
          ruleName: "Daily",
          scheduleExpression: Schedule.cron({ minute: "0", hour: "3" }),
          deleteAfter: Duration.days(props.dailyDays),
        }),
        new BackupPlanRule({
          ruleName: "Monthly",
          scheduleExpression: Schedule.cron({ minute: "0", hour: "4", day: "1" }),
          deleteAfter: Duration.days(props.monthlyDays),
          // Cold storage costs less than a third of warm (docs/COST.md); DynamoDB's needs AWS
          // Backup's advanced features for DynamoDB, on by default in accounts since 2021.
          moveToColdStorageAfter: Duration.days(90),
        }),
      ],
    });
    const role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("backup.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": Stack.of(this).account } },
      }),
      description: `Zhixin ${props.consortium}: AWS Backup backs up the ledger table`,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...BACKUP_TABLE_ACTIONS], resources: [props.table.tableArn] }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...BACKUP_RECOVERY_POINT_ACTIONS],
        resources: [`${props.table.tableArn}/backup/*`],
      }),
    );
    // The table is encrypted with its own key: a backup of it is read through DynamoDB.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
        resources: [props.tableKey.keyArn],
        conditions: {
          StringEquals: { "kms:ViaService": kmsViaService(Stack.of(this), "dynamodb") },
        },
      }),
    );
    this.plan.addSelection("Ledger", {
      resources: [BackupResource.fromDynamoDbTable(props.table)],
      role,
      disableDefaultBackupPolicy: true,
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).resolve(
        Stack.of(this).getLogicalId(props.table.node.defaultChild as CfnTable),
      )}.Arn>/backup/*]`,
      reason:
        "The recovery points of the ledger table alone (DescribeBackup, DeleteBackup on <table>/backup/*): " +
        "AWS Backup names each one when it makes it, and needs them to expire old ones.",
    });
  }
}
