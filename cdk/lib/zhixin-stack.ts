import { Annotations, CfnOutput, Stack, type StackProps, Tags } from "aws-cdk-lib";
import { Construct } from "constructs";
import type { SignatureAlgorithm } from "#chain";
import {
  accountOfKeyArn,
  keyVersionsOf,
  memberKeyArns,
  sealerSigningVersion,
  witnessQuorumOf,
} from "../../lib/consortium/consortium.js";
import { Alerts } from "./alerts.js";
import { LedgerApi } from "./api.js";
import { LedgerAudit } from "./audit.js";
import { LedgerBackup } from "./backup.js";
import { ChangeAlarms } from "./change-alarms.js";
import type { ZhixinConfig } from "./config.js";
import { LedgerConsole } from "./console.js";
import { deployedWitnesses, keyAlias, outputName, SEALER, SUBJECT, TAGS } from "./defaults.js";
import { LedgerFunctions } from "./functions.js";
import {
  custodyDescription,
  custodyWarning,
  memberKeyCustody,
  witnessGap,
  witnessWarning,
} from "./layout.js";
import { LedgerTable } from "./ledger-table.js";
import { LogTiles } from "./log-tiles.js";
import { ConsortiumMember } from "./members.js";
import { LedgerMonitoring } from "./monitoring.js";
import { LedgerSchedules } from "./schedules.js";
import { addSealTrigger } from "./seal-trigger.js";
import { createKeyVersions, type SigningKey } from "./signing-key.js";
import { SubjectKey } from "./subject-key.js";

/** The ids of the stack's synth warnings (Annotations addWarningV2), to acknowledge or assert. */
export const SYNTH_WARNINGS = {
  memberKeysInLedgerAccount: "zhixin:member-keys-in-ledger-account",
  witnessesNotDeployed: "zhixin:witnesses-not-deployed",
  alertsReachNoOne: "zhixin:alerts-reach-no-one",
  consoleNotInChina: "zhixin:console-not-in-china",
} as const;

/**
 * One consortium, from its file: the ledger table, the tile bucket the log is published
 * to, a role per member and a signing key per member whose file names no keyArn (./members.ts),
 * the sealer's key, the subject key, the three functions, the IAM-authorised HTTP API,
 * the schedules, alarms and a dashboard. Environment-agnostic: no lookups, so it
 * synthesises offline. Where the file leaves trust with the operator — members' keys in this
 * account, witnesses nobody can ask — synthesis warns (SYNTH_WARNINGS) and the outputs say so.
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
  /** The web console (aws.console, on by default). */
  readonly console?: LedgerConsole;
  /** The sealer's keys, oldest first (sealer.keyVersions): one signs, the others are kept. */
  readonly sealerKeys: SigningKey[];
  /** The one of sealerKeys the seal function signs with (sealer.signingVersion, default the newest). */
  readonly sealerKey: SigningKey;
  readonly subjectKey: SubjectKey;
  readonly members: ConsortiumMember[] = [];
  readonly changeAlarms: ChangeAlarms;
  readonly monitoring: LedgerMonitoring;
  readonly alerts: Alerts;
  readonly audit: LedgerAudit;
  readonly backup: LedgerBackup;

  constructor(scope: Construct, id: string, props: ZhixinStackProps) {
    const { config, repoRoot, ...stackProps } = props;
    const c = config.consortium;
    super(scope, id, {
      description: `Zhixin consortium ledger ${c.consortium} (log ${c.log})`,
      // Every member adds a role, grants per route and alarms: a consortium of ~50 members
      // (test/cdk/change-alarms.test.ts builds one) came within 20% of CloudFormation's 1 MB
      // template limit with the template indented, and synthesis warned; unindented, it does not.
      suppressTemplateIndentation: true,
      ...stackProps,
    });
    const settings = c.aws;
    Tags.of(this).add(TAGS.consortium, c.consortium);

    this.ledger = new LedgerTable(this, "Ledger", {
      consortium: c.consortium,
      restoredTable: settings.restoredTable,
    });
    this.sealerKeys = createKeyVersions(this, {
      id: "SealerKey",
      consortium: c.consortium,
      owner: SEALER,
      versions: keyVersionsOf(c.sealer),
      alg: c.sealer.alg,
      description: `Zhixin ${c.consortium}: the sealer's key (block headers, checkpoints)`,
    });
    this.sealerKey = this.sealerKeys[sealerSigningVersion(c.sealer) - 1] as SigningKey;
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
    // submit and verify build the whole trust bundle, every sealer key in it: the blocks and
    // checkpoints an older one signed stay checkable. seal-block signs with the newest alone,
    // and reads only its public key; an older version keeps no signer at all.
    const readers = [this.functions.roleOf("submit"), this.functions.roleOf("verify")];
    this.sealerKey.grantSignOnlyTo(this.functions.roleOf("seal"));
    this.sealerKey.grantPublicKeyRead([this.functions.roleOf("seal")]);
    for (const key of this.sealerKeys) key.grantPublicKeyRead(readers);
    // Only submit writes and looks up subject indexes.
    this.subjectKey.grantMacOnlyTo(this.functions.roleOf("submit"));

    this.api = new LedgerApi(this, "Api", {
      consortium: c.consortium,
      handler: this.functions.submit,
      throttle: settings.throttle,
      logRetentionDays: settings.logRetentionDays,
    });
    if (settings.console)
      this.console = new LedgerConsole(this, "Console", {
        api: this.api,
        consortium: c,
        repoRoot,
        logRetentionDays: settings.logRetentionDays,
      });

    const members = new Construct(this, "Members");
    const add = (
      kind: "department" | "auditor",
      m: {
        id: string;
        alg: SignatureAlgorithm;
        principal: string;
        keyArn?: string | undefined;
        keyArns?: string[] | undefined;
        keyVersions?: number | undefined;
      },
    ) => {
      const member = new ConsortiumMember(members, m.id, {
        consortium: c.consortium,
        id: m.id,
        kind,
        alg: m.alg,
        principal: m.principal,
        keyArns: memberKeyArns(m),
        keyVersions: keyVersionsOf(m),
        api: this.api,
        ...(kind === "auditor" ? { verifyFunction: this.functions.verify } : {}),
      });
      // By the key's ARN for a key in the member's account (whose key policy lets this account
      // read it), else the key created here: GetPublicKey and DescribeKey, as the trust bundle reads it.
      member.grantPublicKeyRead(readers);
      // Every member may read the published log straight from S3, as any tlog-tiles client.
      this.tiles.grant(member.role, "read");
      // They find keys created here by their aliases when they start; a keyArn exists already.
      for (const key of member.signingKeys) this.functions.dependOn(key.alias, ["submit", "verify"]);
      this.members.push(member);
      const name = outputName(m.id);
      new CfnOutput(this, `${name}RoleArn`, {
        description: `The role ${kind} ${m.id} assumes to call the API (trusts ${m.principal})`,
        value: member.role.roleArn,
      });
      const newest = member.signingKeys[member.signingKeys.length - 1];
      const versions =
        member.keyArns.length > 1
          ? ` (the newest of its ${member.keyArns.length} versions; docs/DEPLOY.md, Rotating a member's key)`
          : "";
      new CfnOutput(this, `${name}KeyArn`, {
        description: newest
          ? `${kind} ${m.id}'s signing key${versions}; sign with its alias ${newest.aliasName}. Held in ` +
            "this (the ledger's) account: its administrators are trusted with it (docs/DEPLOY.md, Members' keys)"
          : `${kind} ${m.id}'s signing key${versions}, from the consortium file (sign with it). ` +
            `Held in the member's own account ${accountOfKeyArn(member.newestKeyArn)}; this account may only read ` +
            "its public half (docs/DEPLOY.md, Members' keys)",
        value: member.newestKeyArn,
      });
    };
    for (const d of c.departments) add("department", d);
    for (const a of c.auditors) add("auditor", a);
    for (const key of this.sealerKeys) this.functions.dependOn(key.alias, ["submit", "verify"]);
    this.functions.dependOn(this.sealerKey.alias, ["seal"]);

    this.backup = new LedgerBackup(this, "Backup", {
      consortium: c.consortium,
      table: this.ledger.table,
      tableKey: this.ledger.encryptionKey,
      ...settings.backup,
    });

    // Every key of this account the ledger depends on: signatures are checked against the
    // sealer's and the members' keys, subject indexes are keyed from the subject key, the table
    // is encrypted with its own; and the table whose resource policy guards committed items.
    // A key in a member's account is watched by its member stack: CloudTrail records a call
    // in the account of the key, and this account's rules see only its own events.
    this.changeAlarms = new ChangeAlarms(this, "ChangeAlarms", {
      label: `Zhixin ${c.consortium}`,
      keys: [
        ...this.sealerKeys.map((k) => k.key),
        this.subjectKey.key,
        this.ledger.encryptionKey,
        ...this.members.flatMap((m) => m.signingKeys.map((k) => k.key)),
      ],
      // alias/zhixin/<consortium>/: the sealer's, the subject key's and those of the members'
      // keys created here (and any alias someone adds under it).
      aliases: [{ prefix: keyAlias(c.consortium, "") }],
      tables: [this.ledger.table],
    });

    addSealTrigger(this.functions.seal, this.ledger.table);
    new LedgerSchedules(this, "Schedules", {
      consortium: c.consortium,
      seal: this.functions.seal,
      sealEveryMinutes: settings.sealEveryMinutes,
    });
    this.audit = new LedgerAudit(this, "Audit", {
      consortium: c.consortium,
      verify: this.functions.verify,
      auditEveryHours: settings.auditEveryHours,
      logRetentionDays: settings.logRetentionDays,
      accessLogs: this.tiles.accessLogs,
    });
    this.monitoring = new LedgerMonitoring(this, "Monitoring", {
      consortium: c.consortium,
      api: this.api.api,
      functions: { submit: this.functions.submit, seal: this.functions.seal, verify: this.functions.verify },
      table: this.ledger.table,
      sealEveryMinutes: settings.sealEveryMinutes,
      maxPendingAgeSeconds: settings.maxPendingAgeSeconds,
      otherAlarms: [this.changeAlarms.alarm, ...this.audit.alarms],
      witnesses: { count: deployedWitnesses(c.departments).length, quorum: witnessQuorumOf(c) },
    });

    this.alerts = new Alerts(this, "Alerts", {
      consortium: c.consortium,
      ...settings.alerts,
      key: this.changeAlarms.topicKey,
    });
    this.alerts.notify(...this.monitoring.alarms);

    if (settings.alerts.emails.length + settings.alerts.https.length === 0)
      Annotations.of(this).addWarningV2(
        SYNTH_WARNINGS.alertsReachNoOne,
        "The consortium file's aws.alerts names no email and no https endpoint: the stack's alarms and " +
          "its budget notify a topic nobody subscribes to. Add the platform team's addresses to " +
          "aws.alerts.emails (docs/OPERATIONS.md, What each alarm means).",
      );

    if (config.target?.consoleLeftOut)
      Annotations.of(this).addWarningV2(
        SYNTH_WARNINGS.consoleNotInChina,
        "The web console is not deployed: in the China Regions CloudFront serves only on a domain of your own " +
          "with an ICP recordal and a certificate imported into IAM, not on its default domain as the console's " +
          "distribution does. Serve dist/console (npm run build:console) from your own ICP-recorded site with " +
          "/v1/ forwarded to the API, or use the CLI; set aws.console to false to silence this " +
          "(docs/DEPLOY.md, AWS China Regions).",
      );

    // Loud at every synth, and in every deployment's outputs: what the file leaves to trust.
    const custody = memberKeyCustody([...c.departments, ...c.auditors]);
    const custodyWarned = custodyWarning(custody);
    if (custodyWarned !== undefined)
      Annotations.of(this).addWarningV2(SYNTH_WARNINGS.memberKeysInLedgerAccount, custodyWarned);
    const witnessesWarned = witnessWarning(witnessGap(c.departments, witnessQuorumOf(c)));
    if (witnessesWarned !== undefined)
      Annotations.of(this).addWarningV2(SYNTH_WARNINGS.witnessesNotDeployed, witnessesWarned);

    const outputs: Record<string, { value: string; description: string }> = {
      ApiUrl: {
        value: this.api.url,
        description: "The HTTP API (ZHIXIN_URL); IAM-authorised: sign with SigV4",
      },
      ...(this.console
        ? {
            ConsoleUrl: {
              value: this.console.url,
              description:
                "The web console (docs/CONSOLE.md): sign in with a member role's credentials; its /v1/ is this API",
            },
          }
        : {}),
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
          `The sealer's key that signs (alias ${this.sealerKey.aliasName}: sealer.signingVersion, default the newest of sealer.keyVersions); ` +
          "block headers name it by the id derived from it. The log's " +
          `checkpoint vkey, which every witness's member stack takes as LogVkeys: aws kms get-public-key ` +
          `--key-id <this> --query PublicKey --output text | npx tsx cdk/bin/vkey.ts log ${c.log}`,
      },
      // Whether any member's key is within the operator's reach, and whose.
      MemberKeyCustody: { value: custody.custody, description: custodyDescription(custody) },
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
      AlertTopicArn: {
        value: this.alerts.topic.topicArn,
        description:
          "Every alarm and the monthly budget notify this topic (the file's aws.alerts subscribes to it; " +
          "each email address confirms once): docs/OPERATIONS.md, What each alarm means",
      },
      BackupVaultName: {
        value: this.backup.vault.backupVaultName,
        description:
          "The ledger table's daily and monthly recovery points (docs/OPERATIONS.md, Back up beyond 35 days)",
      },
      DashboardName: {
        value: this.monitoring.dashboard.dashboardName,
        description: "The CloudWatch dashboard",
      },
    };
    for (const [id, o] of Object.entries(outputs)) new CfnOutput(this, id, o);
  }
}
