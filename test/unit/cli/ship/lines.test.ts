import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../../../cli/input.js";
import { fileLines, MAX_LINE_BYTES, splitLines } from "../../../../cli/ship/lines.js";
import { formatStatus, newCounts } from "../../../../cli/ship/status.js";

// The shipper's input, line by line with byte ranges: chunks cut anywhere, a last line
// without its newline (a line at the end of input, not while a followed file may grow),
// bytes that are not UTF-8, a line too long to be a record, a file truncated under it.

async function collect(chunks: Array<string | Uint8Array>, base = 0, lastLine = () => true) {
  async function* source() {
    for (const c of chunks) yield typeof c === "string" ? Buffer.from(c) : c;
  }
  const out = [];
  for await (const line of splitLines(source(), base, lastLine)) out.push(line);
  return out;
}

describe("splitLines", () => {
  it("gives each line its byte range, whatever the chunks, multi-byte characters included", async () => {
    const text = '{"a":"智信"}\r\n\n{"b":2}\n';
    const whole = await collect([text], 10);
    const bytes = Buffer.from(text);
    const byByte = await collect(
      Array.from(bytes, (b) => Uint8Array.of(b)),
      10,
    );
    expect(byByte).toEqual(whole);
    expect(whole).toEqual([
      { start: 10, end: 10 + Buffer.byteLength('{"a":"智信"}\r\n'), text: '{"a":"智信"}\r' },
      {
        start: 10 + Buffer.byteLength('{"a":"智信"}\r\n'),
        end: 10 + Buffer.byteLength('{"a":"智信"}\r\n\n'),
        text: "",
      },
      { start: 10 + Buffer.byteLength('{"a":"智信"}\r\n\n'), end: 10 + bytes.length, text: '{"b":2}' },
    ]);
  });

  it("takes a last line without its newline only when the input has ended", async () => {
    expect(await collect(['{"a":1}\n{"b":'])).toHaveLength(2);
    expect(await collect(['{"a":1}\n{"b":'], 0, () => false)).toHaveLength(1);
  });

  it("refuses bytes that are not UTF-8, and a line longer than any record, naming the byte", async () => {
    await expect(collect(['{"a":1}\n', Uint8Array.of(0xff, 0x0a)])).rejects.toThrow(
      "the line at byte 8 is not UTF-8",
    );
    await expect(collect(["x".repeat(MAX_LINE_BYTES + 1)])).rejects.toBeInstanceOf(InputError);
  });
});

describe("fileLines", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "zhixin-lines-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads from a byte offset, and refuses a file shorter than what was read of it", async () => {
    const path = join(dir, "ops.ndjson");
    await writeFile(path, '{"a":1}\n{"b":2}\n');
    const lines = [];
    for await (const l of fileLines(path, 8, undefined)) lines.push(l);
    expect(lines).toEqual([{ start: 8, end: 16, text: '{"b":2}' }]);
    await truncate(path, 4);
    const read = async () => {
      for await (const _ of fileLines(path, 8, undefined)) expect.unreachable();
    };
    await expect(read()).rejects.toThrow(
      /shorter than the 8 bytes already read: it was truncated or replaced/,
    );
    await expect(fileLines(join(dir, "none"), 0, undefined).next()).rejects.toThrow("cannot read");
  });
});

describe("the progress line", () => {
  it("says what was read, sent and acknowledged, the rate, what is in flight and the offset", () => {
    const counts = {
      ...newCounts(0),
      read: 12_400,
      sent: 12_300,
      acked: 12_200,
      inFlight: 4,
      offset: 1_187_200,
    };
    expect(formatStatus(counts, 3_410.4)).toBe(
      "read 12,400 · sent 12,300 · acknowledged 12,200 (3,410/s) · in flight 4 · offset 1,187,200",
    );
    expect(formatStatus({ ...counts, retrying: "CONNECTION" }, 0)).toContain("· retrying: CONNECTION");
  });
});
