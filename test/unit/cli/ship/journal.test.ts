import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Journal, JournalError, parseJournal } from "../../../../cli/ship/journal.js";

// The offset file of zhixin ship: its lines, what a restart reads back from them (a last
// line cut short by a crash included), and the refusals that say what to do.

const HEADER = { input: "/data/ops.ndjson", type: "audit.db-operation", as: "hf-haikou" };
const KEY = "hf-haikou/0123456789abcdef";
const batch = (nonce: string, from: number, to: number, records = 2) => ({
  nonce,
  keyId: KEY,
  from,
  to,
  records,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "zhixin-journal-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function errorOf(f: () => unknown): JournalError {
  try {
    f();
  } catch (e) {
    if (e instanceof JournalError) return e;
    throw e;
  }
  throw new Error("expected a JournalError");
}

describe("the offset file", () => {
  it("is written line by line: header, offset, batch before send, acked, offset", async () => {
    const path = join(dir, "ops.ship-offset");
    const { journal, state } = Journal.open(path, HEADER);
    expect(state).toMatchObject({ offset: 0, open: [], acked: [] });
    journal.begin(batch("nonce-a-0000000000000000", 0, 100));
    journal.begin(batch("nonce-b-0000000000000000", 100, 200));
    journal.acked("nonce-a-0000000000000000");
    journal.advance(100);
    const text = await readFile(path, "utf8");
    expect(text.split("\n")).toEqual([
      JSON.stringify({ zhixin: "ship-journal/1", ...HEADER }),
      '{"offset":0}',
      `{"batch":"nonce-a-0000000000000000","keyId":"${KEY}","from":0,"to":100,"records":2}`,
      `{"batch":"nonce-b-0000000000000000","keyId":"${KEY}","from":100,"to":200,"records":2}`,
      '{"acked":"nonce-a-0000000000000000"}',
      '{"offset":100}',
      "",
    ]);
    // What a restart (after kill -9: nothing closed) reads back.
    expect(parseJournal(text, path)).toMatchObject({
      offset: 100,
      open: [batch("nonce-b-0000000000000000", 100, 200)],
      acked: [],
    });
  });

  it("keeps batches acknowledged beyond the offset, drops refused ones, and rewrites only what is needed at close", async () => {
    const path = join(dir, "ops.ship-offset");
    const { journal } = Journal.open(path, HEADER);
    journal.begin(batch("a".repeat(16), 0, 100));
    journal.begin(batch("b".repeat(16), 100, 200));
    journal.begin(batch("c".repeat(16), 200, 300));
    journal.acked("c".repeat(16));
    journal.refused("b".repeat(16), "SCHEMA_VIOLATION");
    const state = parseJournal(await readFile(path, "utf8"), path);
    expect(state.open.map((b) => b.nonce)).toEqual(["a".repeat(16)]);
    expect(state.acked.map((b) => b.nonce)).toEqual(["c".repeat(16)]);
    journal.close();
    const rewritten = await readFile(path, "utf8");
    expect(rewritten.trim().split("\n")).toHaveLength(5); // header, offset, a, c, acked c
    expect(parseJournal(rewritten, path)).toMatchObject({
      offset: 0,
      open: [{ nonce: "a".repeat(16) }],
      acked: [{ nonce: "c".repeat(16) }],
    });
    // Reopened, it carries on from the same state.
    const again = Journal.open(path, HEADER);
    expect(again.state).toMatchObject({
      offset: 0,
      open: [{ from: 0, to: 100 }],
      acked: [{ from: 200, to: 300 }],
    });
    again.journal.close();
  });

  it("ignores a last line cut short by a crash", () => {
    const text = `${JSON.stringify({ zhixin: "ship-journal/1", ...HEADER })}\n{"offset":40}\n{"batch":"abcdefghijklmnop","keyId":"k`;
    expect(parseJournal(text, "f")).toMatchObject({ offset: 40, open: [] });
  });

  it("keeps the lines of a stdin batch, and forgets the batch once acknowledged", async () => {
    const path = join(dir, "stdin.ship-offset");
    const { journal } = Journal.open(path, { ...HEADER, input: "-" });
    journal.begin({ ...batch("s".repeat(16), 0, 20, 1), lines: ['{"serial":1}'] });
    expect(parseJournal(await readFile(path, "utf8"), path).open).toEqual([
      { ...batch("s".repeat(16), 0, 20, 1), lines: ['{"serial":1}'] },
    ]);
    journal.acked("s".repeat(16));
    expect(journal.state()).toMatchObject({ open: [], acked: [] });
    journal.close();
  });

  it("compacts itself as it grows", async () => {
    const path = join(dir, "ops.ship-offset");
    const { journal } = Journal.open(path, HEADER);
    for (let i = 0; i < 600; i++) {
      const nonce = `n${String(i).padStart(15, "0")}`;
      journal.begin(batch(nonce, i * 10, i * 10 + 10));
      journal.acked(nonce);
      journal.advance(i * 10 + 10);
    }
    const text = await readFile(path, "utf8");
    expect(text.split("\n").length).toBeLessThan(1_100);
    expect(parseJournal(text, path)).toMatchObject({ offset: 6_000, open: [], acked: [] });
    journal.close();
  });

  it("writes nothing in memory", () => {
    const journal = Journal.inMemory(HEADER);
    journal.begin(batch("m".repeat(16), 0, 10));
    journal.advance(10);
    expect(journal.path).toBeUndefined();
    expect(journal.offset).toBe(10);
    journal.close();
  });
});

describe("an offset file that cannot be used is refused, saying what to do", () => {
  it("of another stream", async () => {
    const path = join(dir, "ops.ship-offset");
    Journal.open(path, HEADER).journal.close();
    const e = errorOf(() => Journal.open(path, { ...HEADER, type: "evidence.digest" }));
    expect(e.message).toContain("offset file of another stream");
    expect(e.message).toContain("--offset-file");
  });

  it.each([
    ["not a journal", "hello\n", "line 1"],
    ["no header", '{"offset":0}\n', "line 1"],
    ["a bad offset", `${JSON.stringify({ zhixin: "ship-journal/1", ...HEADER })}\n{"offset":-1}\n`, "line 2"],
    [
      "an ack of nothing",
      `${JSON.stringify({ zhixin: "ship-journal/1", ...HEADER })}\n{"acked":"x"}\n`,
      "line 2",
    ],
    [
      "a batch without its range",
      `${JSON.stringify({ zhixin: "ship-journal/1", ...HEADER })}\n{"batch":"x","keyId":"k","records":1}\n`,
      "line 2",
    ],
    [
      "an unknown line",
      `${JSON.stringify({ zhixin: "ship-journal/1", ...HEADER })}\n{"what":1}\n\n`,
      "line 2",
    ],
  ])("%s", async (_, text, where) => {
    const path = join(dir, "bad.ship-offset");
    await writeFile(path, text);
    const e = errorOf(() => Journal.open(path, HEADER));
    expect(e.message).toContain(`${path} ${where}`);
    expect(e.message).toContain("move it away");
  });
});
