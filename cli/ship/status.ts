/**
 * `zhixin ship`'s progress line on a terminal (stderr), redrawn in place at most every
 * 250 ms:
 *
 *   read 12,400 · sent 12,300 · acknowledged 12,200 (3,410/s) · in flight 4 · offset 1,187,200
 *
 * with "· retrying: CONNECTION" while a batch waits to be sent again. The rate is over the
 * last few seconds, so it shows the stream now rather than since the start.
 */

export interface ShipCounts {
  read: number;
  sent: number;
  acked: number;
  inFlight: number;
  offset: number;
  /** The code of the last error that made a batch wait, until a batch goes through. */
  retrying: string | undefined;
}

export function newCounts(offset: number): ShipCounts {
  return { read: 0, sent: 0, acked: 0, inFlight: 0, offset, retrying: undefined };
}

const WINDOW_MS = 5_000;

export class ShipStatus {
  readonly #stream: NodeJS.WriteStream;
  readonly #counts: ShipCounts;
  readonly #now: () => number;
  readonly #samples: Array<{ at: number; acked: number }> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(stream: NodeJS.WriteStream, counts: ShipCounts, now: () => number = Date.now) {
    this.#stream = stream;
    this.#counts = counts;
    this.#now = now;
    this.#timer = setInterval(() => this.draw(), 250);
    this.#timer.unref();
  }

  /** Records acknowledged per second over the last few seconds. */
  rate(): number {
    const at = this.#now();
    this.#samples.push({ at, acked: this.#counts.acked });
    while (this.#samples.length > 2 && (this.#samples[0]?.at ?? at) < at - WINDOW_MS) this.#samples.shift();
    const first = this.#samples[0];
    if (!first || at === first.at) return 0;
    return ((this.#counts.acked - first.acked) * 1000) / (at - first.at);
  }

  draw(): void {
    this.#stream.write(`\r\x1b[K${formatStatus(this.#counts, this.rate())}`);
  }

  /** Leaves the last state on its own line. */
  finish(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.draw();
    this.#stream.write("\n");
  }

  /** Erases the line (before printing something else on stderr). */
  clear(): void {
    this.#stream.write("\r\x1b[K");
  }
}

export function formatStatus(c: ShipCounts, rate: number): string {
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  return (
    `read ${n(c.read)} · sent ${n(c.sent)} · acknowledged ${n(c.acked)} (${n(rate)}/s) · ` +
    `in flight ${c.inFlight} · offset ${n(c.offset)}${c.retrying ? ` · retrying: ${c.retrying}` : ""}`
  );
}
