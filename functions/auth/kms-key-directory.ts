import { DescribeKeyCommand, GetPublicKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import type { SignatureAlgorithm } from "#chain";
import type { Consortium } from "../../lib/consortium/consortium.js";
import type { KeyRole, PublicKeyRecord } from "../../lib/crypto/key-directory.js";
import { importPublicKey } from "../../lib/crypto/keys.js";
import { KEY_SPEC_ALGORITHM } from "../../lib/crypto/kms-signer.js";
import { StaticKeyDirectory } from "./key-directory.js";

/**
 * The trust bundle of a deployed consortium, read from KMS at cold start: every member's
 * key and the sealer's sit behind one alias each, created by the CDK stack,
 *
 *   alias/zhixin/<consortium>/<member id>      departments and auditors
 *   alias/zhixin/<consortium>/sealer           the sealer
 *
 * and the alias name is the key id members put in `keyid=` (so a request names its key
 * the same way in every account). Per alias, GetPublicKey gives the DER SPKI, which must
 * be a SIGN_VERIFY key of the member's algorithm; DescribeKey gives the creation date
 * (validFrom) and the state. A key that is not Enabled (disabled, pending deletion, ...)
 * is kept with validUntil = now: what it signed before stays verifiable, nothing it
 * signs from now on is accepted. The state is read once per container, so a key
 * disabled later is refused by KMS itself (it cannot sign) and one re-enabled is
 * accepted again after the next cold start.
 *
 * Every alias is read in parallel; all problems are reported in one error.
 */

export { KEY_SPEC_ALGORITHM };

/**
 * What loadKmsKeyDirectory sends to KMS, as IAM actions, on every alias above: the roles
 * of the functions that build the trust bundle must be granted them on each of those keys
 * (test/cdk/grants-drift.test.ts), and it sends exactly these
 * (test/unit/functions/kms-actions.test.ts).
 */
export const KMS_KEY_DIRECTORY_ACTIONS = ["kms:GetPublicKey", "kms:DescribeKey"] as const;

export function kmsAlias(consortium: string, member: string): string {
  return `alias/zhixin/${consortium}/${member}`;
}

export type KmsKeyProblemCode =
  /** No key behind the alias (KMS NotFoundException). */
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
  alias: string;
  code: KmsKeyProblemCode;
  message: string;
}

export class KmsKeyDirectoryError extends Error {
  override readonly name = "KmsKeyDirectoryError";
  constructor(readonly problems: KmsKeyProblem[]) {
    super(
      `cannot build the trust bundle from KMS, ${problems.length} problem(s):\n${problems
        .map((p) => `  - ${p.alias}: ${p.code}: ${p.message}`)
        .join("\n")}`,
    );
  }
}

interface Member {
  owner: string;
  role: KeyRole;
  alg: SignatureAlgorithm;
}

export function consortiumMembers(consortium: Consortium): Member[] {
  return [
    ...consortium.departments.map((d) => ({ owner: d.id, role: "department" as const, alg: d.alg })),
    ...consortium.auditors.map((a) => ({ owner: a.id, role: "auditor" as const, alg: a.alg })),
    { owner: "sealer", role: "sealer", alg: consortium.sealer.alg },
  ];
}

/** `now` is the time a key that is not Enabled stops being valid. */
export async function loadKmsKeyDirectory(
  client: KMSClient,
  consortium: Consortium,
  now: Date,
): Promise<StaticKeyDirectory> {
  const members = consortiumMembers(consortium);
  const results = await Promise.all(
    members.map((m) => readKey(client, kmsAlias(consortium.consortium, m.owner), m, now)),
  );
  const problems = results.filter((r): r is KmsKeyProblem => "code" in r);
  if (problems.length > 0) throw new KmsKeyDirectoryError(problems);
  return new StaticKeyDirectory(results as PublicKeyRecord[]);
}

async function readKey(
  client: KMSClient,
  alias: string,
  member: Member,
  now: Date,
): Promise<PublicKeyRecord | KmsKeyProblem> {
  const problem = (code: KmsKeyProblemCode, message: string): KmsKeyProblem => ({ alias, code, message });
  let publicKey: Awaited<ReturnType<typeof getPublicKey>>;
  let metadata: Awaited<ReturnType<typeof describeKey>>;
  try {
    [publicKey, metadata] = await Promise.all([getPublicKey(client, alias), describeKey(client, alias)]);
  } catch (e) {
    const err = e as Error;
    if (err.name === "NotFoundException") return problem("KEY_MISSING", `no KMS key: ${err.message}`);
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
    keyId: alias,
    owner: member.owner,
    role: member.role,
    alg,
    spki,
    validFrom: metadata.CreationDate.toISOString(),
    ...(metadata.KeyState === "Enabled" ? {} : { validUntil: now.toISOString() }),
  };
}

const getPublicKey = (client: KMSClient, alias: string) =>
  client.send(new GetPublicKeyCommand({ KeyId: alias }));

const describeKey = async (client: KMSClient, alias: string) =>
  (await client.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata;
