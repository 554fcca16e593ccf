/**
 * What an export's reader, verifier and incremental writer say beyond lib/chain's audit
 * findings, as a closed set of codes (docs/formats/export.md §6 explains each, in this
 * order). The first two are refusals, thrown as ExportError: nothing can be audited, or
 * nothing may be added. The third is a finding of the export's audit report, beside
 * lib/chain's FindingCodes: the export's own index does not describe its blocks.
 */
export type ExportErrorCode =
  /** A file of the export that is not docs/formats/export.md's format: nothing is audited. */
  | "EXPORT_INVALID"
  /** The ledger no longer has the block an export ends with: a fork or a rewrite; nothing is added. */
  | "EXPORT_FORKED"
  /** The manifest's last block, payload counts or key-record list is not what the blocks hold. */
  | "MANIFEST_MISMATCH";

export const EXPORT_ERROR_CODES: readonly ExportErrorCode[] = [
  "EXPORT_INVALID",
  "EXPORT_FORKED",
  "MANIFEST_MISMATCH",
];

export class ExportError extends Error {
  override readonly name = "ExportError";

  constructor(
    readonly code: Exclude<ExportErrorCode, "MANIFEST_MISMATCH">,
    message: string,
    /** Which file, and where in it: "manifest.json", "blocks/000000.ndjson:3", "checkpoint". */
    readonly where?: string,
  ) {
    super(where ? `${where}: ${message}` : message);
  }
}
