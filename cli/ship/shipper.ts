import type { SubmitRecord } from "../client.js";
import { InputError, parseRecordLine } from "../input.js";
import { Batcher, type BatchLimits, type PlannedBatch } from "./batcher.js";
import { BatchRefused, type Delivery, deliver, type RetryPolicy, type ShipApi } from "./deliver.js";
import type { Journal, JournaledBatch, JournalState } from "./journal.js";
import { fileLines, type InputLine, streamLines } from "./lines.js";
import { type Range, recover } from "./recover.js";

/**
 * `zhixin ship`'s loop: lines in, batches out, offset forward. In order:
 *
 *   1. Recover (./recover.ts): every batch the offset file left open is rebuilt — from the input's
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
    // A batch an earlier run read from stdin has no place in this run's bytes.
    if (o.input.kind === "file" || !batch.resent) settle(batch.from);
    o.events?.onAcked?.(batch, delivery);
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
    // A refusal while looking for a batch on the ledger stops the run like any other.
    const covered = await recover(o, tracker, summary, {
      resend: async (batch) => {
        await slots.acquire();
        send(batch);
      },
      settle,
      fail,
    }).catch((e: unknown) => {
      if (!(e instanceof BatchRefused)) throw e;
      fail(e);
      return [];
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

function readInput(o: ShipperOptions, signal: AbortSignal): AsyncGenerator<InputLine> {
  if (o.input.kind === "stream") return streamLines(o.input.stream, signal);
  const follow = o.input.follow ? { pollMs: o.input.follow.pollMs, signal } : undefined;
  return fileLines(o.input.path, o.journal.offset, follow);
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
