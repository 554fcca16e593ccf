import { beforeAll, describe, expect, it } from "vitest";
import {
  actionCovers,
  asList,
  buildApp,
  type CfnTemplate,
  EXAMPLE_FILE,
  functionByService,
  identityStatements,
  jsonOf,
  refId,
  resourcesOf,
  type Statement,
} from "./support.js";

// What is committed — blocks (pk CHAIN), their pages (G#<block hash>) and batches
// (B#<keyId>#<nonce>) — no ledger role may delete or rewrite beyond what its own store ports
// send (cdk/lib/defaults.ts COMMITTED_ITEM_WRITES), and no other principal of the account
// may write at all (the table's resource policy). Proven here by evaluating every statement
// of the template that could allow or deny a write, as IAM would, for each write a role
// could send: the expected outcomes are written out below, not derived from the stack's code.

const WRITES = ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"] as const;
type Write = (typeof WRITES)[number];

/** One item of each committed kind, and items of kinds that are not committed. */
const COMMITTED = { block: "CHAIN", page: `G#${"ab".repeat(32)}`, batch: "B#alias/zhixin/demo/hf-haikou#n1" };
const UNCOMMITTED = ["E#entry", "U#claim", "M#target", "S#subject", "A#subject", "C#contract", "R#counter"];

/** The attributes of the two updates the sealer sends (markBlockFinished, markBatchSealed), and others. */
const FINISHED = ["pk", "sk", "finished"];
const SEALED = ["pk", "sk", "sealedHeight", "sealedOffset", "gsi1pk", "gsi1sk"];
const REWRITES = [
  ["pk", "header"],
  ["pk", "signature"],
  ["pk", "envelopes"],
  ["finished", "hash"],
];

interface WriteRequest {
  action: Write;
  keys: string[];
  /** dynamodb:Attributes of the request. */
  attributes: string[];
}

/** Who sends it: a role of the template (logical id), or any other principal of the account (an ARN). */
type Caller = { role: string } | { arn: string };

let t: CfnTemplate;
let table: string;
let roles: Record<"submit" | "seal" | "verify", string>;
beforeAll(() => {
  t = jsonOf(buildApp(EXAMPLE_FILE, { bundle: false }).stack);
  table = resourcesOf(t, "AWS::DynamoDB::Table")[0]?.[0] as string;
  roles = {
    submit: functionByService(t, "zhixin-submit").role,
    seal: functionByService(t, "zhixin-seal").role,
    verify: functionByService(t, "zhixin-verify").role,
  };
});

const like = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\?]/g, "\\$&").replace(/\*/g, ".*")}$`).test(value);

/** Does the statement's Condition hold for the request? Only the keys the stack uses are known. */
function conditionHolds(s: Statement, req: WriteRequest, caller: Caller): boolean {
  for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
    for (const [key, raw] of Object.entries(keys)) {
      const values = asList(raw as unknown);
      const holds = (() => {
        if (operator === "ForAnyValue:StringLike" && key === "dynamodb:LeadingKeys")
          return req.keys.some((k) => values.some((v) => like(v as string, k)));
        // A negated operator with several values: the request's value matches none of them.
        if (operator === "ForAnyValue:StringNotEquals" && key === "dynamodb:Attributes")
          return req.attributes.some((a) => !values.includes(a));
        if (operator === "ArnNotEquals" && key === "aws:PrincipalArn")
          return !("role" in caller && values.some((v) => refId(v) === caller.role));
        throw new Error(`unknown condition ${operator} ${key}`);
      })();
      if (!holds) return false;
    }
  }
  return true;
}

const onTable = (s: Statement) => asList(s.Resource).some((r) => refId(r) === table || r === "*");
const covers = (s: Statement, req: WriteRequest) =>
  asList(s.Action).some((a) => actionCovers(a, `dynamodb:${req.action}`));

/** The table's resource policy: Deny statements only (the account's IAM policies do the allowing). */
function resourcePolicy(): Statement[] {
  const doc = t.Resources[table]?.Properties?.ResourcePolicy as {
    PolicyDocument: { Statement: Statement[] };
  };
  return doc.PolicyDocument.Statement;
}

/** Denied by the resource policy, to this caller? */
function deniedByTable(req: WriteRequest, caller: Caller): boolean {
  return resourcePolicy().some(
    (s) =>
      s.Effect === "Deny" &&
      JSON.stringify(s.Principal) === '{"AWS":"*"}' &&
      covers(s, req) &&
      conditionHolds(s, req, caller),
  );
}

/** Allowed by the role's identity policies and denied by none of them, nor by the table's policy. */
function roleMay(role: string, req: WriteRequest, options: { tablePolicy?: boolean } = {}): boolean {
  const statements = identityStatements(t)
    .filter((x) => x.roles.includes(role))
    .map((x) => x.statement)
    .filter((s) => onTable(s) && covers(s, req));
  for (const s of statements.filter((s) => s.Effect === "Allow"))
    expect(s.Condition, "an Allow on the table is unconditional").toBeUndefined();
  const allowed = statements.some((s) => s.Effect === "Allow");
  const denied = statements.some((s) => s.Effect === "Deny" && conditionHolds(s, req, { role }));
  return allowed && !denied && !(options.tablePolicy !== false && deniedByTable(req, { role }));
}

/** The writes on committed items a caller may send, as "<Write> <kind>[ (<attributes>)]". */
function committedWrites(may: (req: WriteRequest) => boolean): string[] {
  const out: string[] = [];
  for (const action of WRITES) {
    for (const [kind, key] of Object.entries(COMMITTED)) {
      const attributeSets = action === "UpdateItem" ? [FINISHED, SEALED, ...REWRITES] : [["pk", "sk"]];
      for (const attributes of attributeSets) {
        if (!may({ action, keys: [key], attributes })) continue;
        out.push(
          action === "UpdateItem" ? `${action} ${kind} (${attributes.join(", ")})` : `${action} ${kind}`,
        );
      }
    }
  }
  return out.sort();
}

/** What each function's store ports write on committed items (functions/store/dynamodb/). */
const EXPECTED = {
  // commitBatch: the conditional create of a batch.
  submit: ["PutItem batch"],
  seal: [
    // putBlockPages
    "BatchWriteItem page",
    // commitBlock: the conditional create of a block.
    "PutItem block",
    // markBatchSealed and markBlockFinished: only these attributes.
    "UpdateItem batch (pk, sk, sealedHeight, sealedOffset, gsi1pk, gsi1sk)",
    "UpdateItem block (pk, sk, finished)",
  ],
  verify: [],
};

describe("the ledger's roles and committed items", () => {
  it("each function's role may write committed items exactly as its store ports do, by its own policies", () => {
    for (const [name, role] of Object.entries(roles)) {
      const may = (req: WriteRequest) => roleMay(role, req, { tablePolicy: false });
      expect(committedWrites(may), name).toEqual(EXPECTED[name as keyof typeof EXPECTED]);
    }
  });

  it("and the same with the table's resource policy in force", () => {
    for (const [name, role] of Object.entries(roles)) {
      expect(
        committedWrites((req) => roleMay(role, req)),
        name,
      ).toEqual(EXPECTED[name as keyof typeof EXPECTED]);
    }
  });

  it("no role may delete a block, page or batch, singly or in a batch with other items", () => {
    for (const [name, role] of Object.entries(roles)) {
      for (const key of Object.values(COMMITTED)) {
        expect(roleMay(role, { action: "DeleteItem", keys: [key], attributes: [] }), `${name} ${key}`).toBe(
          false,
        );
      }
      // A BatchWriteItem is denied when any one of its items is committed (ForAnyValue).
      for (const key of [COMMITTED.block, COMMITTED.batch]) {
        const mixed = { action: "BatchWriteItem" as const, keys: ["E#entry", key], attributes: [] };
        expect(roleMay(role, mixed), `${name} ${key}`).toBe(false);
      }
    }
  });

  it("leaves the writes on uncommitted items the functions send", () => {
    // submit: payloads, cosign marks and index entries (BatchWriteItem), claims (PutItem,
    // DeleteItem), rate counters (UpdateItem): undoing a replay deletes what it wrote.
    for (const key of UNCOMMITTED) {
      for (const action of WRITES) {
        expect(
          roleMay(roles.submit, { action, keys: [key], attributes: ["pk", "sk"] }),
          `${action} ${key}`,
        ).toBe(true);
      }
    }
  });

  it("the table's resource policy denies every committed write to any other principal of the account", () => {
    const admin = { arn: "arn:aws:iam::123456789012:role/Administrator" };
    expect(committedWrites((req) => !deniedByTable(req, admin))).toEqual([]);
    for (const key of UNCOMMITTED) {
      for (const action of WRITES)
        expect(deniedByTable({ action, keys: [key], attributes: ["pk"] }, admin)).toBe(false);
    }
  });

  it("only the submit and seal functions' roles may write to the ledger table at all", () => {
    const writers = new Set<string>();
    for (const { roles: attached, statement } of identityStatements(t)) {
      if (statement.Effect !== "Allow" || !onTable(statement)) continue;
      if (WRITES.some((w) => covers(statement, { action: w, keys: [], attributes: [] })))
        for (const r of attached) writers.add(r);
    }
    expect([...writers].sort()).toEqual([roles.submit, roles.seal].sort());
  });
});
