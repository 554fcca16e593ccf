import type { BlockHeader, LedgerEnvelope, SignatureAlgorithm } from "#chain";

/** Entries and blocks as the API returns them: receipts, entry and block views, seal results. */

export interface Receipt {
  entries: Array<{ id: string; leafHash: string }>;
  receivedAt: string;
}

export interface BlockView {
  header: BlockHeader;
  hash: string;
  signature: BlockSignature;
  checkpoint: string;
}

export interface EntryView {
  id: string;
  status: "pending" | "sealed";
  leafHash: string;
  envelope: LedgerEnvelope;
  /** Record data, only for the writing department. */
  payload?: unknown;
  /** Once sealed: where, and the RFC 6962 inclusion proof of leafHash in block.header.root. */
  sealed?: { height: number; index: number; logIndex: number; proof: string[]; block: BlockView };
  /** For a record type with signers (cosign.ts): who must sign, who has; complete false is pending-signatures. */
  signatures?: Signatures;
}

export type SealResult = (
  | {
      sealed: true;
      height: number;
      entries: number;
      hash: string;
      logSize: number;
      /** More batches were pending than the block holds: the seal loop seals again at once. */
      more?: true;
    }
  | { sealed: false; reason: "nothing-pending" | "lost-race"; height: number }
) & {
  /**
   * Where the log's tiles stand after the seal, when the ledger publishes them: the
   * published checkpoint's size, or why publishing failed (the block is committed either
   * way; the next seal publishes what this one could not).
   */
  tiles?:
    | {
        published: number;
        /** What each witness did with the last checkpoint published (absent: none asked). */
        witnesses?: Array<{ witness: string; cosigned: boolean; reason?: string }>;
      }
    | { error: string };
};

export interface Signatures {
  required: readonly string[];
  signed: Array<{ department: string; entryId: string; receivedAt: string }>;
  /** False while any required department has not signed: the record is pending-signatures. */
  complete: boolean;
}

export interface BlockSignature {
  keyId: string;
  alg: SignatureAlgorithm;
  /** Base64 signature over blockHeaderBytes(header). */
  value: string;
}
