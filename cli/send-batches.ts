import type { Receipt } from "../lib/protocol/entries.js";
import type { ZhixinClient } from "./client.js";
import type { Batch } from "./input.js";

/**
 * Sends planned batches with at most `concurrency` requests in flight. Each batch is
 * its own signed request (own nonce), so the server may receive them in any order;
 * receipts come back in batch order. After the first refusal no new batch is started;
 * the ones already accepted stay accepted (the ledger has no undo), so the failure
 * says exactly which were.
 */

export class BatchesFailed extends Error {
  override readonly name = "BatchesFailed";
  constructor(
    /** The first error (usually a ClientError). */
    readonly error: unknown,
    /** 0-based index of the batch that failed. */
    readonly batch: number,
    /** 0-based indexes of batches the server accepted, ascending. */
    readonly accepted: number[],
  ) {
    super((error as Error).message);
  }
}

export async function sendBatches(
  client: ZhixinClient,
  batches: readonly Batch[],
  options: { concurrency?: number; onBatch?: (batch: Batch, receipt: Receipt) => void } = {},
): Promise<Receipt[]> {
  const receipts: Array<Receipt | undefined> = new Array(batches.length).fill(undefined);
  let next = 0;
  let failure: { batch: number; error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < batches.length) {
      const index = next++;
      const batch = batches[index] as Batch;
      try {
        const receipt = await client.submit(batch.records);
        receipts[index] = receipt;
        options.onBatch?.(batch, receipt);
      } catch (error) {
        failure ??= { batch: index, error };
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 4, batches.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) {
    const accepted = receipts.flatMap((r, i) => (r ? [i] : []));
    throw new BatchesFailed(failure.error, failure.batch, accepted);
  }
  return receipts as Receipt[];
}

/** The combined receipt `zhixin submit` prints for ndjson input. */
export interface CombinedReceipt {
  entries: Receipt["entries"];
  batches: number;
  /** Earliest and latest server receive time over the batches. */
  receivedAt: [string, string];
}

/** Requires at least one receipt. */
export function combineReceipts(receipts: readonly Receipt[]): CombinedReceipt {
  const times = receipts.map((r) => r.receivedAt).sort();
  return {
    entries: receipts.flatMap((r) => r.entries),
    batches: receipts.length,
    receivedAt: [times[0] ?? "", times[times.length - 1] ?? ""],
  };
}
