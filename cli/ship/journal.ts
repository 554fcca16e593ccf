import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { InputError } from "../input.js";

/**
 * The offset file of `zhixin ship`: how far the input is acknowledged, and the journal of
 * every batch sent and not yet acknowledged, so that a shipper killed at any point (kill
 * -9, a power cut with --no-sync aside) resends exactly the unacknowledged batches, under
 * their own nonces. One JSON object per line, appended in this order:
 *
 *   {"zhixin":"ship-journal/1","input":"/data/ops.ndjson","type":"audit.db-operation","as":"hf-haikou"}
 *   {"offset":0}
 *   {"batch":"q3v…32 chars","keyId":"hf-haikou/0a1b2c3d4e5f6a7b","from":0,"to":10412,"records":100}
 *   {"acked":"q3v…"}
 *   {"offset":10412}
 *   {"refused":"Zk…","code":"SCHEMA_VIOLATION"}
 *
 * - the header names the input (its absolute path, or "-" for stdin), the record type and
 *   the department: an offset file is for one stream, and is refused for another;
 * - `offset`: every line of the input before this byte is on the ledger (the newest wins);
 * - `batch`: written (and, unless --no-sync, on disk) BEFORE the batch is sent: its nonce,
 *   the key that signs it, the byte range [from, to) of its lines and its record count.
 *   From stdin, which cannot be read again, it also holds the lines themselves (`lines`);
 * - `acked`: the ledger holds the batch (a receipt, or NONCE_REPLAYED and its first entry
 *   found with the batch's root);
 * - `refused`: the API refused it (4xx): nothing of it was stored; a restart reads its
 *   lines again as new records.
 *
 * A last line cut short by a crash is ignored (its write never finished, so the send it
 * preceded never started). The file is rewritten (temp file, rename) with only what is
 * still needed once it has grown, and at a clean stop.
 */

export const JOURNAL_FORMAT = "ship-journal/1";

export interface JournalHeader {
  /** The input's absolute path, or "-" for stdin. */
  input: string;
  type: string;
  as: string;
}

export interface JournaledBatch {
  nonce: string;
  keyId: string;
  /** Byte range [from, to) of the batch's lines in the input (blank lines included). */
  from: number;
  to: number;
  records: number;
  /** From stdin: each record's line, as read. */
  lines?: string[];
}

export interface JournalState {
  header: JournalHeader;
  offset: number;
  /** Batches journaled and neither acknowledged nor refused: to resend, under their nonces. */
  open: JournaledBatch[];
  /** Batches acknowledged beyond `offset` (an earlier batch was still open). */
  acked: JournaledBatch[];
  /** Lines of the file, to rewrite it at the next compaction. */
  lines: number;
}

/** An offset file that cannot be used; the message says what to do. */
export class JournalError extends InputError {}

/** Reads an offset file's text; throws JournalError naming the line at fault. */
export function parseJournal(text: string, file: string): JournalState {
  const rows = text.split("\n");
  // A last line without its newline was being written when the shipper stopped.
  // With one, the split leaves "" after it; without, the cut line: either way, drop it.
  const complete = rows.slice(0, -1);
  const damaged = (n: number, why: string) =>
    new JournalError(
      `${file} line ${n}: ${why} — this is not an offset file \`zhixin ship\` wrote, or it was edited; ` +
        "move it away to start over (every line of the input would be shipped again)",
    );
  const first = complete[0];
  if (first === undefined) throw damaged(1, "empty");
  const header = parseObject(first, () => damaged(1, "not JSON"));
  if (header.zhixin !== JOURNAL_FORMAT) throw damaged(1, `no "zhixin": "${JOURNAL_FORMAT}" header`);
  const { input, type, as } = header;
  if (typeof input !== "string" || typeof type !== "string" || typeof as !== "string") {
    throw damaged(1, "the header needs input, type and as");
  }
  let offset = 0;
  const batches = new Map<string, { batch: JournaledBatch; acked: boolean }>();
  complete.slice(1).forEach((row, i) => {
    const n = i + 2;
    const o = parseObject(row, () => damaged(n, "not JSON"));
    if (typeof o.offset === "number") {
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) throw damaged(n, "offset is not a byte position");
      offset = o.offset;
    } else if (typeof o.batch === "string") {
      batches.set(o.batch, {
        batch: parseBatch(o, () => damaged(n, "a batch needs keyId, from, to, records")),
        acked: false,
      });
    } else if (typeof o.acked === "string" || typeof o.refused === "string") {
      const nonce = (o.acked ?? o.refused) as string;
      const known = batches.get(nonce);
      if (!known) throw damaged(n, `${o.acked ? "acked" : "refused"} names no batch journaled before it`);
      if (typeof o.refused === "string") batches.delete(nonce);
      else known.acked = true;
    } else throw damaged(n, "not an offset, batch, acked or refused line");
  });
  const all = [...batches.values()];
  return {
    header: { input, type, as },
    offset,
    open: all.filter((b) => !b.acked).map((b) => b.batch),
    acked: all.filter((b) => b.acked && b.batch.to > offset).map((b) => b.batch),
    lines: complete.length,
  };
}

function parseObject(text: string, fail: () => Error): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail();
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw fail();
  return value as Record<string, unknown>;
}

function parseBatch(o: Record<string, unknown>, fail: () => Error): JournaledBatch {
  const { batch, keyId, from, to, records, lines } = o;
  const position = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (typeof batch !== "string" || typeof keyId !== "string" || !position(from) || !position(to))
    throw fail();
  if (!position(records) || records < 1 || to < from) throw fail();
  if (lines !== undefined && (!Array.isArray(lines) || lines.some((l) => typeof l !== "string")))
    throw fail();
  return {
    nonce: batch,
    keyId,
    from,
    to,
    records,
    ...(lines === undefined ? {} : { lines: lines as string[] }),
  };
}

/** The batch's journal line (without the newline). */
export function batchLine(b: JournaledBatch): string {
  return JSON.stringify({
    batch: b.nonce,
    keyId: b.keyId,
    from: b.from,
    to: b.to,
    records: b.records,
    ...(b.lines === undefined ? {} : { lines: b.lines }),
  });
}

/**
 * The offset file, open for appending. Every write is a whole line in one write(2), done
 * before the step it records goes on; `sync` makes the batch lines durable (fdatasync)
 * before their send.
 */
export class Journal {
  /** Undefined: kept in memory only (stdin without --offset-file). */
  readonly #path: string | undefined;
  readonly #header: JournalHeader;
  readonly #sync: boolean;
  #fd: number;
  #lines: number;
  #offset: number;
  /** Everything a rewrite must keep: open batches, and acknowledged ones beyond the offset. */
  readonly #kept = new Map<string, { batch: JournaledBatch; acked: boolean }>();

  private constructor(
    path: string | undefined,
    header: JournalHeader,
    state: JournalState | undefined,
    sync: boolean,
  ) {
    this.#path = path;
    this.#header = header;
    this.#sync = sync;
    this.#offset = state?.offset ?? 0;
    for (const b of state?.open ?? []) this.#kept.set(b.nonce, { batch: b, acked: false });
    for (const b of state?.acked ?? []) this.#kept.set(b.nonce, { batch: b, acked: true });
    this.#lines = 0;
    this.#fd = -1;
    this.#rewrite();
  }

  /**
   * Opens `path` for the stream `header` names, creating it if need be. Returns the
   * journal and what an earlier run left: the offset, the open and acknowledged batches.
   * Throws JournalError for a damaged file or one of another stream.
   */
  static open(
    path: string,
    header: JournalHeader,
    options: { sync?: boolean } = {},
  ): { journal: Journal; state: JournalState } {
    let state: JournalState | undefined;
    if (existsSync(path)) {
      state = parseJournal(readFileSync(path, "utf8"), path);
      const theirs = state.header;
      for (const key of ["input", "type", "as"] as const) {
        if (theirs[key] !== header[key]) {
          throw new JournalError(
            `${path} is the offset file of another stream (${key} ${JSON.stringify(theirs[key])}, not ${JSON.stringify(header[key])}): ` +
              "give this stream its own --offset-file",
          );
        }
      }
    }
    const journal = new Journal(path, header, state, options.sync ?? true);
    return { journal, state: journal.state() };
  }

  /** A journal that writes nothing: what the shipper keeps when there is no offset file. */
  static inMemory(header: JournalHeader): Journal {
    return new Journal(undefined, header, undefined, false);
  }

  /** The offset file, or undefined in memory. */
  get path(): string | undefined {
    return this.#path;
  }

  /** What a rewrite would keep, as parseJournal would read it back. */
  state(): JournalState {
    const all = [...this.#kept.values()];
    return {
      header: this.#header,
      offset: this.#offset,
      open: all.filter((b) => !b.acked).map((b) => b.batch),
      acked: all.filter((b) => b.acked).map((b) => b.batch),
      lines: this.#lines,
    };
  }

  get offset(): number {
    return this.#offset;
  }

  /** Before sending a batch. */
  begin(batch: JournaledBatch): void {
    this.#kept.set(batch.nonce, { batch, acked: false });
    this.#append(batchLine(batch), this.#sync);
  }

  /** The ledger holds the batch. */
  acked(nonce: string): void {
    const known = this.#kept.get(nonce);
    // Only a file's acknowledged batches are kept (their ranges are skipped when it is read
    // again); stdin is never read again.
    if (known?.batch.lines !== undefined) this.#kept.delete(nonce);
    else if (known) known.acked = true;
    this.#append(JSON.stringify({ acked: nonce }), false);
  }

  /** The API refused the batch: nothing of it is stored. */
  refused(nonce: string, code: string): void {
    this.#kept.delete(nonce);
    this.#append(JSON.stringify({ refused: nonce, code }), false);
  }

  /** Every line before `offset` is acknowledged; forgets the batches it covers. */
  advance(offset: number): void {
    if (offset <= this.#offset) return;
    this.#offset = offset;
    for (const [nonce, b] of this.#kept) if (b.acked && b.batch.to <= offset) this.#kept.delete(nonce);
    this.#append(JSON.stringify({ offset }), false);
    if (this.#lines > 1_000 + 4 * this.#kept.size) this.#rewrite();
  }

  /** Rewrites the file compactly and closes it. */
  close(): void {
    if (this.#fd < 0) return;
    this.#rewrite();
    closeSync(this.#fd);
    this.#fd = -1;
  }

  #append(line: string, sync: boolean): void {
    if (this.#path === undefined) return;
    writeSync(this.#fd, `${line}\n`);
    if (sync) fdatasyncSync(this.#fd);
    this.#lines++;
  }

  /** Header, offset, open batches, acknowledged ones with their acked line: to a temp file, synced, renamed over. */
  #rewrite(): void {
    if (this.#path === undefined) return;
    const rows = [
      JSON.stringify({ zhixin: JOURNAL_FORMAT, ...this.#header }),
      JSON.stringify({ offset: this.#offset }),
    ];
    for (const { batch, acked } of this.#kept.values()) {
      rows.push(batchLine(batch));
      if (acked) rows.push(JSON.stringify({ acked: batch.nonce }));
    }
    const temp = `${this.#path}.tmp`;
    const fd = openSync(temp, "w", 0o600);
    try {
      writeSync(fd, `${rows.join("\n")}\n`);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.#path);
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = openSync(this.#path, "a");
    this.#lines = rows.length;
  }
}
