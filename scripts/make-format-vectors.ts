/**
 * Regenerates test/vectors/formats/example.json, the worked example in docs/FORMATS.md:
 *   npx tsx scripts/make-format-vectors.ts > test/vectors/formats/example.json
 * Fixed inputs (RFC 8032 §7.1 TEST 1 and TEST 2 Ed25519 seeds, fixed times), so the output
 * never changes unless a format does — test/unit/lib/chain/formats.test.ts checks every value.
 */
import { createPrivateKey, createPublicKey, sign } from "node:crypto";
import {
  BATCH_ROOT_HEADER,
  batchRootHeaderValue,
  blockHeaderBytes,
  buildSignatureBase,
  CompactRange,
  canonicalJson,
  contentDigest,
  DEPARTMENT_HEADER,
  deriveKeyId,
  type EntryEnvelope,
  entryIdFor,
  entryLeafData,
  entryLeafHash,
  formatCheckpoint,
  formatSignedNote,
  GENESIS_PREV,
  hashBlockHeader,
  INTL,
  MerkleTree,
  NOTE_SIGNATURE_TYPE_ED25519,
  noteKeyHash,
  recordHash,
  rootFromLeafHashes,
  signatureBaseText,
  toBase64,
  toHex,
  utf8,
} from "#chain";

function ed25519(seedHex: string) {
  // PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7).
  const der = Buffer.concat([
    Buffer.from("302e020100300506032b657004220420", "hex"),
    Buffer.from(seedHex, "hex"),
  ]);
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}
const dept = ed25519("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const sealer = ed25519("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
const spki = (k: ReturnType<typeof ed25519>) =>
  new Uint8Array(createPublicKey(k).export({ format: "der", type: "spki" }));
// Key ids are derived from the keys (§10, docs/design/key-history.md §1).
const deptKeyId = deriveKeyId(INTL, "hf-haikou", spki(dept));
const sealerKeyId = deriveKeyId(INTL, "sealer", spki(sealer));

const records = [
  {
    type: "housing-fund.deposit-certificate",
    data: { citizen: "460100199001011234", months: 36, status: "active" },
  },
  {
    type: "housing-fund.deposit-certificate",
    data: { citizen: "460100198505054321", months: 8, status: "active" },
  },
];
const digests = records.map((r) => contentDigest(INTL, r.data));
const recordHashes = records.map((r, i) => recordHash(INTL, r.type, digests[i] as string));
const batch = new MerkleTree(INTL, recordHashes);
const body = JSON.stringify({ records });
const bodyDigest = `sha-256=:${Buffer.from(await crypto.subtle.digest("SHA-256", utf8(body))).toString("base64")}:`;
const nonce = "Wn8mQ2xv4VdR7tLk9cJp3sHy";
const base = buildSignatureBase(
  [
    ["@method", "POST"],
    ["@path", "/v1/entries"],
    ["content-digest", bodyDigest],
    [DEPARTMENT_HEADER, "hf-haikou"],
    [BATCH_ROOT_HEADER, batchRootHeaderValue(batch.root())],
  ],
  { created: 1795248000, keyid: deptKeyId, alg: "ed25519", nonce },
);
const baseText = signatureBaseText(base);
const signature = toBase64(sign(null, Buffer.from(baseText), dept));
const envelopes: EntryEnvelope[] = records.map((r, i) => ({
  v: 1,
  id: entryIdFor(INTL, deptKeyId, nonce, i, recordHashes[i] as Uint8Array),
  dept: "hf-haikou",
  type: r.type,
  contentDigest: digests[i] as string,
  keyId: deptKeyId,
  alg: "ed25519",
  signatureBase: baseText,
  signature,
  batch: { size: 2, index: i, root: toHex(batch.root()), path: batch.inclusionProof(i).map(toHex) },
  receivedAt: "2026-11-21T08:00:00.123Z",
}));
const leaves = envelopes.map((e) => entryLeafHash(INTL, e));
const range = CompactRange.empty(INTL);
range.appendAll(leaves);
const header = {
  v: 1 as const,
  log: "zhixin.example/demo",
  height: 1,
  prev: GENESIS_PREV,
  root: toHex(rootFromLeafHashes(INTL, leaves)),
  first: 0,
  count: 2,
  logSize: 2,
  logRoot: toHex(range.root()),
  sealedAt: "2026-11-21T08:00:02.000Z",
  sealer: sealerKeyId,
  suite: "intl" as const,
};
const note = formatCheckpoint({ origin: header.log, size: 2, rootHash: range.root() });
const sealerRaw = spki(sealer).slice(12);
const checkpoint = formatSignedNote(note, [
  {
    name: header.log,
    keyHash: noteKeyHash(header.log, NOTE_SIGNATURE_TYPE_ED25519, sealerRaw),
    signature: new Uint8Array(sign(null, Buffer.from(note), sealer)),
  },
]);

console.log(
  JSON.stringify(
    {
      description: "Worked example of docs/FORMATS.md: a 2-record batch from hf-haikou sealed as block 1",
      keys: {
        department: {
          keyId: deptKeyId,
          alg: "ed25519",
          spki: toBase64(spki(dept)),
          seed: "RFC 8032 §7.1 TEST 1",
        },
        sealer: {
          keyId: sealerKeyId,
          alg: "ed25519",
          spki: toBase64(spki(sealer)),
          seed: "RFC 8032 §7.1 TEST 2",
        },
      },
      request: { body, contentDigest: bodyDigest, nonce, created: 1795248000 },
      records: records.map((r, i) => ({
        ...r,
        canonicalData: canonicalJson(r.data),
        contentDigest: digests[i],
        recordHash: toHex(recordHashes[i] as Uint8Array),
      })),
      batchRoot: toHex(batch.root()),
      batchRootHeader: batchRootHeaderValue(batch.root()),
      signatureBase: baseText,
      signature,
      envelopes: envelopes.map((e, i) => ({
        envelope: e,
        leafData: new TextDecoder().decode(entryLeafData(e)),
        leafHash: toHex(leaves[i] as Uint8Array),
      })),
      header,
      headerBytes: new TextDecoder().decode(blockHeaderBytes(header)),
      blockHash: toHex(hashBlockHeader(INTL, header)),
      headerSignature: toBase64(sign(null, blockHeaderBytes(header), sealer)),
      checkpoint,
    },
    null,
    2,
  ),
);
