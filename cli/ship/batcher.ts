import { MAX_BODY_BYTES, MAX_RECORDS } from "../../lib/protocol/limits.js";
import { type SubmitRecord, submitBody } from "../client.js";
import { TARGET_BODY_BYTES } from "../input.js";
import type { InputLine } from "./lines.js";

/**
 * How `zhixin ship` groups lines into batches: consecutive lines, cut when the batch holds
 * maxRecords records, when one more record would take its body past maxBodyBytes, or when
 * its first record has waited maxWaitMs (the caller asks `due`, on a timer). A batch
 * covers the byte range of its lines — blank lines too, so that consecutive batches tile
 * the input and the acknowledged offset can pass over them. Pure: time is passed in.
 */

export interface BatchLimits {
  maxRecords: number;
  maxWaitMs: number;
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: BatchLimits = {
  maxRecords: MAX_RECORDS,
  maxWaitMs: 200,
  maxBodyBytes: TARGET_BODY_BYTES,
};

export interface PlannedBatch {
  /** Byte range [from, to) of its lines. */
  from: number;
  to: number;
  records: SubmitRecord[];
  /** Each record's line as read (what a journal of stdin keeps). */
  lines: string[];
  /** Byte offset of each record's line. */
  starts: number[];
}

export class Batcher {
  readonly #type: string;
  readonly #limits: BatchLimits;
  readonly #envelope: number;
  #current: PlannedBatch | undefined;
  #bodyBytes = 0;
  /** When the current batch's first record was added. */
  #firstAt: number | undefined;

  constructor(type: string, limits: BatchLimits) {
    this.#type = type;
    this.#limits = { ...limits, maxBodyBytes: Math.min(limits.maxBodyBytes, MAX_BODY_BYTES) };
    this.#envelope = submitBody([]).length;
    this.#bodyBytes = this.#envelope;
  }

  /**
   * Adds a line: its record's data, or undefined for a blank line. Returns the batches it
   * completed (the current one, when this line does not join it), in order.
   */
  add(line: InputLine, data: Record<string, unknown> | undefined, now: number): PlannedBatch[] {
    const done: PlannedBatch[] = [];
    // Only consecutive lines share a batch: one range per batch.
    if (this.#current && this.#current.to !== line.start) done.push(...this.#take());
    if (data !== undefined) {
      const record = { type: this.#type, data };
      const bytes = Buffer.byteLength(JSON.stringify(record), "utf8");
      const current = this.#current;
      if (current && current.records.length > 0) {
        const full = current.records.length >= this.#limits.maxRecords;
        if (full || this.#bodyBytes + 1 + bytes > this.#limits.maxBodyBytes) done.push(...this.#take());
      }
      const batch = this.#open(line.start);
      this.#bodyBytes += (batch.records.length > 0 ? 1 : 0) + bytes;
      batch.records.push(record);
      batch.lines.push(line.text);
      batch.starts.push(line.start);
      this.#firstAt ??= now;
    }
    this.#open(line.start).to = line.end;
    if ((this.#current?.records.length ?? 0) >= this.#limits.maxRecords) done.push(...this.#take());
    return done;
  }

  /** When the current batch must go (its first record plus maxWaitMs); undefined when it holds none. */
  deadline(): number | undefined {
    return this.#firstAt === undefined ? undefined : this.#firstAt + this.#limits.maxWaitMs;
  }

  /** Whether the current batch has waited long enough. */
  due(now: number): boolean {
    const deadline = this.deadline();
    return deadline !== undefined && now >= deadline;
  }

  /** The current batch, if it covers any line (it may hold only blank lines: no records). */
  flush(): PlannedBatch | undefined {
    return this.#take()[0];
  }

  #open(start: number): PlannedBatch {
    this.#current ??= { from: start, to: start, records: [], lines: [], starts: [] };
    return this.#current;
  }

  #take(): PlannedBatch[] {
    const batch = this.#current;
    this.#current = undefined;
    this.#bodyBytes = this.#envelope;
    this.#firstAt = undefined;
    return batch ? [batch] : [];
  }
}
