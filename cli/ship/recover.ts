import { open } from "node:fs/promises";
import { InputError, parseRecordLine } from "../input.js";
import { findCommitted, withRetries } from "./deliver.js";
import type { JournaledBatch } from "./journal.js";
import { type InputLine, splitLines } from "./lines.js";
import type { AckTracker, ShippedBatch, ShipperOptions, ShipSummary } from "./shipper.js";

/**
 * Step 1 of the shipper (./shipper.ts): what an earlier run left open in the offset file,
 * rebuilt exactly as first sent (the same records give the same entry ids) and sent again.
 */

export interface Range {
  from: number;
  to: number;
}

/**
 * Rebuilds and resends the batches the offset file left open; returns the byte ranges
 * reading must skip (journaled batches: resent, or acknowledged already), in order.
 */
export async function recover(
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
