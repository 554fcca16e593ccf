import { createHash, createPublicKey, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type BlockHeader,
  batchRootOf,
  blockHeaderBytes,
  canonicalJson,
  checkEnvelopeBinding,
  contentDigest,
  deriveKeyId,
  type EntryEnvelope,
  entryIdFor,
  entryLeafData,
  entryLeafHash,
  fromBase64,
  fromHex,
  hashBlockHeader,
  INTL,
  MerkleTree,
  NOTE_SIGNATURE_TYPE_ED25519,
  noteKeyHash,
  openCheckpoint,
  parseBlockHeader,
  parseEntryEnvelope,
  parseSignatureBase,
  recordHash,
  toHex,
  verifyBlocks,
} from "#chain";
import example from "../../../vectors/formats/example.json" with { type: "json" };

// The worked example in docs/FORMATS.md, recomputed from its inputs: if a format
// changes, this file and the doc must change together (scripts/make-format-vectors.ts).

const deptKey = createPublicKey({
  key: Buffer.from(example.keys.department.spki, "base64"),
  format: "der",
  type: "spki",
});
const sealerKey = createPublicKey({
  key: Buffer.from(example.keys.sealer.spki, "base64"),
  format: "der",
  type: "spki",
});
const envelopes = example.envelopes.map((e) => e.envelope as EntryEnvelope);
const header = example.header as BlockHeader;

const deptKeyId = example.keys.department.keyId;

describe("docs/FORMATS.md worked example", () => {
  it("§10 key ids: each derived from its key", () => {
    expect(deptKeyId).toBe(deriveKeyId(INTL, "hf-haikou", fromBase64(example.keys.department.spki)));
    expect(example.keys.sealer.keyId).toBe(deriveKeyId(INTL, "sealer", fromBase64(example.keys.sealer.spki)));
    expect(header.sealer).toBe(example.keys.sealer.keyId);
  });

  it("§1 record data: contentDigest is SHA-256 of the RFC 8785 form", () => {
    for (const r of example.records) {
      expect(canonicalJson(r.data)).toBe(r.canonicalData);
      expect(contentDigest(INTL, r.data)).toBe(r.contentDigest);
      expect(createHash("sha256").update(r.canonicalData).digest("hex")).toBe(r.contentDigest);
      expect(toHex(recordHash(INTL, r.type, r.contentDigest))).toBe(r.recordHash);
    }
  });

  it("§2 batch root and the department's RFC 9421 signature", () => {
    const tree = new MerkleTree(
      INTL,
      example.records.map((r) => fromHex(r.recordHash)),
    );
    expect(toHex(tree.root())).toBe(example.batchRoot);
    expect(toHex(batchRootOf(INTL, example.records))).toBe(example.batchRoot);
    expect(example.batchRootHeader).toBe(`:${Buffer.from(example.batchRoot, "hex").toString("base64")}:`);
    expect(example.request.contentDigest).toBe(
      `sha-256=:${createHash("sha256").update(example.request.body).digest("base64")}:`,
    );
    const base = parseSignatureBase(example.signatureBase);
    expect(new Map(base.components).get("zhixin-batch-root")).toBe(example.batchRootHeader);
    expect(base.params).toEqual({
      created: 1795248000,
      keyid: deptKeyId,
      alg: "ed25519",
      nonce: example.request.nonce,
    });
    expect(
      verify(null, Buffer.from(example.signatureBase), deptKey, Buffer.from(example.signature, "base64")),
    ).toBe(true);
  });

  it("§2 envelopes: ids, binding, leaf data and leaf hashes", () => {
    example.envelopes.forEach((e, i) => {
      const envelope = parseEntryEnvelope(e.envelope);
      expect(envelope.id).toBe(
        entryIdFor(INTL, deptKeyId, example.request.nonce, i, fromHex(example.records[i]?.recordHash ?? "")),
      );
      checkEnvelopeBinding(INTL, envelope);
      expect(new TextDecoder().decode(entryLeafData(envelope))).toBe(e.leafData);
      expect(e.leafData.startsWith("zhixin/entry/v1\n{")).toBe(true);
      expect(toHex(entryLeafHash(INTL, envelope))).toBe(e.leafHash);
      expect(
        createHash("sha256")
          .update(Buffer.concat([Buffer.from([0]), Buffer.from(e.leafData)]))
          .digest("hex"),
      ).toBe(e.leafHash);
    });
  });

  it("§3 block header bytes, hash and sealer signature", () => {
    expect(parseBlockHeader(example.header)).toEqual(header);
    expect(new TextDecoder().decode(blockHeaderBytes(header))).toBe(example.headerBytes);
    expect(toHex(hashBlockHeader(INTL, header))).toBe(example.blockHash);
    expect(createHash("sha256").update(example.headerBytes).digest("hex")).toBe(example.blockHash);
    expect(
      verify(
        null,
        Buffer.from(example.headerBytes),
        sealerKey,
        Buffer.from(example.headerSignature, "base64"),
      ),
    ).toBe(true);
  });

  it("§4 checkpoint: C2SP note for (log, logSize, logRoot) signed by the sealer", () => {
    const raw = new Uint8Array(Buffer.from(example.keys.sealer.spki, "base64")).slice(12);
    const checkpoint = openCheckpoint(
      example.checkpoint,
      [
        {
          name: header.log,
          keyHash: noteKeyHash(header.log, NOTE_SIGNATURE_TYPE_ED25519, raw),
          verify: (m, s) => verify(null, m, sealerKey, s),
        },
      ],
      header.log,
    );
    expect(checkpoint.size).toBe(header.logSize);
    expect(toHex(checkpoint.rootHash)).toBe(header.logRoot);
  });

  it("the whole example passes the block verifier", () => {
    const report = verifyBlocks(
      [
        {
          header,
          hash: example.blockHash,
          signature: { keyId: example.keys.sealer.keyId, alg: "ed25519", value: example.headerSignature },
          leafHashes: example.envelopes.map((e) => fromHex(e.leafHash)),
          entries: envelopes.map((envelope, i) => ({ envelope, payload: example.records[i]?.canonicalData })),
        },
      ],
      {
        suite: INTL,
        log: "zhixin.example/demo",
        verifyHeaderSignature: (m, s) => (verify(null, m, sealerKey, fromBase64(s.value)) ? "ok" : "invalid"),
        verifyEntrySignature: (_e, m, s) => (verify(null, m, deptKey, s) ? "ok" : "invalid"),
      },
    );
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
