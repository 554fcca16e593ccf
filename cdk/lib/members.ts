import { Tags, Validations } from "aws-cdk-lib";
import { AccountPrincipal, ArnPrincipal, type IPrincipal, PolicyStatement, Role } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import type { SignatureAlgorithm } from "#chain";
import type { LedgerApi } from "./api.js";
import { keyAlias, type RouteAccess, TAGS } from "./defaults.js";
import { SigningKey } from "./signing-key.js";

/**
 * A department or auditor: its signing key, and the role its own account assumes to
 * sign with that key (and read its public key) and call the API. Nothing else is
 * granted to the role.
 */
export interface ConsortiumMemberProps {
  readonly consortium: string;
  readonly id: string;
  readonly kind: "department" | "auditor";
  readonly alg: SignatureAlgorithm;
  /** A 12-digit account id, or an IAM role/user (or account root) ARN. */
  readonly principal: string;
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
  readonly signingKey: SigningKey;

  constructor(scope: Construct, id: string, props: ConsortiumMemberProps) {
    super(scope, id);
    Tags.of(this).add(TAGS.member, props.id);
    this.role = new Role(this, "Role", {
      assumedBy: principalFrom(props.principal),
      description: `Zhixin ${props.consortium}: ${props.kind} ${props.id}`,
    });
    this.signingKey = new SigningKey(this, "SigningKey", {
      owner: props.id,
      aliasName: keyAlias(props.consortium, props.id),
      alg: props.alg,
      description: `Zhixin ${props.consortium}: signing key of ${props.kind} ${props.id}`,
    });
    this.signingKey.grantSignOnlyTo(this.role);
    // `zhixin --kms-key` reads the key's spec to pick the algorithm (unless --alg says it).
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["kms:GetPublicKey"], resources: [this.signingKey.key.keyArn] }),
    );
    const access = ROUTE_ACCESS[props.kind];
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["execute-api:Invoke"], resources: props.api.routeArns(access) }),
    );
    for (const id of props.api.pathParameterFindings(access)) {
      Validations.of(this.role).acknowledge({
        id,
        reason:
          "The wildcard is the route's one path parameter (an entry id or a block height): the grant " +
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
}
