import { z } from "zod";
import {
  type CosignatureAlgorithm,
  type CosignatureKey,
  type CryptoSuite,
  type KeyGovernance,
  parseCosignatureVerifierKey,
  SIGNATURE_ALGORITHMS,
  type SignatureAlgorithm,
  SM2_ID_PATTERN,
  SUITE_COSIGNATURE_ALGORITHM,
  SUITE_NAMES,
  SUITE_SEALER_ALGORITHM,
  SUITE_SIGNATURE_ALGORITHMS,
  type SuiteName,
  suiteNamed,
} from "#chain";
import { type RecordSchema, recordSchemaProblems } from "./record-schemas.js";

/**
 * The consortium file: one JSON document that local mode and the CDK stack both read
 * (consortium.example.json is the demo). zod checks it; every problem is reported at
 * once, each with the path of the bad field.
 */

const Identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "lowercase letters, digits and '-', 2 to 63 characters");
const RecordTypeName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/,
    "dotted lowercase name, e.g. housing-fund.deposit-certificate",
  );
/**
 * A record type: its name, the departments that may write it and, optionally, a JSON
 * Schema (draft 2020-12) for its records' `data` (record-schemas.ts). z.custom keeps the
 * schema object itself: the validator compiled for it while the file is checked is the
 * one submit uses.
 */
const RecordType = z
  .object({
    type: RecordTypeName,
    description: z.string().max(500).optional(),
    writers: z.array(Identifier).min(1),
    schema: z.custom<RecordSchema>().optional(),
    /**
     * Uniqueness key: names of top-level fields of `data` whose values, together, may be
     * claimed by one record of this type only, ever (S8: one invoice, one claim). When
     * the type has a schema, each field must be in its `required`, so every record has
     * the whole key.
     */
    unique: z
      .array(z.string().min(1).max(128))
      .min(1)
      .max(8)
      .refine((fields) => new Set(fields).size === fields.length, "field names must be distinct")
      .optional(),
    /**
     * The top-level field of `data` naming whom a record is about (an ID-card number, a
     * credit code). Records of the type are indexed by its keyed HMAC (lib/chain
     * subject.ts), never in clear, so sharing contracts can match them (contracts.ts).
     * When the type has a schema, the field must be in its `required`.
     */
    subject: z.string().min(1).max(128).optional(),
    /**
     * Multi-party records (S4, S7): departments that must each sign a record of this
     * type. The writer's submission is its signature; each other signer adds a
     * `zhixin.cosign` record (cosign.ts). Each must be a department and a writer.
     */
    signers: z
      .array(Identifier)
      .min(2)
      .max(16)
      .refine((ids) => new Set(ids).size === ids.length, "signers must be distinct")
      .optional(),
  })
  .superRefine(
    (t, ctx) => {
      const type = typeof t.type === "string" ? t.type : "this record type";
      if (t.schema === undefined) return;
      const problems = recordSchemaProblems(t.schema);
      for (const p of problems) {
        ctx.addIssue({ code: "custom", path: ["schema", ...p.path], message: `${type}: ${p.message}` });
      }
      // A broken schema's `required` says nothing: its problems are the ones to report.
      if (problems.length > 0) return;
      const schema = t.schema as { required?: unknown };
      const required = Array.isArray(schema.required) ? schema.required : [];
      if (typeof t.subject === "string" && !required.includes(t.subject)) {
        ctx.addIssue({
          code: "custom",
          path: ["subject"],
          message: `${type}: subject field ${t.subject} must be in the schema's required list`,
        });
      }
      if (!Array.isArray(t.unique)) return;
      t.unique.forEach((field, i) => {
        if (!required.includes(field)) {
          ctx.addIssue({
            code: "custom",
            path: ["unique", i],
            message: `${type}: unique field ${field} must be in the schema's required list`,
          });
        }
      });
    },
    // Also when another field of this record type is wrong: every problem at once.
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  );
const Alg = z.enum(SIGNATURE_ALGORITHMS);

/**
 * Who may assume a member's IAM role on AWS: a 12-digit account id (its root, i.e. any
 * principal the account delegates to) or an IAM role/user ARN. Local mode ignores it;
 * the CDK stack requires it for every member.
 */
const Principal = z
  .string()
  .regex(
    /^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@/-]{1,512}|user\/[\w+=,.@/-]{1,512}))$/,
    "a 12-digit AWS account id, or an IAM role or user ARN",
  );

/**
 * A KMS key named by its key ARN, never an alias: an alias can be re-pointed by whoever
 * administers the account, a key ARN names one key for good. Multi-region keys (mrk-) too.
 */
const KmsKeyArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
    "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>), not an alias",
  );

/** The account of a KMS key ARN (checked by KmsKeyArn). */
export function accountOfKeyArn(arn: string): string {
  return arn.split(":")[4] as string;
}

/** At most this many versions of one signing key are listed or created at a time. */
export const MAX_KEY_VERSIONS = 8;
const KeyVersions = z.number().int().min(1).max(MAX_KEY_VERSIONS);

const Member = z.object({
  id: Identifier,
  name: z.string().min(1).max(200),
  /** Default: the suite's first algorithm (ed25519 under intl, sm2-sm3 under gm). */
  alg: Alg.optional(),
  principal: Principal.optional(),
  /**
   * On AWS: the member's request-signing key, held in the member's own account (its member
   * stack's output SigningKeyArn), whose public key the ledger reads across accounts. It is
   * also the key id the member's signatures name (`keyid=`). Absent: the consortium stack
   * creates the key in the ledger account, whose administrators are then trusted with it
   * (docs/DEPLOY.md, "Members' keys"). Local mode ignores it.
   */
  keyArn: KmsKeyArn.optional(),
  /**
   * On AWS, instead of keyArn: every version of the member's request-signing key in its own
   * account, oldest first, while a key is rotated (docs/DEPLOY.md, "Rotating a member's
   * key"). Each is read and named by the id derived from it, so a request signed by any of
   * them is the member's; which may sign when is the ledger's key history's to say.
   */
  keyArns: z.array(KmsKeyArn).min(1).max(MAX_KEY_VERSIONS).optional(),
  /**
   * On AWS: how many request-signing keys the stack that holds the member's keys creates
   * (the consortium's stack without keyArn(s), else the member stack), 1 by default. Version 1
   * has the alias alias/zhixin/<consortium>/<id>, version n the alias …/<id>/v<n>
   * (keyVersionAlias). Local mode ignores it.
   */
  keyVersions: KeyVersions.optional(),
});

const Alerts = z
  .object({
    emails: z.array(z.email()).max(20).default([]),
    https: z
      .array(z.url({ protocol: /^https$/ }))
      .max(20)
      .default([]),
    /**
     * An AWS Budgets alert when the month's actual cost, or its forecast, passes this many US
     * dollars. The budget filters on the stack's tag zhixin:consortium, which counts only once
     * it is activated as a cost allocation tag (docs/OPERATIONS.md, "Cost").
     */
    monthlyBudgetUsd: z.number().positive().max(1_000_000).default(100),
  })
  .strict();

const Backup = z
  .object({
    dailyDays: z.number().int().min(1).max(36_500).default(7),
    monthlyDays: z.number().int().min(1).max(36_500).default(3653),
    lockDays: z.number().int().min(0).max(36_500).default(7),
  })
  .strict()
  // Vault Lock fails every backup job whose retention is shorter than its minimum.
  .refine((b) => b.lockDays <= Math.min(b.dailyDays, b.monthlyDays), {
    message:
      "backup.lockDays cannot exceed dailyDays or monthlyDays: AWS Backup refuses a recovery point kept for less than the vault lock's minimum",
  })
  // A monthly point moves to cold storage after 90 days, and cold storage keeps one 90 days at least.
  .refine((b) => b.monthlyDays >= 180, {
    message: "backup.monthlyDays must be at least 180 (90 days warm, 90 cold)",
  });

/** Settings only the AWS stack uses; every one has a default. */
const AwsSettings = z
  .object({
    /** EventBridge rate of the sealer, in minutes (EventBridge's finest rate is 1 minute). */
    sealEveryMinutes: z.number().int().min(1).max(60).default(1),
    /** Inside one invocation the sealer keeps sealing every this many seconds, to cut latency (0: once). */
    sealLoopSeconds: z.number().int().min(0).max(50).default(10),
    /** API Gateway default route throttling. */
    throttle: z
      .object({
        rateLimit: z.number().positive().default(200),
        burstLimit: z.number().int().positive().default(400),
      })
      .default({ rateLimit: 200, burstLimit: 400 }),
    /** Days to keep function and access logs. */
    logRetentionDays: z.number().int().positive().default(365),
    /** Alarm when the oldest pending entry is older than this many seconds. */
    maxPendingAgeSeconds: z.number().int().positive().default(300),
    /**
     * Hours between the incremental audits the stack schedules (cdk/lib/audit.ts), at most 24:
     * its NoAuditCompleted alarm fires after 26 h without a completed audit. 0 schedules none,
     * and that alarm then stays on until audits are run by hand.
     */
    auditEveryHours: z.number().int().min(0).max(24).default(24),
    /**
     * Days S3 Object Lock (governance mode) keeps every published tile and checkpoint
     * version: within them nobody without s3:BypassGovernanceRetention can delete one.
     */
    tileRetentionDays: z.number().int().min(1).max(36_500).default(3653),
    /**
     * The AWS account the consortium stack is deployed in. Member stacks let it (and only
     * it) read their signing key's public half (kms:GetPublicKey, kms:DescribeKey), which
     * the ledger's functions need when the file names a member's keyArn.
     */
    ledgerAccount: z
      .string()
      .regex(/^\d{12}$/, "a 12-digit AWS account id")
      .optional(),
    /**
     * The name of a table restored from the ledger table (point-in-time recovery or a backup)
     * that the stack is to adopt as its ledger table in place of the one it created, which is
     * kept (docs/OPERATIONS.md, "Restore from point-in-time recovery"): the stack then declares
     * a table of this name under a new logical id, for `cdk import`. Unset: the stack's own.
     */
    restoredTable: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, "a DynamoDB table name: 3-255 of A-Z a-z 0-9 _ . -")
      .optional(),
    /**
     * Who the stack's alarms reach (cdk/lib/alerts.ts; docs/OPERATIONS.md, "What each alarm
     * means"): every alarm and the budget notify one SNS topic, which mails each of `emails`
     * (each address confirms its subscription once) and posts to each of `https` (a pager's or
     * chat tool's webhook). With neither, synthesis warns: the alarms would reach no one.
     */
    alerts: Alerts.default({ emails: [], https: [], monthlyBudgetUsd: 100 }),
    /**
     * AWS Backup of the ledger table beyond PITR's 35 days (cdk/lib/backup.ts): a daily
     * recovery point kept `dailyDays`, a monthly one kept `monthlyDays` (in cold storage after
     * 90 days), in a locked vault: no one can delete a recovery point before its retention
     * ends, and no backup job may keep one less than `lockDays` (0: no lock; at most the
     * shorter retention). Each DynamoDB backup is a full copy, so the daily points cost
     * `dailyDays` copies of the table (docs/COST.md); PITR covers the last 35 days anyway.
     */
    backup: Backup.default({ dailyDays: 7, monthlyDays: 3653, lockDays: 7 }),
    /**
     * Whether the stack publishes the web console (cdk/lib/console.ts, docs/CONSOLE.md): a
     * private bucket behind a CloudFront distribution that also forwards /v1/ to the API.
     */
    console: z.boolean().default(true),
  })
  .default({
    sealEveryMinutes: 1,
    sealLoopSeconds: 10,
    throttle: { rateLimit: 200, burstLimit: 400 },
    logRetentionDays: 365,
    maxPendingAgeSeconds: 300,
    auditEveryHours: 24,
    tileRetentionDays: 3653,
    alerts: { emails: [], https: [], monthlyBudgetUsd: 100 },
    backup: { dailyDays: 7, monthlyDays: 3653, lockDays: 7 },
    console: true,
  });

/**
 * Where a department's witness answers and the key it cosigns with, once its member stack
 * is deployed (the stack's outputs WitnessUrl and WitnessVkey). `true` instead: the
 * department witnesses, with a key local mode generates (keys/<id>.witness.pem).
 */
const CosignatureVkey = z.string().superRefine((vkey, ctx) => {
  try {
    parseCosignatureVerifierKey(vkey);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
  }
});
/** A vkey's cosignature algorithm, or undefined for one CosignatureVkey already reports. */
function cosignerAlgorithmOf(vkey: string): CosignatureAlgorithm | undefined {
  try {
    return parseCosignatureVerifierKey(vkey).alg;
  } catch {
    return undefined;
  }
}

const WitnessEndpoint = z
  .object({
    /** POST <url>/add-checkpoint, c2sp.org/tlog-witness. */
    url: z.string().regex(/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, "an https:// URL without query or fragment"),
    /**
     * The cosignature verifier key it signs with now: c2sp.org/tlog-cosignature type 0x04
     * (Ed25519) under intl, the SM2 cosignature's under gm (docs/formats/witness.md §1.7).
     */
    vkey: CosignatureVkey,
    /**
     * Its earlier vkeys, oldest first, once it rotated its key (docs/DEPLOY.md §8): under the
     * same name, listed in the trust root beside vkey so that checkpoints it cosigned with
     * them still count for it, once (docs/formats/trust-root.md §1). The log asks it with vkey only.
     */
    retiredVkeys: z.array(CosignatureVkey).max(MAX_KEY_VERSIONS).optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    const name = w.vkey.slice(0, w.vkey.indexOf("+"));
    const seen = new Set([w.vkey]);
    w.retiredVkeys?.forEach((v, i) => {
      if (v.slice(0, v.indexOf("+")) !== name)
        ctx.addIssue({
          code: "custom",
          path: ["retiredVkeys", i],
          message: `not named ${name}, as vkey is: one witness, one name`,
        });
      else if (seen.has(v))
        ctx.addIssue({
          code: "custom",
          path: ["retiredVkeys", i],
          message: "listed twice (or the same as vkey)",
        });
      seen.add(v);
    });
  });

export const ConsortiumSchema = z
  .object({
    consortium: Identifier,
    /** The log's origin: first line of every checkpoint, and header.log of every block. */
    log: z.string().regex(/^[\x21-\x7e]{1,255}$/, "printable ASCII without spaces"),
    /**
     * The crypto suite of every hash and signature (docs/formats/suites.md): "intl" (SHA-256,
     * Ed25519 / P-256) or "gm" (the national algorithms SM3 and SM2). Recorded in the
     * genesis block; it cannot change for the life of the ledger.
     */
    suite: z.enum(SUITE_NAMES).default("intl"),
    /**
     * Under gm, the SM2 distinguishing identifier every signature binds (docs/formats/sm2.md
     * §2): GM/T 0009-2012's default 1234567812345678 if absent. Recorded in the genesis
     * block with the suite; it cannot change either.
     */
    sm2Id: z
      .string()
      .regex(SM2_ID_PATTERN, "1 to 128 printable ASCII characters (Z_A hashes its bytes)")
      .optional(),
    // The sealer signs C2SP checkpoints: Ed25519, whose form every witness understands,
    // under intl; SM2 under gm (docs/formats/sm2.md). alg defaults to the suite's.
    // keyVersions: on AWS, how many sealer keys the consortium's stack creates; every one
    // stays in the trust bundle. signingVersion: which of them signs (default the newest),
    // so that a new key can be created and given to the witnesses before it signs
    // (docs/DEPLOY.md, "Rotating the sealer's key").
    sealer: z
      .object({
        alg: Alg.optional(),
        keyVersions: KeyVersions.optional(),
        signingVersion: KeyVersions.optional(),
      })
      .refine((s) => s.signingVersion === undefined || s.signingVersion <= (s.keyVersions ?? 1), {
        message:
          "sealer.signingVersion names a key version the stack does not create: raise sealer.keyVersions to at least it, or lower it",
        path: ["signingVersion"],
      })
      .default({}),
    departments: z
      .array(
        Member.extend({
          witness: z.union([z.boolean(), WitnessEndpoint]).default(false),
          /**
           * On AWS: how many witness keys its member stack creates, 1 by default; the newest
           * cosigns, the older ones sign nothing more and stay for their public keys (docs/DEPLOY.md
           * §8, "Rotating a witness's key"). Version 1 has the alias
           * alias/zhixin-witness/<consortium>/<id>, version n …/<id>/v<n>. Local mode ignores it
           * (ZHIXIN_ROTATE_KEYS=witness:<id>).
           */
          witnessKeyVersions: KeyVersions.optional(),
        }),
      )
      .min(1),
    /**
     * How many witnesses must cosign a checkpoint for verifiers to accept it. Default: a
     * majority of the witnessing departments — with more than half, two forks of the log
     * can never both be witnessed unless some witness cosigned both (docs/TRUST.md).
     */
    witnessQuorum: z.number().int().min(0).optional(),
    auditors: z.array(Member).default([]),
    /**
     * Who decides a department's key records besides itself (docs/design/key-history.md §3,
     * rule 5): `cosigns`, how many other departments must cosign (`zhixin.cosign`) a key
     * record a department writes about its own keys before it counts; 0, the default: at
     * once. At most the number of departments − 1.
     */
    keyRecords: z
      .object({ cosigns: z.number().int().min(0) })
      .strict()
      .optional(),
    aws: AwsSettings,
    recordTypes: z.array(RecordType).min(1),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    const members = [
      ...c.departments.map((d, i) => ["departments", i, d.id] as const),
      ...c.auditors.map((a, i) => ["auditors", i, a.id] as const),
    ];
    for (const [list, i, id] of members) {
      // Key aliases alias/zhixin/<consortium>/<id>: the sealer's and the subject key's are taken.
      if (id === "sealer" || id === "subject")
        ctx.addIssue({ code: "custom", path: [list, i, "id"], message: `"${id}" is reserved` });
      if (ids.has(id))
        ctx.addIssue({ code: "custom", path: [list, i, "id"], message: `duplicate member id ${id}` });
      ids.add(id);
    }
    const keyArns = new Map<string, string>();
    for (const [list, i, id] of members) {
      const member = list === "departments" ? c.departments[i] : c.auditors[i];
      if (member === undefined) continue;
      if (member.keyArn !== undefined && member.keyArns !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [list, i, "keyArns"],
          message: `${id} names keyArn and keyArns: list every version in keyArns (oldest first) and leave keyArn out`,
        });
      }
      const located =
        member.keyArns !== undefined
          ? member.keyArns.map((arn, j) => [arn, ["keyArns", j]] as const)
          : member.keyArn !== undefined
            ? [[member.keyArn, ["keyArn"]] as const]
            : [];
      for (const [arn, at] of located) {
        const other = keyArns.get(arn);
        if (other !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [list, i, ...at],
            message: other === id ? `${id} lists the same key twice` : `${id} and ${other} name the same key`,
          });
        keyArns.set(arn, id);
        // Its own account is the point of a keyArn: one in the ledger's is the single-account layout.
        if (c.aws.ledgerAccount !== undefined && accountOfKeyArn(arn) === c.aws.ledgerAccount)
          ctx.addIssue({
            code: "custom",
            path: [list, i, ...at],
            message: `${id}'s key is in the ledger account ${c.aws.ledgerAccount}, whose administrators could sign with it: create it in ${id}'s own account, or leave ${at[0]} out`,
          });
      }
    }
    if (c.sm2Id !== undefined && c.suite !== "gm")
      ctx.addIssue({
        code: "custom",
        path: ["sm2Id"],
        message: `sm2Id is the gm suite's SM2 identifier; this consortium's suite is ${c.suite}: leave sm2Id out`,
      });
    const allowed = SUITE_SIGNATURE_ALGORITHMS[c.suite];
    for (const [list, i, id] of members) {
      const alg = (list === "departments" ? c.departments[i] : c.auditors[i])?.alg;
      if (alg !== undefined && !allowed.includes(alg))
        ctx.addIssue({
          code: "custom",
          path: [list, i, "alg"],
          message: `${id}'s alg ${alg} is not of the ${c.suite} suite: use ${allowed.join(" or ")}, or leave alg out`,
        });
    }
    const sealerAlg = SUITE_SEALER_ALGORITHM[c.suite];
    if (c.sealer.alg !== undefined && c.sealer.alg !== sealerAlg)
      ctx.addIssue({
        code: "custom",
        path: ["sealer", "alg"],
        message: `under the ${c.suite} suite the sealer signs with ${sealerAlg}: set it, or leave alg out`,
      });
    // A deployed witness's keys are of the suite's cosignature algorithm: the trust root
    // counts no other (docs/formats/witness.md §1.7, trust-root.md §1).
    const cosignatureAlg = SUITE_COSIGNATURE_ALGORITHM[c.suite];
    c.departments.forEach((d, i) => {
      if (typeof d.witness !== "object") return;
      const vkeys: [string, (string | number)[]][] = [
        [d.witness.vkey, ["vkey"]],
        ...(d.witness.retiredVkeys ?? []).map((v, j): [string, (string | number)[]] => [
          v,
          ["retiredVkeys", j],
        ]),
      ];
      for (const [vkey, path] of vkeys)
        if ((cosignerAlgorithmOf(vkey) ?? cosignatureAlg) !== cosignatureAlg)
          ctx.addIssue({
            code: "custom",
            path: ["departments", i, "witness", ...path],
            message: `under the ${c.suite} suite a witness cosigns with ${cosignatureAlg}: this is not such a key (its member stack makes one)`,
          });
    });
    const witnesses = c.departments.filter((d) => d.witness !== false).length;
    if (c.witnessQuorum !== undefined && c.witnessQuorum > witnesses)
      ctx.addIssue({
        code: "custom",
        path: ["witnessQuorum"],
        message: `a quorum of ${c.witnessQuorum} cannot be met by ${witnesses} witnessing department(s)`,
      });
    const others = c.departments.length - 1;
    if (c.keyRecords !== undefined && c.keyRecords.cosigns > others)
      ctx.addIssue({
        code: "custom",
        path: ["keyRecords", "cosigns"],
        message: `${c.keyRecords.cosigns} cosigns cannot be given by the ${others} other department(s): at most ${others}`,
      });
    const departments = new Set(c.departments.map((d) => d.id));
    const types = new Set<string>();
    c.recordTypes.forEach((t, i) => {
      if (types.has(t.type))
        ctx.addIssue({
          code: "custom",
          path: ["recordTypes", i, "type"],
          message: `duplicate record type ${t.type}`,
        });
      types.add(t.type);
      if (t.type.startsWith("zhixin."))
        ctx.addIssue({
          code: "custom",
          path: ["recordTypes", i, "type"],
          message: `${t.type}: record types named zhixin.* are reserved for the ledger itself`,
        });
      t.signers?.forEach((s, j) => {
        if (!departments.has(s))
          ctx.addIssue({
            code: "custom",
            path: ["recordTypes", i, "signers", j],
            message: `${s} is not a department`,
          });
        else if (!t.writers.includes(s))
          ctx.addIssue({
            code: "custom",
            path: ["recordTypes", i, "signers", j],
            message: `${t.type}: signer ${s} must also be a writer`,
          });
      });
      t.writers.forEach((w, j) => {
        if (!departments.has(w)) {
          ctx.addIssue({
            code: "custom",
            path: ["recordTypes", i, "writers", j],
            message: `${w} is not a department`,
          });
        }
      });
    });
  })
  .transform((c) => ({
    ...c,
    sealer: { ...c.sealer, alg: SUITE_SEALER_ALGORITHM[c.suite] },
    departments: c.departments.map((d) => withSuiteAlg(d, c.suite)),
    auditors: c.auditors.map((a) => withSuiteAlg(a, c.suite)),
  }));

/** A member with its alg, the suite's default when the file leaves it out. */
function withSuiteAlg<M extends { alg?: SignatureAlgorithm | undefined }>(
  member: M,
  suite: SuiteName,
): M & { alg: SignatureAlgorithm } {
  return { ...member, alg: member.alg ?? (SUITE_SIGNATURE_ALGORITHMS[suite][0] as SignatureAlgorithm) };
}

export type Consortium = z.infer<typeof ConsortiumSchema>;

export class ConsortiumFileError extends Error {
  override readonly name = "ConsortiumFileError";
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

export function parseConsortium(value: unknown, file = "consortium file"): Consortium {
  const result = ConsortiumSchema.safeParse(value);
  if (!result.success) {
    throw new ConsortiumFileError(
      file,
      result.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`),
    );
  }
  return result.data;
}

/** The text of a consortium file, or a ConsortiumFileError saying it cannot be read. */
export function readConsortiumText(path: string, readText: (path: string) => string): string {
  try {
    return readText(path);
  } catch (e) {
    throw new ConsortiumFileError(path, [`cannot read: ${(e as Error).message}`]);
  }
}

/** A consortium file's text, as read from `file` by the caller (parsing does no I/O). */
export function parseConsortiumText(text: string, file: string): Consortium {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConsortiumFileError(file, [`not JSON: ${(e as Error).message}`]);
  }
  return parseConsortium(json, file);
}

/** A record type's schema for its records' data; undefined when it has none. */
export function schemaOf(consortium: Consortium, type: string): RecordSchema | undefined {
  return consortium.recordTypes.find((t) => t.type === type)?.schema;
}

/** A record type's uniqueness key (field names, in the file's order); undefined when it has none. */
export function uniqueFieldsOf(consortium: Consortium, type: string): readonly string[] | undefined {
  return consortium.recordTypes.find((t) => t.type === type)?.unique;
}

/** Who may write a record type; undefined when the type is unknown. */
export function writersOf(consortium: Consortium, type: string): readonly string[] | undefined {
  return consortium.recordTypes.find((t) => t.type === type)?.writers;
}

/** The field naming a record's subject; undefined when records of the type cannot be matched. */
export function subjectFieldOf(consortium: Consortium, type: string): string | undefined {
  return consortium.recordTypes.find((t) => t.type === type)?.subject;
}

/** Departments that must each sign a record of the type; undefined when one signature suffices. */
export function signersOf(consortium: Consortium, type: string): readonly string[] | undefined {
  return consortium.recordTypes.find((t) => t.type === type)?.signers;
}

/**
 * A member's keys in its own account, oldest first: its keyArns, or its keyArn alone; empty
 * when the consortium's stack creates its keys (the single-account layout).
 */
export function memberKeyArns(member: {
  keyArn?: string | undefined;
  keyArns?: readonly string[] | undefined;
}): string[] {
  return member.keyArns !== undefined
    ? [...member.keyArns]
    : member.keyArn !== undefined
      ? [member.keyArn]
      : [];
}

/** Which sealer key version signs (1 = the first): sealer.signingVersion, else the newest. */
export function sealerSigningVersion(sealer: {
  keyVersions?: number | undefined;
  signingVersion?: number | undefined;
}): number {
  return sealer.signingVersion ?? keyVersionsOf(sealer);
}

/** How many versions of an owner's key a stack creates: the file's keyVersions, else 1. */
export function keyVersionsOf(owner: { keyVersions?: number | undefined }): number {
  return owner.keyVersions ?? 1;
}

/**
 * The KMS alias of version `version` (1, 2, …) of a key a stack creates for `owner` (a member
 * id, or "sealer"): alias/zhixin/<consortium>/<owner> for the first, as before versions
 * existed, and alias/zhixin/<consortium>/<owner>/v<n> for each later one. Member ids hold no
 * "/", so no version's alias is another owner's.
 */
export function keyVersionAlias(consortium: string, owner: string, version: number): string {
  const base = `alias/zhixin/${consortium}/${owner}`;
  return version === 1 ? base : `${base}/v${version}`;
}

/** A witnessing department: its id, and its deployed witness when the file names one. */
export interface WitnessMember {
  id: string;
  /** `key` is the one it cosigns with now; `retired` its earlier ones, oldest first (retiredVkeys). */
  endpoint?: { url: string; key: CosignatureKey; retired: CosignatureKey[] };
}

/** The departments that witness, in file order. */
export function witnessesOf(consortium: Consortium): WitnessMember[] {
  return consortium.departments.flatMap((d) => {
    if (d.witness === false) return [];
    if (d.witness === true) return [{ id: d.id }];
    const { url, vkey, retiredVkeys = [] } = d.witness;
    return [
      {
        id: d.id,
        endpoint: {
          url,
          key: parseCosignatureVerifierKey(vkey),
          retired: retiredVkeys.map((v) => parseCosignatureVerifierKey(v)),
        },
      },
    ];
  });
}

/**
 * A witnessing department's cosigner name: the key name in its vkey and in every
 * cosignature line it writes (docs/formats/witness.md §1). One name wherever the witness
 * runs — local mode's in-process witness, a member stack's on AWS — and wherever a
 * verifier's trust root names it.
 */
export function witnessName(consortium: string, id: string): string {
  return `zhixin-witness/${consortium}/${id}`;
}

/**
 * The rule a department's key records are judged by besides its own word (lib/chain
 * KeyGovernance, docs/design/key-history.md §3 rules 4–5): the departments, who may
 * propose a recovery of another's key and cosign key records, and how many of them must
 * cosign a department's own key record (`keyRecords.cosigns`, 0 by default).
 */
export function keyGovernanceOf(consortium: Consortium): KeyGovernance {
  return {
    departments: consortium.departments.map((d) => d.id),
    ownerCosigns: consortium.keyRecords?.cosigns ?? 0,
  };
}

/** How many witnesses must cosign: the file's witnessQuorum, else a majority of the witnesses (0 if none). */
export function witnessQuorumOf(consortium: Consortium): number {
  const n = consortium.departments.filter((d) => d.witness !== false).length;
  return consortium.witnessQuorum ?? (n === 0 ? 0 : Math.floor(n / 2) + 1);
}

/** The consortium's crypto suite (lib/chain suite.ts): the hash and signatures of its ledger. */
export function suiteOf(consortium: Pick<Consortium, "suite" | "sm2Id">): CryptoSuite {
  return suiteNamed(consortium.suite, consortium.sm2Id);
}

/** What the consortium's witnesses cosign with: its suite's cosignature algorithm. */
export function cosignatureAlgorithmOf(consortium: Pick<Consortium, "suite">): CosignatureAlgorithm {
  return SUITE_COSIGNATURE_ALGORITHM[consortium.suite];
}
