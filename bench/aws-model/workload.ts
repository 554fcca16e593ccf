import { generateKeyPairSync } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { batchKeyFor, canonicalJson, INTL } from "#chain";
import { DEFAULT_MAX_ENTRIES, sealBlock } from "../../functions/ledger/sealer.js";
import type { StoredBatch } from "../../functions/store/ports.js";
import { LocalSigner } from "../../lib/crypto/local-signer.js";
import type { Signer } from "../../lib/crypto/signer.js";
import type { SealResult } from "../../lib/protocol/entries.js";
import { makeBatch, makeKeys } from "../../test/support/chain-fixture.js";
import type { ModelStore } from "./model-store.js";

/** The batches producers commit, the sealer that seals them, and the loops that drive both. */

export const LOG = "zhixin.bench/aws-model";
/** An S5 record: one database operation, ~220 bytes of JSON like the ledger bench's. */
const TYPE = "audit.db-operation";

/**
 * `count` signed batches of `size` records each, made before any timing starts (their
 * cost is the departments', not the sealer's). Batches of one size share nothing but
 * the department key.
 */
export function makeBatches(count: number, size: number, tag: string): Produced[] {
  const keys = makeKeys();
  const out: Produced[] = [];
  const at = Date.now();
  for (let b = 0; b < count; b++) {
    const nonce = `${tag}-${String(b).padStart(8, "0")}`;
    const records = Array.from({ length: size }, (_, i) => ({
      type: TYPE,
      data: {
        operator: `op-${(b * size + i) % 97}`,
        database: "hf_core",
        table: "deposit_account",
        operation: i % 5 === 0 ? "update" : "read",
        rowKey: `acct-${b}-${i}`,
        at: new Date(at + b).toISOString(),
        reason: "counter service: deposit certificate lookup",
      },
    }));
    const { envelopes } = makeBatch(keys, records, nonce, at + b);
    const batch: StoredBatch = {
      key: batchKeyFor(keys.dept.keyId, nonce),
      dept: keys.dept.id,
      keyId: keys.dept.keyId,
      nonce,
      receivedAt: new Date(at + b).toISOString(),
      envelopes,
    };
    out.push({ batch, text: canonicalJson(envelopes) });
  }
  return out;
}

/** A batch as a producer commits it, with its envelopes already serialised (submit's work). */
export interface Produced {
  batch: StoredBatch;
  text: string;
}

function commit(store: ModelStore, p: Produced): Promise<unknown> {
  return store.commitBatch({ ...p.batch, receivedAt: new Date().toISOString() }, p.text);
}

/** An Ed25519 sealer key whose signatures take `ms` longer, as a KMS Sign round trip does. */
export function kmsLikeSigner(ms: number): Signer {
  const local = new LocalSigner("sealer/key-1", generateKeyPairSync("ed25519").privateKey);
  return {
    keyId: local.keyId,
    alg: local.alg,
    publicKey: () => local.publicKey(),
    sign: async (message) => {
      const signature = await local.sign(message);
      if (ms > 0) await sleep(ms);
      return signature;
    },
  };
}

export function sealOnce(store: ModelStore, signer: Signer): Promise<SealResult> {
  return sealBlock({
    store,
    signer,
    clock: { now: () => new Date() },
    log: LOG,
    suite: INTL,
    maxEntries: DEFAULT_MAX_ENTRIES,
  });
}

/** Seals until nothing is pending; entries sealed and seconds taken. */
export async function drain(
  store: ModelStore,
  signer: Signer,
): Promise<{ entries: number; blocks: number; seconds: number }> {
  const t0 = performance.now();
  let entries = 0;
  let blocks = 0;
  for (;;) {
    const r = await sealOnce(store, signer);
    if (!r.sealed) {
      if (r.reason !== "nothing-pending") throw new Error(`seal: ${r.reason}`);
      return { entries, blocks, seconds: (performance.now() - t0) / 1000 };
    }
    entries += r.entries;
    blocks++;
  }
}

/** Commits each batch with receivedAt = now, without waiting on the sealer's model. */
export async function commitAll(store: ModelStore, batches: readonly Produced[]): Promise<void> {
  for (const p of batches) await commit(store, p);
}

export interface Sustained {
  /** Entries committed per second over the producing window, as achieved. */
  offered: number;
  /** Entries sealed per second from the first commit until the backlog was gone. */
  sealedRate: number;
  /** Oldest pending batch's age, sampled every 100 ms while producing (ms). */
  lagSamples: number[];
  /** Largest lag in the first and in the second half of the producing window (ms). */
  firstHalfMaxLag: number;
  secondHalfMaxLag: number;
  /** Pending entries' worth of batches left when producing stopped. */
  pendingAtEnd: number;
  blocks: number;
  /** Entries of each block sealed. */
  blockEntries: number[];
  /** Share of the run the sealer spent sealing rather than waiting for its next interval. */
  busy: number;
  seconds: number;
}

/**
 * Producers commit `batches` at `entriesPerSecond` (in time slices of 10 ms) while one
 * sealer seals as the Lambda's seal loop does: again at once after a full block (`more`),
 * otherwise one interval after the last seal started.
 */
export async function sustain(
  store: ModelStore,
  signer: Signer,
  batches: readonly Produced[],
  entriesPerSecond: number,
  intervalMs: number,
): Promise<Sustained> {
  const perBatch = batches[0]?.batch.envelopes.length ?? 1;
  const t0 = performance.now();
  let producing = true;
  let producedAt = t0;
  let committed = 0;
  const producer = (async () => {
    while (committed < batches.length) {
      const due = Math.min(
        batches.length,
        Math.floor((((performance.now() - t0) / 1000) * entriesPerSecond) / perBatch),
      );
      while (committed < due) await commit(store, batches[committed++] as Produced);
      await sleep(10);
    }
    producedAt = performance.now();
    producing = false;
  })();
  const lagSamples: number[] = [];
  const sampler = (async () => {
    while (producing) {
      const oldest = store.oldestPending();
      lagSamples.push(oldest === undefined ? 0 : Date.now() - Date.parse(oldest));
      await sleep(100);
    }
  })();
  const blockEntries: number[] = [];
  let sealedEntries = 0;
  let pendingAtEnd = -1;
  let sealingMs = 0;
  for (;;) {
    const started = performance.now();
    const r = await sealOnce(store, signer);
    sealingMs += performance.now() - started;
    if (r.sealed) {
      blockEntries.push(r.entries);
      sealedEntries += r.entries;
    }
    if (!producing && pendingAtEnd < 0) pendingAtEnd = store.pendingCount() * perBatch;
    if (!producing && !r.sealed && r.reason === "nothing-pending") break;
    const more = r.sealed && r.more === true;
    const wait = more ? 0 : Math.max(0, intervalMs - (performance.now() - started));
    if (wait > 0) await sleep(wait);
  }
  await producer;
  await sampler;
  const seconds = (performance.now() - t0) / 1000;
  const half = Math.floor(lagSamples.length / 2);
  const producingSeconds = (producedAt - t0) / 1000;
  return {
    offered: (batches.length * perBatch) / producingSeconds,
    sealedRate: sealedEntries / seconds,
    lagSamples,
    firstHalfMaxLag: Math.max(0, ...lagSamples.slice(0, half)),
    secondHalfMaxLag: Math.max(0, ...lagSamples.slice(half)),
    pendingAtEnd: Math.max(0, pendingAtEnd),
    blocks: blockEntries.length,
    blockEntries,
    busy: sealingMs / 1000 / seconds,
    seconds,
  };
}
