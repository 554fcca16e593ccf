import { memberKeyArns } from "../../lib/consortium/consortium.js";
import type { DeployedWitness } from "./defaults.js";

/**
 * What the consortium file says about who holds the ledger's trust, as plain data the
 * consortium stack turns into outputs and synth warnings (./zhixin-stack.ts). Nothing here
 * creates a resource.
 */

/**
 * Where the members' request-signing keys are (docs/DEPLOY.md, "Members' keys"):
 *   member-accounts  every department and auditor names its keyArn(s), keys in its own account;
 *   ledger-account   none does: the consortium stack creates every key in the ledger account;
 *   mixed            some do.
 * A key in the ledger account can be re-policied by that account's administrators, who can
 * then sign as its member: wherever the layout is not member-accounts, the operator is
 * trusted with those members' keys.
 */
export type MemberKeyCustody = "member-accounts" | "ledger-account" | "mixed";

export interface KeyCustody {
  readonly custody: MemberKeyCustody;
  /** The members whose keys the ledger account holds, in file order (departments, then auditors). */
  readonly inLedgerAccount: readonly string[];
}

export function memberKeyCustody(
  members: readonly { id: string; keyArn?: string | undefined; keyArns?: readonly string[] | undefined }[],
): KeyCustody {
  const inLedgerAccount = members.filter((m) => memberKeyArns(m).length === 0).map((m) => m.id);
  const custody =
    inLedgerAccount.length === 0
      ? "member-accounts"
      : inLedgerAccount.length === members.length
        ? "ledger-account"
        : "mixed";
  return { custody, inLedgerAccount };
}

/** The output MemberKeyCustody's description: who holds the keys, and whom that trusts. */
export function custodyDescription({ custody, inLedgerAccount }: KeyCustody): string {
  if (custody === "member-accounts") {
    return (
      "Every member's signing key is in the member's own account (its keyArn); this account may only " +
      "read their public halves. The operator cannot sign as a member (docs/DEPLOY.md, Members' keys)"
    );
  }
  const which =
    custody === "ledger-account" ? "every member's signing key" : `the keys of ${inLedgerAccount.join(", ")}`;
  return (
    `${custody === "ledger-account" ? "Single-account layout" : "Mixed layout"}: ${which} in this account, ` +
    "whose administrators can change a key's policy and sign as its member. The operator is trusted with " +
    `${custody === "ledger-account" ? "members' keys" : "those members' keys"} (docs/DEPLOY.md, Members' keys)`
  );
}

/** The synth warning for a layout where the ledger account holds members' keys; none for member-accounts. */
export function custodyWarning({ custody, inLedgerAccount }: KeyCustody): string | undefined {
  if (custody === "member-accounts") return undefined;
  return (
    `MemberKeyCustody ${custody}: the ledger account holds the request-signing keys of ` +
    `${inLedgerAccount.join(", ")}. THE OPERATOR IS TRUSTED WITH THEM: an administrator of the ledger ` +
    "account can rewrite such a key's policy and sign as that member, and no audit can tell. To take " +
    "a member's key out of the operator's reach, deploy its member stack in its own account and put its " +
    "SigningKeyArn in the consortium file's keyArn (docs/DEPLOY.md, Members' keys)."
  );
}

export interface WitnessGap {
  /** Departments with `witness: true`: they count towards the quorum, but nobody can ask them. */
  readonly undeployed: readonly string[];
  /** Witnesses the file gives a { url, vkey }: the most cosignatures a checkpoint can get. */
  readonly deployed: number;
  readonly quorum: number;
}

/**
 * The file's witnessing departments the consortium stack cannot ask. `witness: true` is local
 * mode's in-process witness; on AWS a witness is asked at the URL and checked with the vkey
 * of its member stack, so until both are in the file it is counted by witnessQuorumOf and
 * never asked.
 */
export function witnessGap(
  departments: readonly { id: string; witness?: boolean | DeployedWitness }[],
  quorum: number,
): WitnessGap {
  return {
    undeployed: departments.filter((d) => d.witness === true).map((d) => d.id),
    deployed: departments.filter((d) => typeof d.witness === "object").length,
    quorum,
  };
}

/** The synth warning for witnesses the stack cannot ask; none when every witness is deployed. */
export function witnessWarning({ undeployed, deployed, quorum }: WitnessGap): string | undefined {
  if (undeployed.length === 0) return undefined;
  const reach =
    deployed < quorum
      ? `checkpoints can reach at most ${deployed} of the quorum of ${quorum} cosignatures (the WitnessLag ` +
        "alarm fires)"
      : `the quorum of ${quorum} rests on the ${deployed} deployed witness(es) alone`;
  return (
    `Departments ${undeployed.join(", ")} witness ("witness": true) but the consortium file gives no ` +
    `{ url, vkey } for them, so the sealer cannot ask them: ${reach} until their member stacks' ` +
    "WitnessUrl and witness vkey are in the file (docs/DEPLOY.md, 3. Deploy)."
  );
}
