import { DescribeKeyCommand, GetPublicKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { deriveKeyId, type SignatureAlgorithm } from "#chain";
import {
  type Consortium,
  keyVersionAlias,
  keyVersionsOf,
  memberKeyArns,
} from "../../lib/consortium/consortium.js";
import { type KeyRole, type PublicKeyRecord, SEALER_OWNER } from "../../lib/crypto/key-directory.js";
import { importPublicKey } from "../../lib/crypto/keys.js";
import { KEY_SPEC_ALGORITHM } from "../../lib/crypto/kms-signer.js";
import { StaticKeyDirectory } from "./key-directory.js";

/**
 * The trust bundle of a deployed consortium, read from KMS at cold start. Each member's
 * keys — every version listed, oldest first, while one is rotated — are either
 *
 *   its keyArns (or keyArn) from the file   keys in the member's own account, read across
 *                                           accounts (their key policy lets the ledger account
 *                                           read the public half; docs/DEPLOY.md)
 *   alias/zhixin/<consortium>/<member id>   else: keys the CDK stack created in the ledger
 *     …/<member id>/v2, … up to keyVersions account (the single-account layout)
 *   alias/zhixin/<consortium>/sealer        the sealer's, always in the ledger account
 *     …/sealer/v2, … up to sealer.keyVersions (the newest signs; the older ones stay, so
 *                                           that the blocks and checkpoints they signed do)
 *
 * The ARN or alias only locates the key: its key id, the one signatures name in `keyid=`
 * and block headers in `sealer`, is derived from the key, `<owner>/<16 hex of SHA-256(spki)>`
 * (docs/design/key-history.md §1), as local mode's are. Per key, GetPublicKey gives the
 * DER SPKI, which must be a SIGN_VERIFY key of the member's algorithm, and so the key id;
 * DescribeKey gives the creation date
 * (validFrom) and the state. A key that is not Enabled (disabled, pending deletion, ...)
 * is kept with validUntil = now: what it signed before stays verifiable, nothing it
 * signs from now on is accepted. The state is read once per container, so a key
 * disabled later is refused by KMS itself (it cannot sign) and one re-enabled is
 * accepted again after the next cold start.
 *
 * A member's key KMS will not read because it is disabled or pending deletion
 * (DisabledException, KMSInvalidStateException from GetPublicKey) is left out, not an
 * error: once a member has keys on the ledger its key history, which holds each key's
 * public half, judges its signatures, and the file may keep listing a key its owner has
 * disabled after retiring or revoking it (docs/DEPLOY.md, "A key was compromised"). A
 * sealer key has no such second source — old blocks and checkpoints are checked against
 * KMS's copy alone — so one KMS will not read is an error.
 *
 * Every key is read in parallel; all problems are reported in one error.
 */

export { KEY_SPEC_ALGORITHM };

/**
 * What loadKmsKeyDirectory sends to KMS, as IAM actions, on every key above: the roles
 * of the functions that build the trust bundle must be granted them on each of those keys
 * (test/cdk/grants-drift.test.ts), and it sends exactly these
 * (test/unit/functions/kms-actions.test.ts).
 */
export const KMS_KEY_DIRECTORY_ACTIONS = ["kms:GetPublicKey", "kms:DescribeKey"] as const;

/** The alias of an owner's first (or only) key a stack created. */
export function kmsAlias(consortium: string, member: string): string {
  return keyVersionAlias(consortium, member, 1);
}

/**
 * The KMS key ids a member's keys are read by, oldest first (their key ids in `keyid=` are
 * derived from the keys): its keyArns, or the aliases of the keyVersions the stack created.
 */
export function kmsKeysOf(
  consortium: Consortium,
  member: {
    id: string;
    keyArn?: string | undefined;
    keyArns?: readonly string[] | undefined;
    keyVersions?: number | undefined;
  },
): string[] {
  const own = memberKeyArns(member);
  if (own.length > 0) return own;
  return versionAliases(consortium.consortium, member.id, keyVersionsOf(member));
}

/** The KMS key id of the sealer's newest key, the one that signs (ZHIXIN_SEALER_KMS_KEY). */
export function sealerSigningKmsKey(consortium: Consortium): string {
  return keyVersionAlias(consortium.consortium, SEALER_OWNER, keyVersionsOf(consortium.sealer));
}

function versionAliases(consortium: string, owner: string, versions: number): string[] {
  return Array.from({ length: versions }, (_, i) => keyVersionAlias(consortium, owner, i + 1));
}

export type KmsKeyProblemCode =
  /** No such key, or no key behind the alias (KMS NotFoundException). */
  | "KEY_MISSING"
  /** The key's KeySpec is not the member's algorithm. */
  | "KEY_SPEC_MISMATCH"
  /** The key is not a SIGN_VERIFY key. */
  | "KEY_USAGE_MISMATCH"
  /** KMS answered without a field we need, or with an SPKI that does not parse as the key spec. */
  | "UNEXPECTED_RESPONSE"
  /** Any other KMS failure (access denied, throttling after the SDK's retries, ...). */
  | "KMS_ERROR";

export interface KmsKeyProblem {
  /** The key's KMS key id: a key ARN or an alias name. */
  key: string;
  code: KmsKeyProblemCode;
  message: string;
}

export class KmsKeyDirectoryError extends Error {
  override readonly name = "KmsKeyDirectoryError";
  constructor(readonly problems: KmsKeyProblem[]) {
    super(
      `cannot build the trust bundle from KMS, ${problems.length} problem(s):\n${problems
        .map((p) => `  - ${p.key}: ${p.code}: ${p.message}`)
        .join("\n")}`,
    );
  }
}

/** One key the directory reads: an owner has one per version. */
interface Member {
  owner: string;
  role: KeyRole;
  alg: SignatureAlgorithm;
  /** What KMS is asked for (KeyId): where the key is, not its key id. */
  kmsKey: string;
}

/** Every key of the consortium, one per member's (and the sealer's) key version, oldest first. */
export function consortiumMembers(consortium: Consortium): Member[] {
  const keysOf = (m: Consortium["auditors"][number], role: "department" | "auditor"): Member[] =>
    kmsKeysOf(consortium, m).map((kmsKey) => ({ owner: m.id, role, alg: m.alg, kmsKey }));
  return [
    ...consortium.departments.flatMap((d) => keysOf(d, "department")),
    ...consortium.auditors.flatMap((a) => keysOf(a, "auditor")),
    ...versionAliases(consortium.consortium, SEALER_OWNER, keyVersionsOf(consortium.sealer)).map(
      (kmsKey): Member => ({ owner: SEALER_OWNER, role: "sealer", alg: consortium.sealer.alg, kmsKey }),
    ),
  ];
}

/** `now` is the time a key that is not Enabled stops being valid. */
export async function loadKmsKeyDirectory(
  client: KMSClient,
  consortium: Consortium,
  now: Date,
): Promise<StaticKeyDirectory> {
  const members = consortiumMembers(consortium);
  const results = await Promise.all(members.map((m) => readKey(client, m, now)));
  const problems = results.filter((r): r is KmsKeyProblem => r !== UNREADABLE && "code" in r);
  if (problems.length > 0) throw new KmsKeyDirectoryError(problems);
  return new StaticKeyDirectory(results.filter((r): r is PublicKeyRecord => r !== UNREADABLE));
}

/** A member's key KMS will not read for its state: left out of the bundle (see above). */
const UNREADABLE = Symbol("unreadable");
const KEY_STATE_ERRORS = new Set(["DisabledException", "KMSInvalidStateException"]);

async function readKey(
  client: KMSClient,
  member: Member,
  now: Date,
): Promise<PublicKeyRecord | KmsKeyProblem | typeof UNREADABLE> {
  const key = member.kmsKey;
  const problem = (code: KmsKeyProblemCode, message: string): KmsKeyProblem => ({ key, code, message });
  let publicKey: Awaited<ReturnType<typeof getPublicKey>>;
  let metadata: Awaited<ReturnType<typeof describeKey>>;
  try {
    [publicKey, metadata] = await Promise.all([getPublicKey(client, key), describeKey(client, key)]);
  } catch (e) {
    const err = e as Error;
    if (err.name === "NotFoundException") return problem("KEY_MISSING", `no KMS key: ${err.message}`);
    if (KEY_STATE_ERRORS.has(err.name)) {
      if (member.role !== "sealer") return UNREADABLE;
      return problem(
        "KMS_ERROR",
        `${err.name}: ${err.message}; a sealer key's public half is read from KMS alone, and the blocks and ` +
          "checkpoints it signed cannot be checked without it: enable the key again (aws kms enable-key, " +
          'or cancel-key-deletion) — its signing is already taken away (docs/DEPLOY.md, "Rotating the sealer\'s key")',
      );
    }
    return problem("KMS_ERROR", `${err.name}: ${err.message}`);
  }
  const spec = publicKey.KeySpec;
  const alg = spec === undefined ? undefined : KEY_SPEC_ALGORITHM[spec];
  if (alg !== member.alg) {
    return problem(
      "KEY_SPEC_MISMATCH",
      `key spec ${spec ?? "(none)"} is not ${member.alg} (${member.owner})`,
    );
  }
  if (publicKey.KeyUsage !== "SIGN_VERIFY") {
    return problem("KEY_USAGE_MISMATCH", `key usage ${publicKey.KeyUsage ?? "(none)"} is not SIGN_VERIFY`);
  }
  if (publicKey.PublicKey === undefined)
    return problem("UNEXPECTED_RESPONSE", "GetPublicKey gave no PublicKey");
  const spki = Uint8Array.from(publicKey.PublicKey);
  try {
    importPublicKey(alg, spki);
  } catch (e) {
    return problem(
      "UNEXPECTED_RESPONSE",
      `the public key does not fit its key spec ${spec}: ${(e as Error).message}`,
    );
  }
  if (metadata?.CreationDate === undefined) {
    return problem("UNEXPECTED_RESPONSE", "DescribeKey gave no KeyMetadata.CreationDate");
  }
  return {
    keyId: deriveKeyId(member.owner, spki),
    owner: member.owner,
    role: member.role,
    alg,
    spki,
    validFrom: metadata.CreationDate.toISOString(),
    ...(metadata.KeyState === "Enabled" ? {} : { validUntil: now.toISOString() }),
  };
}

const getPublicKey = (client: KMSClient, key: string) => client.send(new GetPublicKeyCommand({ KeyId: key }));

const describeKey = async (client: KMSClient, key: string) =>
  (await client.send(new DescribeKeyCommand({ KeyId: key }))).KeyMetadata;
