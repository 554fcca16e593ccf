import { Duration } from "aws-cdk-lib";
import { KeySpec } from "aws-cdk-lib/aws-kms";
import { Architecture, Runtime } from "aws-cdk-lib/aws-lambda";
import { type BundlingOptions, LogLevel, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import type { SignatureAlgorithm } from "#chain";
import { METRICS_NAMESPACE } from "../../lib/metrics.js";
import { BATCH_PK_PREFIX, LEDGER_TABLE, PAGES_PK_PREFIX } from "../../lib/store-layout.js";

/**
 * Every default setting of the stack, as plain data and pure functions: names, key
 * specs, routes, function sizes, the runtime contract's environment, bundling, the
 * table actions each function needs, metric names. The constructs read these and build
 * resources; nothing here creates one.
 */

// ---- names ------------------------------------------------------------------------

export const stackName = (consortium: string): string => `Zhixin-${consortium}`;

/** The key id a member (or the sealer) puts in its signatures, and the KMS alias of its key. */
export const keyAlias = (consortium: string, owner: string): string => `alias/zhixin/${consortium}/${owner}`;

export const SEALER = "sealer";
/** The last part of the subject key's alias, beside the members' and the sealer's. */
export const SUBJECT = "subject";

/** "hf-haikou" → "HfHaikou": the prefix of a member's stack outputs. */
export const outputName = (id: string): string =>
  id
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");

/** Tag keys, so people (and the tests) can tell whose a resource is and whose key signs. */
export const TAGS = {
  consortium: "zhixin:consortium",
  member: "zhixin:member",
  signer: "zhixin:signer",
} as const;

// ---- keys -------------------------------------------------------------------------

/** docs/FORMATS.md and lib/crypto/kms-signer.ts: alg → KMS key spec. */
export const KEY_SPEC: Record<SignatureAlgorithm, KeySpec> = {
  ed25519: KeySpec.ECC_NIST_EDWARDS25519,
  "ecdsa-p256-sha256": KeySpec.ECC_NIST_P256,
  "sm2-sm3": KeySpec.SM2,
};

/**
 * What the account itself (and so IAM policies in it) may do with a signing key:
 * AWS's documented key-administrator actions. They include reading the public key
 * (kms:Get*, kms:Describe*), so the functions' IAM policies can grant that, and leave
 * out every cryptographic operation — kms:Sign above all — so nobody signs with a
 * member's key by holding broad IAM rights in the ledger account.
 */
export const KEY_ADMIN_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
];

/** What the functions need to build the trust bundle from the keys (ZHIXIN_KEYS_SOURCE=kms). */
export const PUBLIC_KEY_ACTIONS = ["kms:GetPublicKey", "kms:DescribeKey"];

/**
 * DynamoDB encrypts with the table's key on the caller's behalf (kms:ViaService), so
 * the callers need these on it. Spelled out rather than ReEncrypt* / GenerateDataKey*.
 */
export const TABLE_KEY_ACTIONS = {
  read: ["kms:Decrypt", "kms:DescribeKey"],
  write: [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ],
};

// ---- API --------------------------------------------------------------------------

// The routes are data shared with the API router, so the stack cannot drift from it.
export { API_ROUTES, type RouteAccess } from "../../lib/protocol/routes.js";

/** The path in an execute-api ARN: a path parameter matches any one segment. */
export const arnPath = (routePath: string): string => routePath.replace(/\{[^/}]+\}/g, "*");

/** The HTTP API's access log line: who called (IAM caller), what, and how it went. */
export const ACCESS_LOG_FIELDS: Record<string, string> = {
  requestId: "$context.requestId",
  requestTime: "$context.requestTime",
  ip: "$context.identity.sourceIp",
  caller: "$context.identity.userArn",
  callerAccount: "$context.identity.accountId",
  routeKey: "$context.routeKey",
  path: "$context.path",
  status: "$context.status",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationStatus: "$context.integrationStatus",
  integrationLatency: "$context.integrationLatency",
  error: "$context.error.message",
  integrationError: "$context.integrationErrorMessage",
};

// ---- functions --------------------------------------------------------------------

export type FunctionName = "submit" | "seal" | "verify";

export interface FunctionDefaults {
  /** Entry file, relative to the repository root. */
  readonly entry: string;
  /** POWERTOOLS_SERVICE_NAME, and the `service` dimension of the function's metrics. */
  readonly service: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly description: string;
}

export const FUNCTIONS: Record<FunctionName, FunctionDefaults> = {
  submit: {
    entry: "functions/submit/handler.ts",
    service: "zhixin-submit",
    // Signature and digest checks are CPU-bound; Lambda gives CPU in proportion to memory.
    memorySize: 1024,
    // Below the HTTP API's 30 s integration limit.
    timeout: Duration.seconds(20),
    description: "Zhixin HTTP API: submit signed records, read entries, blocks and checkpoints",
  },
  seal: {
    entry: "functions/seal-block/handler.ts",
    service: "zhixin-seal",
    // One full vCPU (Lambda gives CPU in proportion to memory): at S5's volume the sealer's
    // own CPU — parsing batches and hashing leaves — is its ceiling, ~18k entries/s on one
    // core in `npm run bench -- aws-model`; 1,024 MB would give it 0.58 of a core, about
    // the 10k entries/s S5 needs with nothing to spare (docs/PERFORMANCE.md "AWS at scale").
    memorySize: 1769,
    // The handler seals every ZHIXIN_SEAL_LOOP_SECONDS for up to ~50 s, then finishes the last block.
    timeout: Duration.seconds(90),
    description: "Zhixin sealer: pending batches → signed, hash-chained blocks",
  },
  verify: {
    entry: "functions/verify/handler.ts",
    service: "zhixin-verify",
    // 1,769 MB is one full vCPU: an audit re-checks every signature and hash.
    memorySize: 1769,
    timeout: Duration.minutes(15),
    description: "Zhixin auditor: re-verify the chain, a height range or one entry",
  },
};

export const RUNTIME = Runtime.NODEJS_22_X;
export const ARCHITECTURE = Architecture.ARM_64;
export const LOG_LEVEL = "INFO";
/** The path the bundled consortium file has inside the function (afterBundling copies it there). */
export const BUNDLED_CONSORTIUM_FILE = "/var/task/consortium.json";

/** A witness the consortium file names with its URL and vkey (its member stack's WitnessUrl, its vkey). */
export interface DeployedWitness {
  readonly url: string;
  readonly vkey: string;
  /** Its earlier keys, oldest first: the audit counts what they cosigned for it. */
  readonly retiredVkeys?: readonly string[] | undefined;
}

/**
 * The file's deployed witnesses, in file order. A department with `witness: true` has none
 * yet on AWS (true is local mode's in-process witness): nobody can ask it.
 */
export function deployedWitnesses(
  departments: readonly { witness?: boolean | DeployedWitness }[],
): DeployedWitness[] {
  return departments.flatMap((d) => (typeof d.witness === "object" ? [d.witness] : []));
}

/** The runtime contract (functions/runtime/runtime.ts) for one function. */
export function functionEnvironment(props: {
  name: FunctionName;
  tableName: string;
  /** Only the sealer gets its key's ARN: it is the only function that signs. */
  sealerKeyArn?: string;
  /** Only submit gets the subject key's ARN: it is the only function that HMACs subjects. */
  subjectKeyArn?: string;
  sealLoopSeconds?: number;
  /** The tile bucket: the sealer publishes there, the API serves its checkpoint, the audit checks it. */
  tilesBucket?: string;
  /** The deployed witnesses, ZHIXIN_WITNESSES: the sealer asks them, the audit counts their cosignatures. */
  witnesses?: readonly DeployedWitness[];
}): Record<string, string> {
  return {
    ZHIXIN_TABLE: props.tableName,
    ZHIXIN_CONSORTIUM_FILE: BUNDLED_CONSORTIUM_FILE,
    ZHIXIN_KEYS_SOURCE: "kms",
    ...(props.sealerKeyArn === undefined ? {} : { ZHIXIN_SEALER_KMS_KEY: props.sealerKeyArn }),
    ...(props.subjectKeyArn === undefined ? {} : { ZHIXIN_SUBJECT_KMS_KEY: props.subjectKeyArn }),
    ...(props.sealLoopSeconds === undefined
      ? {}
      : { ZHIXIN_SEAL_LOOP_SECONDS: String(props.sealLoopSeconds) }),
    ...(props.tilesBucket === undefined ? {} : { ZHIXIN_TILES_BUCKET: props.tilesBucket }),
    ...(props.witnesses === undefined || props.witnesses.length === 0
      ? {}
      : {
          ZHIXIN_WITNESSES: JSON.stringify(
            props.witnesses.map(({ url, vkey, retiredVkeys }) => ({
              url,
              vkey,
              ...(retiredVkeys === undefined || retiredVkeys.length === 0 ? {} : { retiredVkeys }),
            })),
          ),
        }),
    POWERTOOLS_SERVICE_NAME: FUNCTIONS[props.name].service,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    LOG_LEVEL,
    // The bundles carry source maps: stack traces then point at functions/ and lib/, not index.mjs.
    NODE_OPTIONS: "--enable-source-maps",
  };
}

/** `'…'` for a POSIX shell. */
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * esbuild on this machine (never Docker): one ESM file per function with the AWS SDK
 * inside (the versions the code was tested with, not whatever the runtime ships), and
 * the consortium file beside it when the function reads one (a witness does not).
 */
export function bundlingOptions(consortiumFile?: string): BundlingOptions {
  return {
    forceDockerBundling: false,
    format: OutputFormat.ESM,
    mainFields: ["module", "main"],
    target: "node22",
    minify: false,
    sourceMap: true,
    bundleAwsSDK: true,
    logLevel: LogLevel.WARNING,
    // CommonJS dependencies bundled into ESM still call require().
    banner:
      "import { createRequire as __zhixinCreateRequire } from 'node:module'; const require = __zhixinCreateRequire(import.meta.url);",
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) =>
        consortiumFile === undefined
          ? []
          : [`cp ${shellQuote(consortiumFile)} ${shellQuote(`${outputDir}/consortium.json`)}`],
    },
  };
}

/**
 * DynamoDB actions per function, from what functions/store/dynamodb-store.ts
 * sends. Submit deletes payloads through BatchWriteItem (deletePayloads) and releases
 * uniqueness claims with conditional DeleteItem (releaseClaims); only the sealer
 * updates items in place. The sealer reads the pending index to find what to seal
 * (listPendingBatches); verify reads it too, because `zhixin verify --entry` of an entry
 * not yet sealed finds its batch there (functions/audit/audit-entry.ts findBatchKey).
 */
const READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"];
export const TABLE_ACTIONS: Record<FunctionName, { table: string[]; pendingIndex: string[]; key: string[] }> =
  {
    submit: {
      // UpdateItem: a sharing contract's rate counter (POST /v1/match), a conditional ADD.
      table: [
        ...READ,
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
      ],
      pendingIndex: [],
      key: TABLE_KEY_ACTIONS.write,
    },
    seal: {
      table: [...READ, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"],
      pendingIndex: ["dynamodb:Query"],
      key: TABLE_KEY_ACTIONS.write,
    },
    verify: { table: READ, pendingIndex: ["dynamodb:Query"], key: TABLE_KEY_ACTIONS.read },
  };

// ---- a member's stack ------------------------------------------------------------------

/** The stack a department or auditor deploys in its own account (cdk/lib/member-stack.ts). */
export const memberStackName = (consortium: string, id: string): string => `ZhixinMember-${consortium}-${id}`;

/**
 * The member stack's parameter LedgerAccount as CloudFormation takes it: the account the
 * consortium stack is in (the file's aws.ledgerAccount, the same 12 digits
 * lib/consortium/consortium.ts checks).
 */
export const ACCOUNT_ID_PATTERN = "^[0-9]{12}$";

/**
 * A department's witness's KMS key alias (its cosigner name is lib/consortium's
 * witnessName, local mode's too).
 */
export const witnessKeyAlias = (consortium: string, id: string): string =>
  `alias/zhixin-witness/${consortium}/${id}`;

export const WITNESS_FUNCTION: FunctionDefaults & {
  readonly reservedConcurrentExecutions: number;
  readonly throttle: { rateLimit: number; burstLimit: number };
} = {
  entry: "functions/add-checkpoint/handler.ts",
  service: "zhixin-witness",
  // One consistency proof and one signature per request.
  memorySize: 512,
  // Within the sealer's wait for a witness (ZHIXIN_WITNESS_TIMEOUT_MS, 5 s by default) and its retry.
  timeout: Duration.seconds(10),
  description:
    "Zhixin witness: POST /add-checkpoint (c2sp.org/tlog-witness), cosigns checkpoints the log proves consistent",
  // The URL is public (tlog-witness is a public protocol): a cap on what anyone can make the
  // department's account run. The sealer asks once per seal; a throttled request is only
  // a missing cosignature, which the sealer's next seal makes up for.
  reservedConcurrentExecutions: 5,
  /**
   * Where the China Regions front it with an HTTP API (no function URLs there): the sealer
   * asks once per seal, so a few requests a second is plenty, and the cap is the API's too.
   */
  throttle: { rateLimit: 10, burstLimit: 20 },
};

/**
 * The witness's state table (functions/witness/state-store.ts WITNESS_TABLE_KEY) and what
 * it sends there (WITNESS_STATE_ACTIONS), which cdk/ may not import: written here and held
 * together by test/cdk/grants-drift.test.ts.
 */
export const WITNESS_TABLE_KEY = { name: "pk", type: "S" } as const;
export const WITNESS_TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem"] as const;
/** What the witness's role may do with its key: sign cosignatures, and read the public key it checks them with. */
export const WITNESS_KEY_ACTIONS = ["kms:Sign", "kms:GetPublicKey"] as const;

/**
 * The genesis item, written once when the stack creates the table (initializeWitnessTable's
 * write: a put that only succeeds on a table without one). A witness whose table lacks it
 * counts its state as lost and refuses to answer rather than cosign from scratch.
 * CloudFormation has no clock, so instead of initializeWitnessTable's createdAt the item
 * names the stack that created it; the table's own CreationDateTime says when.
 */
export const WITNESS_GENESIS_KEY = "GENESIS";
export const WITNESS_GENESIS_CONDITION = "attribute_not_exists(pk)";

/**
 * ZHIXIN_WITNESS_LOG_VKEYS as a CloudFormation parameter accepts it: empty, or C2SP
 * verifier keys (name+8 hex digits+base64), comma-separated.
 */
const VKEY = String.raw`[^\s,+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*`;
export const LOG_VKEYS_PATTERN = `^$|^${VKEY}(,${VKEY})*$`;

/** The witness's environment (functions/runtime/witness.ts). */
export function witnessEnvironment(props: {
  tableName: string;
  name: string;
  kmsKeyArn: string;
  keyAlg: string;
  /** The consortium's SM2 identifier, when its file sets one (gm only). */
  sm2Id?: string;
  logVkeys: string;
}): Record<string, string> {
  return {
    ZHIXIN_WITNESS_TABLE: props.tableName,
    ZHIXIN_WITNESS_NAME: props.name,
    ZHIXIN_WITNESS_KMS_KEY: props.kmsKeyArn,
    ZHIXIN_WITNESS_KEY_ALG: props.keyAlg,
    ...(props.sm2Id === undefined ? {} : { ZHIXIN_WITNESS_SM2_ID: props.sm2Id }),
    ZHIXIN_WITNESS_LOG_VKEYS: props.logVkeys,
    POWERTOOLS_SERVICE_NAME: WITNESS_FUNCTION.service,
    LOG_LEVEL,
    NODE_OPTIONS: "--enable-source-maps",
  };
}

// ---- committed ledger items ----------------------------------------------------------

/**
 * The partition keys of what is committed (docs/STORAGE.md "Items"), as dynamodb:LeadingKeys
 * patterns: blocks (functions/store/table.ts CHAIN_PK, which cdk/ may not import:
 * test/cdk/grants-drift.test.ts holds the two together), their leaf pages and the batches
 * that hold the entries' envelopes. No ledger role may delete these, nor write them in any
 * way its own store ports do not (COMMITTED_ITEM_WRITES).
 */
export const COMMITTED_PARTITIONS = {
  block: "CHAIN",
  page: `${PAGES_PK_PREFIX}*`,
  batch: `${BATCH_PK_PREFIX}*`,
} as const;
export type CommittedPartition = keyof typeof COMMITTED_PARTITIONS;

/** The DynamoDB actions that change items. */
export const ITEM_WRITE_ACTIONS = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
] as const;
export type ItemWriteAction = (typeof ITEM_WRITE_ACTIONS)[number];

/**
 * The writes each function's store ports send to committed items; every other write
 * action on them is denied to its role (committedItemDenials). What IAM cannot narrow:
 *   - submit's PutItem on batches (commitBatch) and the sealer's on blocks (commitBlock)
 *     are conditional creates (attribute_not_exists(pk)), but no IAM condition key sees a
 *     ConditionExpression: the same action may overwrite. Those two stay granted; an
 *     overwrite is what the audit and the witnesses' cosigned checkpoints catch;
 *   - the sealer writes pages with BatchWriteItem (putBlockPages), and a BatchWriteItem
 *     may hold DeleteRequests: IAM cannot tell them apart. Pages are keyed by the block
 *     hash, and the audit recomputes every block's root from them.
 */
export const COMMITTED_ITEM_WRITES: Record<
  FunctionName,
  Record<CommittedPartition, readonly ItemWriteAction[]>
> = {
  submit: { block: [], page: [], batch: ["dynamodb:PutItem"] },
  seal: {
    // commitBlock; markBlockFinished (UPDATABLE_ATTRIBUTES).
    block: ["dynamodb:PutItem", "dynamodb:UpdateItem"],
    // putBlockPages.
    page: ["dynamodb:BatchWriteItem"],
    // markBatchSealed (UPDATABLE_ATTRIBUTES).
    batch: ["dynamodb:UpdateItem"],
  },
  verify: { block: [], page: [], batch: [] },
};

/**
 * The attributes an UpdateItem on a committed item may name (dynamodb:Attributes), where
 * COMMITTED_ITEM_WRITES allows one: markBlockFinished sets `finished` on an existing block;
 * markBatchSealed records where a batch was sealed and drops it from the pending index.
 * So an update can never rewrite a block's header or signature, or a batch's envelopes.
 */
export const UPDATABLE_ATTRIBUTES: Partial<Record<CommittedPartition, readonly string[]>> = {
  block: [LEDGER_TABLE.partitionKey.name, LEDGER_TABLE.sortKey.name, "finished"],
  batch: [
    LEDGER_TABLE.partitionKey.name,
    LEDGER_TABLE.sortKey.name,
    "sealedHeight",
    "sealedOffset",
    LEDGER_TABLE.pendingIndex.partitionKey.name,
    LEDGER_TABLE.pendingIndex.sortKey.name,
  ],
};

/** One Deny statement: `actions` on the items whose partition key matches one of `partitions`. */
export interface CommittedItemDenial {
  readonly actions: readonly ItemWriteAction[];
  readonly partitions: readonly string[];
  /** Denied only when the request names an attribute outside this list (an UpdateItem's). */
  readonly unlessOnlyAttributes?: readonly string[];
}

/**
 * The Deny statements of a function's role on committed items: each write action on each
 * committed partition that COMMITTED_ITEM_WRITES does not list for it, and an UpdateItem it
 * does list that names an attribute outside UPDATABLE_ATTRIBUTES. Actions denied on the same
 * partitions share a statement.
 */
export function committedItemDenials(name: FunctionName): CommittedItemDenial[] {
  const writes = COMMITTED_ITEM_WRITES[name];
  const partitions = Object.keys(COMMITTED_PARTITIONS) as CommittedPartition[];
  const byPartitions = new Map<string, { actions: ItemWriteAction[]; partitions: string[] }>();
  for (const action of ITEM_WRITE_ACTIONS) {
    const denied = partitions.filter((p) => !writes[p].includes(action)).map((p) => COMMITTED_PARTITIONS[p]);
    if (denied.length === 0) continue;
    const key = denied.join(" ");
    const group = byPartitions.get(key) ?? { actions: [], partitions: denied };
    group.actions.push(action);
    byPartitions.set(key, group);
  }
  return [...byPartitions.values(), ...attributeLimits(partitions.filter((p) => writes[p].includes(UPDATE)))];
}

const UPDATE = "dynamodb:UpdateItem";

function attributeLimits(updated: readonly CommittedPartition[]): CommittedItemDenial[] {
  return updated.map((p) => {
    const attributes = UPDATABLE_ATTRIBUTES[p];
    if (attributes === undefined) throw new Error(`UpdateItem on ${p} items needs UPDATABLE_ATTRIBUTES.${p}`);
    return { actions: [UPDATE], partitions: [COMMITTED_PARTITIONS[p]], unlessOnlyAttributes: attributes };
  });
}

/** A Deny statement for every principal of the account but `exceptWriters`' roles. */
export interface CommittedItemGuard extends CommittedItemDenial {
  readonly exceptWriters: readonly FunctionName[];
}

/**
 * The ledger table's resource policy: the same limits for every principal, administrators
 * included — each write action on each committed partition is denied to everyone but the
 * functions COMMITTED_ITEM_WRITES lists for it (none, for deletes), and an UpdateItem naming
 * an attribute outside UPDATABLE_ATTRIBUTES to everyone. Lifting them takes
 * dynamodb:PutResourcePolicy, which CloudTrail records and the key-and-table alarm reports.
 */
export function committedItemGuards(): CommittedItemGuard[] {
  const partitions = Object.keys(COMMITTED_PARTITIONS) as CommittedPartition[];
  const names = Object.keys(COMMITTED_ITEM_WRITES) as FunctionName[];
  const groups = new Map<
    string,
    { actions: ItemWriteAction[]; partitions: string[]; exceptWriters: FunctionName[] }
  >();
  for (const action of ITEM_WRITE_ACTIONS) {
    for (const p of partitions) {
      const writers = names.filter((n) => COMMITTED_ITEM_WRITES[n][p].includes(action));
      const key = `${action} ${writers.join(",")}`;
      const group = groups.get(key) ?? { actions: [action], partitions: [], exceptWriters: writers };
      group.partitions.push(COMMITTED_PARTITIONS[p]);
      groups.set(key, group);
    }
  }
  // Actions with the same partitions and the same writers share a statement.
  const merged = new Map<
    string,
    { actions: ItemWriteAction[]; partitions: string[]; exceptWriters: FunctionName[] }
  >();
  for (const g of groups.values()) {
    const key = `${g.partitions.join(" ")} ${g.exceptWriters.join(",")}`;
    const into = merged.get(key);
    if (into === undefined) merged.set(key, g);
    else into.actions.push(...g.actions);
  }
  const updated = partitions.filter((p) => names.some((n) => COMMITTED_ITEM_WRITES[n][p].includes(UPDATE)));
  return [...merged.values(), ...attributeLimits(updated).map((d) => ({ ...d, exceptWriters: [] }))];
}

/**
 * The tile bucket's grants (cdk/lib/log-tiles.ts), on its objects only: the sealer reads
 * the partial tiles back and writes tiles and the checkpoint
 * (functions/store/s3/tile-store.ts S3_TILE_STORE_ACTIONS; test/cdk/grants-drift.test.ts
 * holds the two together); members read. No delete, no retention or legal-hold change.
 */
export const TILE_ACTIONS = {
  publish: ["s3:GetObject", "s3:PutObject"],
  read: ["s3:GetObject"],
} as const;

// ---- alarms on changes to what the ledger's trust rests on -----------------------------

/**
 * KMS calls (CloudTrail eventName) that change who may use a key the ledger depends on, or
 * stop it from being used: a new key policy, a disabled key, a key scheduled for deletion.
 * And the three that change which key an alias names — the functions find every member's
 * key and the sealer's by alias, and signatures name their key by it, so moving an alias
 * (UpdateAlias, or DeleteAlias then CreateAlias) to another key is as grave as a new policy.
 */
export const KEY_CHANGE_EVENTS = [
  "PutKeyPolicy",
  "DisableKey",
  "ScheduleKeyDeletion",
  "UpdateAlias",
  "CreateAlias",
  "DeleteAlias",
] as const;

/**
 * DynamoDB calls that lift the guards on a table: its resource policy replaced or removed
 * (the committed-item guards, cdk/lib/ledger-table.ts), or its deletion protection turned off.
 */
export const TABLE_POLICY_EVENTS = ["PutResourcePolicy", "DeleteResourcePolicy"] as const;

/**
 * Key ARNs per EventBridge rule: a rule's event pattern is at most 4,096 characters, and a
 * key ARN is some 75; a consortium with more keys gets more rules.
 */
export const KEYS_PER_RULE = 20;

// ---- monitoring (the metrics themselves: lib/metrics.ts) ----------------------------

/** Periods CloudWatch Logs accepts for retention (RetentionDays, without "never expire"). */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/**
 * Seal periods in a row with a checkpoint short of the witness quorum before the WitnessLag
 * alarm fires (cdk/lib/monitoring.ts): one unanswered round is a witness restarting; five
 * is a witness, or the path to it, that is down.
 */
export const WITNESS_LAG_SEALS = 5;
