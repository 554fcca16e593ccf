import { CfnOutput, CfnParameter, Stack, type StackProps, Tags } from "aws-cdk-lib";
import { PolicyStatement, Role } from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import { ChangeAlarms } from "./change-alarms.js";
import type { Department, ZhixinConsortium } from "./config.js";
import { keyAlias, LOG_VKEYS_PATTERN, TAGS, witnessKeyAlias, witnessName } from "./defaults.js";
import { principalFrom } from "./members.js";
import { SigningKey } from "./signing-key.js";
import { DepartmentWitness } from "./witness.js";

/**
 * ZhixinMember: what a department deploys in its own AWS account, so that what it signs
 * with and what it witnesses with are out of the ledger operator's reach:
 *   - its request-signing key (alias/zhixin/<consortium>/<id>, as in the consortium stack)
 *     and the role its systems sign with — the key policy lets that role alone sign;
 *   - if the consortium file says it witnesses (`witness` true or { url, vkey }), its
 *     witness (./witness.ts) behind a public function URL, following the logs whose
 *     checkpoint keys the parameter LogVkeys names;
 *   - alarms on changes to those keys and the witness table (./change-alarms.ts).
 *
 * The consortium stack does not use this key yet: it still creates every member's key in
 * the ledger account (docs/DEPLOY.md, "Members' keys"). The witness is used as soon as the
 * consortium file names its URL and vkey.
 */
export interface ZhixinMemberStackProps extends StackProps {
  readonly consortium: ZhixinConsortium;
  readonly department: Department;
  readonly repoRoot: string;
}

export class ZhixinMemberStack extends Stack {
  readonly signingKey: SigningKey;
  readonly signingRole: Role;
  readonly witness: DepartmentWitness | undefined;
  readonly changeAlarms: ChangeAlarms;

  constructor(scope: Construct, id: string, props: ZhixinMemberStackProps) {
    const { consortium: c, department: d, repoRoot, ...stackProps } = props;
    super(scope, id, {
      description: `Zhixin ${c.consortium}: department ${d.id}'s keys${d.witness === false ? "" : " and witness"}, in its own account`,
      ...stackProps,
    });
    Tags.of(this).add(TAGS.consortium, c.consortium);
    Tags.of(this).add(TAGS.member, d.id);

    this.signingRole = new Role(this, "SigningRole", {
      assumedBy: principalFrom(d.principal),
      description: `Zhixin ${c.consortium}: department ${d.id} signs its requests`,
    });
    this.signingKey = new SigningKey(this, "SigningKey", {
      owner: d.id,
      aliasName: keyAlias(c.consortium, d.id),
      alg: d.alg,
      description: `Zhixin ${c.consortium}: signing key of department ${d.id}`,
    });
    this.signingKey.grantSignOnlyTo(this.signingRole);
    // `zhixin --kms-key` reads the key's spec to pick the algorithm (unless --alg says it).
    this.signingRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["kms:GetPublicKey"], resources: [this.signingKey.key.keyArn] }),
    );

    const outputs: Record<string, { value: string; description: string }> = {
      SigningKeyArn: {
        value: this.signingKey.key.keyArn,
        description: `${d.id}'s request-signing key (alias ${this.signingKey.aliasName}), held in this account`,
      },
      SigningRoleArn: {
        value: this.signingRole.roleArn,
        description: `The role ${d.id}'s systems sign with (trusts ${d.principal}); the only one the key lets sign`,
      },
    };

    if (d.witness !== false) {
      const logVkeys = new CfnParameter(this, "LogVkeys", {
        type: "String",
        default: "",
        allowedPattern: LOG_VKEYS_PATTERN,
        constraintDescription: "empty, or C2SP verifier keys (name+keyhash+base64), comma-separated",
        description:
          "The log's checkpoint verifier key (vkey), which the consortium's operator computes from the " +
          "consortium stack's output SealerKeyArn and the log's origin (docs/DEPLOY.md); several, " +
          "comma-separated, while the sealer's key is rotated. Empty: the witness refuses every log (404).",
      });
      const name = witnessName(c.consortium, d.id);
      this.witness = new DepartmentWitness(this, "Witness", {
        repoRoot,
        name,
        keyAlias: witnessKeyAlias(c.consortium, d.id),
        logVkeys: logVkeys.valueAsString,
        logRetentionDays: c.aws.logRetentionDays,
      });
      Object.assign(outputs, {
        WitnessUrl: {
          value: this.witness.url.url,
          description:
            "The witness's base URL (POST <this>add-checkpoint, c2sp.org/tlog-witness): the consortium file's " +
            `departments[${d.id}].witness.url, with the vkey from WitnessKeyArn (docs/DEPLOY.md)`,
        },
        WitnessName: {
          value: name,
          description: "The witness's cosigner name: the name in its vkey and in every cosignature line",
        },
        WitnessKeyArn: {
          value: this.witness.key.key.keyArn,
          description:
            "The witness's Ed25519 key: aws kms get-public-key --key-id <this> --query PublicKey --output text | " +
            "npx tsx cdk/bin/vkey.ts witness <WitnessName> prints the vkey for the consortium file",
        },
        WitnessTableName: {
          value: this.witness.table.tableName,
          description: "What the witness cosigned per log; retained and deletion-protected: never empty it",
        },
      });
    } else {
      this.witness = undefined;
    }

    const witnessKey = this.witness?.key;
    this.changeAlarms = new ChangeAlarms(this, "ChangeAlarms", {
      label: `Zhixin ${c.consortium} member ${d.id}`,
      keys: [this.signingKey.key, ...(witnessKey ? [witnessKey.key] : [])],
      aliases: [this.signingKey.aliasName, ...(witnessKey ? [witnessKey.aliasName] : [])],
      tables: this.witness ? [this.witness.table] : [],
    });
    outputs.ChangeAlarmTopicArn = {
      value: this.changeAlarms.topic.topicArn,
      description:
        "Changes to this stack's keys and witness table (CloudTrail): subscribe the department's " +
        "security team; needs a CloudTrail trail logging management events",
    };
    for (const [key, o] of Object.entries(outputs)) new CfnOutput(this, key, o);
  }
}
