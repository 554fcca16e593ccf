import type { BlockHeader } from "./block.js";
import type { CompactRangeState } from "./compact.js";
import type { LedgerEnvelope, SignatureAlgorithm } from "./envelope.js";
import type { CryptoSuite } from "./suite.js";

/**
 * What an audit is given (ARCHITECTURE §8): each block's evidence as the auditor holds it,
 * and the signature checks it passes in, so that lib/chain picks no key directory.
 */

export interface HeaderSignature {
  keyId: string;
  alg: SignatureAlgorithm;
  /** Base64 signature over blockHeaderBytes(header). */
  value: string;
}

/** What the auditor holds for one block, however it was obtained (store, export bundle). */
export interface BlockEvidence {
  header: unknown;
  /** Hex block hash as stored. */
  hash: string;
  signature: HeaderSignature;
  /** The block's leaf hashes in order, as stored in its pages. */
  leafHashes: readonly Uint8Array[];
  /** Entry id of each leaf, as stored in its pages (optional; undefined where a page does not say). */
  entryIds?: ReadonlyArray<string | undefined>;
  /** Batch key of each leaf, as stored in its pages (optional; undefined where a page does not say). */
  batchKeys?: ReadonlyArray<string | undefined>;
  /** Per leaf: the stored envelope (undefined if missing) and payload text (undefined if not checked, null if missing). */
  entries: ReadonlyArray<{ envelope?: unknown; payload?: string | null } | undefined>;
  /** Compact range stored with the block (optional). */
  logRange?: CompactRangeState;
  /** Checkpoint note stored with the block (optional; checked by options.checkCheckpoint). */
  checkpoint?: string;
}

/** The chain state just before the first audited block. */
export interface ChainPosition {
  height: number;
  /** Hex hash of the block at `height` (GENESIS_PREV at height 0). */
  hash: string;
  logRange: CompactRangeState;
}

export type SignatureCheck = "ok" | "unknown-key" | "not-valid" | "invalid";

/**
 * A department signature's check: a SignatureCheck, or a finding about the key the ledger's
 * own key history gives (lib/chain key-judge.ts), with its code and why.
 */
export type EntrySignatureCheck =
  | SignatureCheck
  | {
      finding: "KEY_REVOKED" | "KEY_NOT_VALID_AT_TIME" | "KEY_RECORD_REFUSED" | "KEY_HISTORY_MISMATCH";
      message: string;
    };

export interface VerifyBlocksOptions {
  /** The ledger's suite (its genesis block's): every hash is recomputed with it. */
  suite: CryptoSuite;
  /** Expected log origin; when unset, the first block's is taken. */
  log?: string;
  /** Where the audited range starts; genesis when unset. */
  start?: ChainPosition;
  verifyHeaderSignature(message: Uint8Array, signature: HeaderSignature, header: BlockHeader): SignatureCheck;
  /** Department request-signature check at the entry's receive time; skipped when unset. */
  verifyEntrySignature?(
    envelope: LedgerEnvelope,
    message: Uint8Array,
    signature: Uint8Array,
  ): EntrySignatureCheck;
  /** Checkpoint check; returns a problem description, or undefined when the checkpoint is right. */
  checkCheckpoint?(note: string, header: BlockHeader): string | undefined;
}
