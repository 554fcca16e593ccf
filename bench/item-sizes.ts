import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { batchKeyFor, canonicalJson, type JsonValue } from "#chain";
import { batchItems } from "../functions/store/dynamodb/batches.js";
import { payloadItems } from "../functions/store/dynamodb/payloads.js";
import type { StoredBatch } from "../functions/store/ports.js";
import { makeBatch, makeKeys } from "../test/support/chain-fixture.js";
import type { BenchModule } from "./harness.js";

/**
 * The measured sizes of a batch's items, as DynamoDB counts them, for 1-, 10- and
 * 100-record batches of the demo's record types (docs/STORAGE.md cites them; the cost
 * model, `npm run cost`, measures every item a batch and its seal write through the API
 * instead: scripts/cost/measure.ts). The batches are really signed, their
 * items built by the store's own code (functions/store/dynamodb/batches.ts, payloads.ts),
 * and the key id is a KMS alias as on AWS. `npm run bench -- item-sizes` prints them;
 * measureItemSizes() returns them.
 *
 * DynamoDB's size rules (Developer Guide, "Item sizes and formats"): an item is the sum
 * of its attribute names' UTF-8 lengths and its values' sizes — a string its UTF-8
 * length, a binary its byte length, a number about 1 byte per 2 significant digits plus
 * 1. Writes are charged per started 1 KB of the item, an UpdateItem on the larger of the
 * item before and after; strongly consistent reads per started 4 KB.
 */

export interface BatchItemSizes {
  type: string;
  records: number;
  /** The head as commitBatch writes it (pending: with gsi1pk, gsi1sk). */
  headBytes: number;
  /** The head after markBatchSealed: sealedHeight and sealedOffset set, the index attributes gone. */
  sealedHeadBytes: number;
  /** The body: the envelopes, written once. */
  bodyBytes: number;
  /** One batch item holding head and envelopes, as the store wrote batches before bodies. */
  singleItemBytes: number;
  /** The mean payload item of its records. */
  payloadBytes: number;
}

/** The demo's record types, with data shaped like the demo's (examples/, docs/walkthroughs). */
const RECORD_TYPES: Array<{ type: string; data: (i: number) => JsonValue }> = [
  {
    type: "housing-fund.deposit-certificate",
    data: (i) => ({
      idCard: `46010019900101${String(1000 + i).slice(-4)}`,
      amount: 1200 + i,
      month: "2026-01",
    }),
  },
  {
    type: "audit.db-operation",
    data: (i) => ({
      operator: `op-${i % 97}`,
      database: "hf_core",
      table: "deposit_account",
      operation: i % 5 === 0 ? "update" : "read",
      rowKey: `acct-${i}`,
      at: "2026-01-15T08:30:00.123Z",
      reason: "counter service: deposit certificate lookup",
    }),
  },
];

export const BATCH_SIZES = [1, 10, 100] as const;

/** A KMS alias, as departments' key ids are on AWS (cdk/lib: alias/zhixin/<consortium>/<dept>). */
const KEY_ID = "alias/zhixin/demo/hf-haikou";

export function measureItemSizes(): BatchItemSizes[] {
  const fixture = makeKeys();
  const keys = { ...fixture, dept: { ...fixture.dept, keyId: KEY_ID } };
  const at = Date.parse("2026-01-15T08:30:00.123Z");
  const out: BatchItemSizes[] = [];
  for (const { type, data } of RECORD_TYPES) {
    for (const records of BATCH_SIZES) {
      const nonce = `sizes-${records}-${type}`.replace(/[^A-Za-z0-9-]/g, "-");
      const recs = Array.from({ length: records }, (_, i) => ({ type, data: data(i) }));
      const { envelopes, payloads } = makeBatch(keys, recs, nonce, at);
      const batch: StoredBatch = {
        key: batchKeyFor(KEY_ID, nonce),
        dept: keys.dept.id,
        keyId: KEY_ID,
        nonce,
        receivedAt: new Date(at).toISOString(),
        envelopes,
      };
      const { head, body } = batchItems(batch);
      const { gsi1pk: _p, gsi1sk: _s, ...unindexed } = head;
      const sealed = { ...unindexed, sealedHeight: { N: "123456" }, sealedOffset: { N: "9900" } };
      const { body: _b, ...headOnly } = head;
      const payloadSizes = payloadItems(
        envelopes.map((e, i) => ({
          entryId: e.id,
          batchKey: batch.key,
          dept: batch.dept,
          type,
          data: payloads[i] as string,
        })),
      ).map(dynamoDbItemBytes);
      out.push({
        type,
        records,
        headBytes: dynamoDbItemBytes(head),
        sealedHeadBytes: dynamoDbItemBytes(sealed),
        bodyBytes: dynamoDbItemBytes(body),
        // The one item of before: the head with the envelopes' text inline, uncompressed.
        singleItemBytes: dynamoDbItemBytes({ ...headOnly, envelopes: { S: canonicalJson(batch.envelopes) } }),
        payloadBytes: Math.round(payloadSizes.reduce((a, b) => a + b, 0) / payloadSizes.length),
      });
    }
  }
  return out;
}

/**
 * An item's size by DynamoDB's rules (above): what writes and reads are billed by, where
 * the store's itemSizeBytes is an upper bound kept for the 400 KB limit. A boolean or null
 * is 1 byte, a list or map 3 plus each element and 1 (a block's `finished` is a boolean).
 * The one definition: the cost script sizes what it measures with it (scripts/cost/measure.ts).
 */
export function dynamoDbItemBytes(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item))
    size += Buffer.byteLength(name, "utf8") + valueBytes(value);
  return size;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, "utf8");
  if (value.B !== undefined) return value.B.length;
  if (value.N !== undefined) {
    const digits = value.N.replace(/^[-+]?0*|\.|e.*$/gi, "").replace(/0+$/, "").length;
    return Math.ceil(Math.max(digits, 1) / 2) + 1;
  }
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((n, e) => n + 1 + valueBytes(e), 0);
  if (value.M !== undefined)
    return (
      3 +
      Object.entries(value.M).reduce((n, [k, e]) => n + 1 + Buffer.byteLength(k, "utf8") + valueBytes(e), 0)
    );
  throw new TypeError(`cannot size attribute value ${Object.keys(value).join()}`);
}

export const bench: BenchModule = {
  name: "item-sizes",
  description: "the measured DynamoDB sizes of a batch's head, body and payloads, for the cost model",
  run() {
    const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`.padStart(10);
    console.log(
      `  ${"record type".padEnd(34)} ${"records".padStart(7)} ${"head".padStart(10)} ${"sealed".padStart(10)} ${"body".padStart(10)} ${"one item".padStart(10)} ${"payload".padStart(10)}`,
    );
    for (const s of measureItemSizes()) {
      console.log(
        `  ${s.type.padEnd(34)} ${String(s.records).padStart(7)} ${kb(s.headBytes)} ${kb(s.sealedHeadBytes)} ${kb(s.bodyBytes)} ${kb(s.singleItemBytes)} ${kb(s.payloadBytes)}`,
      );
    }
    console.log(
      "  head: as committed (pending); sealed: after markBatchSealed; one item: the format before bodies",
    );
  },
};
