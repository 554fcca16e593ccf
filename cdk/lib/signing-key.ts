import { RemovalPolicy, Tags } from "aws-cdk-lib";
import { AccountPrincipal, type IRole, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Alias, Key, KeyUsage } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import type { SignatureAlgorithm } from "#chain";
import { keyVersionAlias } from "../../lib/consortium/consortium.js";
import { KEY_SPEC, PUBLIC_KEY_ACTIONS, TAGS } from "./defaults.js";
import { accountAdministersKey, allowKeyActionOnlyTo } from "./key-policy.js";

/**
 * One asymmetric KMS signing key and its alias (the key id its owner puts in every
 * signature). The key policy is the whole access story:
 *   - the account administers the key (AWS's key-administrator actions, which include
 *     reading the public key) but gets no cryptographic operation;
 *   - kms:Sign is allowed to the account only for the owner's role (aws:PrincipalArn),
 *     and denied to every other principal, so no IAM policy or grant adds a signer.
 * The role also gets the matching identity policy. ./key-policy.ts builds all of it, and
 * says why roles are named by aws:PrincipalArn conditions rather than as principals.
 */
export interface SigningKeyProps {
  /** Who signs with it: a member id, or "sealer" (tagged zhixin:signer). */
  readonly owner: string;
  readonly aliasName: string;
  readonly alg: SignatureAlgorithm;
  readonly description: string;
}

export class SigningKey extends Construct {
  readonly key: Key;
  readonly alias: Alias;
  readonly aliasName: string;
  #signer: IRole | undefined;

  constructor(scope: Construct, id: string, props: SigningKeyProps) {
    super(scope, id);
    this.aliasName = props.aliasName;
    this.key = new Key(this, "Key", {
      description: props.description,
      keySpec: KEY_SPEC[props.alg],
      keyUsage: KeyUsage.SIGN_VERIFY,
      // A signing key's history is the ledger's: signatures must stay checkable against it.
      removalPolicy: RemovalPolicy.RETAIN,
      policy: accountAdministersKey("AccountAdministersNotSigns"),
    });
    Tags.of(this.key).add(TAGS.signer, props.owner);
    this.alias = new Alias(this, "Alias", { aliasName: props.aliasName, targetKey: this.key });
  }

  /** The one role that may sign with this key. */
  grantSignOnlyTo(role: IRole): void {
    if (this.#signer !== undefined) throw new Error(`${this.aliasName} already has its signer`);
    this.#signer = role;
    allowKeyActionOnlyTo(this.key, "kms:Sign", role, { allow: "OnlyTheOwnerSigns", deny: "NobodyElseSigns" });
  }

  /** Roles that build the trust bundle from this key: kms:GetPublicKey and kms:DescribeKey, no more. */
  grantPublicKeyRead(roles: readonly IRole[]): void {
    grantPublicKeyReadOn(this.key.keyArn, roles);
  }

  /**
   * Lets another account (the ledger's, for a key in a member's own account) read the public
   * half in the key policy: kms:GetPublicKey and kms:DescribeKey, nothing cryptographic. That
   * account's IAM policies then decide which of its roles may (cross-account KMS needs both).
   */
  allowPublicKeyReadBy(account: string, sid: string): void {
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid,
        principals: [new AccountPrincipal(account)],
        actions: PUBLIC_KEY_ACTIONS,
        resources: ["*"],
      }),
    );
  }
}

/**
 * The identity-policy half of reading a key's public half (kms:GetPublicKey, kms:DescribeKey),
 * for a key of this stack or one named by ARN in another account, whose key policy must allow
 * this account too.
 */
export function grantPublicKeyReadOn(keyArn: string, roles: readonly IRole[]): void {
  for (const role of roles) {
    role.addToPrincipalPolicy(new PolicyStatement({ actions: PUBLIC_KEY_ACTIONS, resources: [keyArn] }));
  }
}

/**
 * Versions 1…`versions` of an owner's signing key (keyVersions in the consortium file), oldest
 * first, each with the same policy and its own alias (lib/consortium keyVersionAlias). Version
 * 1 keeps the construct id and alias a key had before versions existed, so that adding a
 * version to a deployed stack creates a key and replaces none; each later version has the
 * construct id `<id>V<n>`.
 */
export function createKeyVersions(
  scope: Construct,
  props: {
    readonly consortium: string;
    readonly owner: string;
    readonly versions: number;
    readonly alg: SignatureAlgorithm;
    readonly description: string;
    /** The construct id of version 1. */
    readonly id?: string;
  },
): SigningKey[] {
  const id = props.id ?? "SigningKey";
  return Array.from({ length: props.versions }, (_, i) => {
    const version = i + 1;
    return new SigningKey(scope, version === 1 ? id : `${id}V${version}`, {
      owner: props.owner,
      aliasName: keyVersionAlias(props.consortium, props.owner, version),
      alg: props.alg,
      description: version === 1 ? props.description : `${props.description}, version ${version}`,
    });
  });
}
