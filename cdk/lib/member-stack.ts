import { CfnOutput, CfnParameter, Fn, Stack, type StackProps, Tags } from "aws-cdk-lib";
import { PolicyStatement, Role } from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import { cosignatureAlgorithmOf, keyVersionsOf, witnessName } from "../../lib/consortium/consortium.js";
import { ChangeAlarms } from "./change-alarms.js";
import type { Auditor, Department, ZhixinConsortium } from "./config.js";
import { ACCOUNT_ID_PATTERN, LOG_VKEYS_PATTERN, stackName, TAGS, witnessKeyAlias } from "./defaults.js";
import { principalFrom } from "./members.js";
import { createKeyVersions, type SigningKey } from "./signing-key.js";
import { DepartmentWitness } from "./witness.js";

/**
 * ZhixinMember: what a department or auditor deploys in its own AWS account, so that what
 * it signs with and what it witnesses with are out of the ledger operator's reach:
 *   - its request-signing key (alias/zhixin/<consortium>/<id>, as in the consortium stack) —
 *     keyVersions of them while one is rotated, version n under …/<id>/v<n> — and the role its
 *     systems sign with: each key's policy lets that role alone sign, and lets the ledger
 *     account (the parameter LedgerAccount) read the public half and no more;
 *   - if the consortium file says a department witnesses (`witness` true or { url, vkey }), its
 *     witness (./witness.ts) behind a public function URL, following the logs whose
 *     checkpoint keys the parameter LogVkeys names;
 *   - alarms on changes to those keys and the witness table (./change-alarms.ts).
 *
 * The ledger uses the key once the consortium file names it as the member's keyArn
 * (the output SigningKeyArn), and the witness once the file names its URL and vkey: member
 * stacks are deployed first, the consortium stack after (docs/DEPLOY.md, "Members' keys").
 */
export type ZhixinMemberStackProps = StackProps & {
  readonly consortium: ZhixinConsortium;
  readonly repoRoot: string;
} & (
    | { readonly kind: "department"; readonly member: Department }
    | { readonly kind: "auditor"; readonly member: Auditor }
  );

export class ZhixinMemberStack extends Stack {
  /** Its signing keys, oldest first (keyVersions); the consortium file lists their ARNs in keyArns. */
  readonly signingKeys: SigningKey[];
  /** The newest of signingKeys. */
  readonly signingKey: SigningKey;
  readonly signingRole: Role;
  readonly witness: DepartmentWitness | undefined;
  readonly changeAlarms: ChangeAlarms;

  constructor(scope: Construct, id: string, props: ZhixinMemberStackProps) {
    const { consortium: c, kind, member: d, repoRoot, ...stackProps } = props;
    // Only a department witnesses (the quorum counts departments: lib/consortium witnessQuorumOf).
    const witnesses = props.kind === "department" && props.member.witness !== false;
    super(scope, id, {
      description: `Zhixin ${c.consortium}: ${kind} ${d.id}'s keys${witnesses ? " and witness" : ""}, in its own account`,
      ...stackProps,
    });
    Tags.of(this).add(TAGS.consortium, c.consortium);
    Tags.of(this).add(TAGS.member, d.id);

    this.signingRole = new Role(this, "SigningRole", {
      assumedBy: principalFrom(d.principal),
      description: `Zhixin ${c.consortium}: ${kind} ${d.id} signs its requests`,
    });
    this.signingKeys = createKeyVersions(this, {
      consortium: c.consortium,
      owner: d.id,
      versions: keyVersionsOf(d),
      alg: d.alg,
      description: `Zhixin ${c.consortium}: signing key of ${kind} ${d.id}`,
    });
    this.signingKey = this.signingKeys[this.signingKeys.length - 1] as SigningKey;
    // Every version signs: the new key is added by a record the old one signs, the old one
    // retired by a record the new one signs (docs/DEPLOY.md, "Rotating a member's key").
    for (const key of this.signingKeys) key.grantSignOnlyTo(this.signingRole);
    // `zhixin --kms-key` reads the key's spec to pick the algorithm (unless --alg says it).
    this.signingRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ["kms:GetPublicKey"],
        resources: this.signingKeys.map((k) => k.key.keyArn),
      }),
    );
    // The ledger's functions build their trust bundle from this key's public half, across
    // accounts: the key policy must allow the ledger account, whose IAM then allows its functions.
    // A parameter, not the file's value alone, so that a file without aws.ledgerAccount still
    // synthesises and the deployment asks for it by name.
    const consortiumStack = stackName(c.consortium);
    const ledgerAccount = new CfnParameter(this, "LedgerAccount", {
      type: "String",
      ...(c.aws.ledgerAccount === undefined ? {} : { default: c.aws.ledgerAccount }),
      allowedPattern: ACCOUNT_ID_PATTERN,
      constraintDescription:
        `the 12-digit id of the AWS account the consortium stack ${consortiumStack} is deployed in ` +
        "(the consortium file's aws.ledgerAccount; ask the consortium's operator)",
      description:
        `The ledger account: where ${consortiumStack} runs. Its key policy lets this account read the ` +
        "signing key's public half (kms:GetPublicKey, kms:DescribeKey), nothing more. Default: the " +
        "consortium file's aws.ledgerAccount.",
    });
    for (const key of this.signingKeys)
      key.allowPublicKeyReadBy(ledgerAccount.valueAsString, "LedgerAccountReadsPublicKey");

    // The order of a deployment, where the department sees it: this stack first, the file next,
    // the consortium stack last.
    const order =
      `Deploy every member stack first, put this into the consortium file's keyArn for ${d.id}` +
      `${witnesses ? " (and WitnessUrl with the witness's vkey into its witness)" : ""}, ` +
      `then the operator deploys ${consortiumStack} (docs/DEPLOY.md, Members' keys)`;
    const outputs: Record<string, { value: string; description: string }> = {
      SigningKeyArn: {
        value: this.signingKey.key.keyArn,
        description: `${d.id}'s request-signing key (alias ${this.signingKey.aliasName}${
          this.signingKeys.length > 1 ? `, the newest of ${this.signingKeys.length} versions` : ""
        }), held in this account; the ledger account may read its public half. ${order}`,
      },
      SigningRoleArn: {
        value: this.signingRole.roleArn,
        description: `The role ${d.id}'s systems sign with (trusts ${d.principal}); the only one the key lets sign`,
      },
    };

    if (this.signingKeys.length > 1) {
      outputs.SigningKeyArns = {
        value: Fn.join(
          ",",
          this.signingKeys.map((k) => k.key.keyArn),
        ),
        description:
          `Every version of ${d.id}'s request-signing key, oldest first, comma-separated: the consortium ` +
          `file's keyArns for ${d.id} while its key is rotated (docs/DEPLOY.md, Rotating a member's key)`,
      };
    }

    if (witnesses) {
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
        keyVersions: "witnessKeyVersions" in d ? (d.witnessKeyVersions ?? 1) : 1,
        alg: cosignatureAlgorithmOf(c),
        ...(c.sm2Id === undefined ? {} : { sm2Id: c.sm2Id }),
        logVkeys: logVkeys.valueAsString,
        logRetentionDays: c.aws.logRetentionDays,
      });
      Object.assign(outputs, {
        WitnessUrl: {
          value: this.witness.url,
          description:
            "The witness's base URL (POST <this>add-checkpoint, c2sp.org/tlog-witness): the consortium file's " +
            `departments[${d.id}].witness.url, with the vkey from WitnessKeyArn. Deploy every member stack ` +
            `first, put both into the file, then the operator deploys ${consortiumStack} (docs/DEPLOY.md)`,
        },
        WitnessName: {
          value: name,
          description: "The witness's cosigner name: the name in its vkey and in every cosignature line",
        },
        WitnessKeyArn: {
          value: this.witness.key.key.keyArn,
          description:
            `The witness's cosigning key (${cosignatureAlgorithmOf(c)})${this.witness.keys.length > 1 ? ` (alias ${this.witness.key.aliasName}, the newest of ${this.witness.keys.length} versions: the one it cosigns with)` : ""}: ` +
            "aws kms get-public-key --key-id <this> --query PublicKey --output text | " +
            "npx tsx cdk/bin/vkey.ts witness <WitnessName> prints the vkey for the consortium file",
        },
        ...(this.witness.keys.length > 1
          ? {
              WitnessKeyArns: {
                value: Fn.join(
                  ",",
                  this.witness.keys.map((k) => k.key.keyArn),
                ),
                description:
                  "Every version of the witness's key, oldest first: the newest's vkey is the consortium file's " +
                  `departments[${d.id}].witness.vkey, the older ones' its retiredVkeys (docs/DEPLOY.md §8)`,
              },
            }
          : {}),
        WitnessTableName: {
          value: this.witness.table.tableName,
          description: "What the witness cosigned per log; retained and deletion-protected: never empty it",
        },
      });
    } else {
      this.witness = undefined;
    }

    const witnessKeys = this.witness?.keys ?? [];
    this.changeAlarms = new ChangeAlarms(this, "ChangeAlarms", {
      label: `Zhixin ${c.consortium} member ${d.id}`,
      keys: [...this.signingKeys.map((k) => k.key), ...witnessKeys.map((k) => k.key)],
      aliases: [...this.signingKeys.map((k) => k.aliasName), ...witnessKeys.map((k) => k.aliasName)],
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
