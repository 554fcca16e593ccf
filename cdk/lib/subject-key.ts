import { RemovalPolicy } from "aws-cdk-lib";
import type { IRole } from "aws-cdk-lib/aws-iam";
import { Alias, Key, KeySpec, KeyUsage } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import { accountAdministersKey, allowKeyActionOnlyTo } from "./key-policy.js";

/**
 * The deployment's subject key: an HMAC_256 KMS key whose one use is GenerateMac over
 * the fixed label of lib/chain subject.ts, giving the working key that every subject
 * index is keyed with (functions/sharing/kms-subject-key.ts). The key policy is
 * SigningKey's (./key-policy.ts):
 *   - the account administers the key but gets no cryptographic operation;
 *   - kms:GenerateMac is allowed to the account only for one role (aws:PrincipalArn)
 *     and denied to every other principal, so no IAM policy or grant adds a caller
 *     that could compute subject digests and so test guesses against the indexes.
 * kms:VerifyMac is granted to nobody: the derived key is only ever generated.
 * No automatic rotation (KMS offers none for HMAC keys, and a new master would derive
 * a new working key, orphaning every index written under the old one).
 */
export interface SubjectKeyProps {
  readonly aliasName: string;
  readonly description: string;
}

export class SubjectKey extends Construct {
  readonly key: Key;
  readonly alias: Alias;
  readonly aliasName: string;
  #caller: IRole | undefined;

  constructor(scope: Construct, id: string, props: SubjectKeyProps) {
    super(scope, id);
    this.aliasName = props.aliasName;
    this.key = new Key(this, "Key", {
      description: props.description,
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      // Without the master no subject can be looked up again: every index becomes unreadable.
      removalPolicy: RemovalPolicy.RETAIN,
      policy: accountAdministersKey("AccountAdministersNotMacs"),
    });
    this.alias = new Alias(this, "Alias", { aliasName: props.aliasName, targetKey: this.key });
  }

  /** The one role that derives the working key (the submit function's). */
  grantMacOnlyTo(role: IRole): void {
    if (this.#caller !== undefined) throw new Error(`${this.aliasName} already has its caller`);
    this.#caller = role;
    allowKeyActionOnlyTo(this.key, "kms:GenerateMac", role, {
      allow: "OnlyTheCallerMacs",
      deny: "NobodyElseMacs",
    });
  }
}
