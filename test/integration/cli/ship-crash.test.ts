import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJournal } from "../../../cli/ship/journal.js";
import { type NodeProcess, restartNodeProcess, startNodeProcess } from "../../support/node-process.js";
import {
  DB_OPERATION,
  generateOps,
  range,
  type ShipperProcess,
  sealedRecordsOf,
  seqs,
  startShipper,
  waitUntil,
} from "../../support/ship.js";

// Issue 14's fault tests for `zhixin ship`: the local consortium as its own process (npm
// start), the shipper as another, and each SIGKILLed mid-stream — the shipper, then the
// API. Run again (the shipper) or left to retry (the API back on its home and port), the
// shipper finishes, and the ledger holds every record of the stream exactly once: the test
// seals, reads every sealed block back and counts the generator's sequence numbers.

const AS = "hf-haikou";
const STREAM = 1_000;
/**
 * Small batches, two in flight: a kill finds batches in flight, and the 200 batches of a
 * stream take long enough (at least a few hundred round trips) that a kill after the 5th
 * acknowledgement always lands mid-stream, however fast the machine.
 */
const SHIP = ["--as", AS, "--type", DB_OPERATION, "--max-records", "5", "--concurrency", "2"];

let home: string;
let work: string;
let node: NodeProcess;
const shippers: ShipperProcess[] = [];

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "zhixin-ship-crash-home-"));
  work = await mkdtemp(join(tmpdir(), "zhixin-ship-crash-work-"));
  node = await startNodeProcess({ home, sealInterval: "off" });
});

afterAll(async () => {
  for (const s of shippers) await s.kill();
  await node?.kill();
  await rm(home, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

function ship(args: string[]): ShipperProcess {
  const s = startShipper([...SHIP, ...args], { url: node.url, home });
  shippers.push(s);
  return s;
}

describe("zhixin ship survives kill -9", () => {
  it("of itself mid-stream: run again, it resends what was in flight and every record is on the ledger once", async () => {
    const file = join(work, "ops-a.ndjson");
    await writeFile(file, await generateOps(0, STREAM));
    const first = ship(["--file", file]);
    await waitUntil(() => first.receipts().length >= 5, "the first shipper has 5 batches acknowledged");
    await first.kill();
    const before = first.receipts().reduce((n, r) => n + r.records, 0);
    expect(before).toBeLessThan(STREAM);
    // What the kill left in the offset file: a place, and batches journaled but unacknowledged.
    const left = parseJournal(await readFile(`${file}.ship-offset`, "utf8"), "offset file");
    expect(left.offset).toBeGreaterThan(0);

    const second = ship(["--file", file]);
    expect(await second.exited).toBe(0);
    const after = second.receipts();
    expect(before + after.reduce((n, r) => n + r.records, 0)).toBe(STREAM);
    expect(second.stderr()).toContain(`${after.reduce((n, r) => n + r.records, 0)} records acknowledged`);
    // Every batch left open was sent again under its own nonce.
    const resent = new Set(after.map((r) => r.nonce));
    for (const b of left.open) expect(resent.has(b.nonce), b.nonce).toBe(true);

    expect(seqs(await sealedRecordsOf({ url: node.url, home }, AS, DB_OPERATION))).toEqual(range(0, STREAM));
  });

  it("of the API mid-stream: the shipper retries until it is back, and every record is on the ledger once", async () => {
    const file = join(work, "ops-b.ndjson");
    await writeFile(file, await generateOps(STREAM, STREAM));
    const shipper = ship(["--file", file]);
    await waitUntil(() => shipper.receipts().length >= 5, "the shipper has 5 batches acknowledged");
    await node.kill();
    await waitUntil(() => shipper.stderr().includes("CONNECTION"), "the shipper says it is resending");
    node = await restartNodeProcess(node, "off");
    expect(await shipper.exited).toBe(0);
    expect(shipper.receipts().reduce((n, r) => n + r.records, 0)).toBe(STREAM);

    expect(seqs(await sealedRecordsOf({ url: node.url, home }, AS, DB_OPERATION))).toEqual(
      range(0, 2 * STREAM),
    );
  });
});
