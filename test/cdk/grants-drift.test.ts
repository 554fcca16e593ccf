import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import {
  COMMITTED_ITEM_WRITES,
  COMMITTED_PARTITIONS,
  type CommittedPartition,
  type FunctionName,
  ITEM_WRITE_ACTIONS,
  type ItemWriteAction,
  TILE_ACTIONS,
  UPDATABLE_ATTRIBUTES,
  WITNESS_GENESIS_CONDITION,
  WITNESS_GENESIS_KEY,
  WITNESS_KEY_ACTIONS,
  WITNESS_TABLE_ACTIONS,
  WITNESS_TABLE_KEY,
  witnessEnvironment,
} from "../../cdk/lib/defaults.js";
import type { ApiDeps } from "../../functions/api/api.js";
import type { VerifyRequestDeps } from "../../functions/audit/verify-request.js";
import {
  consortiumMembers,
  KMS_KEY_DIRECTORY_ACTIONS,
  kmsKeysOf,
  sealerSigningKmsKey,
} from "../../functions/auth/kms-key-directory.js";
import { KMS_SIGNING_ACTIONS } from "../../functions/auth/kms-signing-port.js";
import type { publishSealMetrics } from "../../functions/ledger/seal-run.js";
import type { SealerDeps } from "../../functions/ledger/sealer.js";
import { loadConsortium } from "../../functions/runtime/consortium-file.js";
import type { ApiRuntime, Runtime, SealerRuntime } from "../../functions/runtime/runtime.js";
import { buildWitnessRuntime } from "../../functions/runtime/witness.js";
import { KMS_SUBJECT_KEY_ACTIONS } from "../../functions/sharing/kms-subject-key.js";
import { DynamoDbLedgerStore, STORE_ACTIONS } from "../../functions/store/dynamodb-store.js";
import type { AuditSource } from "../../functions/store/ports.js";
import { S3_TILE_STORE_ACTIONS } from "../../functions/store/s3/tile-store.js";
import { CHAIN_PK, itemKeys } from "../../functions/store/table.js";
import {
  initializeWitnessTable,
  WITNESS_TABLE_KEY as STATE_TABLE_KEY,
  WITNESS_STATE_ACTIONS,
} from "../../functions/witness/state-store.js";
import { type Consortium, cosignatureAlgorithmOf, witnessName } from "../../lib/consortium/consortium.js";
import { LEDGER_TABLE } from "../../lib/store-layout.js";
import {
  actionCovers,
  asList,
  buildApp,
  type CfnTemplate,
  EXAMPLE_FILE,
  functionByService,
  grantsOf,
  identityStatements,
  jsonOf,
  keysByAlias,
  OWN_KEYS_FILE,
  ROTATION_FILE,
  refId,
  resourcesOf,
} from "./support.js";

// The table grants are written by hand (cdk/lib/defaults.ts TABLE_ACTIONS). A function
// that sends a DynamoDB action its role lacks (as DeleteItem once was, for uniqueness
// claims) fails with AccessDenied on AWS and nowhere else. So: each function is granted
// what the store methods its ports offer send, by the store families' own declarations
// (STORE_ACTIONS, held to what each method sends by test/unit/functions/store/dynamodb-actions.test.ts);
// and what it is granted beyond that is stated here, so that it cannot grow unseen.
// The same for KMS, below.

type StoreMethod = keyof typeof STORE_ACTIONS;
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compiles only when `true` is passed and A and B are the same type. */
const sameMethods = <A, B>(same: Equal<A, B>) => same;

const AUDIT_SOURCE = [
  "latestHeight",
  "listRawBlocks",
  "getRawPages",
  "getRawBatches",
  "getRawPayloads",
] as const;
sameMethods<(typeof AUDIT_SOURCE)[number], keyof AuditSource>(true);

// submit: the API's port (functions/api/api.ts ApiStore) is every store method but these:
// sealing's writes and its pending list (the sealer's queue, read through an index the
// API's role is not granted), and the reads no route makes.
const API_NEVER_CALLS = [
  "listPendingBatches",
  "markBatchSealed",
  "putBlockPages",
  "commitBlock",
  "markBlockFinished",
  "listBlocks",
  "getClaim",
] as const satisfies readonly StoreMethod[];
const API_METHODS = (Object.keys(STORE_ACTIONS) as StoreMethod[]).filter(
  (m) =>
    !(AUDIT_SOURCE as readonly string[]).includes(m) && !(API_NEVER_CALLS as readonly string[]).includes(m),
);
sameMethods<
  Exclude<StoreMethod, (typeof AUDIT_SOURCE)[number] | (typeof API_NEVER_CALLS)[number]>,
  keyof ApiDeps["store"]
>(true);

// seal-block: sealBlock's port (publishing the tiles among it), and the pending-age metric's.
const SEAL_METHODS = [
  "getBatches",
  "listPendingBatches",
  "markBatchSealed",
  "commitBlock",
  "getLatestBlock",
  "getBlock",
  "markBlockFinished",
  "putBlockPages",
  "getBlockPages",
] as const;
sameMethods<
  (typeof SEAL_METHODS)[number],
  keyof SealerDeps["store"] | keyof Parameters<typeof publishSealMetrics>[0]["store"]
>(true);

// verify: runVerifyRequest's port.
const VERIFY_METHODS = [...AUDIT_SOURCE, "listPendingBatches", "getBatchHeads", "listIndexEntries"] as const;
sameMethods<(typeof VERIFY_METHODS)[number], keyof VerifyRequestDeps["store"]>(true);

interface Actions {
  table: string[];
  pendingIndex: string[];
}
const NONE: Actions = { table: [], pendingIndex: [] };

const FUNCTIONS: Record<
  string,
  {
    service: string;
    methods: readonly StoreMethod[];
    /** Granted, not sent by any method of its ports. */
    beyond: Actions;
    /** Sent by a method of its ports, not granted: a function that fails on AWS. */
    missing: Actions;
  }
> = {
  submit: { service: "zhixin-submit", methods: API_METHODS, beyond: NONE, missing: NONE },
  seal: { service: "zhixin-seal", methods: SEAL_METHODS, beyond: NONE, missing: NONE },
  verify: {
    service: "zhixin-verify",
    methods: VERIFY_METHODS,
    // Every read of the audit is a Query or a BatchGetItem.
    beyond: { table: ["dynamodb:GetItem"], pendingIndex: [] },
    missing: NONE,
  },
};

/** The union of what `methods` send, per resource. */
function sentBy(methods: readonly StoreMethod[]): Actions {
  const table = new Set<string>();
  const pendingIndex = new Set<string>();
  for (const m of methods) {
    const declared: { table: readonly string[]; pendingIndex?: readonly string[] } = STORE_ACTIONS[m];
    for (const a of declared.table) table.add(a);
    for (const a of declared.pendingIndex ?? []) pendingIndex.add(a);
  }
  return { table: [...table].sort(), pendingIndex: [...pendingIndex].sort() };
}

/** The DynamoDB actions a function's role is granted, per resource. */
function grantedTo(t: CfnTemplate, service: string): Actions {
  const table = resourcesOf(t, "AWS::DynamoDB::Table")[0]?.[0];
  const index = `/index/${LEDGER_TABLE.pendingIndex.indexName}`;
  const role = functionByService(t, service).role;
  const out = { table: new Set<string>(), pendingIndex: new Set<string>() };
  for (const { roles, statement } of identityStatements(t)) {
    if (!roles.includes(role) || statement.Effect !== "Allow") continue;
    for (const action of asList(statement.Action).filter((a) => a.startsWith("dynamodb:"))) {
      for (const resource of asList(statement.Resource)) {
        // The seal trigger's stream reads are no store port's (test/cdk/stack.test.ts asserts them).
        if (JSON.stringify(resource).includes('"StreamArn"')) continue;
        if (action === "dynamodb:ListStreams" && resource === "*") continue;
        if (refId(resource) === table) out.table.add(action);
        else if (JSON.stringify(resource).includes(index)) out.pendingIndex.add(action);
        else throw new Error(`${service}: ${action} on ${JSON.stringify(resource)}`);
      }
    }
  }
  return { table: [...out.table].sort(), pendingIndex: [...out.pendingIndex].sort() };
}

const minus = (a: Actions, b: Actions): Actions => ({
  table: a.table.filter((x) => !b.table.includes(x)),
  pendingIndex: a.pendingIndex.filter((x) => !b.pendingIndex.includes(x)),
});

let t: CfnTemplate;
beforeAll(() => {
  // The grants do not depend on the bundles: skip esbuild.
  t = jsonOf(buildApp(EXAMPLE_FILE, { bundle: false }).stack);
});

describe("each function's DynamoDB grants and what its store ports send", () => {
  it.each(Object.entries(FUNCTIONS))("%s is granted every action its ports send", (_name, f) => {
    expect(minus(sentBy(f.methods), grantedTo(t, f.service))).toEqual(f.missing);
  });

  it.each(Object.entries(FUNCTIONS))("%s is granted nothing more than stated", (_name, f) => {
    expect(minus(grantedTo(t, f.service), sentBy(f.methods))).toEqual(f.beyond);
  });
});

// ---- KMS --------------------------------------------------------------------------------

// The KMS grants are written by hand too (cdk/lib/zhixin-stack.ts, signing-key.ts,
// subject-key.ts). Three modules send KMS commands, each declaring beside its code the
// actions it sends (held to them by test/unit/functions/kms-actions.test.ts). A function
// sends those of the parts its runtime builds (functions/runtime/runtime.ts), each part
// built from KMS when the function's environment says so, and called on the keys that
// environment names. So: each function's role is granted every declared action on every
// key its parts call, and what it is granted beyond that on signing and MAC keys is stated
// here. (The table key's grants, which DynamoDB uses on the function's behalf, are asserted
// with the table grants in test/cdk/stack.test.ts.)

/** The parts of a runtime that KMS may back; every other part is one of NO_KMS. */
type KmsPart = "keys" | "sealer" | "subjectKey";
const NO_KMS = ["store", "consortium", "clock", "sealLoopMs", "tiles", "witnessing", "witnesses"] as const;
sameMethods<KmsPart | (typeof NO_KMS)[number], keyof ApiRuntime | keyof SealerRuntime>(true);

// The runtime each handler gets (functions/<handler>/handler.ts): submit getApiRuntime,
// seal-block getSealerRuntime, verify getRuntime. Each builds every part of its type.
const SUBMIT_PARTS = ["keys", "sealer", "subjectKey"] as const;
sameMethods<(typeof SUBMIT_PARTS)[number], Exclude<keyof ApiRuntime, (typeof NO_KMS)[number]>>(true);
const SEAL_PARTS = ["sealer"] as const;
sameMethods<(typeof SEAL_PARTS)[number], Exclude<keyof SealerRuntime, (typeof NO_KMS)[number]>>(true);
const VERIFY_PARTS = ["keys", "sealer"] as const;
sameMethods<(typeof VERIFY_PARTS)[number], Exclude<keyof Runtime, (typeof NO_KMS)[number]>>(true);

type Env = Record<string, unknown>;

/**
 * Per part, as runtime.ts builds it: the actions its module declares, and the keys (an
 * alias, or the template's value of an ARN) it calls them on; none when the environment
 * builds the part from a file, or not at all.
 */
const kmsParts = (
  consortium: Consortium,
): Record<KmsPart, { actions: readonly string[]; keys: (env: Env) => unknown[] }> => ({
  // getKeys / getApiKeys: loadKmsKeyDirectory (verify) reads every version of every member's
  // key and the sealer's, KmsKeyDirectory (the API) those of any owner a request names: a
  // member's by its keyArns when the file names them (keys in its own account), else by alias.
  keys: {
    actions: KMS_KEY_DIRECTORY_ACTIONS,
    keys: (env) =>
      env.ZHIXIN_KEYS_SOURCE === "kms" ? consortiumMembers(consortium).map((m) => m.kmsKey) : [],
  },
  // getSealer: a KmsSigner through kmsSigningPort, on ZHIXIN_SEALER_KMS_KEY.
  sealer: {
    actions: Object.values(KMS_SIGNING_ACTIONS).flat(),
    keys: (env) =>
      env.ZHIXIN_SEALER_KEY_FILE === undefined && env.ZHIXIN_SEALER_KMS_KEY !== undefined
        ? [env.ZHIXIN_SEALER_KMS_KEY]
        : [],
  },
  // getSubjectKey: loadKmsSubjectKey, on ZHIXIN_SUBJECT_KMS_KEY.
  subjectKey: {
    actions: KMS_SUBJECT_KEY_ACTIONS,
    keys: (env) =>
      env.ZHIXIN_SUBJECT_KEY_FILE === undefined && env.ZHIXIN_SUBJECT_KMS_KEY !== undefined
        ? [env.ZHIXIN_SUBJECT_KMS_KEY]
        : [],
  },
});

/** KMS action → the keys it is on, by alias or key ARN (sorted; the table key left out). */
type KmsGrants = Record<string, string[]>;

const kmsFunctions = (
  consortium: Consortium,
): Record<
  string,
  {
    service: string;
    parts: readonly KmsPart[];
    /** Granted on a signing or MAC key, not sent there by any part of its runtime. */
    beyond: KmsGrants;
  }
> => ({
  submit: { service: "zhixin-submit", parts: SUBMIT_PARTS, beyond: {} },
  seal: {
    service: "zhixin-seal",
    parts: SEAL_PARTS,
    // grantPublicKeyRead gives the sealer's role the trust-bundle readers' pair on the key it
    // signs with, the newest (cdk/lib/zhixin-stack.ts); its runtime builds no trust bundle
    // (SealerRuntime), and its signer asks only for the public key.
    beyond: { "kms:DescribeKey": [sealerSigningKmsKey(consortium)] },
  },
  verify: { service: "zhixin-verify", parts: VERIFY_PARTS, beyond: {} },
});

/** A key's alias; a key ARN as it is (a member's key in its own account); a key without either: its logical id. */
function aliasOf(t: CfnTemplate): (key: unknown) => string {
  const byKey = new Map([...keysByAlias(t)].map(([alias, key]) => [key, alias]));
  return (key) => {
    if (typeof key === "string") return key;
    const id = refId(key);
    if (id === undefined) return JSON.stringify(key);
    return byKey.get(id) ?? id;
  };
}

const sorted = (grants: Map<string, Set<string>>): KmsGrants =>
  Object.fromEntries(
    [...grants]
      .filter(([, keys]) => keys.size > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([action, keys]) => [action, [...keys].sort()]),
  );

/** What the parts of a function's runtime send to KMS, per action, by alias or key ARN. */
function kmsSentBy(
  t: CfnTemplate,
  consortium: Consortium,
  service: string,
  parts: readonly KmsPart[],
): KmsGrants {
  const env = (functionByService(t, service).props.Environment as { Variables: Env }).Variables;
  const alias = aliasOf(t);
  const all = kmsParts(consortium);
  const out = new Map<string, Set<string>>();
  for (const part of parts) {
    const { actions, keys } = all[part];
    for (const action of actions) {
      const on = out.get(action) ?? new Set();
      for (const key of keys(env)) on.add(alias(key));
      out.set(action, on);
    }
  }
  return sorted(out);
}

/** The KMS actions a function's role is granted, per action, by alias or key ARN, without the table key's. */
function kmsGrantedTo(t: CfnTemplate, service: string): KmsGrants {
  const table = resourcesOf(t, "AWS::DynamoDB::Table")[0]?.[1];
  const tableKey = refId(
    (table?.Properties?.SSESpecification as { KMSMasterKeyId?: unknown } | undefined)?.KMSMasterKeyId,
  );
  if (tableKey === undefined) throw new Error("no table key");
  const alias = aliasOf(t);
  const out = new Map<string, Set<string>>();
  for (const [action, resources] of grantsOf(t, functionByService(t, service).role)) {
    if (!action.startsWith("kms:")) continue;
    const on = out.get(action) ?? new Set();
    for (const r of resources) if (refId(r) !== tableKey) on.add(alias(r));
    out.set(action, on);
  }
  return sorted(out);
}

/** What `a` holds that no entry of `b` covers (b's actions may be IAM patterns). */
function kmsMinus(a: KmsGrants, b: KmsGrants): KmsGrants {
  const out = new Map<string, Set<string>>();
  for (const [action, keys] of Object.entries(a)) {
    const covered = (key: string) =>
      Object.entries(b).some(([pattern, on]) => actionCovers(pattern, action) && on.includes(key));
    out.set(action, new Set(keys.filter((key) => !covered(key))));
  }
  return sorted(out);
}

// The demo file (every member's key created in the ledger account, read by alias) and the
// production layout's example (every member's key in its own account, read by its keyArn).
describe.each([
  ["the demo file", EXAMPLE_FILE],
  ["examples/consortium.own-keys.json", OWN_KEYS_FILE],
  ["examples/consortium.key-rotation.json", ROTATION_FILE],
])("each function's KMS grants and what its runtime's parts send: %s", (_file, file) => {
  const consortium = loadConsortium(file);
  const functions = Object.entries(kmsFunctions(consortium));
  let kt: CfnTemplate;
  beforeAll(() => {
    kt = file === EXAMPLE_FILE ? t : jsonOf(buildApp(file, { bundle: false }).stack);
  });

  it.each(functions)("%s calls KMS on AWS", (_name, f) => {
    // A function whose parts all came from files would make the checks below empty.
    expect(Object.keys(kmsSentBy(kt, consortium, f.service, f.parts))).not.toEqual([]);
  });

  it("the trust bundle reads each version of each member's key by the id the file gives it: its keyArns, else its aliases", () => {
    const sent = kmsSentBy(kt, consortium, "zhixin-verify", VERIFY_PARTS)["kms:GetPublicKey"];
    for (const m of [...consortium.departments, ...consortium.auditors])
      for (const key of kmsKeysOf(consortium, m)) expect(sent, m.id).toContain(key);
  });

  it.each(functions)(
    "%s is granted every action its parts send, on every key they send it to",
    (_name, f) => {
      expect(kmsMinus(kmsSentBy(kt, consortium, f.service, f.parts), kmsGrantedTo(kt, f.service))).toEqual(
        {},
      );
    },
  );

  it.each(functions)("%s is granted nothing more than stated", (_name, f) => {
    expect(kmsMinus(kmsGrantedTo(kt, f.service), kmsSentBy(kt, consortium, f.service, f.parts))).toEqual(
      f.beyond,
    );
  });
});

describe("the tile bucket's grants and what the S3 tile store sends", () => {
  // cdk/lib/defaults.ts TILE_ACTIONS is written by hand, as the table's grants are: the
  // sealer publishes (reads partial tiles back, writes), members read.
  it("grants the sealer exactly the store's reads and writes, and members exactly its reads", () => {
    expect([...TILE_ACTIONS.publish].sort()).toEqual(
      [...S3_TILE_STORE_ACTIONS.read, ...S3_TILE_STORE_ACTIONS.write].sort(),
    );
    expect([...TILE_ACTIONS.read]).toEqual([...S3_TILE_STORE_ACTIONS.read]);
  });

  it("every function whose environment names the bucket may read its objects, and only the sealer write", () => {
    const bucket = resourcesOf(t, "AWS::S3::Bucket").find(
      ([, r]) => r.Properties?.ObjectLockEnabled === true,
    )?.[0];
    const objects = JSON.stringify({ "Fn::Join": ["", [{ "Fn::GetAtt": [bucket, "Arn"] }, "/*"]] });
    for (const [name, f] of Object.entries(FUNCTIONS)) {
      const fn = functionByService(t, f.service);
      const env = (fn.props.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.ZHIXIN_TILES_BUCKET, name).toEqual({ Ref: bucket });
      // On the tile bucket; verify also keeps the audit's own state (test/cdk/audit.test.ts).
      const s3 = Object.fromEntries(
        [...grantsOf(t, fn.role)]
          .filter(([a]) => a.startsWith("s3:"))
          .map(
            ([a, r]) =>
              [a, r.map((x) => JSON.stringify(x)).filter((x) => x.includes(`"${bucket}"`))] as const,
          )
          .filter(([, r]) => r.length > 0),
      );
      const actions = name === "seal" ? [...TILE_ACTIONS.publish] : [...TILE_ACTIONS.read];
      expect(s3, name).toEqual(Object.fromEntries(actions.map((a) => [a, [objects]])));
    }
  });
});

// ---- committed items ----------------------------------------------------------------------

// cdk/lib/defaults.ts COMMITTED_ITEM_WRITES says which writes on blocks, pages and batches
// each function sends; everything else is denied to its role (test/cdk/committed-items.test.ts).
// A store method that writes them and is not listed here would fail with AccessDenied on AWS.

/** The store methods that write committed items, and the one action each sends on them. */
const COMMITTED_WRITERS = {
  commitBatch: { partition: "batch", action: "dynamodb:PutItem" },
  // A batch's body, the conditional create beside the request's other items (which OTHER_WRITERS lists it for).
  putEntryItems: { partition: "batch", action: "dynamodb:PutItem" },
  markBatchSealed: { partition: "batch", action: "dynamodb:UpdateItem" },
  commitBlock: { partition: "block", action: "dynamodb:PutItem" },
  markBlockFinished: { partition: "block", action: "dynamodb:UpdateItem" },
  putBlockPages: { partition: "page", action: "dynamodb:BatchWriteItem" },
} as const satisfies Partial<Record<StoreMethod, { partition: CommittedPartition; action: ItemWriteAction }>>;

/** The store methods that write other items: payloads, claims, cosign marks, index entries, counters. */
const OTHER_WRITERS = [
  "putEntryItems",
  "deletePayloads",
  "claimUnique",
  "takeOverClaim",
  "releaseClaims",
  "deleteCosignMarks",
  "deleteIndexEntries",
  "countRequest",
] as const satisfies readonly StoreMethod[];

const likePattern = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\?]/g, "\\$&").replace(/\*/g, ".*")}$`).test(value);
const committedKind = (pk: string): CommittedPartition | undefined =>
  (Object.keys(COMMITTED_PARTITIONS) as CommittedPartition[]).find((p) =>
    likePattern(COMMITTED_PARTITIONS[p], pk),
  );

/** A store on a client that records every command's input and answers {}. */
function recordingStore(): { store: DynamoDbLedgerStore; sent: Record<string, unknown>[] } {
  const sent: Record<string, unknown>[] = [];
  const client = {
    send: async (command: { input: Record<string, unknown> }) => {
      sent.push(command.input);
      return {};
    },
  } as unknown as DynamoDBClient;
  return { store: new DynamoDbLedgerStore(client, "ledger"), sent };
}

describe("committed items and what the store sends", () => {
  it("are the items the store keys CHAIN, G#<block hash> and B#<batch key>, and no others", () => {
    expect(COMMITTED_PARTITIONS.block).toBe(CHAIN_PK);
    expect(committedKind(itemKeys.block(7).pk.S)).toBe("block");
    expect(committedKind(itemKeys.page("ab".repeat(32), 0).pk.S)).toBe("page");
    expect(committedKind(itemKeys.batch("alias/zhixin/demo/hf-haikou#n1").pk.S)).toBe("batch");
    for (const key of [
      itemKeys.payload("e"),
      itemKeys.claim("u"),
      itemKeys.cosign("t", "hf-haikou"),
      itemKeys.index("S#subject", "2025-01-01T00:00:00.000Z", "e"),
      itemKeys.index("A#subject", "2025-01-01T00:00:00.000Z", "e"),
      itemKeys.index("C#contract", "2025-01-01T00:00:00.000Z", "e"),
      itemKeys.counter("c", "w"),
    ]) {
      expect(committedKind(key.pk.S), key.pk.S).toBeUndefined();
    }
  });

  it("every store method that writes is listed as writing committed items or others", () => {
    const writes = (Object.keys(STORE_ACTIONS) as StoreMethod[]).filter((m) =>
      STORE_ACTIONS[m].table.some((a) => (ITEM_WRITE_ACTIONS as readonly string[]).includes(a)),
    );
    expect(writes.sort()).toEqual([...new Set([...Object.keys(COMMITTED_WRITERS), ...OTHER_WRITERS])].sort());
    for (const [method, w] of Object.entries(COMMITTED_WRITERS))
      expect(STORE_ACTIONS[method as StoreMethod].table, method).toContain(w.action);
  });

  it.each(Object.entries(FUNCTIONS))(
    "%s may write committed items exactly as the store methods of its ports do",
    (name, f) => {
      const expected: Record<CommittedPartition, string[]> = { block: [], page: [], batch: [] };
      for (const [method, w] of Object.entries(COMMITTED_WRITERS))
        if ((f.methods as readonly string[]).includes(method)) expected[w.partition].push(w.action);
      const allowed = COMMITTED_ITEM_WRITES[name as FunctionName];
      for (const p of Object.keys(expected) as CommittedPartition[])
        expect([...allowed[p]].sort(), p).toEqual([...new Set(expected[p])].sort());
    },
  );

  it("the store's updates of blocks and batches name only UPDATABLE_ATTRIBUTES", async () => {
    const { store, sent } = recordingStore();
    await store.markBlockFinished(3);
    await store.markBatchSealed("alias/zhixin/demo/hf-haikou#n1", 3, 0);
    expect(sent).toHaveLength(2);
    for (const input of sent) {
      const key = input.Key as Record<string, { S: string }>;
      const kind = committedKind(key.pk?.S ?? "") as CommittedPartition;
      const named = [...Object.keys(key), ...Object.values(input.ExpressionAttributeNames as object)];
      expect(UPDATABLE_ATTRIBUTES[kind], kind).toEqual(expect.arrayContaining(named));
    }
  });

  it("the store deletes only uncommitted items", async () => {
    const { store, sent } = recordingStore();
    const at = "2025-01-01T00:00:00.000Z";
    await store.releaseClaims([{ key: "u", batchKey: "k#n", entryId: "e", claimedAt: at }]);
    await store.deleteCosignMarks([
      { target: "t", dept: "hf-haikou", entryId: "e", batchKey: "k#n", receivedAt: at },
    ]);
    await store.deletePayloads(["e"]);
    await store.deleteIndexEntries([
      { index: "S#subject", entryId: "e", batchKey: "k#n", receivedAt: at, position: 0, attrs: {} },
    ]);
    const keys = sent.flatMap((input) =>
      input.RequestItems === undefined
        ? [input.Key]
        : Object.values(input.RequestItems as Record<string, { DeleteRequest?: { Key: unknown } }[]>)
            .flat()
            .map((r) => r.DeleteRequest?.Key),
    ) as { pk: { S: string } }[];
    expect(keys).toHaveLength(4);
    for (const key of keys) expect(committedKind(key.pk.S), key.pk.S).toBeUndefined();
  });
});

// ---- a department's witness ----------------------------------------------------------------

// The member stack (cdk/lib/witness.ts) writes out what functions/witness/ and
// functions/runtime/witness.ts define, since cdk/ may import neither: held together here.
describe("the witness's grants, table, genesis item and environment", () => {
  it("its role may send its state store's actions on its table, and KmsSigner's on its key", () => {
    expect([...WITNESS_TABLE_ACTIONS].sort()).toEqual([...WITNESS_STATE_ACTIONS].sort());
    expect([...WITNESS_KEY_ACTIONS].sort()).toEqual(Object.values(KMS_SIGNING_ACTIONS).flat().sort());
  });

  it("its table has the state store's key", () => {
    expect(WITNESS_TABLE_KEY).toEqual(STATE_TABLE_KEY);
  });

  it("its genesis item is initializeWitnessTable's: the same key, put only where there is none", async () => {
    const sent: Record<string, unknown>[] = [];
    const client = {
      send: async (command: { input: Record<string, unknown> }) => {
        sent.push(command.input);
        return {};
      },
    } as unknown as DynamoDBClient;
    await initializeWitnessTable(client, "state", new Date(0));
    expect(sent).toHaveLength(1);
    const { Item, ConditionExpression } = sent[0] as {
      Item: Record<string, { S: string }>;
      ConditionExpression: string;
    };
    expect(Item[WITNESS_TABLE_KEY.name]).toEqual({ S: WITNESS_GENESIS_KEY });
    expect(ConditionExpression).toBe(WITNESS_GENESIS_CONDITION);
    // The stack cannot write createdAt (CloudFormation has no clock): it writes createdBy.
    expect(Object.keys(Item).sort()).toEqual(["createdAt", WITNESS_TABLE_KEY.name]);
  });

  it("its environment is what the witness runtime reads", async () => {
    const c = loadConsortium(EXAMPLE_FILE);
    const logVkey = "zhixin.example/demo+1197537b+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
    const env = witnessEnvironment({
      tableName: "state",
      name: witnessName(c.consortium, "hf-haikou"),
      kmsKeyArn: "arn:aws:kms:us-east-1:111111111111:key/witness",
      keyAlg: cosignatureAlgorithmOf(c),
      logVkeys: logVkey,
    });
    const runtime = await buildWitnessRuntime({ ...env, AWS_REGION: "us-east-1" });
    expect(runtime.key.name).toBe("zhixin-witness/demo/hf-haikou");
    expect(runtime.key.signer.alg).toBe("ed25519");
    expect(runtime.logs.map((l) => l.origin)).toEqual(["zhixin.example/demo"]);
    // Empty until the department fills LogVkeys in: a witness of no log.
    expect(
      (await buildWitnessRuntime({ ...env, ZHIXIN_WITNESS_LOG_VKEYS: "", AWS_REGION: "us-east-1" })).logs,
    ).toEqual([]);
  });
});
