import { generateKeyPairSync } from "node:crypto";
import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { batchKeyFor, canonicalJson, INTL } from "#chain";
import { sealBlock } from "../../../functions/ledger/sealer.js";
import { DynamoDbLedgerStore, itemSizeBytes } from "../../../functions/store/dynamodb-store.js";
import type { StoredBatch } from "../../../functions/store/ports.js";
import { scanAll } from "../../../functions/store/snapshot.js";
import { LocalSigner } from "../../../lib/crypto/local-signer.js";
import { bodyTextOf } from "../../support/batch-bodies.js";
import { makeBatch, makeKeys } from "../../support/chain-fixture.js";
import { freshTable, type LocalDynamo, startDynalite } from "../../support/dynalite.js";

// A batch's envelopes are written once (docs/STORAGE.md "Items"): the body item, put before
// the commit, is never written again — not by the commit, not by sealing — and the seal
// mark updates only the small head. DynamoDB charges an UpdateItem on the larger of the
// item's sizes before and after, so a mark on an item holding the envelopes would pay for
// them again. Shown at the SDK boundary, against dynalite, with the real sealer.

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.stop();
});

/** Every write command `client` sends from now on: its name and the keys of the items it names. */
function recordWrites(client: DynamoDBClient): Array<{ command: string; keys: string[] }> {
  const writes: Array<{ command: string; keys: string[] }> = [];
  type Key = Record<string, AttributeValue>;
  const keyOf = (k: Key | undefined) => `${k?.pk?.S} / ${k?.sk?.S}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "?";
      const input = args.input as {
        Key?: Key;
        Item?: Key;
        RequestItems?: Record<string, Array<{ PutRequest?: { Item: Key }; DeleteRequest?: { Key: Key } }>>;
      };
      if (/^(PutItem|UpdateItem|DeleteItem|BatchWriteItem)Command$/.test(command)) {
        const keys = [
          ...(input.Key ? [keyOf(input.Key)] : []),
          ...(input.Item ? [keyOf(input.Item)] : []),
          ...Object.values(input.RequestItems ?? {})
            .flat()
            .map((r) => keyOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key)),
        ];
        writes.push({ command: command.replace(/Command$/, ""), keys });
      }
      return next(args);
    },
    { step: "initialize", name: "record-writes" },
  );
  return writes;
}

it("a 100-record batch: the body is written once, before the head; sealing updates only the head, which stays under 8 KB", async () => {
  const table = await freshTable(dynamo.client);
  const store = new DynamoDbLedgerStore(dynamo.client, table);
  const keys = makeKeys();
  const at = Date.parse("2026-01-15T08:30:00.123Z");
  const nonce = "write-once-nonce-0001";
  const records = Array.from({ length: 100 }, (_, i) => ({
    type: "housing-fund.deposit-certificate",
    data: { n: i },
  }));
  const { envelopes } = makeBatch(keys, records, nonce, at);
  const batch: StoredBatch = {
    key: batchKeyFor(keys.dept.keyId, nonce),
    dept: keys.dept.id,
    keyId: keys.dept.keyId,
    nonce,
    receivedAt: new Date(at).toISOString(),
    envelopes,
  };
  const head = `B#${batch.key} / B`;

  const writes = recordWrites(dynamo.client);
  await store.putEntryItems({ batch });
  expect(await store.commitBatch(batch)).toBe("committed");
  // The body first (its own PutItem), then the head: two writes, one item each.
  expect(writes).toEqual([
    { command: "PutItem", keys: [expect.stringMatching(new RegExp(`^B#${batch.key} / E#[0-9a-f]{64}$`))] },
    { command: "PutItem", keys: [head] },
  ]);
  const body = writes[0]?.keys[0] as string;
  const bodyItem = (items: Awaited<ReturnType<typeof scanAll>>) =>
    items.find((i) => `${i.pk?.S} / ${i.sk?.S}` === body);
  const committed = bodyItem(await scanAll(dynamo.client, table));
  // The envelopes, ~140 KB of canonical JSON, kept gzip-compressed (docs/STORAGE.md).
  expect(bodyTextOf(committed ?? {})).toBe(canonicalJson(envelopes));
  expect(itemSizeBytes(committed ?? {})).toBeLessThan(canonicalJson(envelopes).length / 5);
  writes.length = 0;

  // The real sealer seals it: reads, pages, block, marks, finished.
  const sealer = new LocalSigner("sealer/key-1", generateKeyPairSync("ed25519").privateKey);
  const clock = { now: () => new Date(at + 1000) };
  expect(
    await sealBlock({ suite: INTL, store, signer: sealer, clock, log: "zhixin.test/write-once" }),
  ).toMatchObject({
    sealed: true,
    entries: 100,
  });
  // Marked again, as a sealer finishing a crashed run would: still only the head.
  await store.markBatchSealed(batch.key, 1, 0);

  // Nothing after the commit wrote the body...
  expect(writes.filter((w) => w.keys.includes(body))).toEqual([]);
  // ...whose bytes are unchanged,
  const after = await scanAll(dynamo.client, table);
  expect(bodyItem(after)).toEqual(committed);
  // and each seal mark was an UpdateItem of the head alone, a small item.
  const marks = writes.filter((w) => w.command === "UpdateItem" && w.keys.some((k) => k.startsWith("B#")));
  expect(marks).toEqual([
    { command: "UpdateItem", keys: [head] },
    { command: "UpdateItem", keys: [head] },
  ]);
  const sealedHead = after.find((i) => `${i.pk?.S} / ${i.sk?.S}` === head);
  expect(sealedHead?.sealedHeight).toEqual({ N: "1" });
  expect(sealedHead?.envelopes).toBeUndefined();
  expect(itemSizeBytes(sealedHead ?? {})).toBeLessThan(8 * 1024);
  expect(await store.getBatch(batch.key)).toEqual({ ...batch, sealed: { height: 1, offset: 0 } });
});
