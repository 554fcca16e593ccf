import { appendFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newNonce, ZhixinClient } from "../../../cli/client.js";
import { loadIdentity } from "../../../cli/identity.js";
import { Journal } from "../../../cli/ship/journal.js";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import { type CliConsortium, startCliConsortium } from "../../support/cli.js";
import {
  DB_OPERATION,
  generateOps,
  range,
  sealedRecordsOf,
  seqs,
  startShipper,
  waitUntil,
} from "../../support/ship.js";
import { TEST_SUITE, testSuite } from "../../support/test-suite.js";

// `zhixin ship` as a user runs it (node bin/zhixin.js) against a whole local consortium:
// receipts as JSON lines, stdin, a batch the API refuses and a line that is not a record
// (each named, nothing of it stored, the same command finishing the job once fixed), a
// resend the ledger had committed already (NONCE_REPLAYED recognised by the entry ids it
// derives), and a followed file stopped by SIGTERM. Each test counts its records on the
// ledger by their generator sequence numbers, in their own range.

const AS = "hf-haikou";
const SHIP = ["ship", "--as", AS, "--type", DB_OPERATION];
let cli: CliConsortium;

beforeAll(async () => {
  cli = await startCliConsortium("ship");
  // S5 runs under both suites (vitest.config.ts GM_SCENARIOS): the node and the CLI's file are of it.
  expect(cli.node.consortium.suite).toBe(TEST_SUITE);
  expect(loadConsortium(cli.consortiumFile).suite).toBe(TEST_SUITE);
});
afterAll(async () => {
  await cli?.stop();
});

const onLedger = async (from: number, count: number) =>
  seqs(
    await sealedRecordsOf({ url: cli.node.url, home: cli.home, suite: testSuite }, AS, DB_OPERATION),
  ).filter((s) => s >= from && s < from + count);
/** The receipt lines, in input order (they are printed as batches are acknowledged). */
const receiptsOf = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .sort((a, b) => a.from - b.from);

describe("zhixin ship", () => {
  it("ships a file in batches, one receipt line per batch, and a second run ships nothing again", async () => {
    const file = await cli.writeWork("ops.ndjson", await generateOps(0, 250));
    const run = await cli.zhixin([...SHIP, "--file", file]);
    expect(run.code).toBe(0);
    const receipts = receiptsOf(run.stdout);
    // 100, 100, 50 — unless a stalled machine let a batch reach its 200 ms first.
    expect(receipts.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...receipts.map((r) => r.records))).toBe(100);
    expect(receipts.reduce((n, r) => n + r.records, 0)).toBe(250);
    expect(receipts[0]).toMatchObject({ from: 0, nonce: expect.any(String), receivedAt: expect.any(String) });
    expect(receipts[0].entries[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      leafHash: expect.any(String),
    });
    expect(run.stderr).toContain(`250 records acknowledged in ${receipts.length} batches`);
    expect(run.stderr).toContain(
      `acknowledged up to byte ${Buffer.byteLength(await readFile(file, "utf8"))}`,
    );
    const again = await cli.zhixin([...SHIP, "--file", file]);
    expect(again).toMatchObject({ code: 0, stdout: "" });
    expect(again.stderr).toContain("0 records acknowledged");
    expect(await onLedger(0, 250)).toEqual(range(0, 250));
  });

  it("ships stdin, cut by --max-records", async () => {
    const run = await cli.zhixin([...SHIP, "--max-records", "30"], {}, await generateOps(1_000, 70));
    expect(run.code).toBe(0);
    const sizes = receiptsOf(run.stdout).map((r) => r.records);
    expect(Math.max(...sizes)).toBe(30);
    expect(sizes.reduce((n, r) => n + r, 0)).toBe(70);
    expect(await onLedger(1_000, 70)).toEqual(range(1_000, 70));
  });

  it("names a refused batch and its record; nothing of it is stored; fixed in place, the same command ships the rest", async () => {
    const good = (await generateOps(2_000, 40)).split("\n");
    const operation = /"operation":"[a-z]+"/.exec(good[25] as string)?.[0] as string;
    good[25] = (good[25] as string).replace(operation, '"operation":"drop"');
    const file = await cli.writeWork("refused.ndjson", good.join("\n"));
    const run = await cli.zhixin([...SHIP, "--file", file, "--max-records", "10", "--concurrency", "1"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "the batch of lines 21–30 was refused (nothing of it was stored); the record at fault is on line 26",
    );
    expect(run.stderr).toContain("zhixin: SCHEMA_VIOLATION");
    expect(run.stderr).toContain(`${file}.ship-offset keeps the place`);
    expect(await onLedger(2_000, 40)).toEqual(range(2_000, 20));

    await writeFile(file, good.join("\n").replace('"operation":"drop"', operation));
    const fixed = await cli.zhixin([...SHIP, "--file", file, "--max-records", "10"]);
    expect(fixed.code).toBe(0);
    expect(await onLedger(2_000, 40)).toEqual(range(2_000, 40));
  });

  it("stops at a line that is not a record, naming it, after shipping every line before it", async () => {
    const lines = (await generateOps(3_000, 12)).split("\n");
    lines.splice(7, 0, '{"department":"hf-haikou",');
    const file = await cli.writeWork("bad-line.ndjson", lines.join("\n"));
    const run = await cli.zhixin([...SHIP, "--file", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`zhixin: ${file} line 8: not JSON`);
    expect(run.stderr).toContain("Every line before it is sent");
    expect(await onLedger(3_000, 12)).toEqual(range(3_000, 7));
  });

  it("recognises a batch the ledger committed before a crash (NONCE_REPLAYED), and sends one it never got", async () => {
    const text = await generateOps(4_000, 20);
    const file = await cli.writeWork("replay.ndjson", text);
    const middle = Buffer.byteLength(text.split("\n").slice(0, 10).join("\n")) + 1;
    const identity = await loadIdentity(testSuite, cli.home, AS);
    const records = text
      .trim()
      .split("\n")
      .map((l) => ({ type: DB_OPERATION, data: JSON.parse(l) }));
    // What a shipper killed right after its first batch committed leaves: both journaled, none acked.
    const [committed, lost] = [newNonce(), newNonce()];
    const { journal } = Journal.open(`${file}.ship-offset`, { input: file, type: DB_OPERATION, as: AS });
    journal.begin({ nonce: committed, keyId: identity.signer.keyId, from: 0, to: middle, records: 10 });
    journal.begin({
      nonce: lost,
      keyId: identity.signer.keyId,
      from: middle,
      to: Buffer.byteLength(text),
      records: 10,
    });
    journal.close();
    const client = new ZhixinClient({ url: cli.node.url, ...identity });
    const first = await client.submit(records.slice(0, 10), { nonce: committed });

    const run = await cli.zhixin([...SHIP, "--file", file]);
    expect(run.code).toBe(0);
    const receipts = receiptsOf(run.stdout);
    expect(receipts).toHaveLength(2);
    expect(receipts.find((r) => r.nonce === committed)).toMatchObject({
      replayed: true,
      entries: first.entries.map((e) => ({ id: e.id })),
    });
    expect(receipts.find((r) => r.nonce === lost)?.replayed).toBeUndefined();
    expect(run.stderr).toContain("2 resent from the offset file, 1 found already on the ledger");
    expect(await onLedger(4_000, 20)).toEqual(range(4_000, 20));
  });

  it("follows a file as it grows, and on SIGTERM sends what it has read and exits 0", async () => {
    const file = join(cli.work, "follow.ndjson");
    await writeFile(file, await generateOps(5_000, 5));
    const shipper = startShipper([...SHIP.slice(1), "--file", file, "--follow", "--max-wait-ms", "50"], {
      url: cli.node.url,
      home: cli.home,
      consortium: cli.consortiumFile,
    });
    try {
      await waitUntil(() => shipper.receipts().length >= 1, "the first lines are acknowledged");
      await appendFile(file, await generateOps(5_005, 15));
      await waitUntil(
        () => shipper.receipts().reduce((n, r) => n + r.records, 0) === 20,
        "the appended lines are acknowledged",
      );
      shipper.child.kill("SIGTERM");
      expect(await shipper.exited).toBe(0);
      expect(shipper.stderr()).toContain("20 records acknowledged");
    } finally {
      await shipper.kill();
    }
    expect(await onLedger(5_000, 20)).toEqual(range(5_000, 20));
  });
});
