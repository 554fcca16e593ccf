import { generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import {
  BATCH_ROOT_HEADER,
  type BlockEvidence,
  type BlockHeader,
  batchKeyOf,
  batchRootHeaderValue,
  blockHeaderBytes,
  buildSignatureBase,
  CompactRange,
  type CryptoSuite,
  canonicalJson,
  contentDigest,
  DEPARTMENT_HEADER,
  type EntryEnvelope,
  entryIdFor,
  entryLeafHash,
  GENESIS_PREV,
  genesisSuiteFields,
  hashBlockHeader,
  INTL,
  type JsonValue,
  type LedgerEnvelope,
  MerkleTree,
  recordHash,
  rootFromLeafHashes,
  signatureBaseText,
  toBase64,
  toHex,
  type VerifyBlocksOptions,
} from "#chain";

/**
 * Builds valid chains of blocks in memory, signed with real Ed25519 keys, for tests
 * of the pure verifier. Mirrors what submit and the sealer do, without storage.
 */

export interface FixtureKeys {
  /**
   * The suite every hash is made with. The signatures stay Ed25519 whatever it is: these
   * fixtures test the verifier's hashing and checks, not a suite's signature algorithm.
   */
  suite: CryptoSuite;
  sealer: { keyId: string; privateKey: KeyObject; publicKey: KeyObject };
  dept: { id: string; keyId: string; privateKey: KeyObject; publicKey: KeyObject };
}

export function makeKeys(suite: CryptoSuite = INTL): FixtureKeys {
  const s = generateKeyPairSync("ed25519");
  const d = generateKeyPairSync("ed25519");
  return {
    suite,
    sealer: { keyId: "sealer-1", ...s },
    dept: { id: "hf-haikou", keyId: "hf-haikou-1", ...d },
  };
}

export const LOG = "zhixin.test/fixture";
const T0 = Date.parse("2026-11-21T08:00:00.000Z");

/** Signs one batch of records the way a department's client does and returns its envelopes. */
export function makeBatch(
  keys: FixtureKeys,
  records: Array<{ type: string; data: JsonValue }>,
  nonce: string,
  at: number,
): { envelopes: EntryEnvelope[]; payloads: string[] } {
  const digests = records.map((r) => contentDigest(keys.suite, r.data));
  const recordHashes = records.map((r, i) => recordHash(keys.suite, r.type, digests[i] as string));
  const tree = new MerkleTree(keys.suite, recordHashes);
  const root = tree.root();
  const base = buildSignatureBase(
    [
      ["@method", "POST"],
      ["@path", "/v1/entries"],
      ["content-digest", "sha-256=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:"],
      [DEPARTMENT_HEADER, keys.dept.id],
      [BATCH_ROOT_HEADER, batchRootHeaderValue(root)],
    ],
    { created: Math.floor(at / 1000), keyid: keys.dept.keyId, alg: "ed25519", nonce },
  );
  const text = signatureBaseText(base);
  const signature = toBase64(sign(null, Buffer.from(text), keys.dept.privateKey));
  const envelopes = records.map(
    (r, i): EntryEnvelope => ({
      v: 1,
      id: entryIdFor(keys.suite, keys.dept.keyId, nonce, i, recordHashes[i] as Uint8Array),
      dept: keys.dept.id,
      type: r.type,
      contentDigest: digests[i] as string,
      keyId: keys.dept.keyId,
      alg: "ed25519",
      signatureBase: text,
      signature,
      batch: { size: records.length, index: i, root: toHex(root), path: tree.inclusionProof(i).map(toHex) },
      receivedAt: new Date(at).toISOString(),
    }),
  );
  return { envelopes, payloads: records.map((r) => canonicalJson(r.data)) };
}

/** A valid chain: blockSizes[i] entries in block i + 1, in batches of up to 3 records. */
export function makeChain(keys: FixtureKeys, blockSizes: number[]): BlockEvidence[] {
  let n = 0;
  const blocks = blockSizes.map((size, b) => {
    const entries: StoredEntry[] = [];
    while (entries.length < size) {
      const k = Math.min(3, size - entries.length);
      const records = Array.from({ length: k }, () => ({
        type: "housing-fund.deposit-certificate",
        data: { citizen: `4601${String(n).padStart(6, "0")}`, months: 12 + (n % 30), n: n++ },
      }));
      const batch = makeBatch(keys, records, `nonce-${b}-${entries.length}-0123456789`, T0 + n * 1000);
      batch.envelopes.forEach((envelope, i) => {
        entries.push({ envelope, payload: batch.payloads[i] as string });
      });
    }
    return entries;
  });
  return sealBlocks(keys, blocks, (b) => T0 + b * 2000);
}

/** A stored ledger entry of either kind: its envelope and its payload text. */
export interface StoredEntry {
  envelope: LedgerEnvelope;
  payload: string;
}

/**
 * Seals `blocks` (each a list of stored entries, in log order) into a valid chain from
 * genesis, signed by the fixture's sealer; page entry ids are the envelopes' ids. Used
 * both to build fixtures and to play an operator who holds the sealer key and rewrites
 * history: every envelope-level check must still catch what it changed. Page batch keys
 * are the envelopes' own `<keyId>#<nonce>`, as the store files them.
 */
export function sealBlocks(
  keys: FixtureKeys,
  blocks: ReadonlyArray<readonly StoredEntry[]>,
  sealedAt: (block: number) => number = (b) => T0 + (b + 1) * 60_000,
): BlockEvidence[] {
  const out: BlockEvidence[] = [];
  const range = CompactRange.empty(keys.suite);
  let prev = GENESIS_PREV;
  blocks.forEach((entries, b) => {
    const leafHashes = entries.map((e) => entryLeafHash(keys.suite, e.envelope));
    const first = range.size;
    range.appendAll(leafHashes);
    const header: BlockHeader = {
      v: 1,
      log: LOG,
      height: b + 1,
      prev,
      root: toHex(rootFromLeafHashes(keys.suite, leafHashes)),
      first,
      count: entries.length,
      logSize: range.size,
      logRoot: toHex(range.root()),
      sealedAt: new Date(sealedAt(b)).toISOString(),
      sealer: keys.sealer.keyId,
      // As the sealer writes it: the genesis block records the suite.
      ...(b === 0 ? genesisSuiteFields(keys.suite) : {}),
    };
    out.push({
      header,
      hash: toHex(hashBlockHeader(keys.suite, header)),
      signature: {
        keyId: keys.sealer.keyId,
        alg: "ed25519",
        value: toBase64(sign(null, blockHeaderBytes(header), keys.sealer.privateKey)),
      },
      leafHashes,
      entryIds: entries.map((e) => e.envelope.id),
      batchKeys: entries.map((e) => pageBatchKey(e.envelope)),
      entries: entries.map((e) => ({ envelope: structuredClone(e.envelope), payload: e.payload })),
      logRange: range.state(),
    });
    prev = toHex(hashBlockHeader(keys.suite, header));
  });
  return out;
}

/** The batch key a sealer files an envelope under; none for a base with no readable nonce. */
function pageBatchKey(envelope: LedgerEnvelope): string | undefined {
  try {
    return batchKeyOf(envelope);
  } catch {
    return undefined;
  }
}

export function verifyOptions(keys: FixtureKeys): VerifyBlocksOptions {
  return {
    suite: keys.suite,
    log: LOG,
    verifyHeaderSignature: (message, sig) => {
      if (sig.keyId !== keys.sealer.keyId) return "unknown-key";
      return verify(null, message, keys.sealer.publicKey, Buffer.from(sig.value, "base64"))
        ? "ok"
        : "invalid";
    },
    verifyEntrySignature: (envelope, message, signature) => {
      if (envelope.keyId !== keys.dept.keyId) return "unknown-key";
      return verify(null, message, keys.dept.publicKey, signature) ? "ok" : "invalid";
    },
  };
}
