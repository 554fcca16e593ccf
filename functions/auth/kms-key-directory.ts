import { DescribeKeyCommand, GetPublicKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { deriveKeyId, type SignatureAlgorithm } from "#chain";
import type { Clock } from "../../lib/clock.js";
import {
  type Consortium,
  keyVersionAlias,
  keyVersionsOf,
  memberKeyArns,
} from "../../lib/consortium/consortium.js";
import {
  type KeyRole,
  type OwnerLoadingKeyDirectory,
  type PublicKeyRecord,
  SEALER_OWNER,
} from "../../lib/crypto/key-directory.js";
import { importPublicKey } from "../../lib/crypto/keys.js";
import { KEY_SPEC_ALGORITHM } from "../../lib/crypto/kms-signer.js";
import { METRICS } from "../../lib/metrics.js";
import { log } from "../telemetry/log.js";
import { emitMetrics, metricValue } from "../telemetry/metrics.js";

/**
 * The trust bundle of a deployed consortium, read from KMS owner by owner, each on first
 * need, and kept for the container's life. Each member's keys — every version listed,
 * oldest first, while one is rotated — are either
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
 * (docs/design/key-history.md §1), as local mode's are — so the key id a request names
 * says whose keys to read. Per key, GetPublicKey gives the DER SPKI, which must be a
 * SIGN_VERIFY key of the member's algorithm, and so the key id; DescribeKey gives the
 * creation date (validFrom) and the state. A key KMS reads but that is not Enabled is kept
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
 *
 * Owners are independent: one owner's failure — a key disabled, missing, refused, or KMS
 * throttling after the SDK's retries — is that owner's alone. It is reported once per
 * failed read (a WARN log line naming the member and the code, and the metric
 * KeyDirectoryFailures, lib/metrics.ts), and is not kept for ever: the owner is read
 * again on the first need after a backoff that doubles from 2 s to 60 s, so that one bad
 * owner cannot hammer the account's shared KMS quota. A cold start reads nothing; the
 * API's first request reads its signer's owner, 2 calls per key version
 * (functions/auth/request-keys.ts). The audit reads every owner (loadKmsKeyDirectory).
 */

export { KEY_SPEC_ALGORITHM };

/**
 * What the directory sends to KMS, as IAM actions, on every key above: the roles
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

export interface KmsKeyDirectoryOptions {
  /** Gives validUntil to a key that is not Enabled, and times the backoff. */
  clock: Clock;
  /** Called once per failed read of an owner's keys; reportKeyFailure by default. */
  report?: (failure: KmsKeyDirectoryError) => void;
}

/** The backoff after the n-th failed read of an owner in a row (n ≥ 1): 2 s, 4 s, … 60 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(RETRY_FIRST_MS * 2 ** (failures - 1), RETRY_MAX_MS);
}
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 60_000;

type OwnerState =
  | { kind: "loaded" }
  | { kind: "loading"; promise: Promise<void> }
  | { kind: "failed"; error: KmsKeyDirectoryError; failures: number };

export class KmsKeyDirectory implements OwnerLoadingKeyDirectory {
  private readonly byId = new Map<string, PublicKeyRecord>();
  private readonly kmsKeys = new Map<string, Member[]>();
  private readonly state = new Map<string, OwnerState>();
  private readonly clock: Clock;
  private readonly report: (failure: KmsKeyDirectoryError) => void;

  constructor(
    private readonly client: KMSClient,
    consortium: Consortium,
    options: KmsKeyDirectoryOptions,
  ) {
    for (const m of consortiumMembers(consortium)) {
      this.kmsKeys.set(m.owner, [...(this.kmsKeys.get(m.owner) ?? []), m]);
    }
    this.clock = options.clock;
    this.report = options.report ?? reportKeyFailure(consortium.consortium);
  }

  getKey(keyId: string): PublicKeyRecord | undefined {
    return this.byId.get(keyId);
  }

  /** The keys of the owners read so far. */
  listKeys(): PublicKeyRecord[] {
    return [...this.byId.values()];
  }

  /**
   * Reads `owner`'s keys unless they are in: concurrent calls share one read; after a
   * failed read, calls before its retryAt reject with that failure without asking KMS. An
   * owner the consortium file does not name has nothing to read.
   */
  loadOwner(owner: string): Promise<void> {
    const keys = this.kmsKeys.get(owner);
    const state = this.state.get(owner);
    if (keys === undefined || state?.kind === "loaded") return Promise.resolve();
    if (state?.kind === "loading") return state.promise;
    if (state?.kind === "failed" && this.clock.now() < (state.error.retryAt as Date)) {
      return Promise.reject(state.error);
    }
    const promise = this.read(owner, keys, state?.kind === "failed" ? state.failures : 0);
    this.state.set(owner, { kind: "loading", promise });
    return promise;
  }

  /** Reads every owner not read yet, each on its own; resolves with the failures. */
  async loadAll(): Promise<KmsKeyDirectoryError[]> {
    const outcomes = await Promise.allSettled([...this.kmsKeys.keys()].map((o) => this.loadOwner(o)));
    return outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as KmsKeyDirectoryError] : []));
  }

  private async read(owner: string, keys: Member[], failures: number): Promise<void> {
    let result: PublicKeyRecord[] | KmsKeyProblem[];
    try {
      result = await readOwner(this.client, keys, this.clock.now());
    } catch (e) {
      // Not KMS's answer (those are problems) but our own failure: still this owner's alone.
      const err = e as Error;
      result = [
        {
          owner,
          key: keys.map((k) => k.kmsKey).join(", "),
          code: "KMS_ERROR",
          message: `${err.name}: ${err.message}`,
        },
      ];
    }
    if (!result.some((r) => "code" in r)) {
      for (const record of result as PublicKeyRecord[]) this.byId.set(record.keyId, record);
      this.state.set(owner, { kind: "loaded" });
      return;
    }
    const retryAt = new Date(this.clock.now().getTime() + retryDelayMs(failures + 1));
    const error = new KmsKeyDirectoryError(result as KmsKeyProblem[], retryAt);
    this.state.set(owner, { kind: "failed", error, failures: failures + 1 });
    this.report(error);
    throw error;
  }
}

/**
 * The trust bundle the audit judges by: every owner's keys, each read on its own. A
 * member whose keys cannot be read for good (disabled, missing, refused) is reported and
 * left out — the audit still runs, and whatever needs one of its keys is a finding naming
 * the key. A sealer's key that cannot be read, or KMS throttling or unavailable, would
 * make findings of what is sound: then this throws KmsKeyDirectoryError naming each
 * problem, and the next invocation reads again.
 */
export async function loadKmsKeyDirectory(
  client: KMSClient,
  consortium: Consortium,
  options: KmsKeyDirectoryOptions,
): Promise<KmsKeyDirectory> {
  const directory = new KmsKeyDirectory(client, consortium, options);
  const failures = await directory.loadAll();
  const blocking = failures.filter((f) => f.transient || f.owners.includes(SEALER_OWNER));
  if (blocking.length > 0) throw new KmsKeyDirectoryError(blocking.flatMap((f) => f.problems));
  return directory;
}

/** The default report of a failed read: a WARN log line with the member and the code, and KeyDirectoryFailures 1. */
export function reportKeyFailure(consortium: string): (failure: KmsKeyDirectoryError) => void {
  return (failure) => {
    const [first] = failure.problems;
    log("WARN", "cannot read a member's keys from KMS", {
      member: first?.owner,
      code: first?.code,
      problems: failure.problems,
      retryAt: failure.retryAt?.toISOString(),
    });
    emitMetrics(consortium, [metricValue(METRICS.keyDirectoryFailures, 1)]);
  };
}

/** An owner's keys, or why they cannot be read (see above: which refusals leave a key out). */
async function readOwner(
  client: KMSClient,
  keys: Member[],
  now: Date,
): Promise<PublicKeyRecord[] | KmsKeyProblem[]> {
  const results = await Promise.all(keys.map((m) => readKey(client, m, now)));
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
    keyId: deriveKeyId(member.owner, spki),
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
