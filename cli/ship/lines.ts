import { open, stat } from "node:fs/promises";
import { InputError } from "../input.js";

/**
 * The input of `zhixin ship`, line by line with each line's byte range: a file read from a
 * byte offset (and, with follow, tailed: new lines are read as they are appended), or a
 * stream (stdin). Lines end at "\n" ("\r\n" too: the "\r" is JSON whitespace). A last line
 * without its "\n" is a line once the input has ended; a file being followed has not
 * ended, so its last line waits for its "\n" (the writer may be halfway through it).
 */

export interface InputLine {
  /** Byte range [start, end) of the line in the input, its "\n" included. */
  start: number;
  end: number;
  text: string;
}

/** No record is longer than this as a line (its canonical form is at most 64 KiB; whitespace aside). */
export const MAX_LINE_BYTES = 1024 * 1024;

const CHUNK_BYTES = 256 * 1024;
const utf8 = new TextDecoder("utf-8", { fatal: true });

export interface FollowOptions {
  /** How often to look for new lines at the end of the file. */
  pollMs: number;
  /** Stops waiting for more lines (the caller is stopping). */
  signal: AbortSignal;
}

/** The file's lines from byte `from`; with `follow`, also those appended later, until the signal. */
export async function* fileLines(
  path: string,
  from: number,
  follow: FollowOptions | undefined,
): AsyncGenerator<InputLine> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const size = (await handle.stat()).size;
    if (size < from) throw truncated(path, size, from);
    // A followed file has not ended when the shipper stops: its unfinished last line waits.
    yield* splitLines(fileChunks(handle, path, from, follow), from, () => follow === undefined);
  } finally {
    await handle.close();
  }
}

async function* fileChunks(
  handle: Awaited<ReturnType<typeof open>>,
  path: string,
  from: number,
  follow: FollowOptions | undefined,
): AsyncGenerator<Uint8Array> {
  let position = from;
  const buffer = Buffer.alloc(CHUNK_BYTES);
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
    if (bytesRead > 0) {
      position += bytesRead;
      yield Buffer.from(buffer.subarray(0, bytesRead));
      continue;
    }
    if (!follow || follow.signal.aborted) return;
    // At the end: a file truncated in place (copytruncate rotation) would be read from
    // the wrong place; refuse it rather than ship lines twice or skip them.
    const size = (await stat(path).catch(() => undefined))?.size;
    if (size !== undefined && size < position) throw truncated(path, size, position);
    await sleep(follow.pollMs, follow.signal);
    if (follow.signal.aborted) return;
  }
}

function truncated(path: string, size: number, at: number): InputError {
  return new InputError(
    `${path} is ${size} bytes, shorter than the ${at} bytes already read: it was truncated or replaced. ` +
      "A shipper follows one file as it grows; ship a rotated file with its own --offset-file",
  );
}

/**
 * A stream's lines (stdin); bytes are counted from 0 at the stream's start. The signal
 * ends it at once, even while the stream is idle; the unfinished line it was reading is
 * then not a line.
 */
export async function* streamLines(
  stream: AsyncIterable<Uint8Array | string>,
  signal: AbortSignal,
): AsyncGenerator<InputLine> {
  async function* bytes(): AsyncGenerator<Uint8Array> {
    const chunks = stream[Symbol.asyncIterator]();
    const aborted = new Promise<IteratorResult<Uint8Array | string>>((resolve) => {
      if (signal.aborted) resolve({ done: true, value: undefined });
      signal.addEventListener("abort", () => resolve({ done: true, value: undefined }), { once: true });
    });
    try {
      for (;;) {
        const next = await Promise.race([chunks.next(), aborted]);
        if (next.done) return;
        yield typeof next.value === "string" ? Buffer.from(next.value, "utf8") : next.value;
      }
    } finally {
      // Leaves the stream to the process's exit rather than waiting for its next chunk.
      if (signal.aborted) void chunks.return?.();
    }
  }
  yield* splitLines(bytes(), 0, () => !signal.aborted);
}

/**
 * Cuts chunks into lines; `base` is the input offset of the first chunk's first byte.
 * `lastLine`: whether text after the last "\n" is a line when the chunks end.
 */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  base: number,
  lastLine: () => boolean = () => true,
): AsyncGenerator<InputLine> {
  let pending: Buffer = Buffer.alloc(0);
  let start = base;
  for await (const chunk of chunks) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    let from = 0;
    for (let nl = pending.indexOf(10); nl !== -1; nl = pending.indexOf(10, from)) {
      const end = start + (nl + 1 - from);
      yield { start, end, text: decode(pending.subarray(from, nl), start) };
      start = end;
      from = nl + 1;
    }
    pending = pending.subarray(from);
    if (pending.length > MAX_LINE_BYTES) {
      throw new InputError(
        `the line at byte ${start} is longer than ${MAX_LINE_BYTES} bytes: no record is that long (one record per line)`,
      );
    }
  }
  if (pending.length > 0 && lastLine())
    yield { start, end: start + pending.length, text: decode(pending, start) };
}

function decode(bytes: Uint8Array, at: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InputError(`the line at byte ${at} is not UTF-8`);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
