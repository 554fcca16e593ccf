import { DescribeKeyCommand, GetPublicKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { type CryptoSuite, deriveKeyId, type SignatureAlgorithm } from "#chain";
import type { KeyRole, PublicKeyRecord } from "../../lib/crypto/key-directory.js";
import { importPublicKey } from "../../lib/crypto/keys.js";
import { KEY_SPEC_ALGORITHM } from "../../lib/crypto/kms-signer.js";

/**
 * One owner's keys read from KMS, for ./kms-key-directory.ts. Per key, GetPublicKey gives
 * the DER SPKI, which must be a SIGN_VERIFY key of the member's algorithm, and so the key
 * id; DescribeKey gives the creation date (validFrom) and the state. A key KMS reads but that is not Enabled is kept
 * with validUntil = now: what it signed before stays verifiable, nothing it signs from
 * now on is accepted. The state is read once per container, so a key disabled later is
 * refused by KMS itself (it cannot sign) and one re-enabled is accepted again after the
 * next cold start.
 *
 * GetPublicKey refuses a disabled key or one pending deletion (DisabledException,
 * KMSInvalidStateException; DescribeKey still answers). Such a member key is left out,
 * not an error, while another of the owner's keys is read: once a member has keys on the
 * ledger its key history, which holds each key's public half, judges its signatures, and
 * the file may keep listing a key its owner has disabled after retiring or revoking it
 * (docs/DEPLOY.md, "A key was compromised"). An owner none of whose keys KMS gives
 * (KEY_DISABLED), and a sealer key KMS will not read (the blocks and checkpoints it signed
 * have no other source), are failures.
 */

export type KmsKeyProblemCode =
  /** No such key, or no key behind the alias (KMS NotFoundException). */
  | "KEY_MISSING"
  /** KMS will not give the public half: the key is disabled or pending deletion. */
  | "KEY_DISABLED"
  /** The key's KeySpec is not the member's algorithm. */
  | "KEY_SPEC_MISMATCH"
  /** The key is not a SIGN_VERIFY key. */
  | "KEY_USAGE_MISMATCH"
  /** KMS answered without a field we need, with an SPKI that does not parse as the key spec, or with one key twice. */
  | "UNEXPECTED_RESPONSE"
  /** KMS throttled, failed (a 5xx) or did not answer, after the SDK's retries: try again later. */
  | "KMS_UNAVAILABLE"
  /** Any other KMS refusal (access denied, ...). */
  | "KMS_ERROR";

export interface KmsKeyProblem {
  /** Whose key: a member id, or "sealer". */
  owner: string;
  /** The key's KMS key id: a key ARN or an alias name. */
  key: string;
  code: KmsKeyProblemCode;
  message: string;
}

export class KmsKeyDirectoryError extends Error {
  override readonly name = "KmsKeyDirectoryError";
  /**
   * @param retryAt when the owners will be read again (a directory's failed read);
   *   undefined for the audit's whole-bundle refusal, which the next invocation retries.
   */
  constructor(
    readonly problems: KmsKeyProblem[],
    readonly retryAt?: Date,
  ) {
    super(
      `cannot read the trust bundle's keys from KMS, ${problems.length} problem(s):\n${problems
        .map((p) => `  - ${p.owner}: ${p.key}: ${p.code}: ${p.message}`)
        .join("\n")}`,
    );
  }

  /** Whether reading again later may succeed: KMS throttled or was unavailable. */
  get transient(): boolean {
    return this.problems.some((p) => p.code === "KMS_UNAVAILABLE");
  }

  get owners(): string[] {
    return [...new Set(this.problems.map((p) => p.owner))];
  }
}

/** One key the directory reads: an owner has one per version. */
export interface Member {
  owner: string;
  role: KeyRole;
  alg: SignatureAlgorithm;
  /** What KMS is asked for (KeyId): where the key is, not its key id. */
  kmsKey: string;
}

/** An owner's keys, or why they cannot be read (see above: which refusals leave a key out). */
export async function readOwner(
  suite: CryptoSuite,
  client: KMSClient,
  keys: Member[],
  now: Date,
): Promise<PublicKeyRecord[] | KmsKeyProblem[]> {
  const results = await Promise.all(keys.map((m) => readKey(suite, client, m, now)));
  const problems = results.filter((r): r is KmsKeyProblem => r !== UNREADABLE && "code" in r);
  if (problems.length > 0) return problems;
  const records = results.filter((r): r is PublicKeyRecord => r !== UNREADABLE && !("code" in r));
  const [first] = keys;
  if (first === undefined) return [];
  if (records.length === 0) {
    return [
      {
        owner: first.owner,
        key: keys.map((k) => k.kmsKey).join(", "),
        code: "KEY_DISABLED",
        message:
          `KMS gives none of ${first.owner}'s keys: each is disabled or pending deletion. Until one is ` +
          "enabled again (aws kms enable-key, or cancel-key-deletion), requests signed by its keys are " +
          "refused unless the ledger's key history has keys for it (docs/DEPLOY.md)",
      },
    ];
  }
  // Two versions that are one key (an alias pointed at an older version) would name one key id twice.
  const kmsKeyOf = new Map<string, string>();
  for (const [i, r] of results.entries()) {
    if (r === UNREADABLE || "code" in r) continue;
    const { owner, kmsKey } = keys[i] as Member;
    const twin = kmsKeyOf.get(r.keyId);
    if (twin !== undefined) {
      return [
        {
          owner,
          key: kmsKey,
          code: "UNEXPECTED_RESPONSE",
          message: `the same key as ${twin} (${r.keyId}): each version must be a key of its own`,
        },
      ];
    }
    kmsKeyOf.set(r.keyId, kmsKey);
  }
  return records;
}

/** A member's key KMS will not read for its state: left out of the bundle (see above). */
const UNREADABLE = Symbol("unreadable");
const KEY_STATE_ERRORS = new Set(["DisabledException", "KMSInvalidStateException"]);

async function readKey(
  suite: CryptoSuite,
  client: KMSClient,
  member: Member,
  now: Date,
): Promise<PublicKeyRecord | KmsKeyProblem | typeof UNREADABLE> {
  const key = member.kmsKey;
  const problem = (code: KmsKeyProblemCode, message: string): KmsKeyProblem => ({
    owner: member.owner,
    key,
    code,
    message,
  });
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
        "KEY_DISABLED",
        `${err.name}: ${err.message}; a sealer key's public half is read from KMS alone, and the blocks and ` +
          "checkpoints it signed cannot be checked without it: enable the key again (aws kms enable-key, " +
          'or cancel-key-deletion) — its signing is already taken away (docs/DEPLOY.md, "Rotating the sealer\'s key")',
      );
    }
    if (isKmsOutage(err)) return problem("KMS_UNAVAILABLE", `${err.name}: ${err.message}`);
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
    keyId: deriveKeyId(suite, member.owner, spki),
    owner: member.owner,
    role: member.role,
    alg,
    spki,
    validFrom: metadata.CreationDate.toISOString(),
    ...(metadata.KeyState === "Enabled" ? {} : { validUntil: now.toISOString() }),
  };
}

/**
 * KMS not answering as it should, once the SDK's retries are spent: throttling
 * (ThrottlingException, a client fault), a server fault (KMSInternalException,
 * DependencyTimeoutException, KeyUnavailableException, a 5xx), or no answer at all (a
 * network error or timeout: no $fault). Any other client fault (access denied, ...) is
 * an answer, and asking again soon would get the same one.
 */
function isKmsOutage(err: Error): boolean {
  if (err.name === "ThrottlingException") return true;
  return (err as { $fault?: unknown }).$fault !== "client";
}

const getPublicKey = (client: KMSClient, key: string) => client.send(new GetPublicKeyCommand({ KeyId: key }));

const describeKey = async (client: KMSClient, key: string) =>
  (await client.send(new DescribeKeyCommand({ KeyId: key }))).KeyMetadata;
