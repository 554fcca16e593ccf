import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { batchKeyOf, parseBlockHeader } from "#chain";
import { BATCH_STORE_ACTIONS, DynamoDbBatches } from "../../../../functions/store/dynamodb/batches.js";
import { BLOCK_STORE_ACTIONS, DynamoDbBlocks } from "../../../../functions/store/dynamodb/blocks.js";
import { CLAIM_STORE_ACTIONS, DynamoDbClaims } from "../../../../functions/store/dynamodb/claims.js";
import {
  COSIGN_STORE_ACTIONS,
  DynamoDbCosignMarks,
} from "../../../../functions/store/dynamodb/cosign-marks.js";
import { COUNTER_STORE_ACTIONS, DynamoDbCounters } from "../../../../functions/store/dynamodb/counters.js";
import {
  DynamoDbEntryItems,
  ENTRY_ITEM_STORE_ACTIONS,
} from "../../../../functions/store/dynamodb/entry-items.js";
import {
  DynamoDbIndexEntries,
  INDEX_STORE_ACTIONS,
} from "../../../../functions/store/dynamodb/index-entries.js";
import { DynamoDbPayloads, PAYLOAD_STORE_ACTIONS } from "../../../../functions/store/dynamodb/payloads.js";
import {
  type MethodActions,
  type StoreActions,
  TableClient,
} from "../../../../functions/store/dynamodb/table-client.js";
import type {
  BlockPage,
  CosignMark,
  IndexEntry,
  StoredBatch,
  StoredBlock,
  StoredPayload,
  UniqueClaim,
} from "../../../../functions/store/ports.js";
import { LEDGER_TABLE } from "../../../../lib/store-layout.js";
import { makeBatch, makeKeys, sealBlocks } from "../../../support/chain-fixture.js";

// Each store family declares what its methods send (StoreActions, beside its code), and
// the CDK grants are checked against those declarations (test/cdk/grants-drift.test.ts).
// Here every method runs on a real DynamoDBClient whose requests stop at the SDK's first
// middleware step, which records them and answers: once with every write accepted, once
// with every conditional write refused, so that the fallback reads a refusal makes are
// sent too. A method must send exactly the actions its family declares for it.

const TABLE = "ledger";
type Resource = "table" | "pendingIndex";
type Sent = Record<Resource, Set<string>>;

/** A client that records each request's action and resource and answers it without a network. */
function recordingClient(refuseConditionalWrites: boolean): { client: DynamoDBClient; sent: Sent } {
  const sent: Sent = { table: new Set(), pendingIndex: new Set() };
  const client = new DynamoDBClient({
    region: "local",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const input = args.input as { IndexName?: string; ConditionExpression?: string };
      const action = `dynamodb:${context.commandName?.replace(/Command$/, "")}`;
      if (input.IndexName !== undefined && input.IndexName !== LEDGER_TABLE.pendingIndex.indexName)
        throw new Error(`${action} on an unknown index ${input.IndexName}`);
      sent[input.IndexName === undefined ? "table" : "pendingIndex"].add(action);
      if (refuseConditionalWrites && input.ConditionExpression !== undefined)
        throw new ConditionalCheckFailedException({ message: "refused", $metadata: {} });
      // Nothing found, nothing left unprocessed.
      return { output: { $metadata: {} } as never, response: {} };
    },
    { step: "initialize", name: "record-and-answer" },
  );
  return { client, sent };
}

// ---- valid items for every write (the families check what they store) ---------------

const keys = makeKeys();
const signed = makeBatch(
  keys,
  [0, 1, 2].map((n) => ({ type: "housing-fund.deposit-certificate", data: { n } })),
  "nonce-0123456789abcdef",
  Date.parse("2026-01-15T08:30:00.123Z"),
);
const envelopes = signed.envelopes;
const [first] = envelopes;
if (first === undefined) throw new Error("no entry");
const batchKey = batchKeyOf(first);
const batch: StoredBatch = {
  key: batchKey,
  dept: first.dept,
  keyId: first.keyId,
  nonce: batchKey.slice(first.keyId.length + 1),
  receivedAt: first.receivedAt,
  envelopes,
};
const [evidence] = sealBlocks(keys, [envelopes.map((envelope) => ({ envelope, payload: "{}" }))]);
if (evidence?.logRange === undefined) throw new Error("no block");
const block: StoredBlock = {
  header: parseBlockHeader(evidence.header),
  hash: evidence.hash,
  signature: evidence.signature,
  checkpoint: "checkpoint",
  logRange: evidence.logRange,
  pageCount: 1,
};
const page: BlockPage = {
  page: 0,
  leafHashes: [...evidence.leafHashes],
  entryIds: envelopes.map((e) => e.id),
  batchKeys: envelopes.map(batchKeyOf),
};
const payload: StoredPayload = {
  entryId: first.id,
  batchKey,
  dept: first.dept,
  type: first.type,
  data: "{}",
};
const claim: UniqueClaim = { key: "a".repeat(64), batchKey, entryId: first.id, claimedAt: first.receivedAt };
const mark: CosignMark = {
  target: first.id,
  dept: "tax",
  entryId: first.id,
  batchKey,
  receivedAt: first.receivedAt,
};
const indexEntry: IndexEntry = {
  index: `S#${"b".repeat(64)}`,
  entryId: first.id,
  batchKey,
  receivedAt: first.receivedAt,
  position: 0,
  attrs: {},
};

// ---- one call of every method, per family -------------------------------------------

type Calls<F> = { [M in keyof F]: (family: F) => Promise<unknown> };

interface Family<F> {
  make: (table: TableClient) => F;
  declared: StoreActions<F>;
  calls: Calls<F>;
}
const family = <F>(f: Family<F>) => f as Family<unknown>;

const FAMILIES: Record<string, Family<unknown>> = {
  "payloads.ts": family<DynamoDbPayloads>({
    make: (t) => new DynamoDbPayloads(t),
    declared: PAYLOAD_STORE_ACTIONS,
    calls: {
      deletePayloads: (f) => f.deletePayloads([payload.entryId]),
      getPayload: (f) => f.getPayload(payload.entryId),
      getPayloads: (f) => f.getPayloads([payload.entryId]),
      getRawPayloads: (f) => f.getRawPayloads([payload.entryId]),
    },
  }),
  "batches.ts": family<DynamoDbBatches>({
    make: (t) => new DynamoDbBatches(t),
    declared: BATCH_STORE_ACTIONS,
    calls: {
      commitBatch: (f) => f.commitBatch(batch),
      getBatch: (f) => f.getBatch(batchKey),
      getBatches: (f) => f.getBatches([batchKey]),
      getBatchHeads: (f) => f.getBatchHeads([batchKey]),
      listPendingBatches: (f) => f.listPendingBatches(10),
      markBatchSealed: (f) => f.markBatchSealed(batchKey, 1, 0),
      getRawBatches: (f) => f.getRawBatches([batchKey]),
    },
  }),
  "blocks.ts": family<DynamoDbBlocks>({
    make: (t) => new DynamoDbBlocks(t),
    declared: BLOCK_STORE_ACTIONS,
    calls: {
      commitBlock: (f) => f.commitBlock(block),
      getLatestBlock: (f) => f.getLatestBlock(),
      getBlock: (f) => f.getBlock(1),
      listBlocks: (f) => f.listBlocks(1, 2),
      markBlockFinished: (f) => f.markBlockFinished(1),
      putBlockPages: (f) => f.putBlockPages(block.hash, [page]),
      getBlockPages: (f) => f.getBlockPages(block.hash, 1),
      latestHeight: (f) => f.latestHeight(),
      listRawBlocks: (f) => f.listRawBlocks(1, 2),
      getRawPages: (f) => f.getRawPages(block.hash, 1),
    },
  }),
  "claims.ts": family<DynamoDbClaims>({
    make: (t) => new DynamoDbClaims(t),
    declared: CLAIM_STORE_ACTIONS,
    calls: {
      claimUnique: (f) => f.claimUnique(claim),
      takeOverClaim: (f) => f.takeOverClaim(claim, claim),
      releaseClaims: (f) => f.releaseClaims([claim]),
      getClaim: (f) => f.getClaim(claim.key),
    },
  }),
  "cosign-marks.ts": family<DynamoDbCosignMarks>({
    make: (t) => new DynamoDbCosignMarks(t),
    declared: COSIGN_STORE_ACTIONS,
    calls: {
      deleteCosignMarks: (f) => f.deleteCosignMarks([mark]),
      listCosignMarks: (f) => f.listCosignMarks(mark.target),
    },
  }),
  "index-entries.ts": family<DynamoDbIndexEntries>({
    make: (t) => new DynamoDbIndexEntries(t),
    declared: INDEX_STORE_ACTIONS,
    calls: {
      deleteIndexEntries: (f) => f.deleteIndexEntries([indexEntry]),
      listIndexEntries: (f) => f.listIndexEntries(indexEntry.index),
    },
  }),
  "entry-items.ts": family<DynamoDbEntryItems>({
    make: (t) => new DynamoDbEntryItems(t),
    declared: ENTRY_ITEM_STORE_ACTIONS,
    calls: {
      putEntryItems: (f) =>
        f.putEntryItems({ payloads: [payload], marks: [mark], index: [indexEntry], batch }),
    },
  }),
  "counters.ts": family<DynamoDbCounters>({
    make: (t) => new DynamoDbCounters(t),
    declared: COUNTER_STORE_ACTIONS,
    calls: { countRequest: (f) => f.countRequest("contract#x", "2026-01-15T08:30", 5, 0) },
  }),
};

/** What `call` sends, with writes accepted and with conditional writes refused. */
async function sends<F>(
  f: Family<F>,
  call: (family: F) => Promise<unknown>,
): Promise<Record<Resource, string[]>> {
  const all: Sent = { table: new Set(), pendingIndex: new Set() };
  for (const refuse of [false, true]) {
    const { client, sent } = recordingClient(refuse);
    // A refused write may end in an error (a double seal, a claim that keeps changing
    // hands): what it sent on the way is what counts here.
    await call(f.make(new TableClient(client, TABLE))).catch(() => undefined);
    for (const r of ["table", "pendingIndex"] as const) for (const a of sent[r]) all[r].add(a);
  }
  return { table: [...all.table].sort(), pendingIndex: [...all.pendingIndex].sort() };
}

describe.each(Object.entries(FAMILIES))("functions/store/dynamodb/%s", (_file, f) => {
  const methods = Object.keys(f.calls as object);

  it("declares the actions of every method it calls here, and of no other", () => {
    expect(Object.keys(f.declared as object).sort()).toEqual([...methods].sort());
  });

  it.each(methods)("%s sends exactly the actions declared for it", async (method) => {
    const call = (f.calls as Record<string, (family: unknown) => Promise<unknown>>)[method];
    const declared = (f.declared as Record<string, MethodActions>)[method];
    if (call === undefined || declared === undefined) throw new Error(`no ${method}`);
    expect(await sends(f, call)).toEqual({
      table: [...declared.table].sort(),
      pendingIndex: [...(declared.pendingIndex ?? [])].sort(),
    });
  });
});
