import { createHash } from "node:crypto";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Item, type ItemKey, itemKeys } from "../../functions/store/table.js";
import { bodyKeyOf, bodyTextOf, withBodyText } from "../support/batch-bodies.js";
import { type ConsoleFixture, pageErrors, startConsole } from "../support/browser.js";

// An entry's proof in Chromium (console/src/views/entry.tsx, proof-steps.ts): recomputed in
// the page, every step holds for an untouched entry against the trust root the user loads;
// an entry edited in the store behind the ledger's back — as an insider with table access
// would, keeping the store's own consistency checks happy — turns red at the node the
// edit breaks, and nothing above it is claimed.

const CERT = "housing-fund.deposit-certificate";
const NONCE = "console-entry-proof-batch";
const records = [0, 1, 2].map((i) => ({
  type: CERT,
  data: { citizen: `46010019900101${2000 + i}`, months: 24 + i, status: "active" },
}));

let fx: ConsoleFixture;
let ids: string[];
let batchHead: ItemKey;
beforeAll(async () => {
  fx = await startConsole();
  const res = await fx.node.submit("hf-haikou", records, { nonce: NONCE });
  expect(res.status).toBe(202);
  ids = res.body.entries.map((e: { id: string }) => e.id);
  // Another department's batch in the same block, so the path has nodes on both sides.
  expect((await fx.node.submit("hf-sanya", [records[0] as (typeof records)[0]])).status).toBe(202);
  expect(await fx.node.seal()).toMatchObject({ sealed: true });
  batchHead = itemKeys.batch(`${await fx.node.keyIdOf("hf-haikou")}#${NONCE}`);
});
afterAll(async () => {
  await fx?.stop();
});

async function getItem(key: ItemKey): Promise<Item> {
  const res = await fx.node.client.send(
    new GetItemCommand({ TableName: fx.node.table, Key: key, ConsistentRead: true }),
  );
  if (!res.Item) throw new Error(`no item ${key.pk.S} ${key.sk.S}`);
  return res.Item as Item;
}
async function putItem(item: Item): Promise<void> {
  await fx.node.client.send(new PutItemCommand({ TableName: fx.node.table, Item: item }));
}

async function openWithTrustRoot(id: string): Promise<Page> {
  // As the writer, so that the payload is sent and its digest checked too.
  const page = await fx.open({ as: "hf-haikou", lang: "en", hash: `#/entries/${id}` });
  await page.locator("[data-testid=trust-root-file]").setInputFiles({
    name: "trust-root.json",
    mimeType: "application/json",
    buffer: Buffer.from(await fx.trustRoot()),
  });
  // Held: the header offers to forget it.
  await expect.poll(() => page.locator("[data-testid=trust-root] button").count()).toBe(1);
  return page;
}

/** [kind, state] of every drawn step, once the proof has been computed with the trust root's answers. */
async function steps(page: Page): Promise<string[][]> {
  await expect
    .poll(() =>
      page.locator("[data-testid=proof-step][data-kind=block-signature]").getAttribute("data-state"),
    )
    .not.toBe("not-checked");
  return page.locator("[data-testid=proof-step]").evaluateAll((els) =>
    els.map((e) => {
      const el = e as unknown as { getAttribute(n: string): string | null };
      return [el.getAttribute("data-kind") ?? "", el.getAttribute("data-state") ?? ""];
    }),
  );
}

describe("an entry's proof", () => {
  it("turns green at every step, from the payload to the witnessed checkpoint", async () => {
    const page = await openWithTrustRoot(ids[1] as string);
    const drawn = await steps(page);
    expect(drawn.map(([kind]) => kind)).toEqual(
      expect.arrayContaining(["payload", "leaf", "node", "block-root", "block-hash", "block-signature"]),
    );
    expect(drawn.at(-2)?.[0]).toBe("log-root");
    expect(drawn.at(-1)?.[0]).toBe("checkpoint");
    expect(drawn.filter(([, state]) => state !== "holds")).toEqual([]);
    expect(await page.locator("[data-testid=proof-summary]").getAttribute("data-state")).toBe("holds");
    expect(await page.locator("[data-testid=proof-summary]").textContent()).toMatch(/^✓ Every step holds/);
    expect(await page.locator("[data-testid=entry-status]").textContent()).toBe("sealed");
    expect(await page.locator("[data-testid=entry-writer]").textContent()).toBe("hf-haikou");
    await fx.screenshot(page, "entry-proof-verified");
    expect(pageErrors(page)).toEqual([]);
  });

  it("turns red at the leaf when its envelope was edited in the store, and reaches nothing above", async () => {
    // The insider rewrites the batch body and points the head at it, so the store reads
    // the edited envelope without complaint (its body digest matches).
    const head = await getItem(batchHead);
    const bodyKey = await bodyKeyOf(fx.node.client, fx.node.table, batchHead);
    const body = await getItem(bodyKey);
    const envelopes = JSON.parse(bodyTextOf(body)) as Array<{ receivedAt: string }>;
    const edited = envelopes[1] as { receivedAt: string };
    edited.receivedAt = edited.receivedAt.replace(/\.\d{3}Z$/, ".999Z");
    const text = JSON.stringify(envelopes);
    const digest = createHash("sha256").update(text, "utf8").digest("hex");
    await putItem({ ...withBodyText(body, text), sk: { S: `E#${digest}` } });
    await putItem({ ...head, body: { S: digest } });
    try {
      const page = await openWithTrustRoot(ids[1] as string);
      await expect
        .poll(() => page.locator("[data-testid=proof-summary]").getAttribute("data-first-break"))
        .toBe("leaf");
      const drawn = await steps(page);
      expect(drawn[0]).toEqual(["payload", "holds"]);
      expect(drawn[1]).toEqual(["leaf", "breaks"]);
      expect(drawn.slice(2).every(([, state]) => state === "not-reached")).toBe(true);
      expect(drawn.length).toBeGreaterThan(5);
      expect(await page.locator("[data-testid=proof-summary]").textContent()).toBe(
        "✗ The proof breaks at: Leaf. Nothing above it is proven.",
      );
      await fx.screenshot(page, "entry-proof-tampered");
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await putItem(head);
    }
  });

  it("turns red at the payload digest when the payload was edited in the store", async () => {
    const key = itemKeys.payload(ids[2] as string);
    const item = await getItem(key);
    const data = JSON.parse(item.data?.S ?? "{}") as { months: number };
    await putItem({ ...item, data: { S: JSON.stringify({ ...data, months: data.months + 100 }) } });
    try {
      const page = await openWithTrustRoot(ids[2] as string);
      await expect
        .poll(() => page.locator("[data-testid=proof-summary]").getAttribute("data-first-break"))
        .toBe("payload");
      expect(await page.locator("[data-testid=proof-step][data-kind=leaf]").getAttribute("data-state")).toBe(
        "not-reached",
      );
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await putItem(item);
    }
  });
});
