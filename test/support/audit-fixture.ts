import { DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { expect } from "vitest";
import type { AuditDeps } from "../../functions/audit/audit.js";
import { S3AuditStateStore } from "../../functions/audit/audit-state.js";
import type { VerifyRequestDeps } from "../../functions/audit/verify-request.js";
import { StaticKeyDirectory } from "../../functions/auth/key-directory.js";
import { DynamoDbLedgerStore } from "../../functions/store/dynamodb-store.js";
import { S3TileStore } from "../../functions/store/s3/tile-store.js";
import { type Item, type ItemKey, itemKeys } from "../../functions/store/table.js";
import { INTL } from "../../lib/chain/index.js";
import { keyGovernanceOf } from "../../lib/consortium/consortium.js";
import { trustFile } from "../../lib/local-home.js";
import { startTestNode, type TestNode } from "./local-node.js";
import { freshBucket } from "./s3.js";

/**
 * A local consortium (dynalite, s3rver) for the incremental and fanned-out audits
 * (functions/audit/incremental.ts, fan-out.ts): blocks of one certificate each, sealed on
 * demand, the audit's ports over them, and a fresh state bucket per call.
 */

const CERT = "housing-fund.deposit-certificate";

export interface AuditFixture {
  t: TestNode;
  deps: AuditDeps;
  /** runVerifyRequest's ports, with a fresh audit state bucket. */
  request(): Promise<VerifyRequestDeps & { auditState: S3AuditStateStore }>;
  /** Seals `n` blocks of one entry each (departments alternating); returns the latest height. */
  seal(n: number): Promise<number>;
  /** Edits (or, returning undefined, deletes) an item for the length of `check`, then puts it back. */
  withEdit(key: ItemKey, edit: (item: Item) => Item | undefined, check: () => Promise<void>): Promise<void>;
  blockKey(height: number): ItemKey;
}

export async function startAuditFixture(): Promise<AuditFixture> {
  const t = await startTestNode();
  const store = new DynamoDbLedgerStore(t.client, t.table);
  const consortium = t.node.consortium;
  const deps: AuditDeps = {
    source: store,
    keyRecords: store,
    keys: StaticKeyDirectory.fromFile(trustFile(t.node.home)),
    log: consortium.log,
    suite: INTL,
    members: [...consortium.departments, ...consortium.auditors].map((m) => m.id),
    keyGovernance: keyGovernanceOf(consortium),
    signatureThreads: 1,
  };
  let sent = 0;
  let height = 0;
  const get = async (key: ItemKey) =>
    (await t.client.send(new GetItemCommand({ TableName: t.table, Key: key, ConsistentRead: true })))
      .Item as Item;
  const put = (item: Item) => t.client.send(new PutItemCommand({ TableName: t.table, Item: item }));
  return {
    t,
    deps,
    async request() {
      const bucket = await freshBucket(t.node.s3.client, "audit");
      return {
        store,
        keys: deps.keys,
        suite: deps.suite,
        log: deps.log,
        members: deps.members as string[],
        ...(deps.keyGovernance ? { keyGovernance: deps.keyGovernance } : {}),
        tiles: new S3TileStore(t.node.s3.client, t.node.tilesBucket),
        auditState: new S3AuditStateStore(t.node.s3.client, bucket),
        now: () => new Date("2026-11-21T08:00:00.000Z"),
      };
    },
    async seal(n) {
      for (let i = 0; i < n; i++) {
        const k = sent++;
        const res = await t.submit(k % 2 ? "hf-sanya" : "hf-haikou", [
          { type: CERT, data: { citizen: "460100199001011234", months: k, status: "active" } },
        ]);
        expect(res.status).toBe(202);
        expect(await t.seal()).toMatchObject({ sealed: true, height: ++height });
      }
      return height;
    },
    async withEdit(key, edit, check) {
      const original = await get(key);
      const edited = edit(structuredClone(original));
      if (edited) await put(edited);
      else await t.client.send(new DeleteItemCommand({ TableName: t.table, Key: key }));
      try {
        await check();
      } finally {
        await put(original);
      }
    },
    blockKey: (h) => itemKeys.block(h),
  };
}
