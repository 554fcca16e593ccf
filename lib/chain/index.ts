/**
 * lib/chain — Zhixin's pure verifiable-ledger core: RFC 6962 Merkle trees and proofs,
 * compact ranges, the entry envelope and block header formats, block-sequence
 * verification, C2SP checkpoints, the log as C2SP tlog-tiles, and the key history.
 * Synchronous, no I/O, no AWS, no clock: runs unchanged in Node, Lambda and browsers.
 * Formats: docs/FORMATS.md.
 */

export { type BlocksReport, GENESIS_POSITION, verifyBlocks } from "./audit.js";
export { verifyEnvelope } from "./audit-entry.js";
export type {
  BlockEvidence,
  ChainPosition,
  EntrySignatureCheck,
  HeaderSignature,
  SignatureCheck,
  VerifyBlocksOptions,
} from "./audit-evidence.js";
export {
  BLOCK_HEADER_TAG,
  BLOCK_HEADER_VERSION,
  type BlockHeader,
  blockHeaderBytes,
  GENESIS_PREV,
  genesisSuite,
  hashBlockHeader,
  parseBlockHeader,
} from "./block.js";
export { concatBytes, equalBytes, fromBase64, fromHex, fromUtf8, toBase64, toHex, utf8 } from "./bytes.js";
export { canonicalBytes, canonicalJson, type JsonValue } from "./canonical.js";
export {
  type Checkpoint,
  type CheckpointInput,
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
} from "./checkpoint.js";
export { CompactRange, type CompactRangeState, checkCompactRangeState } from "./compact.js";
export {
  COSIGNATURE_ALGORITHMS,
  COSIGNATURE_SIGNATURE_SIZE,
  COSIGNATURE_SM2_TYPE_BYTES,
  COSIGNATURE_TIMESTAMP_SIZE,
  COSIGNATURE_V1_HEADER,
  COSIGNATURE_V1_SIZE,
  COSIGNATURE_V1_TYPE,
  type Cosignature,
  type CosignatureAlgorithm,
  type CosignatureKey,
  type CosignatureSigner,
  type CosignatureVerifier,
  cosignatureKeyHash,
  cosignatureMessage,
  cosignatureNoteVerifier,
  cosignatureVerifierOf,
  cosignCheckpoint,
  cosignerKeyOf,
  ED25519_PUBLIC_KEY_SIZE,
  formatCosignature,
  formatCosignatureVerifierKey,
  isCosignatureAlgorithm,
  MAX_COSIGNATURE_TIMESTAMP,
  parseCosignature,
  parseCosignatureVerifierKey,
  recordedCosignerKey,
  verifyCosignature,
} from "./cosignature.js";
export {
  ACCESS_LEAF_TAG,
  ACCESS_TYPE,
  type AccessEnvelope,
  accessEntryIdFor,
  BATCH_ROOT_HEADER,
  type BatchPosition,
  batchIndexOf,
  batchKeyFor,
  batchKeyOf,
  batchRootHeaderValue,
  batchRootOf,
  checkEnvelopeBinding,
  contentDigest,
  DEPARTMENT_HEADER,
  ENTRY_ID_TAG,
  ENTRY_LEAF_TAG,
  ENVELOPE_VERSION,
  type EntryEnvelope,
  entryIdFor,
  entryLeafData,
  entryLeafHash,
  isAccessEnvelope,
  isSignatureAlgorithm,
  type LedgerEnvelope,
  MATCH_PATH,
  parseEntryEnvelope,
  RECORD_LEAF_TAG,
  recordHash,
  SIGNATURE_ALGORITHMS,
  type SignatureAlgorithm,
  signedNonce,
} from "./envelope.js";
export { ChainError, type ChainErrorCode } from "./errors.js";
export {
  FINDING_CODES,
  type Finding,
  type FindingCode,
  MAX_CLOCK_SKEW_SECONDS,
  MAX_RECEIVE_DELAY_SECONDS,
} from "./findings.js";
export { JsonTextError, MAX_JSON_DEPTH, parseJson } from "./json.js";
export {
  applyKeyRecord,
  cosignsNeeded,
  EMPTY_KEY_HISTORY,
  foldKeyRecords,
  KEY_AT_CODES,
  KEY_REFUSAL_CODES,
  type KeyAtAnswer,
  type KeyAtCode,
  type KeyGovernance,
  type KeyHistory,
  type KeyRecordEntry,
  type KeyRefusal,
  type KeyRefusalCode,
  type KeySignatureCheck,
  type KeyStep,
  keyAt,
  OWNER_ALONE,
  type PendingKeyRecord,
  type RecordedKey,
} from "./key-history.js";
export {
  type BundleKeyLike,
  type EntryKeyAnswer,
  type JudgedEntry,
  judgeEntryKey,
  judgeEntrySignature,
  type KeyHistoryProblem,
  type LedgerKeys,
  ledgerDecides,
  ledgerKeys,
  noLedgerKeys,
  signatureCheckKey,
} from "./key-judge.js";
export {
  deriveKeyId,
  isDerivedKeyId,
  isKeyRecordType,
  KEY_ADD_TYPE,
  KEY_COSIGN_TYPE,
  KEY_ID_HASH_DIGITS,
  KEY_OWNER,
  KEY_POP_TAG,
  KEY_RECORD_TYPES,
  KEY_RETIRE_TYPE,
  KEY_REVOKE_TYPE,
  KEY_ROLES,
  type KeyAddData,
  type KeyRecordData,
  type KeyRecordType,
  type KeyRetireData,
  type KeyRevokeData,
  type KeyRole,
  keyPopMessage,
  ownerOfKeyRecord,
  parseKeyCosign,
  parseKeyRecord,
} from "./key-records.js";
export {
  formatSignedNote,
  formatVerifierKey,
  isValidKeyName,
  MAX_NOTE_SIGNATURES,
  MAX_NOTE_SIZE,
  NOTE_KEY_HASH_SIZE,
  NOTE_SIGNATURE_TYPE_ECDSA,
  NOTE_SIGNATURE_TYPE_ED25519,
  NOTE_SIGNATURE_TYPE_SM2,
  NOTE_SM2_TYPE_BYTES,
  type NoteSignature,
  type NoteSignatureType,
  type NoteSigner,
  type NoteVerifier,
  noteKeyHash,
  noteMessage,
  parseSignedNote,
  parseVerifierKey,
  type SignedNote,
  signNote,
  splitVerifierKey,
  type VerifiedNote,
  type VerifierKey,
  verifyNote,
} from "./note.js";
export {
  type NoteKey,
  noteKeyHashOf,
  noteKeyOf,
  noteSignatureTypeOf,
  noteVerifierOf,
  recordedKeyOf,
} from "./note-keys.js";
export {
  HASH_SIZE,
  LEAF_HASH_PREFIX,
  NODE_HASH_PREFIX,
  sha256Bytes,
  type TreeHasher,
} from "./rfc6962.js";
export {
  buildSignatureBase,
  NONCE,
  parseSignatureBase,
  parseSignatureParams,
  type SignatureBase,
  type SignatureParams,
  serializeSfString,
  serializeSignatureParams,
  signatureBaseText,
} from "./signature-base.js";
export { sm3, sm3Node } from "./sm3.js";
export { isRecordedSpki, recordedSpki } from "./spki.js";
export {
  deriveSubjectKey,
  MAX_SUBJECT_BYTES,
  SUBJECT_KEY_BYTES,
  SUBJECT_KEY_LABEL,
  SUBJECT_TAG,
  subjectHmac,
  UNIQUE_TAG,
  uniqueHmac,
} from "./subject.js";
export {
  type CryptoSuite,
  GM,
  INTL,
  isSuiteName,
  SUITE_COSIGNATURE_ALGORITHM,
  SUITE_NAMES,
  SUITE_SEALER_ALGORITHM,
  SUITE_SIGNATURE_ALGORITHMS,
  type SuiteName,
  suiteNamed,
  suiteOfAlgorithm,
} from "./suite.js";
export { buildEntryBundles, buildTiles, type EntryBundleContents, type TileContents } from "./tile-build.js";
export { encodeEntryBundle, MAX_ENTRY_SIZE, parseEntryBundle } from "./tile-bundle.js";
export {
  type EntryBundleCoords,
  entryBundlePath,
  formatTileIndex,
  MAX_TILE_LEVEL,
  parseTilePath,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TileCoords,
  type TileResource,
  tilePath,
} from "./tile-path.js";
export {
  compactRangeFromTiles,
  consistencyProofFromTiles,
  consistencyProofTiles,
  inclusionProofFromTiles,
  inclusionProofTiles,
  rootFromTiles,
  rootTiles,
} from "./tile-proofs.js";
export {
  changedEntryBundles,
  changedTiles,
  FULL_TILE_SIZE,
  type NodeInTile,
  type TileLevel,
  type TileReader,
  tileForNode,
  tileLevels,
  tileWidth,
} from "./tiles.js";
export { consistencyProof, inclusionProof, MerkleTree, rootFromLeafHashes } from "./tree.js";
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from "./verify.js";
