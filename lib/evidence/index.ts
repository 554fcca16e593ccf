/**
 * lib/evidence — checking Zhixin evidence with no access to the operator: the trust root a
 * verifier holds in advance, and what it proves about a published checkpoint. Pure and
 * synchronous (signature checks are passed in), so a court's tool, the browser console and
 * third parties run the same code. Formats: docs/formats/trust-root.md.
 */

export { EVIDENCE_ERROR_CODES, EvidenceError, type EvidenceErrorCode } from "./errors.js";
export {
  formatTrustRoot,
  openTrustedCheckpoint,
  parseTrustRoot,
  TRUST_ROOT_TAG,
  type TrustRoot,
} from "./trust-root.js";
