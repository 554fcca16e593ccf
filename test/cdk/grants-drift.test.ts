import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import type { ApiDeps } from "../../functions/api/api.js";
import type { VerifyRequestDeps } from "../../functions/audit/verify-request.js";
import type { publishSealMetrics } from "../../functions/ledger/seal-run.js";
import type { SealerDeps } from "../../functions/ledger/sealer.js";
import { STORE_ACTIONS } from "../../functions/store/dynamodb-store.js";
import type { AuditSource } from "../../functions/store/ports.js";
import { LEDGER_TABLE } from "../../lib/store-layout.js";
import {
  asList,
  buildApp,
  type CfnTemplate,
  EXAMPLE_FILE,
  functionByService,
  identityStatements,
  refId,
  resourcesOf,
} from "./support.js";

// The table grants are written by hand (cdk/lib/defaults.ts TABLE_ACTIONS). A function
// that sends a DynamoDB action its role lacks (as DeleteItem once was, for uniqueness
// claims) fails with AccessDenied on AWS and nowhere else. So: each function is granted
// what the store methods its ports offer send, by the store families' own declarations
// (STORE_ACTIONS, held to what each method sends by test/unit/functions/store/dynamodb-actions.test.ts);
// and what it is granted beyond that is stated here, so that it cannot grow unseen.

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

// submit: the API (functions/api/api.ts) is handed all of LedgerStore, but never lists
// the pending batches: that is the sealer's queue, read through an index the API's role
// is not granted. Once ApiDeps asks for a narrower port, this list stops compiling.
const API_NEVER_CALLS = ["listPendingBatches"] as const satisfies readonly (keyof ApiDeps["store"])[];
const API_METHODS = (Object.keys(STORE_ACTIONS) as StoreMethod[]).filter(
  (m) =>
    !(AUDIT_SOURCE as readonly string[]).includes(m) && !(API_NEVER_CALLS as readonly string[]).includes(m),
);
sameMethods<Exclude<StoreMethod, (typeof AUDIT_SOURCE)[number]>, keyof ApiDeps["store"]>(true);

// seal-block: sealBlock's port, and the pending-age metric's.
const SEAL_METHODS = [
  "commitBatch",
  "getBatch",
  "getBatches",
  "getBatchHeads",
  "listPendingBatches",
  "markBatchSealed",
  "commitBlock",
  "getLatestBlock",
  "getBlock",
  "listBlocks",
  "markBlockFinished",
  "putBlockPages",
  "getBlockPages",
] as const;
sameMethods<
  (typeof SEAL_METHODS)[number],
  keyof SealerDeps["store"] | keyof Parameters<typeof publishSealMetrics>[0]["store"]
>(true);

// verify: runVerifyRequest's port.
const VERIFY_METHODS = [...AUDIT_SOURCE, "listPendingBatches", "getBatchHeads"] as const;
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
  t = Template.fromStack(buildApp(EXAMPLE_FILE, { bundle: false }).stack).toJSON() as CfnTemplate;
});

describe("each function's DynamoDB grants and what its store ports send", () => {
  it.each(Object.entries(FUNCTIONS))("%s is granted every action its ports send", (_name, f) => {
    expect(minus(sentBy(f.methods), grantedTo(t, f.service))).toEqual(f.missing);
  });

  it.each(Object.entries(FUNCTIONS))("%s is granted nothing more than stated", (_name, f) => {
    expect(minus(grantedTo(t, f.service), sentBy(f.methods))).toEqual(f.beyond);
  });
});
