import { open } from "node:fs/promises";
import type { SubmitRecord } from "../client.js";
import { InputError, parseRecordLine } from "../input.js";
import { Batcher, type BatchLimits, type PlannedBatch } from "./batcher.js";
import {
  BatchRefused,
  type Delivery,
  deliver,
  findCommitted,
  type RetryPolicy,
  type ShipApi,
  withRetries,
} from "./deliver.js";
import type { Journal, JournaledBatch, JournalState } from "./journal.js";
import { fileLines, type InputLine, splitLines, streamLines } from "./lines.js";

/**
 * `zhixin ship`'s loop: lines in, batches out, offset forward. In order:
 *
 *   1. Recover: every batch the offset file left open is rebuilt — from the input's
 *      bytes [from, to), or from stdin's journaled lines — and delivered again under its
 *      own nonce (a batch journaled under a key the shipper no longer signs with is looked
 *      for on the ledger, and sent again under a new nonce only if it is not there).
 *   2. Read from the acknowledged offset; lines inside a journaled batch are skipped (it
 *      is being resent, or it is acknowledged already).
 *   3. Cut batches (./batcher.ts); a batch waits for a free sending slot (at most
 *      `concurrency` in flight, which also holds back reading), is journaled — on disk —
 *      and only then sent (./deliver.ts: resends, NONCE_REPLAYED).
 *   4. On each acknowledgement: journal it, report it, and move the offset over every
 *      batch acknowledged without a gap before it.
 *
 * A refusal (4xx) stops reading and sending; what is in flight finishes, and the refusal is
 * thrown as ShipFailed. The abort signal stops reading too (Ctrl-C, or the end of a test):
 * the lines read so far go in a last batch and everything in flight finishes.
 */

export type ShipInput =
  | { kind: "file"; path: string; follow?: { pollMs: number } }
  | { kind: "stream"; stream: AsyncIterable<Uint8Array | string> };

/** A batch on its way: what the journal and the output say of it. */
export interface ShippedBatch extends JournaledBatch {
  recordList: SubmitRecord[];
  /** Byte offset of each record's line. */
  starts: number[];
  /** Journaled by an earlier run. */
  resent: boolean;
}

export interface ShipEvents {
  onRead?(records: number): void;
  onSent?(batch: ShippedBatch): void;
  onAcked?(batch: ShippedBatch, delivery: Delivery): void;
  onRetry?(batch: ShippedBatch, code: string, attempt: number, delayMs: number): void;
}

export interface ShipperOptions {
  api: ShipApi;
  type: string;
  /** The key id requests are signed with. */
  keyId: string;
  input: ShipInput;
  journal: Journal;
  /** What the offset file held when opened. */
  recovered: JournalState;
  limits: BatchLimits;
  concurrency: number;
  retry: RetryPolicy;
  /** Stop reading; finish what is read. */
  signal?: AbortSignal;
  events?: ShipEvents;
  /** A new nonce for each batch (newNonce from ../client.ts). */
  nonce(): string;
  now?(): number;
  /** Resend waits (tests pass a fast one). */
  sleep?(ms: number): Promise<void>;
}

export interface ShipSummary {
  /** Records acknowledged by this run, and their batches. */
  records: number;
  batches: number;
  /** Of those, batches an earlier run had journaled. */
  resent: number;
  /** Batches found already on the ledger (NONCE_REPLAYED, or found at recovery). */
  replayed: number;
  /** Every line before this byte is on the ledger. */
  offset: number;
}

/** Shipping stopped: a batch was refused, retries ran out, or a line is not a record. */
export class ShipFailed extends Error {
  override readonly name = "ShipFailed";
  constructor(
    readonly reason: unknown,
    /** The batch that failed, if a batch did. */
    readonly batch: ShippedBatch | undefined,
    readonly summary: ShipSummary,
  ) {
    super((reason as Error).message);
  }
}

/** A line that is not a record (or input that cannot be read as lines), at byte `at` of the input. */
export class BadLine extends InputError {
  constructor(
    readonly at: number,
    message: string,
    code?: string,
  ) {
    super(message, undefined, code);
  }
}

export async function ship(o: ShipperOptions): Promise<ShipSummary> {
  const now = o.now ?? Date.now;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  const summary: ShipSummary = { records: 0, batches: 0, resent: 0, replayed: 0, offset: o.journal.offset };
  const tracker = new AckTracker(o.journal.offset);
  const slots = new Slots(o.concurrency);
  const inFlight = new Set<Promise<void>>();
  let failure: ShipFailed | undefined;
  const fail = (cause: unknown, batch?: ShippedBatch) => {
    failure ??= new ShipFailed(cause, batch, summary);
    stop.abort();
  };

  const acked = (batch: ShippedBatch, delivery: Delivery) => {
    o.journal.acked(batch.nonce);
    summary.records += batch.records;
    summary.batches += 1;
    if (batch.resent) summary.resent += 1;
    if (delivery.kind === "replayed") summary.replayed += 1;
    o.events?.onAcked?.(batch, delivery);
    // A batch an earlier run read from stdin has no place in this run's bytes.
    if (o.input.kind === "file" || !batch.resent) settle(batch.from);
  };
  const settle = (from: number) => {
    const offset = tracker.done(from);
    o.journal.advance(offset);
    summary.offset = o.journal.offset;
  };

  /** Sends a journaled batch in a slot already taken; the slot is freed when it is settled. */
  const send = (batch: ShippedBatch) => {
    o.events?.onSent?.(batch);
    const sendable = { nonce: batch.nonce, keyId: batch.keyId, records: batch.recordList };
    const hooks = {
      onRetry: (e: { code: string }, attempt: number, delay: number) =>
        o.events?.onRetry?.(batch, e.code, attempt, delay),
      ...(o.sleep ? { sleep: o.sleep } : {}),
    };
    const running = deliver(o.api, sendable, o.retry, hooks)
      .then(
        (delivery) => acked(batch, delivery),
        (e: unknown) => {
          if (e instanceof BatchRefused) o.journal.refused(batch.nonce, e.error.code);
          fail(e, batch);
        },
      )
      .finally(() => {
        slots.release();
        inFlight.delete(running);
      });
    inFlight.add(running);
  };

  /** A newly cut batch: wait for a slot, journal it, send it. One at a time, in input order. */
  const dispatch = async (planned: PlannedBatch) => {
    if (planned.records.length === 0) {
      // Blank lines only: nothing to send, but the offset may pass over them.
      tracker.add(planned.from, planned.to);
      settle(planned.from);
      return;
    }
    await slots.acquire();
    if (failure) {
      slots.release();
      return;
    }
    const batch: ShippedBatch = {
      nonce: o.nonce(),
      keyId: o.keyId,
      from: planned.from,
      to: planned.to,
      records: planned.records.length,
      ...(o.input.kind === "stream" ? { lines: planned.lines } : {}),
      recordList: planned.records,
      starts: planned.starts,
      resent: false,
    };
    o.journal.begin(batch);
    tracker.add(batch.from, batch.to);
    send(batch);
  };
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (planned: PlannedBatch) => {
    queue = queue.then(() => dispatch(planned));
    return queue;
  };

  try {
    // 1. Recover.
    const covered = await recover(o, tracker, summary, {
      resend: async (batch) => {
        await slots.acquire();
        send(batch);
      },
      settle,
      fail,
    });

    // 2–3. Read and cut.
    const batcher = new Batcher(o.type, o.limits);
    let timer: NodeJS.Timeout | undefined;
    const schedule = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const deadline = batcher.deadline();
      if (deadline === undefined) return;
      timer = setTimeout(
        () => {
          timer = undefined;
          const due = batcher.flush();
          if (due) void enqueue(due);
        },
        Math.max(0, deadline - now()),
      );
    };
    const lines = readInput(o, stop.signal);
    let c = 0;
    try {
      for await (const line of lines) {
        if (stop.signal.aborted) break;
        while (c < covered.length && (covered[c] as Range).to <= line.start) c++;
        const inside = covered[c];
        if (inside && inside.from <= line.start) continue;
        const blank = line.text.trim() === "";
        let data: Record<string, unknown> | undefined;
        if (!blank) {
          try {
            data = parseRecordLine(line.text);
          } catch (e) {
            if (!(e instanceof InputError)) throw e;
            throw new BadLine(line.start, e.message, e.code);
          }
          o.events?.onRead?.(1);
        }
        const done = batcher.add(line, data, now());
        for (const planned of done) await enqueue(planned);
        if (done.length > 0 || timer === undefined) schedule();
        if (data !== undefined && batcher.due(now())) {
          const due = batcher.flush();
          if (due) await enqueue(due);
          schedule();
        }
      }
    } catch (e) {
      if (e instanceof InputError) {
        // The lines before the bad one are good: send them; then stop.
        const last = batcher.flush();
        if (last) await enqueue(last);
        await queue;
        fail(e);
      } else throw e;
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (!failure) {
      const last = batcher.flush();
      if (last) await enqueue(last);
    }
    await queue;
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  }
  if (failure) throw failure;
  return summary;
}

interface Range {
  from: number;
  to: number;
}

function readInput(o: ShipperOptions, signal: AbortSignal): AsyncGenerator<InputLine> {
  if (o.input.kind === "stream") return streamLines(o.input.stream, signal);
  const follow = o.input.follow ? { pollMs: o.input.follow.pollMs, signal } : undefined;
  return fileLines(o.input.path, o.journal.offset, follow);
}

/**
 * Rebuilds and resends the batches the offset file left open; returns the byte ranges
 * reading must skip (journaled batches: resent, or acknowledged already), in order.
 */
async function recover(
  o: ShipperOptions,
  tracker: AckTracker,
  summary: ShipSummary,
  steps: {
    resend(batch: ShippedBatch): Promise<void>;
    settle(from: number): void;
    fail(cause: unknown, batch?: ShippedBatch): void;
  },
): Promise<Range[]> {
  const { open: openBatches, acked } = o.recovered;
  const fromFile = o.input.kind === "file";
  const covered: Range[] = [];
  if (fromFile) {
    for (const b of acked) {
      tracker.add(b.from, b.to);
      steps.settle(b.from);
      covered.push(b);
    }
  }
  for (const journaled of openBatches) {
    let batch = await rebuild(o, journaled);
    if (fromFile) {
      tracker.add(batch.from, batch.to);
      covered.push(batch);
    }
    if (batch.keyId !== o.keyId) {
      // Signed by a key this shipper no longer holds: its nonce guards nothing for the new
      // key. Either the ledger has it, or it is sent again under a new nonce.
      const sendable = { nonce: batch.nonce, keyId: batch.keyId, records: batch.recordList };
      const found = await withRetries(o.retry, o.sleep ? { sleep: o.sleep } : {}, () =>
        findCommitted(o.api, sendable),
      );
      if (found) {
        o.journal.acked(batch.nonce);
        summary.replayed += 1;
        summary.resent += 1;
        summary.batches += 1;
        summary.records += batch.records;
        o.events?.onAcked?.(batch, found);
        if (fromFile) steps.settle(batch.from);
        continue;
      }
      o.journal.refused(batch.nonce, "KEY_CHANGED");
      batch = { ...batch, nonce: o.nonce(), keyId: o.keyId };
      o.journal.begin(batch);
    }
    await steps.resend(batch);
  }
  covered.sort((a, b) => a.from - b.from);
  return covered;
}

/** An open batch's records again, exactly as first sent (the same records give the same ids). */
async function rebuild(o: ShipperOptions, b: JournaledBatch): Promise<ShippedBatch> {
  let lines: InputLine[];
  if (b.lines !== undefined) {
    lines = b.lines.map((text) => ({ start: b.from, end: b.from, text }));
  } else {
    if (o.input.kind !== "file")
      throw new InputError("a journaled batch of a file cannot be resent from stdin");
    lines = await readRange(o.input.path, b.from, b.to);
  }
  const records = lines.filter((l) => l.text.trim() !== "");
  if (records.length !== b.records) {
    throw new InputError(
      `bytes ${b.from}–${b.to} of the input held ${b.records} records when they were sent, and hold ${records.length} now: ` +
        "the input was changed where it was already read. Restore it, or move the offset file away " +
        "to ship the input from its start (records already on the ledger would be written again)",
    );
  }
  return {
    ...b,
    recordList: records.map((l) => ({ type: o.type, data: parseRecordLine(l.text) })),
    starts: records.map((l) => l.start),
    resent: true,
  };
}

async function readRange(path: string, from: number, to: number): Promise<InputLine[]> {
  const handle = await open(path, "r").catch((e: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read ${path}: ${e.code ?? e.message}`);
  });
  try {
    const bytes = Buffer.alloc(to - from);
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, from);
    if (bytesRead !== bytes.length) {
      throw new InputError(
        `${path} ends before byte ${to}, which a journaled batch reaches: it was truncated. Restore it, or move the offset file away`,
      );
    }
    const lines: InputLine[] = [];
    const once = async function* () {
      yield bytes;
    };
    for await (const line of splitLines(once(), from)) lines.push(line);
    return lines;
  } finally {
    await handle.close();
  }
}

/**
 * The acknowledged offset: batches are added as they are journaled (they tile the input
 * from the offset on) and marked done as they are acknowledged; the offset moves over
 * every done batch with none pending before it.
 */
export class AckTracker {
  #offset: number;
  readonly #ranges = new Map<number, { to: number; done: boolean }>();

  constructor(offset: number) {
    this.#offset = offset;
  }

  add(from: number, to: number): void {
    if (to > this.#offset) this.#ranges.set(from, { to, done: false });
  }

  /** Marks the batch starting at `from` done; returns the offset. */
  done(from: number): number {
    const range = this.#ranges.get(from);
    if (range) range.done = true;
    for (let next = this.#ranges.get(this.#offset); next?.done; next = this.#ranges.get(this.#offset)) {
      this.#ranges.delete(this.#offset);
      this.#offset = next.to;
    }
    return this.#offset;
  }
}

/** A counting semaphore: at most `n` batches in flight. */
class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(n: number) {
    this.#free = n;
  }

  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}
