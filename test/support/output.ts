import { format } from "node:util";

/**
 * A passing test prints nothing it does not assert (issue 9). quiet-setup.ts, a setup file
 * of every vitest project, installs this guard in each test worker: whatever the test, its
 * hooks or the code under test write to process.stdout, process.stderr or the console (a
 * logger line, a Node warning, a stray console.log) is held back, and the test fails with
 * it in the message, unless the test took it with captureOutput() and asserted on it.
 *
 * Held back, not passed through: the failure shows it, and a passing run stays readable.
 * What a child process prints reaches neither stream of this process: run children with
 * execFile (which buffers) or with piped stdio, and assert on what they print.
 */

type StreamName = "stdout" | "stderr";

interface Chunk {
  stream: StreamName;
  text: string;
}

type Write = typeof process.stdout.write;

/** The console methods that print; the rest (count, time, group…) print through these or not at all. */
const CONSOLE_METHODS = ["log", "info", "debug", "dir", "dirxml", "table", "warn", "error", "trace"] as const;
const STDERR_METHODS = new Set(["warn", "error", "trace"]);

interface Guard {
  writes: Record<StreamName, Write>;
  console: Partial<Record<(typeof CONSOLE_METHODS)[number], unknown>>;
  /** Output nobody captured since the last check. */
  unexpected: Chunk[];
  /** The open capture, if any: output goes there instead. */
  capture: Chunk[] | undefined;
}

// One guard per process, kept on the process object: a worker that runs several test files
// evaluates this module once per file.
const GUARD = Symbol.for("zhixin.test.output-guard");
type GuardedProcess = NodeJS.Process & { [GUARD]?: Guard };

function guard(): Guard | undefined {
  return (process as GuardedProcess)[GUARD];
}

function record(stream: StreamName, text: string): void {
  const g = guard();
  if (!g) return;
  (g.capture ?? g.unexpected).push({ stream, text });
}

function textOf(chunk: unknown, encoding: unknown): string {
  if (typeof chunk === "string") return chunk;
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
  return String(chunk);
}

function heldWrite(stream: StreamName): Write {
  // write(chunk[, encoding][, callback]): the callback, wherever it is, runs as if flushed.
  return ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    record(stream, textOf(chunk, encoding));
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") process.nextTick(done as () => void);
    return true;
  }) as Write;
}

/** Starts holding back output in this process; a second call is a no-op. */
export function installOutputGuard(): void {
  if (guard()) return;
  const saved: Guard = {
    writes: { stdout: process.stdout.write, stderr: process.stderr.write },
    console: {},
    unexpected: [],
    capture: undefined,
  };
  (process as GuardedProcess)[GUARD] = saved;
  process.stdout.write = heldWrite("stdout");
  process.stderr.write = heldWrite("stderr");
  // vitest gives each worker a console of its own that reports to the main process, past
  // process.stdout; so the console is guarded too.
  for (const method of CONSOLE_METHODS) {
    saved.console[method] = console[method];
    console[method] = (...args: unknown[]) =>
      record(STDERR_METHODS.has(method) ? "stderr" : "stdout", `${format(...args)}\n`);
  }
}

/** Puts the streams and the console back (after the last test of a file). */
export function uninstallOutputGuard(): void {
  const g = guard();
  if (!g) return;
  process.stdout.write = g.writes.stdout;
  process.stderr.write = g.writes.stderr;
  Object.assign(console, g.console);
  delete (process as GuardedProcess)[GUARD];
}

/**
 * Throws if anything was printed outside a capture since the last check (and forgets it),
 * naming `when` it happened. quiet-setup.ts calls it around every test.
 */
export function checkNoOutput(when: string): void {
  const g = guard();
  if (!g) return;
  const open = g.capture !== undefined;
  g.capture = undefined;
  const chunks = g.unexpected.splice(0);
  if (open) throw new Error(`${when}: a captureOutput() was left open; call stop() in a finally block`);
  if (chunks.length === 0) return;
  const shown = chunks.map((c) => `[${c.stream}] ${c.text}`).join("");
  throw new Error(
    `${when}: printed output that no test captured (capture and assert it with ` +
      `captureOutput() from test/support/output.ts, or stop it at its source):\n` +
      (shown.length > 4000 ? `${shown.slice(0, 4000)}… (${shown.length} characters)` : shown),
  );
}

export interface CapturedOutput {
  /** What was written to process.stdout and console.log/info/debug. */
  readonly stdout: string;
  /** What was written to process.stderr and console.warn/error (Node warnings included). */
  readonly stderr: string;
  /** Every non-empty line of both streams, parsed as JSON: the Powertools logger's lines. */
  logLines(): Record<string, unknown>[];
  /** Ends the capture; output after it is unexpected again. Idempotent. */
  stop(): void;
}

/**
 * Takes what this process prints, from now until stop(), so the test can assert on it.
 * One capture at a time. Works without the guard too (a file run on its own config).
 */
export function captureOutput(): CapturedOutput {
  const installedHere = !guard();
  if (installedHere) installOutputGuard();
  const g = guard() as Guard;
  if (g.capture) throw new Error("captureOutput(): a capture is already open");
  const chunks: Chunk[] = [];
  g.capture = chunks;
  let stopped = false;
  const text = (stream: StreamName) =>
    chunks
      .filter((c) => c.stream === stream)
      .map((c) => c.text)
      .join("");
  return {
    get stdout() {
      return text("stdout");
    },
    get stderr() {
      return text("stderr");
    },
    logLines: () =>
      chunks
        .map((c) => c.text)
        .join("")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop() {
      if (stopped) return;
      stopped = true;
      if (g.capture === chunks) g.capture = undefined;
      if (installedHere) uninstallOutputGuard();
    },
  };
}

/** Runs `run` with its output captured; the capture ends when it settles. */
export async function captured<T>(run: () => Promise<T> | T): Promise<{ result: T; output: CapturedOutput }> {
  const output = captureOutput();
  try {
    return { result: await run(), output };
  } finally {
    output.stop();
  }
}
