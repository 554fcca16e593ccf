import type { KMSClient } from "@aws-sdk/client-kms";
import type { CryptoSuite } from "#chain";
import type { Clock } from "../../lib/clock.js";
import {
  type Consortium,
  keyVersionAlias,
  keyVersionsOf,
  memberKeyArns,
  suiteOf,
} from "../../lib/consortium/consortium.js";
import {
  type OwnerLoadingKeyDirectory,
  type PublicKeyRecord,
  SEALER_OWNER,
} from "../../lib/crypto/key-directory.js";
import { KEY_SPEC_ALGORITHM } from "../../lib/crypto/kms-signer.js";
import { METRICS } from "../../lib/metrics.js";
import { log } from "../telemetry/log.js";
import { emitMetrics, metricValue } from "../telemetry/metrics.js";
import { KmsKeyDirectoryError, type KmsKeyProblem, type Member, readOwner } from "./kms-owner-keys.js";

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
 * says whose keys to read; how each is read, and which refusals leave a key out, is in
 * ./kms-owner-keys.ts.
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
  /** The consortium's suite: its hash names each key (deriveKeyId). */
  private readonly suite: CryptoSuite;
  private readonly report: (failure: KmsKeyDirectoryError) => void;

  constructor(
    private readonly client: KMSClient,
    consortium: Consortium,
    options: KmsKeyDirectoryOptions,
  ) {
    for (const m of consortiumMembers(consortium)) {
      this.kmsKeys.set(m.owner, [...(this.kmsKeys.get(m.owner) ?? []), m]);
    }
    this.suite = suiteOf(consortium);
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
      result = await readOwner(this.suite, this.client, keys, this.clock.now());
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
