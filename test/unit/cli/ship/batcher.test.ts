import { describe, expect, it } from "vitest";
import { submitBody } from "../../../../cli/client.js";
import { Batcher, type PlannedBatch } from "../../../../cli/ship/batcher.js";
import type { InputLine } from "../../../../cli/ship/lines.js";

// zhixin ship cuts consecutive lines into batches by size (records, body bytes) and by age,
// each batch covering the byte range of its lines, blank ones included.

const TYPE = "audit.db-operation";

/** Lines of `texts`, laid end to end from byte `from`. */
function lines(texts: string[], from = 0): InputLine[] {
  let at = from;
  return texts.map((text) => {
    const line = { start: at, end: at + Buffer.byteLength(text) + 1, text };
    at = line.end;
    return line;
  });
}

function feed(batcher: Batcher, input: InputLine[], now = 0): PlannedBatch[] {
  return input.flatMap((l) => batcher.add(l, l.text.trim() === "" ? undefined : JSON.parse(l.text), now));
}

const ops = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ serial: i }));

describe("Batcher", () => {
  it("cuts a batch at maxRecords, and the batches tile the input", () => {
    const batcher = new Batcher(TYPE, { maxRecords: 3, maxWaitMs: 200, maxBodyBytes: 900_000 });
    const input = lines(ops(7));
    const done = feed(batcher, input);
    const last = batcher.flush();
    const all = [...done, ...(last ? [last] : [])];
    expect(all.map((b) => b.records.length)).toEqual([3, 3, 1]);
    expect(all.map((b) => [b.from, b.to])).toEqual([
      [0, input[2]?.end],
      [input[3]?.start, input[5]?.end],
      [input[6]?.start, input[6]?.end],
    ]);
    expect(all[1]?.starts).toEqual([input[3]?.start, input[4]?.start, input[5]?.start]);
    expect(all[0]?.records[0]).toEqual({ type: TYPE, data: { serial: 0 } });
  });

  it("cuts before a record that would take the body past maxBodyBytes", () => {
    const text = JSON.stringify({ pad: "x".repeat(100) });
    const one = submitBody([{ type: TYPE, data: JSON.parse(text) }]).length;
    // Room for two records and their comma, not three.
    const batcher = new Batcher(TYPE, { maxRecords: 100, maxWaitMs: 200, maxBodyBytes: 2 * one });
    const done = feed(batcher, lines([text, text, text]));
    expect(done.map((b) => b.records.length)).toEqual([2]);
    expect(batcher.flush()?.records).toHaveLength(1);
  });

  it("is due maxWaitMs after its first record, not its last", () => {
    const batcher = new Batcher(TYPE, { maxRecords: 100, maxWaitMs: 200, maxBodyBytes: 900_000 });
    const [a, b] = lines(ops(2));
    expect(batcher.deadline()).toBeUndefined();
    batcher.add(a as InputLine, { serial: 0 }, 1_000);
    batcher.add(b as InputLine, { serial: 1 }, 1_150);
    expect(batcher.deadline()).toBe(1_200);
    expect(batcher.due(1_199)).toBe(false);
    expect(batcher.due(1_200)).toBe(true);
    expect(batcher.flush()?.records).toHaveLength(2);
    expect(batcher.deadline()).toBeUndefined();
  });

  it("keeps blank lines in the range, and a batch of blank lines only has no records and no deadline", () => {
    const batcher = new Batcher(TYPE, { maxRecords: 2, maxWaitMs: 200, maxBodyBytes: 900_000 });
    const input = lines(["", ops(1)[0] as string, "  ", ops(2)[1] as string, ""]);
    const done = feed(batcher, input);
    expect(done).toEqual([
      expect.objectContaining({ from: 0, to: input[3]?.end, lines: [ops(1)[0], ops(2)[1]] }),
    ]);
    const blank = lines([""], input[4]?.start);
    const rest = batcher.flush();
    expect(rest).toEqual({ from: blank[0]?.start, to: blank[0]?.end, records: [], lines: [], starts: [] });
    batcher.add(lines([""], 100)[0] as InputLine, undefined, 0);
    expect(batcher.deadline()).toBeUndefined();
  });

  it("never joins lines that are not consecutive (a range skipped between them)", () => {
    const batcher = new Batcher(TYPE, { maxRecords: 100, maxWaitMs: 200, maxBodyBytes: 900_000 });
    const [a] = lines(ops(1));
    const [b] = lines(ops(1), 500);
    expect(batcher.add(a as InputLine, { serial: 0 }, 0)).toEqual([]);
    expect(batcher.add(b as InputLine, { serial: 0 }, 0)).toEqual([
      expect.objectContaining({ from: 0, to: a?.end }),
    ]);
    expect(batcher.flush()).toEqual(expect.objectContaining({ from: 500, to: b?.end }));
  });
});
