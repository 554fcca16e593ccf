import { DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Item, type ItemKey, itemKeys } from "../../../functions/store/table.js";
import { bodyKeyOf, bodyTextOf, withBodyText } from "../../support/batch-bodies.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";

// Regressions for audit bugs the tamper suite found: corrupt items crashed the audit,
// the signature cache blamed untouched siblings, truncation went unseen, seal
// positions were not checked. Same fixture as tamper.test.ts (blocks: 1 a | 2 b(3) c | 3 d e | 4 f).

const CERT = "housing-fund.deposit-certificate";
let t: TestNode;
const ids: Record<string, string[]> = {};
beforeAll(async () => {
  // The verify handler logs a WARN line per failed audit (to stderr, past any console
  // spy); dozens are expected here.
  vi.stubEnv("LOG_LEVEL", "ERROR");
  t = await startTestNode();
  sanyaKeyId = await t.keyIdOf("hf-sanya");
  const submit = async (batch: string, as: string, type: string, n: number) => {
    const records = Array.from({ length: n }, (_, i) => ({
      type,
      data: { citizen: "460100199001011234", months: i, status: "active", batch, i },
    }));
    const res = await t.submit(as, records, { nonce: `known-bugs-batch-${batch}` });
    ids[batch] = res.body.entries.map((e: { id: string }) => e.id);
  };
  await submit("a", "hf-haikou", CERT, 2);
  await t.seal();
  await submit("b", "hf-sanya", CERT, 3);
  await submit("c", "hf-haikou", CERT, 1);
  await t.seal();
  await submit("d", "hf-sanya", CERT, 1);
  await t.seal();
  await submit("f", "hf-haikou", CERT, 2);
  await t.seal();
});
afterAll(async () => {
  await t?.stop();
  vi.unstubAllEnvs();
});
const get = async (key: ItemKey) =>
  (await t.client.send(new GetItemCommand({ TableName: t.table, Key: key }))).Item as Item;
const put = (item: Item) => t.client.send(new PutItemCommand({ TableName: t.table, Item: item }));
const verify = async (payload: unknown) => {
  const res = await fetch(`${t.url}/local/verify`, { method: "POST", body: JSON.stringify(payload) });
  return { status: res.status, body: (await res.json()) as any };
};
async function withEdit(key: ItemKey, edit: (item: Item) => Item | undefined, check: () => Promise<void>) {
  const original = await get(key);
  const edited = edit(structuredClone(original));
  if (edited) await put(edited);
  else await t.client.send(new DeleteItemCommand({ TableName: t.table, Key: key }));
  try {
    await check();
  } finally {
    await put(original);
  }
}
let sanyaKeyId = "";
const B = () => itemKeys.batch(`${sanyaKeyId}#known-bugs-batch-b`);
const b = (i: number) => ids.b?.[i] as string;

describe("an item that no longer parses is reported, not a crash", () => {
  it("header.count edited (logSize left) → a report with HEADER_INVALID at 2, not HTTP 500", async () => {
    await withEdit(
      itemKeys.block(2),
      (item) => {
        const h = JSON.parse(item.header?.S as string);
        h.count += 1;
        return { ...item, header: { S: JSON.stringify(h) } };
      },
      async () => {
        const chain = await verify({});
        expect(chain.status).toBe(200);
        expect(chain.body.ok).toBe(false);
        expect(chain.body.findings).toContainEqual(
          expect.objectContaining({ code: "HEADER_INVALID", height: 2 }),
        );
        expect((await verify({ entry: b(1) })).status).toBe(200);
      },
    );
  });
  it("header.height edited → a report, not HTTP 500", async () => {
    await withEdit(
      itemKeys.block(2),
      (item) => {
        const h = JSON.parse(item.header?.S as string);
        h.height = 7;
        return { ...item, header: { S: JSON.stringify(h) } };
      },
      async () => {
        const chain = await verify({});
        expect(chain.status).toBe(200);
        expect(chain.body.ok).toBe(false);
      },
    );
  });
  it("a batch's envelopes text corrupted → ENVELOPE_INVALID/ENTRY_MISSING for its entries, not HTTP 500", async () => {
    await withEdit(
      await bodyKeyOf(t.client, t.table, B()),
      (item) => withBodyText(item, "not json"),
      async () => {
        const chain = await verify({});
        expect(chain.status).toBe(200);
        expect(chain.body.ok).toBe(false);
        expect(chain.body.findings.map((f: any) => f.entryId)).toEqual(
          expect.arrayContaining([b(0), b(1), b(2)]),
        );
      },
    );
  });
  it("a page's leaves cut to 40 bytes → ENTRY_COUNT_MISMATCH/BLOCK_ROOT_MISMATCH at 2, not HTTP 500", async () => {
    const hash = (await get(itemKeys.block(2))).hash?.S as string;
    await withEdit(
      itemKeys.page(hash, 0),
      (item) => ({ ...item, leaves: { B: (item.leaves?.B ?? new Uint8Array(0)).slice(0, 40) } }),
      async () => {
        const chain = await verify({});
        expect(chain.status).toBe(200);
        expect(chain.body.ok).toBe(false);
      },
    );
  });
});

describe("the signature memo keys on every input (dept, alg)", () => {
  for (const [field, value] of [
    ["dept", "hf-haikou"],
    ["alg", "ecdsa-p256-sha256"],
  ] as const) {
    it(`${field} edited on entry 0 of a batch → findings name entry 0 only, not its untouched siblings`, async () => {
      await withEdit(
        await bodyKeyOf(t.client, t.table, B()),
        (item) => {
          const envelopes = JSON.parse(bodyTextOf(item));
          envelopes[0][field] = value;
          return withBodyText(item, JSON.stringify(envelopes));
        },
        async () => {
          const chain = await verify({});
          expect(chain.body.ok).toBe(false);
          // The siblings' own entry checks are clean...
          expect((await verify({ entry: b(2) })).body).toMatchObject({ ok: true, findings: [] });
          // ...so the chain audit must not accuse them.
          const accused = chain.body.findings.filter((f: any) => f.entryId !== b(0));
          expect(accused).toEqual([]);
        },
      );
    });
  }
});

describe("removing the newest block: shown against a checkpoint the auditor kept", () => {
  it("block 4 deleted → LOG_TRUNCATED given the checkpoint read before, and by the published checkpoint", async () => {
    const kept = (await t.send({ method: "GET", path: "/v1/checkpoint", as: "auditor" })).text;
    expect((await verify({ trustedCheckpoint: kept })).body).toMatchObject({ ok: true, findings: [] });
    await withEdit(
      itemKeys.block(4),
      () => undefined,
      async () => {
        // The chain on its own cannot show it; the checkpoint published with the tiles does.
        const published = await verify({});
        expect(published.body.findings.map((f: any) => f.message)).toEqual([
          expect.stringContaining("the published checkpoint"),
        ]);
        const chain = await verify({ trustedCheckpoint: kept });
        expect(chain.body.ok).toBe(false);
        expect(chain.body.findings.map((f: any) => f.code)).toEqual(["LOG_TRUNCATED", "LOG_TRUNCATED"]);
      },
    );
  });

  it("a checkpoint not signed by the sealer is refused as INVALID_PARAMETER", async () => {
    const kept = (await t.send({ method: "GET", path: "/v1/checkpoint", as: "auditor" })).text;
    const forged = kept.replace(/\n(\d+)\n/, (_, n) => `\n${Number(n) + 1}\n`);
    const res = await verify({ trustedCheckpoint: forged });
    expect(res.body).toMatchObject({ ok: false, error: { code: "INVALID_PARAMETER" } });
  });
});

describe("a deleted payload", () => {
  it("the chain audit names PAYLOAD_MISSING; so does the entry check, which finds the entry through its block", async () => {
    await withEdit(
      itemKeys.payload(b(1)),
      () => undefined,
      async () => {
        const chain = await verify({});
        expect(chain.body.findings).toEqual([
          expect.objectContaining({ code: "PAYLOAD_MISSING", entryId: b(1), height: 2 }),
        ]);
        const entry = await verify({ entry: b(1) });
        expect(entry.body).toMatchObject({ ok: false, status: "sealed", height: 2 });
        expect(entry.body.findings).toEqual([
          expect.objectContaining({ code: "PAYLOAD_MISSING", entryId: b(1), height: 2 }),
        ]);
      },
    );
  });
});

describe("batch seal positions are checked", () => {
  it("batch b's sealedHeight moved to 3 → BATCH_SEAL_MISMATCH at 2 (chain) and for its entries", async () => {
    await withEdit(
      B(),
      (item) => ({ ...item, sealedHeight: { N: "3" } }),
      async () => {
        const chain = await verify({});
        expect(chain.body.findings).toEqual([
          expect.objectContaining({ code: "BATCH_SEAL_MISMATCH", height: 2, found: "3/0" }),
        ]);
        const entry = await verify({ entry: b(1) });
        expect(entry.body.ok).toBe(false);
      },
    );
  });
});

describe("a page whose arrays do not match its leaves", () => {
  // Block 2 holds b(0..2) and c(0): one page of 4 leaves.
  it.each([
    ["ids one short", "ids"],
    ["batches one short", "batches"],
  ] as const)(
    "%s → PAGE_INVALID at 2, and each leaf is still found by its batch or envelope",
    async (_, name) => {
      const hash = (await get(itemKeys.block(2))).hash?.S as string;
      await withEdit(
        itemKeys.page(hash, 0),
        (item) => ({
          ...item,
          [name]: { S: JSON.stringify(JSON.parse(item[name]?.S as string).slice(0, 3)) },
        }),
        async () => {
          const chain = await verify({});
          const expected =
            name === "ids"
              ? [expect.objectContaining({ code: "PAGE_INVALID", height: 2 })]
              : // The page is the only index from a leaf to its batch: without a batch key, no envelope.
                [
                  expect.objectContaining({ code: "PAGE_INVALID", height: 2 }),
                  ...[b(0), b(1), b(2), ids.c?.[0]].map((entryId) =>
                    expect.objectContaining({ code: "ENTRY_MISSING", height: 2, entryId }),
                  ),
                ];
          expect(chain.body.findings).toEqual(expected);
        },
      );
    },
  );
});
