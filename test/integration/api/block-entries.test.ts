import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryLeafHash, INTL, sha256Bytes, toHex, utf8 } from "#chain";
import type { BlockEntriesView } from "../../../lib/protocol/block-entries.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";

// GET /v1/blocks/{height}/entries against npm start's node, its departments' first keys
// introduced as key records (the genesis): each leaf as the block's pages file it, with
// its envelope, and its payload only for whom GET /v1/entries/{id} gives it — key records'
// payloads for everyone; parts from ?start=; refusals change nothing.

let t: TestNode;
let height = 0;
const ids: string[] = [];

beforeAll(async () => {
  t = await startTestNode({ introduceKeys: true });
  const res = await t.submit("hf-haikou", [
    {
      type: "housing-fund.deposit-certificate",
      data: { citizen: "460100199001011234", months: 36, status: "active" },
    },
    {
      type: "housing-fund.deposit-certificate",
      data: { citizen: "460100199001015678", months: 12, status: "active" },
    },
  ]);
  expect(res.status, res.text).toBe(202);
  ids.push(...res.body.entries.map((e: { id: string }) => e.id));
  const sealed = await t.seal();
  height = sealed.height;
});
afterAll(async () => {
  await t?.stop();
});

const read = (as: string, query = "", h = height) =>
  t.send({ method: "GET", path: `/v1/blocks/${h}/entries`, query, as });

describe("GET /v1/blocks/{height}/entries", () => {
  it("gives every leaf with its envelope; the writer reads its payloads, which hash to their contentDigest", async () => {
    const res = await read("hf-haikou");
    expect(res.status, res.text).toBe(200);
    const view = res.body as BlockEntriesView;
    const block = await t.send({ method: "GET", path: `/v1/blocks/${height}`, as: "hf-haikou" });
    expect(view).toMatchObject({
      height,
      hash: block.body.hash,
      count: block.body.header.count,
      start: 0,
      next: null,
    });
    expect(view.entries).toHaveLength(block.body.header.count);
    for (const leaf of view.entries) {
      expect(leaf.envelope).not.toBeNull();
      expect(toHex(entryLeafHash(INTL, leaf.envelope as never))).toBe(leaf.leafHash);
      expect(leaf.envelope?.id).toBe(leaf.id);
      expect(leaf.payloadStatus).toBe("included");
      expect(toHex(sha256Bytes(utf8(leaf.payload as string)))).toBe(leaf.envelope?.contentDigest);
    }
    expect(view.entries.filter((l) => ids.includes(l.id))).toHaveLength(2);
  });

  it("withholds another department's record payload, not key records' (auditors and departments alike)", async () => {
    for (const as of ["hf-sanya", "auditor"]) {
      const view = (await read(as)).body as BlockEntriesView;
      for (const leaf of view.entries) {
        const keyRecord = leaf.envelope?.type.startsWith("zhixin.key.");
        expect([leaf.id, leaf.payloadStatus, leaf.payload === null], as).toEqual(
          keyRecord ? [leaf.id, "included", false] : [leaf.id, "withheld", true],
        );
      }
      expect(
        view.entries
          .filter((l) => l.payloadStatus === "withheld")
          .map((l) => l.id)
          .sort(),
      ).toEqual([...ids].sort());
    }
  });

  it("answers in parts from ?start=, each leaf once, in block order", async () => {
    const whole = ((await read("hf-haikou")).body as BlockEntriesView).entries;
    const tail = (await read("hf-haikou", `start=${whole.length - 1}`)).body as BlockEntriesView;
    expect(tail).toMatchObject({ start: whole.length - 1, next: null });
    expect(tail.entries).toEqual(whole.slice(-1));
  });

  it("refuses a start past the block and a height the log lacks, changing nothing", async () => {
    const before = await t.snapshot();
    const past = await read("hf-haikou", "start=1000");
    expect([past.status, past.body.error.code, past.body.error.details]).toEqual([
      400,
      "INVALID_PARAMETER",
      { parameter: "start" },
    ]);
    const missing = await read("hf-haikou", "", height + 1);
    expect([missing.status, missing.body.error.code]).toEqual([404, "NOT_FOUND"]);
    const unsigned = await t.send({ method: "GET", path: `/v1/blocks/${height}/entries`, unsigned: true });
    expect(unsigned.status).toBe(401);
    expect(await t.snapshot()).toEqual(before);
  });
});
