import { CfnOutput, Stack, type StackProps, Tags } from "aws-cdk-lib";
import { Construct } from "constructs";
import type { SignatureAlgorithm } from "#chain";
import { witnessQuorumOf } from "../../lib/consortium/consortium.js";
import { LedgerApi } from "./api.js";
import { ChangeAlarms } from "./change-alarms.js";
import type { ZhixinConfig } from "./config.js";
import { deployedWitnesses, keyAlias, outputName, SEALER, SUBJECT, TAGS } from "./defaults.js";
import { LedgerFunctions } from "./functions.js";
import { LedgerTable } from "./ledger-table.js";
import { LogTiles } from "./log-tiles.js";
import { ConsortiumMember } from "./members.js";
import { LedgerMonitoring } from "./monitoring.js";
import { LedgerSchedules } from "./schedules.js";
import { SigningKey } from "./signing-key.js";
import { SubjectKey } from "./subject-key.js";

/**
 * One consortium, from its file: the ledger table, the tile bucket the log is published
 * to, a signing key and role per member,
 * the sealer's key, the subject key, the three functions, the IAM-authorised HTTP API,
 * the schedules, alarms and a dashboard. Environment-agnostic: no lookups, so it
 * synthesises offline.
 */
export interface ZhixinStackProps extends StackProps {
  readonly config: ZhixinConfig;
  /** The repository root (where functions/ and package-lock.json are). */
  readonly repoRoot: string;
}

export class ZhixinStack extends Stack {
  readonly ledger: LedgerTable;
  readonly tiles: LogTiles;
  readonly functions: LedgerFunctions;
  readonly api: LedgerApi;
  readonly sealerKey: SigningKey;
  readonly subjectKey: SubjectKey;
  readonly members: ConsortiumMember[] = [];
  readonly changeAlarms: ChangeAlarms;
  readonly monitoring: LedgerMonitoring;

  constructor(scope: Construct, id: string, props: ZhixinStackProps) {
    const { config, repoRoot, ...stackProps } = props;
    const c = config.consortium;
    super(scope, id, {
      description: `Zhixin consortium ledger ${c.consortium} (log ${c.log})`,
      ...stackProps,
    });
    const settings = c.aws;
    Tags.of(this).add(TAGS.consortium, c.consortium);

    this.ledger = new LedgerTable(this, "Ledger", { consortium: c.consortium });
    this.sealerKey = new SigningKey(this, "SealerKey", {
      owner: SEALER,
      aliasName: keyAlias(c.consortium, SEALER),
      alg: c.sealer.alg,
      description: `Zhixin ${c.consortium}: the sealer's key (block headers, checkpoints)`,
    });
    this.subjectKey = new SubjectKey(this, "SubjectKey", {
      aliasName: keyAlias(c.consortium, SUBJECT),
      description: `Zhixin ${c.consortium}: the subject key (HMAC master of every subject index)`,
    });
    this.tiles = new LogTiles(this, "Tiles", {
      consortium: c.consortium,
      retentionDays: settings.tileRetentionDays,
    });
    this.functions = new LedgerFunctions(this, "Functions", {
      repoRoot,
      consortiumFile: config.file,
      ledger: this.ledger,
      sealerKey: this.sealerKey,
      subjectKey: this.subjectKey,
      tiles: this.tiles,
      witnesses: deployedWitnesses(c.departments),
      sealLoopSeconds: settings.sealLoopSeconds,
      logRetentionDays: settings.logRetentionDays,
    });
    // submit and verify build the whole trust bundle; seal-block reads only its own key's.
    const readers = [this.functions.roleOf("submit"), this.functions.roleOf("verify")];
    this.sealerKey.grantSignOnlyTo(this.functions.roleOf("seal"));
    this.sealerKey.grantPublicKeyRead([...readers, this.functions.roleOf("seal")]);
    // Only submit writes and looks up subject indexes.
    this.subjectKey.grantMacOnlyTo(this.functions.roleOf("submit"));

    this.api = new LedgerApi(this, "Api", {
      consortium: c.consortium,
      handler: this.functions.submit,
      throttle: settings.throttle,
      logRetentionDays: settings.logRetentionDays,
    });

    const members = new Construct(this, "Members");
    const add = (
      kind: "department" | "auditor",
      m: { id: string; alg: SignatureAlgorithm; principal: string },
    ) => {
      const member = new ConsortiumMember(members, m.id, {
        consortium: c.consortium,
        id: m.id,
        kind,
        alg: m.alg,
        principal: m.principal,
        api: this.api,
        ...(kind === "auditor" ? { verifyFunction: this.functions.verify } : {}),
      });
      member.signingKey.grantPublicKeyRead(readers);
      // Every member may read the published log straight from S3, as any tlog-tiles client.
      this.tiles.grant(member.role, "read");
      // They find every member's key by its alias when they start.
      this.functions.dependOn(member.signingKey.alias, ["submit", "verify"]);
      this.members.push(member);
      const name = outputName(m.id);
      new CfnOutput(this, `${name}RoleArn`, {
        description: `The role ${kind} ${m.id} assumes (trusts ${m.principal})`,
        value: member.role.roleArn,
      });
      new CfnOutput(this, `${name}KeyArn`, {
        description:
          `${kind} ${m.id}'s signing key; sign with its alias ${member.signingKey.aliasName}. Held in ` +
          "this (the ledger's) account: its administrators are trusted with it (docs/DEPLOY.md, Members' keys)",
        value: member.signingKey.key.keyArn,
      });
    };
    for (const d of c.departments) add("department", d);
    for (const a of c.auditors) add("auditor", a);
    this.functions.dependOn(this.sealerKey.alias, ["submit", "seal", "verify"]);

    // Every key the ledger depends on: signatures are checked against the sealer's and the
    // members' keys, subject indexes are keyed from the subject key, the table is encrypted
    // with its own; and the table whose resource policy guards committed items.
    this.changeAlarms = new ChangeAlarms(this, "ChangeAlarms", {
      label: `Zhixin ${c.consortium}`,
      keys: [
        this.sealerKey.key,
        this.subjectKey.key,
        this.ledger.encryptionKey,
        ...this.members.map((m) => m.signingKey.key),
      ],
      // alias/zhixin/<consortium>/: the sealer's, the subject key's and every member's.
      aliases: [{ prefix: keyAlias(c.consortium, "") }],
      tables: [this.ledger.table],
    });

    new LedgerSchedules(this, "Schedules", {
      consortium: c.consortium,
      seal: this.functions.seal,
      sealEveryMinutes: settings.sealEveryMinutes,
      verify: this.functions.verify,
      auditEveryHours: settings.auditEveryHours,
    });
    this.monitoring = new LedgerMonitoring(this, "Monitoring", {
      consortium: c.consortium,
      api: this.api.api,
      functions: { submit: this.functions.submit, seal: this.functions.seal, verify: this.functions.verify },
      sealEveryMinutes: settings.sealEveryMinutes,
      maxPendingAgeSeconds: settings.maxPendingAgeSeconds,
      otherAlarms: [this.changeAlarms.alarm],
      witnesses: { count: deployedWitnesses(c.departments).length, quorum: witnessQuorumOf(c) },
    });

    const outputs: Record<string, { value: string; description: string }> = {
      ApiUrl: {
        value: this.api.url,
        description: "The HTTP API (ZHIXIN_URL); IAM-authorised: sign with SigV4",
      },
      SubmitFunctionName: { value: this.functions.submit.functionName, description: "The API handler" },
      SealFunctionName: { value: this.functions.seal.functionName, description: "The sealer" },
      VerifyFunctionName: {
        value: this.functions.verify.functionName,
        description: "The audit function: aws lambda invoke --function-name <this> --payload '{}'",
      },
      TableName: { value: this.ledger.table.tableName, description: "The ledger table" },
      TilesBucketName: {
        value: this.tiles.bucket.bucketName,
        description: "The log as C2SP tiles (checkpoint, tile/...): aws s3 cp s3://<this>/checkpoint -",
      },
      SealerKeyArn: {
        value: this.sealerKey.key.keyArn,
        description:
          `The sealer's key; block headers name it by its alias ${this.sealerKey.aliasName}. The log's ` +
          `checkpoint vkey, which every witness's member stack takes as LogVkeys: aws kms get-public-key ` +
          `--key-id <this> --query PublicKey --output text | npx tsx cdk/bin/vkey.ts log ${c.log}`,
      },
      // Loud, in every deployment's outputs: this layout keeps no key out of the operator's reach.
      MemberKeyCustody: {
        value: "ledger-account",
        description:
          "Single-account layout: every member's signing key is in this account, whose administrators " +
          "can change its key policy and sign as that member. The operator is trusted with members' keys " +
          "(docs/DEPLOY.md, Members' keys)",
      },
      SubjectKeyArn: {
        value: this.subjectKey.key.keyArn,
        description: `The subject key (alias ${this.subjectKey.aliasName}); retained: without it no subject index can be read`,
      },
      ChangeAlarmTopicArn: {
        value: this.changeAlarms.topic.topicArn,
        description:
          "Key and table guard changes (PutKeyPolicy, DisableKey, ScheduleKeyDeletion, alias moves, the table's " +
          "resource policy): subscribe the security team; needs a CloudTrail trail logging management events",
      },
      DashboardName: {
        value: this.monitoring.dashboard.dashboardName,
        description: "The CloudWatch dashboard",
      },
    };
    for (const [id, o] of Object.entries(outputs)) new CfnOutput(this, id, o);
  }
}
