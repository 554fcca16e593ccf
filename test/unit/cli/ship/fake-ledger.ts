import { batchRootOf, INTL, type JsonValue, toHex } from "#chain";
import { ClientError, type SubmitRecord } from "../../../../cli/client.js";
import { expectedEntryIds, type ShipApi } from "../../../../cli/ship/deliver.js";
import type { EntryView, Receipt } from "../../../../lib/protocol/entries.js";

/**
 * The API as the shipper sees it, in memory: a batch commits once per (key id, nonce),
 * a replay is answered NONCE_REPLAYED (409), entry ids are derived as the ledger derives
 * them, and GET of an entry shows its batch's size and root. Failures are injected per
 * request: `failures` are thrown before the request reaches the ledger, `lostAnswers`
 * after the batch committed (the answer never arrives: a timeout, an API killed).
 */
export class FakeLedger implements ShipApi {
  readonly suite = INTL;
  /** Committed batches by nonce. */
  readonly batches = new Map<string, { keyId: string; records: SubmitRecord[]; receivedAt: string }>();
  readonly entries = new Map<string, { nonce: string; index: number }>();
  /** Thrown by the next requests, in order, before anything commits. */
  failures: ClientError[] = [];
  /** This many next submits commit, then fail with TIMEOUT. */
  lostAnswers = 0;
  /** Every submit as it arrived: nonce and record count. */
  readonly submits: Array<{ nonce: string; records: number }> = [];
  /** Refuse a batch holding a record for which this returns a code (400). */
  refuse: (record: SubmitRecord) => string | undefined = () => undefined;

  constructor(readonly keyId = "hf-haikou/0123456789abcdef") {}

  async submit(records: readonly SubmitRecord[], options: { nonce: string }): Promise<Receipt> {
    await Promise.resolve();
    this.submits.push({ nonce: options.nonce, records: records.length });
    const failure = this.failures.shift();
    if (failure) throw failure;
    const index = records.findIndex((r) => this.refuse(r) !== undefined);
    if (index >= 0) {
      const code = this.refuse(records[index] as SubmitRecord) as string;
      throw new ClientError(code, `records[${index}] refused`, 400, { index });
    }
    if (this.batches.has(options.nonce)) throw new ClientError("NONCE_REPLAYED", "replayed", 409);
    const receivedAt = new Date(Date.UTC(2026, 11, 1, 0, 0, this.batches.size)).toISOString();
    this.batches.set(options.nonce, { keyId: this.keyId, records: [...records], receivedAt });
    const ids = expectedEntryIds(INTL, { nonce: options.nonce, keyId: this.keyId, records: [...records] });
    for (const [index, id] of ids.entries()) this.entries.set(id, { nonce: options.nonce, index });
    if (this.lostAnswers > 0) {
      this.lostAnswers--;
      throw new ClientError("TIMEOUT", "no response within 120 s");
    }
    return { entries: ids.map((id) => ({ id, leafHash: "00".repeat(32) })), receivedAt };
  }

  async getEntry(id: string): Promise<EntryView> {
    await Promise.resolve();
    const failure = this.failures.shift();
    if (failure) throw failure;
    const at = this.entries.get(id);
    const batch = at && this.batches.get(at.nonce);
    if (!at || !batch) throw new ClientError("NOT_FOUND", `no entry ${id}`, 404);
    const root = toHex(batchRootOf(INTL, batch.records as Array<{ type: string; data: JsonValue }>));
    return {
      id,
      status: "pending",
      leafHash: "00".repeat(32),
      envelope: {
        batch: { size: batch.records.length, index: at.index, root, path: [] },
        receivedAt: batch.receivedAt,
      },
    } as unknown as EntryView;
  }

  /** Every committed record's data, in commit order. */
  records(): Array<Record<string, unknown>> {
    return [...this.batches.values()].flatMap((b) => b.records.map((r) => r.data));
  }
}

/** An ndjson line of a made-up record numbered `n`. */
export function opLine(n: number): string {
  return JSON.stringify({ department: "hf-haikou", post: "clerk", operation: "read", table: "t", serial: n });
}
