import {
  type BlockHeader,
  blockHeaderBytes,
  CompactRange,
  concatBytes,
  deriveKeyId,
  entryLeafHash,
  fromHex,
  GENESIS_PREV,
  hashBlockHeader,
  INTL,
  isKeyRecordType,
  type JsonValue,
  MerkleTree,
  toBase64,
  toHex,
} from "#chain";
import {
  EXPORT_TAG,
  type ExportBlock,
  ExportKeyHistoryIndex,
  type ExportManifest,
  formatManifest,
  parseTrustBundle,
} from "../../../../lib/evidence/index.js";
import { testLog, testWitness } from "../../../support/witness-keys.js";
import {
  ed25519Key,
  keyAdd,
  type MemberKey,
  record,
  type Stored,
  TestLedger,
  t,
  trustRootFor,
} from "../../../vectors/evidence/ledger.js";

// A small log exported as `zhixin export` writes it, in memory: three blocks — the genesis
// key records, two departments' records, and one more — with a published checkpoint
// cosigned by two of three witnesses (quorum 2), the trust root and the trust bundle.
// Tests change one thing and audit it.

export const LOG = "zhixin.example/export";
export const sealer = testLog(LOG, "export sealer");
export const witnesses = ["a", "b", "c"].map((w) => testWitness(`zhixin-witness/export/${w}`));
export const trust = trustRootFor(sealer, witnesses, 2);
const SEALER_KEY_ID = deriveKeyId(
  INTL,
  "sealer",
  concatBytes(fromHex("302a300506032b6570032100"), sealer.publicKey),
);

export const haikou = ed25519Key("hf-haikou", new Uint8Array(32).fill(1));
export const sanya = ed25519Key("hf-sanya", new Uint8Array(32).fill(2));

/** keys.json: both departments' keys, valid from the start of the tests. */
export function keysText(keys: readonly MemberKey[] = [haikou, sanya], validFrom = t(0)): string {
  return JSON.stringify({
    log: LOG,
    keys: keys.map((k) => ({
      keyId: k.keyId,
      owner: k.owner,
      role: k.role,
      alg: k.alg,
      spki: toBase64(k.spki),
      validFrom,
    })),
  });
}

export interface Fixture {
  blocks: ExportBlock[];
  manifest: ExportManifest;
  /** The published checkpoint: of the whole log, cosigned by witnesses a and b. */
  checkpoint: string;
  ledger: TestLedger;
}

/** The blocks' entries, in log order. */
export function entriesOf(): Stored[][] {
  return [
    [keyAdd(haikou, haikou, { receivedAt: t(1) }), keyAdd(sanya, sanya, { receivedAt: t(2) })],
    [
      record(haikou, "housing-fund.deposit-certificate", { citizen: "1", months: 36 }, { receivedAt: t(10) }),
      record(sanya, "housing-fund.deposit-certificate", { citizen: "2", months: 12 }, { receivedAt: t(11) }),
    ],
    [record(haikou, "housing-fund.deposit-certificate", { citizen: "3", months: 1 }, { receivedAt: t(20) })],
  ];
}

/** Blocks sealed from `batches` of entries as the sealer seals them, read as hf-haikou reads them. */
export function sealBlocks(
  batches: Stored[][],
  ledger = new TestLedger(sealer),
): { blocks: ExportBlock[]; ledger: TestLedger } {
  const range = CompactRange.empty(INTL);
  let prev = GENESIS_PREV;
  const blocks = batches.map((entries, b) => {
    const first = ledger.append(...entries);
    const leaves = entries.map((e) => entryLeafHash(INTL, e.envelope));
    range.appendAll(leaves);
    const header: BlockHeader = {
      v: 1,
      log: LOG,
      height: b + 1,
      prev,
      root: toHex(new MerkleTree(INTL, leaves).root()),
      first,
      count: entries.length,
      logSize: first + entries.length,
      logRoot: toHex(range.root()),
      sealedAt: t(100 + b),
      sealer: SEALER_KEY_ID,
    };
    const hash = toHex(hashBlockHeader(INTL, header));
    prev = hash;
    return {
      height: b + 1,
      header: header as unknown as JsonValue,
      hash,
      signature: {
        keyId: SEALER_KEY_ID,
        alg: "ed25519" as const,
        value: toBase64(sealer.signer.sign(blockHeaderBytes(header))),
      },
      checkpoint: ledger.checkpoint([], 0),
      entries: entries.map((e, i) => {
        const mine = e.envelope.dept === haikou.owner || isKeyRecordType(e.envelope.type);
        return {
          leafHash: toHex(leaves[i] as Uint8Array),
          id: e.envelope.id,
          batchKey: `${e.envelope.keyId}#${/nonce="([^"]+)"/.exec(e.envelope.signatureBase)?.[1]}`,
          envelope: e.envelope as unknown as { [key: string]: JsonValue },
          payload: mine ? e.payload : null,
          payloadStatus: mine ? ("included" as const) : ("withheld" as const),
        };
      }),
    };
  });
  return { blocks, ledger };
}

/** The manifest `zhixin export` writes for these blocks. */
export function manifestOf(blocks: readonly ExportBlock[]): ExportManifest {
  const payloads = { included: 0, withheld: 0, missing: 0 };
  const keyRecords: ExportManifest["keyRecords"] = [];
  const keyIndex = new ExportKeyHistoryIndex(INTL);
  let index = 0;
  for (const b of blocks)
    for (const leaf of b.entries) {
      payloads[leaf.payloadStatus]++;
      const e = leaf.envelope as never;
      if (e && keyIndex.classify(e))
        keyRecords.push({
          entryId: leaf.id,
          type: (e as { type: string }).type,
          height: b.height,
          logIndex: index,
        });
      index++;
    }
  const lastBlock = blocks[blocks.length - 1];
  const h = lastBlock?.header as unknown as BlockHeader | undefined;
  return {
    export: EXPORT_TAG,
    log: LOG,
    exportedAs: "hf-haikou",
    last:
      lastBlock && h
        ? { height: h.height, hash: lastBlock.hash, logSize: h.logSize, logRoot: h.logRoot }
        : null,
    payloads,
    keyRecords,
    runs: lastBlock ? [{ from: 1, to: lastBlock.height, at: t(200) }] : [],
  };
}

export function fixture(): Fixture {
  const { blocks, ledger } = sealBlocks(entriesOf());
  const manifest = manifestOf(blocks);
  formatManifest(manifest);
  return { blocks, manifest, checkpoint: ledger.checkpoint(witnesses.slice(0, 2), 1_800_000_000), ledger };
}

export const keys = () => parseTrustBundle(keysText());
