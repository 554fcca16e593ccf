import {
  type BlockHeader,
  type ChainError,
  type ChainPosition,
  type Checkpoint,
  type CryptoSuite,
  deriveKeyId,
  type Finding,
  type FindingCode,
  fromBase64,
  GENESIS_POSITION,
  type HeaderSignature,
  hashBlockHeader,
  type KeyGovernance,
  type LedgerKeys,
  openCheckpoint,
  parseBlockHeader,
  recordedKeyOf,
  type SignatureAlgorithm,
  type SignatureCheck,
  toHex,
  type VerifyBlocksOptions,
  verifyBlocks,
} from "#chain";
import { witnessNames } from "../witness/index.js";
import type { EvidenceChecks } from "./bundle.js";
import type { EvidenceError } from "./errors.js";
import { ExportError } from "./export-errors.js";
import {
  blockEvidenceOf,
  type ExportBlock,
  type ExportKeyRecordRef,
  type ExportLast,
  type ExportManifest,
} from "./export-format.js";
import { type BundleKey, ExportKeyHistoryIndex, exportEntrySignatureCheck } from "./export-signatures.js";
import { openTrustedCheckpoint, sealerVerifiers, type TrustRoot } from "./trust-root.js";

/**
 * The offline audit of a whole-log export (docs/formats/export.md §3–§5): lib/chain's
 * verifyBlocks over every exported block, exactly as the online audit runs it over the
 * store — header links, the sealer's signatures, roots, leaves, envelopes, batch proofs,
 * department signatures, payloads where present, each block's checkpoint — with the
 * sealer's keys from the trust root alone; then the published checkpoint against the trust
 * root (the sealer's signature, the witness quorum) and against the blocks (the export
 * reaches its size and has its root there); then the manifest against the blocks. Pure and
 * synchronous: the caller reads the files and feeds the blocks in order, a run at a time
 * (`add`), so an export of any size is audited in bounded memory; `finish` gives the report.
 */

export type ExportFindingCode = FindingCode | "MANIFEST_MISMATCH";

export interface ExportFinding extends Omit<Finding, "code"> {
  code: ExportFindingCode;
}

export interface ExportReport {
  ok: boolean;
  /** The trust root's log. */
  log: string;
  blocksChecked: number;
  entriesChecked: number;
  /** Leaves whose payload was checked against its digest, withheld from the exporter, or missing. */
  payloads: { checked: number; withheld: number; missing: number };
  /** The export's last block, as its header says; null for an export of no blocks. */
  last: ExportLast | null;
  /** The published checkpoint, when the trust root's sealer signed it. */
  checkpoint: {
    size: number;
    rootHash: string;
    minWitnesses: number;
    witnesses: Array<{ name: string; keyHash: string; timestamp: number }>;
  } | null;
  /** Key records and cosigns of key records in the blocks (the manifest's keyRecords). */
  keyRecords: number;
  /** The key governance department signatures were judged under: the trust root's, null for a root without one. */
  keyGovernance: KeyGovernance | null;
  findings: ExportFinding[];
  /** What an export cannot show, so this audit does not check it (docs/formats/export.md §5). */
  notChecked: string[];
}

export interface ExportAuditOptions {
  /** Witness cosignatures the published checkpoint needs, 0 to the root's witnesses; the root's quorum by default. */
  minWitnesses?: number;
  /**
   * The key history department signatures are judged by: exportKeyHistory, the export's
   * key records and their cosigns folded under the root's key governance, read before the
   * blocks are added. None: the trust bundle decides, and every key record met is
   * KEY_HISTORY_MISMATCH.
   */
  ledger?: LedgerKeys;
}

/** The owner part of the sealer's derived key id, `sealer/<16 hex>` (FORMATS.md §5). */
const SEALER_OWNER = "sealer";
/** Blocks are audited in runs of this many at most: verifyBlocks holds a run's entry ids. */
const RUN = 32;

export const NOT_CHECKED_OFFLINE: readonly string[] = [
  "ACCESS_CONTRACT_MISMATCH: answers are judged against contract records, whose payloads only the contract's parties read; run the online audit",
  "COSIGN_TARGET_MISMATCH, BATCH_SEAL_MISMATCH, PAGE_INVALID: these judge the store's own items (cosign marks, batch seal positions, page arrays), which an export does not carry",
];

/** In the report's notChecked when the trust root carries no key governance (trust-root.md §1). */
export const NO_KEY_GOVERNANCE =
  "KEY_RECORD_REFUSED of a recovery or a cosign: the trust root carries no keyGovernance, so key records were folded as if each department decides its keys alone and none of those counts; audit with a trust root from `zhixin trust export`";

export class ExportAudit {
  readonly #root: TrustRoot;
  readonly #checks: EvidenceChecks;
  readonly #minWitnesses: number;
  readonly #options: VerifyBlocksOptions;
  #position: ChainPosition = GENESIS_POSITION;
  readonly #findings: ExportFinding[] = [];
  /** logSize → logRoot at each block end (the empty log's too), as headers that parse say. */
  readonly #ends: Map<number, string>;
  readonly #keyRecords: ExportKeyRecordRef[] = [];
  readonly #keyIndex: ExportKeyHistoryIndex;
  readonly #statuses = { included: 0, withheld: 0, missing: 0 };
  #blocksChecked = 0;
  #entriesChecked = 0;
  #leaves = 0;
  #last: ExportLast | null = null;

  /** Throws RangeError for a minWitnesses outside 0 … the root's witnesses (the caller's mistake). */
  constructor(
    root: TrustRoot,
    keys: readonly BundleKey[],
    checks: EvidenceChecks,
    options: ExportAuditOptions = {},
  ) {
    const min = options.minWitnesses ?? root.quorum;
    const n = witnessNames(root.witnesses).length;
    if (!Number.isSafeInteger(min) || min < 0 || min > n)
      throw new RangeError(`minWitnesses must be an integer from 0 to ${n}, the root's witnesses`);
    this.#root = root;
    this.#ends = new Map([[0, toHex(root.suite.emptyRoot())]]);
    this.#keyIndex = new ExportKeyHistoryIndex(root.suite);
    this.#checks = checks;
    this.#minWitnesses = min;
    const sealers = new Map(
      root.sealers.map((k) => {
        const key = recordedKeyOf(k);
        return [deriveKeyId(root.suite, SEALER_OWNER, key.spki), key];
      }),
    );
    const verifiers = sealerVerifiers(root, checks.verifySignature);
    this.#options = {
      suite: root.suite,
      log: root.log,
      verifyHeaderSignature: (message: Uint8Array, sig: HeaderSignature): SignatureCheck => {
        const key = sealers.get(sig.keyId);
        if (key === undefined) return "unknown-key";
        return signatureHolds(checks, key, message, sig.value) ? "ok" : "invalid";
      },
      verifyEntrySignature: exportEntrySignatureCheck(
        root.suite,
        keys,
        checks.verifySignature,
        options.ledger,
      ),
      checkCheckpoint: (note: string, header: BlockHeader): string | undefined => {
        let checkpoint: Checkpoint;
        try {
          checkpoint = openCheckpoint(note, verifiers, root.log);
        } catch (e) {
          return (e as ChainError).message;
        }
        const root_ = toHex(checkpoint.rootHash);
        return checkpoint.size === header.logSize && root_ === header.logRoot
          ? undefined
          : `checkpoint is for size ${checkpoint.size} root ${root_}, not this block's log`;
      },
    };
  }

  /** Audits the next blocks of the export, in height order, continuing from the last `add`. */
  add(blocks: readonly ExportBlock[]): void {
    for (let i = 0; i < blocks.length; i += RUN) this.#addRun(blocks.slice(i, i + RUN));
  }

  #addRun(blocks: readonly ExportBlock[]): void {
    const report = verifyBlocks(blocks.map(blockEvidenceOf), { ...this.#options, start: this.#position });
    this.#position = report.end;
    this.#blocksChecked += report.blocksChecked;
    this.#entriesChecked += report.entriesChecked;
    this.#findings.push(...report.findings);
    for (const block of blocks) {
      block.entries.forEach((leaf, i) => {
        this.#statuses[leaf.payloadStatus]++;
        const e = leaf.envelope;
        if (e !== null && this.#keyIndex.classify(e) !== undefined) {
          this.#keyRecords.push({
            entryId: typeof e.id === "string" ? e.id : leaf.id,
            type: e.type as string,
            height: block.height,
            logIndex: this.#leaves + i,
          });
        }
      });
      this.#leaves += block.entries.length;
      const header = headerOf(block);
      if (header) {
        this.#ends.set(header.logSize, header.logRoot);
        this.#last = {
          height: header.height,
          hash: block.hash,
          logSize: header.logSize,
          logRoot: header.logRoot,
        };
      } else {
        this.#last = null;
      }
    }
  }

  /**
   * The published checkpoint (the file `checkpoint`) against the trust root and the blocks,
   * the manifest against the blocks, and the report. Call once, after every block.
   */
  finish(manifest: ExportManifest, note: string): ExportReport {
    const findings = this.#findings;
    if (manifest.log !== this.#root.log)
      findings.push({
        code: "LOG_MISMATCH",
        expected: this.#root.log,
        found: manifest.log,
        message: "the export is of another log than the trust root's",
      });
    const checkpoint = this.#checkPublished(note, findings);
    this.#checkManifest(manifest, findings);
    findings.sort((a, b) => (a.height ?? 0) - (b.height ?? 0) || (a.entryIndex ?? -1) - (b.entryIndex ?? -1));
    return {
      ok: findings.length === 0,
      log: this.#root.log,
      blocksChecked: this.#blocksChecked,
      entriesChecked: this.#entriesChecked,
      payloads: {
        checked: this.#statuses.included,
        withheld: this.#statuses.withheld,
        missing: this.#statuses.missing,
      },
      last: this.#last,
      checkpoint,
      keyRecords: this.#keyRecords.length,
      keyGovernance: this.#root.keyGovernance ?? null,
      findings,
      notChecked: [...NOT_CHECKED_OFFLINE, ...(this.#root.keyGovernance ? [] : [NO_KEY_GOVERNANCE])],
    };
  }

  /**
   * The sealer signed it for the root's log (CHECKPOINT_INVALID otherwise: nothing else of
   * it is believed); no root witness's cosignature fails (WITNESS_SIGNATURE_INVALID) and at
   * least minWitnesses verify (CHECKPOINT_UNWITNESSED); the export reaches its size
   * (LOG_TRUNCATED) and has its root at a block ending there (LOG_REWRITTEN).
   */
  #checkPublished(note: string, findings: ExportFinding[]): ExportReport["checkpoint"] {
    let opened: ReturnType<typeof openTrustedCheckpoint>;
    try {
      opened = openTrustedCheckpoint(note, this.#root, this.#checks);
    } catch (e) {
      // openTrustedCheckpoint throws EvidenceError CHECKPOINT_UNTRUSTED only.
      findings.push({
        code: "CHECKPOINT_INVALID",
        message: `the published checkpoint: ${(e as EvidenceError).message}`,
      });
      return null;
    }
    const { checkpoint, quorum } = opened;
    for (const f of quorum.findings) {
      if (f.code === "WITNESS_SIGNATURE_INVALID")
        findings.push({ code: f.code, message: `the published checkpoint: ${f.witness}: ${f.message}` });
    }
    if (quorum.witnessed.length < this.#minWitnesses) {
      findings.push({
        code: "CHECKPOINT_UNWITNESSED",
        expected: String(this.#minWitnesses),
        found: String(quorum.witnessed.length),
        message: `the published checkpoint has ${quorum.witnessed.length} valid witness cosignature(s), ${this.#minWitnesses} required`,
      });
    }
    const size = checkpoint.size;
    const rootHash = toHex(checkpoint.rootHash);
    const at = this.#ends.get(size);
    const exported = this.#position.logRange.size;
    if (at !== undefined && at !== rootHash) {
      findings.push({
        code: "LOG_REWRITTEN",
        expected: rootHash,
        found: at,
        message: `at the published checkpoint's size ${size} the export has another root: a fork or a rewrite`,
      });
    } else if (at === undefined && size > exported) {
      findings.push({
        code: "LOG_TRUNCATED",
        expected: String(size),
        found: String(exported),
        message: `the export holds ${exported} entries, fewer than the ${size} of the published checkpoint`,
      });
    } else if (at === undefined) {
      findings.push({
        code: "LOG_REWRITTEN",
        expected: String(size),
        message: `no exported block ends at the published checkpoint's size ${size}`,
      });
    }
    return {
      size,
      rootHash,
      minWitnesses: this.#minWitnesses,
      witnesses: quorum.witnessed.map((c) => ({
        name: c.name,
        keyHash: toHex(c.keyHash),
        timestamp: c.timestamp,
      })),
    };
  }

  #checkManifest(manifest: ExportManifest, findings: ExportFinding[]): void {
    const mismatch = (what: string, expected: unknown, found: unknown) =>
      findings.push({
        code: "MANIFEST_MISMATCH",
        expected: JSON.stringify(expected),
        found: JSON.stringify(found),
        message: `the manifest's ${what} is not what the blocks hold`,
      });
    if (JSON.stringify(manifest.last) !== JSON.stringify(this.#last))
      mismatch("last block", this.#last, manifest.last);
    if (JSON.stringify(manifest.payloads) !== JSON.stringify(this.#statuses))
      mismatch("payload counts", this.#statuses, manifest.payloads);
    if (JSON.stringify(manifest.keyRecords) !== JSON.stringify(this.#keyRecords))
      mismatch(
        "key records",
        this.#keyRecords.map((r) => r.entryId),
        manifest.keyRecords.map((r) => r.entryId),
      );
  }
}

/**
 * Before an incremental export adds blocks (docs/formats/export.md §7): the ledger's block
 * at the export's last height must be the block exported there — its stored hash, the hash
 * of its header, and the header's log size and root. Otherwise the log was forked or
 * rewritten since, and EXPORT_FORKED refuses to add to the export.
 */
export function checkExportContinues(
  suite: CryptoSuite,
  last: ExportLast,
  block: { header: unknown; hash: string } | undefined,
): void {
  const refuse = (message: string): never => {
    throw new ExportError(
      "EXPORT_FORKED",
      `${message}: the log is not the one exported before (a fork or a rewrite). Keep this export as evidence; start a new one in another directory`,
    );
  };
  if (block === undefined) refuse(`the ledger has no block ${last.height}, the export's last`);
  let header: BlockHeader | undefined;
  try {
    header = parseBlockHeader((block as { header: unknown }).header);
  } catch (e) {
    refuse(`the ledger's block ${last.height} has no valid header (${(e as ChainError).message})`);
  }
  header = header as BlockHeader;
  const hash = toHex(hashBlockHeader(suite, header));
  const found = { height: header.height, hash, logSize: header.logSize, logRoot: header.logRoot };
  if (JSON.stringify(found) !== JSON.stringify(last) || (block as { hash: string }).hash !== hash)
    refuse(
      `the ledger's block ${last.height} has hash ${hash} and log root ${header.logRoot} at size ${header.logSize}; ` +
        `the export ends with hash ${last.hash} and log root ${last.logRoot} at size ${last.logSize}`,
    );
}

function headerOf(block: ExportBlock): BlockHeader | undefined {
  try {
    return parseBlockHeader(block.header);
  } catch {
    return undefined; // verifyBlocks reported HEADER_INVALID
  }
}

function signatureHolds(
  checks: EvidenceChecks,
  key: { alg: SignatureAlgorithm; spki: Uint8Array },
  message: Uint8Array,
  value: string,
): boolean {
  try {
    return checks.verifySignature(key.alg, key.spki, message, fromBase64(value));
  } catch {
    return false; // not base64, or a check that throws: no valid signature
  }
}
