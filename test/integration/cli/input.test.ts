import { describe, expect, it } from "vitest";
import { contentDigest, INTL, type JsonValue, MerkleTree, recordHash, toHex } from "#chain";
import { batchRoot, type SubmitRecord, submitBody } from "../../../cli/client.js";
import { InputError, parseRecordInput, planBatches, TARGET_BODY_BYTES } from "../../../cli/input.js";
import { combineReceipts } from "../../../cli/send-batches.js";

// What `zhixin submit --file` accepts and how it cuts batches; no server needed.

function inputError(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error("expected an InputError");
}

describe("parseRecordInput", () => {
  it("reads one pretty-printed object as a single record", () => {
    expect(parseRecordInput('{\n  "a": 1,\n  "b": [2]\n}\n')).toEqual({
      format: "json",
      records: [{ line: 1, data: { a: 1, b: [2] } }],
    });
  });

  it("detects ndjson from the content, skipping blank lines and keeping line numbers", () => {
    const parsed = parseRecordInput('{"a":1}\n\n{"a":2}\r\n');
    expect(parsed.format).toBe("ndjson");
    expect(parsed.records).toEqual([
      { line: 1, data: { a: 1 } },
      { line: 3, data: { a: 2 } },
    ]);
  });

  it("treats a one-line file as ndjson when asked (.ndjson)", () => {
    expect(parseRecordInput('{"a":1}\n', { ndjson: true }).format).toBe("ndjson");
  });

  it("names the bad line", () => {
    expect(inputError(() => parseRecordInput('{"a":1}\n{"a":\n')).line).toBe(2);
    expect(inputError(() => parseRecordInput('{"a":1}\n[1]\n', { ndjson: true })).line).toBe(2);
    expect(inputError(() => parseRecordInput('{"a":1}\n"text"\n')).message).toMatch(/line 2: .*not string/);
  });

  it("refuses non-objects, empty input, and oversized records", () => {
    expect(inputError(() => parseRecordInput("[1, 2]")).message).toMatch(/not an array/);
    expect(inputError(() => parseRecordInput("", { ndjson: true })).message).toMatch(/empty/);
    expect(inputError(() => parseRecordInput("{oops")).message).toMatch(/not JSON/);
    expect(inputError(() => parseRecordInput(JSON.stringify({ blob: "x".repeat(70_000) }))).message).toMatch(
      /65536/,
    );
  });
});

describe("planBatches", () => {
  const records = (n: number, size = 10) =>
    Array.from({ length: n }, (_, i) => ({ line: i + 1, data: { i, pad: "x".repeat(size) } }));

  it("cuts at 100 records", () => {
    const batches = planBatches("t.x", records(250));
    expect(batches.map((b) => b.records.length)).toEqual([100, 100, 50]);
    expect(batches[2]?.lines[0]).toBe(201);
  });

  it("cuts by body size, every body within the target", () => {
    const batches = planBatches("t.x", records(40, 60_000));
    expect(batches.length).toBe(3);
    for (const b of batches) expect(submitBody(b.records).length).toBeLessThanOrEqual(TARGET_BODY_BYTES);
    expect(batches.flatMap((b) => b.lines)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it("fills a batch exactly up to the byte limit", () => {
    const one = submitBody([{ type: "t.x", data: { i: 0, pad: "x" } }]).length;
    // Two records of the same size plus a comma fit in 2 * one - envelope + 1 bytes.
    const envelope = submitBody([]).length;
    const exact = 2 * one - envelope + 1;
    const rs = [0, 1, 2].map((i) => ({ line: i + 1, data: { i, pad: "x" } }));
    expect(planBatches("t.x", rs, { maxBodyBytes: exact }).map((b) => b.records.length)).toEqual([2, 1]);
    expect(planBatches("t.x", rs, { maxBodyBytes: exact - 1 }).map((b) => b.records.length)).toEqual([
      1, 1, 1,
    ]);
  });
});

describe("batchRoot", () => {
  it("is the RFC 6962 root over recordHash(INTL, type, contentDigest(INTL, data)), in order", () => {
    const rs: SubmitRecord[] = [
      { type: "a.b", data: { x: 1 } },
      { type: "a.c", data: { y: [1, 2] } },
      { type: "a.b", data: {} },
    ];
    const expected = new MerkleTree(
      INTL,
      rs.map((r) => recordHash(INTL, r.type, contentDigest(INTL, r.data as JsonValue))),
    ).root();
    expect(toHex(batchRoot(INTL, rs))).toBe(toHex(expected));
    expect(toHex(batchRoot(INTL, [...rs].reverse()))).not.toBe(toHex(expected));
  });
});

describe("combineReceipts", () => {
  it("keeps entries in batch order and spans the receive times", () => {
    const combined = combineReceipts([
      { entries: [{ id: "a", leafHash: "1" }], receivedAt: "2026-01-01T00:00:02.000Z" },
      { entries: [{ id: "b", leafHash: "2" }], receivedAt: "2026-01-01T00:00:01.000Z" },
    ]);
    expect(combined).toEqual({
      entries: [
        { id: "a", leafHash: "1" },
        { id: "b", leafHash: "2" },
      ],
      batches: 2,
      receivedAt: ["2026-01-01T00:00:01.000Z", "2026-01-01T00:00:02.000Z"],
    });
  });
});
