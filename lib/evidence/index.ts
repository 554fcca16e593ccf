/**
 * lib/evidence — checking Zhixin evidence with no access to the operator: the trust root a
 * verifier holds in advance, what it proves about a published checkpoint, and the
 * evidence bundle that proves one entry under such a checkpoint, and the audit of a
 * whole-log export (docs/formats/export.md). Pure and synchronous
 * (signature checks are passed in), so a court's tool, the browser console and third
 * parties run the same code. Formats: docs/formats/trust-root.md, docs/formats/evidence.md.
 */

export {
  type EvidenceChecks,
  KEY_HISTORY_CAVEAT,
  type VerifiedEvidence,
  type VerifyEvidenceOptions,
  verifyEvidenceBundle,
} from "./bundle.js";
export { checkFileDigest } from "./bundle-file.js";
export {
  type BundleEntry,
  type BundleInclusion,
  type BundleKeyRecord,
  EVIDENCE_BUNDLE_TAG,
  type EvidenceBundle,
  formatEvidenceBundle,
  parseEvidenceBundle,
} from "./bundle-format.js";
export type { VerifiedKeyRecord } from "./bundle-key-history.js";
export { EVIDENCE_ERROR_CODES, EvidenceError, type EvidenceErrorCode } from "./errors.js";
export {
  checkExportContinues,
  ExportAudit,
  type ExportAuditOptions,
  type ExportFinding,
  type ExportFindingCode,
  type ExportReport,
  NO_KEY_GOVERNANCE,
  NOT_CHECKED_OFFLINE,
} from "./export.js";
export { EXPORT_ERROR_CODES, ExportError, type ExportErrorCode } from "./export-errors.js";
export {
  blockEvidenceOf,
  CHUNK_BLOCKS,
  chunkFile,
  EXPORT_FILES,
  EXPORT_TAG,
  type ExportBlock,
  type ExportKeyRecordRef,
  type ExportLast,
  type ExportLeaf,
  type ExportManifest,
  formatBlockLine,
  formatManifest,
  type PayloadStatus,
  parseBlockLine,
  parseManifest,
} from "./export-format.js";
export {
  type BundleKey,
  ExportKeyHistoryIndex,
  exportEntrySignatureCheck,
  exportKeyHistory,
  exportKeyRecordEntries,
  parseTrustBundle,
} from "./export-signatures.js";
export {
  formatTrustRoot,
  openTrustedCheckpoint,
  parseTrustRoot,
  TRUST_ROOT_TAG,
  type TrustRoot,
} from "./trust-root.js";
