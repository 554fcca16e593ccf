import {
  AccountRootPrincipal,
  AnyPrincipal,
  Effect,
  type IRole,
  PolicyDocument,
  PolicyStatement,
} from "aws-cdk-lib/aws-iam";
import type { Key } from "aws-cdk-lib/aws-kms";
import { KEY_ADMIN_ACTIONS } from "./defaults.js";

/**
 * The key policy shared by SigningKey and SubjectKey, whose one cryptographic action
 * belongs to one role:
 *   - the account administers the key (AWS's key-administrator actions) but gets no
 *     cryptographic operation;
 *   - the action is allowed to the account only for that role (aws:PrincipalArn) and
 *     denied to every other principal, so no IAM policy or grant adds a caller.
 * Roles are named by aws:PrincipalArn conditions rather than as principals: KMS refuses
 * a policy naming a role it cannot see yet, and these roles are created in the same
 * deployment. The role gets the matching identity policy.
 */

/** The key policy a key is created with: the account administers it, and no more. */
export function accountAdministersKey(sid: string): PolicyDocument {
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid,
        principals: [new AccountRootPrincipal()],
        actions: KEY_ADMIN_ACTIONS,
        resources: ["*"],
      }),
    ],
  });
}

export interface OnlyRoleSids {
  /** The statement allowing the action to the role. */
  readonly allow: string;
  /** The statement denying it to everyone else. */
  readonly deny: string;
}

/** Allows `action` on `key` to `role` alone, in the key policy and in the role's identity policy. */
export function allowKeyActionOnlyTo(key: Key, action: string, role: IRole, sids: OnlyRoleSids): void {
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: sids.allow,
      principals: [new AccountRootPrincipal()],
      actions: [action],
      resources: ["*"],
      conditions: { ArnEquals: { "aws:PrincipalArn": role.roleArn } },
    }),
  );
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: sids.deny,
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: [action],
      resources: ["*"],
      conditions: { ArnNotEquals: { "aws:PrincipalArn": role.roleArn } },
    }),
  );
  role.addToPrincipalPolicy(new PolicyStatement({ actions: [action], resources: [key.keyArn] }));
}
