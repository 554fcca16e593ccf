/**
 * A one-line progress bar for a terminal (callers only create one when the stream is a
 * TTY, so pipes and logs stay clean):
 *
 *   [##############----------------]  120/250 records   410/s  ETA 0:01
 *
 * Redraws at most every 100 ms, in place (carriage return, erase line).
 */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #total: number;
  readonly #unit: string;
  readonly #now: () => number;
  readonly #started: number;
  #done = 0;
  #drawnAt = Number.NEGATIVE_INFINITY;

  constructor(stream: NodeJS.WriteStream, total: number, unit = "records", now: () => number = Date.now) {
    this.#stream = stream;
    this.#total = total;
    this.#unit = unit;
    this.#now = now;
    this.#started = now();
    this.#draw();
  }

  /** Adds `n` finished units. */
  advance(n: number): void {
    this.#done = Math.min(this.#total, this.#done + n);
    if (this.#done === this.#total || this.#now() - this.#drawnAt >= 100) this.#draw();
  }

  /** Leaves the final state on its own line. */
  finish(): void {
    this.#draw();
    this.#stream.write("\n");
  }

  /** Erases the bar (before printing an error). */
  clear(): void {
    this.#stream.write("\r\x1b[K");
  }

  #draw(): void {
    const now = this.#now();
    this.#drawnAt = now;
    const elapsed = (now - this.#started) / 1000;
    const rate = elapsed > 0 ? this.#done / elapsed : 0;
    const eta = rate > 0 ? formatDuration((this.#total - this.#done) / rate) : "-:--";
    const width = String(this.#total).length;
    const text = `${String(this.#done).padStart(width)}/${this.#total} ${this.#unit}  ${Math.round(rate)
      .toString()
      .padStart(5)}/s  ETA ${eta}`;
    const columns = this.#stream.columns || 80;
    const barWidth = Math.max(10, Math.min(40, columns - text.length - 4));
    const filled = this.#total > 0 ? Math.round((barWidth * this.#done) / this.#total) : barWidth;
    this.#stream.write(`\r\x1b[K[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${text}`);
  }
}

function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
