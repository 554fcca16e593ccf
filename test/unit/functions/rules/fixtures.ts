import { createHash } from "node:crypto";
import type { EntryEnvelope } from "#chain";
import type { PreparedBatch, RuleStore } from "../../../../functions/rules/index.js";
import type { BatchHead, IndexEntry, StoredBatch, StoredPayload } from "../../../../functions/store/ports.js";
import { type Consortium, parseConsortium } from "../../../../lib/consortium/consortium.js";
import { exampleConsortium } from "../../../support/consortium-file.js";

// Fixtures of the record rules' unit tests: the demo consortium plus one type with a
// subject and unique fields but no schema (so the subject and unique checks are reached),
// prepared batches, and a read-only store in memory — rules only read (RuleStore).

export const SUBJECT_KEY = new Uint8Array(32).fill(7);

/** consortium.example.json, plus `x.note` (writers hf-haikou, hf-sanya; subject `who`; unique [n, m]; no schema). */
export function testConsortium(): Consortium {
  const c = exampleConsortium();
  c.recordTypes.push({
    type: "x.note",
    writers: ["hf-haikou", "hf-sanya"],
    subject: "who",
    unique: ["n", "m"],
  });
  return parseConsortium(c);
}

/** A batch of `records` by `department`, as intake prepares it; entry ids are 32 hex digits, distinct per nonce and index. */
export function batchOf(
  department: string,
  records: Array<{ type: string; data: Record<string, unknown> }>,
  nonce = "nonce-0000000001",
): PreparedBatch {
  const keyId = `${department}/key-1`;
  return {
    submitter: { department, keyId, nonce },
    records,
    entryIds: records.map((_, i) => createHash("md5").update(`${nonce}#${i}`).digest("hex")),
    batchKey: `${keyId}#${nonce}`,
    receivedAt: "2026-11-21T08:00:00.000Z",
  };
}

/** Committed batches, payloads and index entries in memory; counts the reads. */
export class MemoryRuleStore implements RuleStore {
  readonly batches = new Map<string, StoredBatch>();
  readonly payloads = new Map<string, StoredPayload>();
  readonly index: IndexEntry[] = [];
  readonly reads: string[] = [];

  /** A committed batch of `envelopes` (their data as given), with their payloads. */
  commit(key: string, envelopes: EntryEnvelope[], data: string[] = envelopes.map(() => "{}")): void {
    const first = envelopes[0] as EntryEnvelope;
    this.batches.set(key, {
      key,
      dept: first.dept,
      keyId: first.keyId,
      nonce: key.split("#")[1] ?? "",
      receivedAt: first.receivedAt,
      envelopes,
    });
    for (const [i, e] of envelopes.entries()) {
      this.payloads.set(e.id, {
        entryId: e.id,
        batchKey: key,
        dept: e.dept,
        type: e.type,
        data: data[i] ?? "",
      });
    }
  }

  async getPayload(entryId: string): Promise<StoredPayload | undefined> {
    this.reads.push(`getPayload ${entryId}`);
    return this.payloads.get(entryId);
  }

  async getBatch(key: string): Promise<StoredBatch | undefined> {
    this.reads.push(`getBatch ${key}`);
    return this.batches.get(key);
  }

  async getBatchHeads(keys: readonly string[]): Promise<BatchHead[]> {
    this.reads.push(`getBatchHeads ${keys.join(",")}`);
    return keys.flatMap((k) => {
      const b = this.batches.get(k);
      return b ? [{ key: k, receivedAt: b.receivedAt, entryIds: b.envelopes.map((e) => e.id) }] : [];
    });
  }

  async listIndexEntries(index: string): Promise<IndexEntry[]> {
    this.reads.push(`listIndexEntries ${index}`);
    return this.index.filter((e) => e.index === index);
  }
}

/** An envelope with the fields the rules read (id, dept, type, contentDigest, receivedAt). */
export function envelope(
  over: Partial<EntryEnvelope> & Pick<EntryEnvelope, "id" | "dept" | "type">,
): EntryEnvelope {
  return {
    v: 1,
    contentDigest: "0".repeat(64),
    keyId: `${over.dept}/key-1`,
    alg: "ed25519",
    signatureBase: "",
    signature: "",
    batch: { size: 1, index: 0, root: "0".repeat(64), path: [] },
    receivedAt: "2026-11-20T08:00:00.000Z",
    ...over,
  };
}
