import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClientError, newNonce } from "../../../../cli/client.js";
import { DEFAULT_LIMITS } from "../../../../cli/ship/batcher.js";
import { BatchRefused } from "../../../../cli/ship/deliver.js";
import { Journal, parseJournal } from "../../../../cli/ship/journal.js";
import { BadLine, ShipFailed, type ShipperOptions, ship } from "../../../../cli/ship/shipper.js";
import { FakeLedger, opLine } from "./fake-ledger.js";

// The shipper's loop against an in-memory ledger: every line exactly once, whatever the
// journal left (open batches resent under their nonces, committed ones recognised,
// acknowledged ones skipped), from a file, a followed file or stdin; a bad line or a
// refusal stops it after sending what came before.

const TYPE = "audit.db-operation";
let dir: string;
let input: string;
let offsetFile: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "zhixin-shipper-"));
  input = join(dir, "ops.ndjson");
  offsetFile = join(dir, "ops.ndjson.ship-offset");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${opLine(from + i)}\n`).join("");
const serials = (ledger: FakeLedger) => ledger.records().map((r) => r.serial as number);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Byte offset of line n (0-based) of `lines(0, …)`. */
const at = (n: number) => Buffer.byteLength(lines(0, n));

function options(ledger: FakeLedger, extra: Partial<ShipperOptions> = {}, from = input): ShipperOptions {
  const header = { input: from, type: TYPE, as: "hf-haikou" };
  const { journal, state } = Journal.open(offsetFile, header);
  return {
    api: ledger,
    type: TYPE,
    keyId: ledger.keyId,
    input: { kind: "file", path: input },
    journal,
    recovered: state,
    limits: { ...DEFAULT_LIMITS, maxRecords: 10 },
    concurrency: 3,
    retry: { maxRetries: undefined, baseBackoffMs: 1, maxBackoffMs: 2 },
    nonce: newNonce,
    sleep: async () => {},
    ...extra,
  };
}

async function run(o: ShipperOptions) {
  try {
    return await ship(o);
  } finally {
    o.journal.close();
  }
}

describe("ship from a file", () => {
  it("sends every line once, in batches of at most maxRecords, and moves the offset to the end", async () => {
    const text = lines(0, 95);
    await writeFile(input, text);
    const ledger = new FakeLedger();
    const acked: number[] = [];
    const summary = await run(options(ledger, { events: { onAcked: (b) => acked.push(b.records) } }));
    expect(serials(ledger).sort((a, b) => a - b)).toEqual(range(95));
    expect(Math.max(...ledger.submits.map((s) => s.records))).toBe(10);
    expect(summary).toEqual({
      records: 95,
      batches: 10,
      resent: 0,
      replayed: 0,
      offset: Buffer.byteLength(text),
    });
    expect(acked.reduce((a, b) => a + b, 0)).toBe(95);
    expect(parseJournal(await readFile(offsetFile, "utf8"), offsetFile)).toMatchObject({
      offset: Buffer.byteLength(text),
      open: [],
      acked: [],
    });
    // Run again: nothing new, nothing sent.
    const again = await run(options(ledger));
    expect(again.records).toBe(0);
    expect(ledger.submits).toHaveLength(10);
  });

  it("after a crash: resends open batches under their nonces, recognises committed ones, skips acknowledged ones", async () => {
    await writeFile(input, lines(0, 40));
    const at = (n: number) => Buffer.byteLength(lines(0, n));
    const ledger = new FakeLedger();
    // What a shipper killed mid-stream left: lines 0–9 acknowledged (offset), 10–19 sent
    // and committed but not acknowledged, 20–29 journaled and never arrived, 30–39
    // acknowledged ahead of them; nothing after.
    const { journal } = Journal.open(offsetFile, { input, type: TYPE, as: "hf-haikou" });
    const batchOf = (from: number, to: number, nonce: string) => ({
      nonce,
      keyId: ledger.keyId,
      from: at(from),
      to: at(to),
      records: to - from,
    });
    const recordsOf = (from: number, to: number) =>
      range(to - from).map((i) => ({ type: TYPE, data: JSON.parse(opLine(from + i)) }));
    const [n0, n1, n2, n3] = ["a", "b", "c", "d"].map((c) => c.repeat(32)) as [
      string,
      string,
      string,
      string,
    ];
    for (const [from, to, nonce] of [
      [0, 10, n0],
      [10, 20, n1],
      [20, 30, n2],
      [30, 40, n3],
    ] as const) {
      journal.begin(batchOf(from, to, nonce));
    }
    for (const [from, to, nonce] of [
      [0, 10, n0],
      [10, 20, n1],
      [30, 40, n3],
    ] as const) {
      await ledger.submit(recordsOf(from, to), { nonce });
    }
    journal.acked(n0);
    journal.advance(at(10));
    journal.acked(n3);
    // (the crash: no close)
    await appendFile(input, lines(40, 45));

    const summary = await run(options(ledger));
    expect(serials(ledger).sort((a, b) => a - b)).toEqual(range(45));
    expect(summary).toMatchObject({ records: 25, resent: 2, replayed: 1, offset: at(45) });
    const resends = ledger.submits.slice(3);
    expect(resends.filter((s) => s.nonce === n1 || s.nonce === n2)).toHaveLength(2);
    expect(resends.some((s) => s.nonce === n0 || s.nonce === n3)).toBe(false);
    expect(ledger.batches.get(n2)?.records).toEqual(recordsOf(20, 30));
  });

  it("refuses to resend a batch whose lines were changed since", async () => {
    await writeFile(input, lines(0, 10));
    const ledger = new FakeLedger();
    const { journal } = Journal.open(offsetFile, { input, type: TYPE, as: "hf-haikou" });
    journal.begin({
      nonce: "e".repeat(32),
      keyId: ledger.keyId,
      from: 0,
      to: Buffer.byteLength(lines(0, 10)),
      records: 11,
    });
    await expect(run(options(ledger))).rejects.toThrow(/input was changed where it was already read/);
    expect(ledger.submits).toEqual([]);
  });

  it("sends a batch journaled under a key it no longer holds again, under a new nonce, only if the ledger lacks it", async () => {
    await writeFile(input, lines(0, 20));
    const at = (n: number) => Buffer.byteLength(lines(0, n));
    const old = new FakeLedger("hf-haikou/oldoldoldoldoldo");
    const { journal } = Journal.open(offsetFile, { input, type: TYPE, as: "hf-haikou" });
    journal.begin({ nonce: "k".repeat(32), keyId: old.keyId, from: 0, to: at(10), records: 10 });
    journal.begin({ nonce: "j".repeat(32), keyId: old.keyId, from: at(10), to: at(20), records: 10 });
    const first = range(10).map((i) => ({ type: TYPE, data: JSON.parse(opLine(i)) }));
    await old.submit(first, { nonce: "k".repeat(32) });
    // The same ledger, now answering for the new key.
    const ledger = Object.assign(old, { keyId: "hf-haikou/newnewnewnewnewn" });
    const summary = await run(options(ledger, { keyId: ledger.keyId }));
    expect(serials(ledger).sort((a, b) => a - b)).toEqual(range(20));
    expect(summary).toMatchObject({ records: 20, replayed: 1, offset: at(20) });
    expect(ledger.submits.map((s) => s.nonce)).not.toContain("j".repeat(32));
  });

  it("stops, as ShipFailed, when looking for such a batch on the ledger is refused", async () => {
    await writeFile(input, lines(0, 10));
    const ledger = new FakeLedger();
    const { journal } = Journal.open(offsetFile, { input, type: TYPE, as: "hf-haikou" });
    journal.begin({
      nonce: "q".repeat(32),
      keyId: "hf-haikou/oldoldoldoldoldo",
      from: 0,
      to: at(10),
      records: 10,
    });
    ledger.failures = [new ClientError("KEY_NOT_VALID", "not valid", 401)];
    const error = (await run(options(ledger)).catch((e: unknown) => e)) as ShipFailed;
    expect(error).toBeInstanceOf(ShipFailed);
    expect(error.reason).toBeInstanceOf(BatchRefused);
    expect(error.batch).toBeUndefined();
    expect(ledger.submits).toEqual([]);
  });

  it("resends through network errors and lost answers without a duplicate", async () => {
    await writeFile(input, lines(0, 60));
    const ledger = new FakeLedger();
    ledger.lostAnswers = 2;
    ledger.failures = [
      new ClientError("CONNECTION", "down"),
      new ClientError("UNAVAILABLE", "busy", 503, undefined, "0"),
    ];
    const retries: string[] = [];
    const summary = await run(options(ledger, { events: { onRetry: (_b, code) => retries.push(code) } }));
    expect(serials(ledger).sort((a, b) => a - b)).toEqual(range(60));
    expect(summary.replayed).toBe(2);
    expect(retries.sort()).toEqual(["CONNECTION", "TIMEOUT", "TIMEOUT", "UNAVAILABLE"]);
  });

  it("stops at a line that is not a record, after sending every line before it", async () => {
    await writeFile(input, `${lines(0, 25)}{"serial": 25,\n${lines(26, 30)}`);
    const ledger = new FakeLedger();
    const error = await run(options(ledger)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShipFailed);
    const reason = (error as ShipFailed).reason;
    expect(reason).toBeInstanceOf(BadLine);
    expect((reason as BadLine).at).toBe(Buffer.byteLength(lines(0, 25)));
    expect(serials(ledger).sort((a, b) => a - b)).toEqual(range(25));
    expect(parseJournal(await readFile(offsetFile, "utf8"), offsetFile).offset).toBe(
      Buffer.byteLength(lines(0, 25)),
    );
  });

  it("stops at a refused batch: journals the refusal, keeps the offset before it, and sends it again next time", async () => {
    await writeFile(input, lines(0, 50));
    const ledger = new FakeLedger();
    ledger.refuse = (r) => ((r.data as { serial: number }).serial === 23 ? "SCHEMA_VIOLATION" : undefined);
    const error = (await run(options(ledger, { concurrency: 1 })).catch((e: unknown) => e)) as ShipFailed;
    expect(error.reason).toBeInstanceOf(BatchRefused);
    expect(error.batch).toMatchObject({ records: 10, from: Buffer.byteLength(lines(0, 20)) });
    expect(serials(ledger)).toEqual(range(20));
    const state = parseJournal(await readFile(offsetFile, "utf8"), offsetFile);
    expect(state).toMatchObject({ offset: Buffer.byteLength(lines(0, 20)), open: [] });
    // The input fixed in place (same length), the same command ships the rest.
    ledger.refuse = () => undefined;
    const summary = await run(options(ledger, { concurrency: 1 }));
    expect(summary.records).toBe(30);
    expect(serials(ledger)).toEqual(range(50));
  });
});

describe("ship from a stream or a followed file", () => {
  it("reads stdin to its end, journaling each batch's lines; a restart resends the open ones from the journal", async () => {
    const ledger = new FakeLedger();
    const header = { input: "-", type: TYPE, as: "hf-haikou" };
    const { journal } = Journal.open(offsetFile, header);
    // Left by a shipper killed while a batch of stdin was in flight (its lines journaled).
    journal.begin({
      nonce: "s".repeat(32),
      keyId: ledger.keyId,
      from: 0,
      to: 10,
      records: 2,
      lines: [opLine(100), opLine(101)],
    });
    const stream = Readable.from([lines(0, 7), lines(7, 15)]);
    const summary = await run(options(ledger, { input: { kind: "stream", stream } }, "-"));
    expect(serials(ledger).sort((a, b) => a - b)).toEqual([...range(15), 100, 101]);
    expect(summary).toMatchObject({ records: 17, resent: 1 });
    expect(ledger.batches.get("s".repeat(32))).toBeDefined();
    expect(parseJournal(await readFile(offsetFile, "utf8"), offsetFile).open).toEqual([]);
  });

  it("follows a file: sends lines as they are appended, a batch at most maxWaitMs after its first record, until stopped", async () => {
    await writeFile(input, lines(0, 3));
    const ledger = new FakeLedger();
    const stop = new AbortController();
    const running = run(
      options(ledger, {
        input: { kind: "file", path: input, follow: { pollMs: 10 } },
        limits: { ...DEFAULT_LIMITS, maxWaitMs: 30 },
        signal: stop.signal,
      }),
    );
    await waitFor(() => ledger.records().length === 3);
    await appendFile(input, `${lines(3, 5)}{"serial":`);
    await waitFor(() => ledger.records().length === 5);
    // Half a line is not a line: it waits for its end.
    await new Promise((r) => setTimeout(r, 80));
    expect(ledger.records()).toHaveLength(5);
    await appendFile(input, "5}\n");
    await waitFor(() => ledger.records().length === 6);
    stop.abort();
    const summary = await running;
    expect(serials(ledger)).toEqual(range(6));
    expect(summary.offset).toBe(Buffer.byteLength(`${lines(0, 5)}{"serial":5}\n`));
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}
