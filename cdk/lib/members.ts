import { Tags, Validations } from "aws-cdk-lib";
import {
  AccountPrincipal,
  ArnPrincipal,
  type IPrincipal,
  type IRole,
  PolicyStatement,
  Role,
} from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import type { SignatureAlgorithm } from "#chain";
import type { LedgerApi } from "./api.js";
import { type RouteAccess, TAGS } from "./defaults.js";
import { createKeyVersions, grantPublicKeyReadOn, type SigningKey } from "./signing-key.js";

/**
 * A department or auditor, in the ledger account: the role its own account assumes to call
 * the API, and its request-signing keys — one, or several versions while one is rotated
 * (docs/DEPLOY.md, "Rotating a member's key") — either
 *   - created here (the file names no keyArn(s)), keyVersions of them, version 1 under the
 *     alias alias/zhixin/<consortium>/<member>, version n under …/<member>/v<n>: each key's
 *     policy lets that role alone sign with it, and the role may read its public key; the
 *     ledger account's administrators hold them (docs/DEPLOY.md, "Members' keys");
 *   - or its keyArns (keyArn), keys in the member's own account (its member stack's
 *     SigningKeyArn outputs): nothing of them is created here, and the role gets no KMS
 *     permission at all — the member signs with its own account's credentials.
 * The role may sign with every version, not only the newest: the new key is added to the
 * ledger by a record the old one signs, and the old one retired by a record the new one signs.
 * The role stays in the ledger account either way: an HTTP API has no resource policy, so a
 * caller from another account is let through only by assuming a role of this account that
 * may execute-api:Invoke. Nothing else is granted to the role.
 */
export interface ConsortiumMemberProps {
  readonly consortium: string;
  readonly id: string;
  readonly kind: "department" | "auditor";
  readonly alg: SignatureAlgorithm;
  /** A 12-digit account id, or an IAM role/user (or account root) ARN. */
  readonly principal: string;
  /** The member's keys in its own account, oldest first (the file's keyArns or keyArn); empty: created here. */
  readonly keyArns: readonly string[];
  /** How many keys to create here when keyArns is empty (the file's keyVersions, default 1). */
  readonly keyVersions: number;
  readonly api: LedgerApi;
  /** Auditors may run the audit function directly. */
  readonly verifyFunction?: IFunction;
}

/** Departments write and read; auditors read and audit. */
const ROUTE_ACCESS: Record<ConsortiumMemberProps["kind"], RouteAccess[]> = {
  department: ["write", "read"],
  auditor: ["read"],
};

export function principalFrom(principal: string): IPrincipal {
  return /^\d{12}$/.test(principal) ? new AccountPrincipal(principal) : new ArnPrincipal(principal);
}

export class ConsortiumMember extends Construct {
  readonly role: Role;
  /** The keys created for it in the ledger account, oldest first; empty when it holds its own (keyArns). */
  readonly signingKeys: SigningKey[];
  /** Its keys' ARNs, oldest first: the file's keyArns, or the keys created here. */
  readonly keyArns: string[];

  constructor(scope: Construct, id: string, props: ConsortiumMemberProps) {
    super(scope, id);
    Tags.of(this).add(TAGS.member, props.id);
    this.role = new Role(this, "Role", {
      assumedBy: principalFrom(props.principal),
      description: `Zhixin ${props.consortium}: ${props.kind} ${props.id}`,
    });
    if (props.keyArns.length === 0) {
      this.signingKeys = createKeyVersions(this, {
        consortium: props.consortium,
        owner: props.id,
        versions: props.keyVersions,
        alg: props.alg,
        description: `Zhixin ${props.consortium}: signing key of ${props.kind} ${props.id}`,
      });
      for (const key of this.signingKeys) key.grantSignOnlyTo(this.role);
      // `zhixin --kms-key` reads the key's spec to pick the algorithm (unless --alg says it).
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["kms:GetPublicKey"],
          resources: this.signingKeys.map((k) => k.key.keyArn),
        }),
      );
      this.keyArns = this.signingKeys.map((k) => k.key.keyArn);
    } else {
      this.signingKeys = [];
      this.keyArns = [...props.keyArns];
    }
    const access = ROUTE_ACCESS[props.kind];
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["execute-api:Invoke"], resources: props.api.routeArns(access) }),
    );
    for (const id of props.api.pathParameterFindings(access)) {
      Validations.of(this.role).acknowledge({
        id,
        reason:
          "The wildcard is the route's one path parameter (an entry id, a block height, a contract " +
          "id, or a published tile's path under /v1/log/tile/): the grant " +
          "is still exactly one method on one route of this API's $default stage, and which entries " +
          "a caller may read is decided by the handler from the caller's RFC 9421 signature.",
      });
    }
    if (props.verifyFunction !== undefined) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ["lambda:InvokeFunction"],
          resources: [props.verifyFunction.functionArn],
        }),
      );
    }
  }

  /**
   * Roles that build the trust bundle from this member's keys: kms:GetPublicKey and
   * kms:DescribeKey on every version, no more. For a key in the member's account this is the IAM half;
   * the key policy the member stack writes is the other (./member-stack.ts).
   */
  grantPublicKeyRead(roles: readonly IRole[]): void {
    for (const arn of this.keyArns) grantPublicKeyReadOn(arn, roles);
  }

  /** The key it signs with now: the newest version. */
  get newestKeyArn(): string {
    return this.keyArns[this.keyArns.length - 1] as string;
  }
}
