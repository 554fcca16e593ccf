import { gunzipSync, gzipSync } from "node:zlib";
import { type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { Item, ItemKey } from "../../functions/store/table.js";

/**
 * Batch bodies (B#<key> / E#<digest>, docs/STORAGE.md) that no head names: what a request
 * that lost its (keyId, nonce), or crashed before its commit, leaves behind. Readers never
 * reach them (a body is read through the head that names it), and the submit role may not
 * delete batch items, so they stay — the documented orphans of a refused replay.
 * Takes a table snapshot (scanAll) as the test supports type it.
 */
export function orphanBodies(snapshot: readonly unknown[]): Item[] {
  const items = snapshot as readonly Item[];
  const named = new Set(
    items.filter((i) => i.pk?.S?.startsWith("B#") && i.sk?.S === "B").map((i) => `${i.pk?.S} E#${i.body?.S}`),
  );
  return items.filter(
    (i) => i.pk?.S?.startsWith("B#") && i.sk?.S?.startsWith("E#") && !named.has(`${i.pk?.S} ${i.sk?.S}`),
  );
}

/** `items` without the orphan bodies: what a refusal must leave unchanged. */
export function withoutOrphanBodies(snapshot: readonly unknown[]): Item[] {
  const orphans = new Set(orphanBodies(snapshot));
  return (snapshot as readonly Item[]).filter((i) => !orphans.has(i));
}

/**
 * The key of the body a batch head names (its envelopes live there), for tests that
 * tamper with a batch's envelopes behind the store's back.
 */
export async function bodyKeyOf(client: DynamoDBClient, table: string, head: ItemKey): Promise<ItemKey> {
  const res = await client.send(new GetItemCommand({ TableName: table, Key: head, ConsistentRead: true }));
  const digest = res.Item?.body?.S;
  if (digest === undefined) throw new Error(`batch head ${head.pk.S} names no body`);
  return { pk: head.pk, sk: { S: `E#${digest}` } };
}

/** A body item's envelopes text, as the store reads it (gzip-compressed, or as written before). */
export function bodyTextOf(body: Item): string {
  const gz = body.envelopesGzip?.B;
  if (gz !== undefined) return gunzipSync(gz).toString("utf8");
  if (body.envelopes?.S !== undefined) return body.envelopes.S;
  throw new Error(`${body.pk?.S} ${body.sk?.S} holds no envelopes`);
}

/** `body` holding `text` instead, stored as the store stores it: for tests that tamper with envelopes. */
export function withBodyText(body: Item, text: string): Item {
  const { envelopes: _plain, ...rest } = body;
  return { ...rest, envelopesGzip: { B: gzipSync(Buffer.from(text, "utf8")) } };
}
