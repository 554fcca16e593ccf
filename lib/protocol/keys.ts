import type { KeyRole, SignatureAlgorithm } from "#chain";

/**
 * `GET /v1/keys/{member}` (docs/API.md "Keys"): a member's keys as the ledger's key
 * history records them (docs/design/key-history.md, docs/FORMATS.md §10), worked out on
 * every read from its committed key records in ledger order — what the API authenticates
 * the member by, and what `zhixin keys show` prints.
 */
export interface KeyHistoryView {
  member: string;
  /** Every key that counted, in the order added. */
  keys: KeyView[];
  /**
   * The records under the member's key index, in ledger order: its own key records,
   * recoveries of its keys other departments proposed, and the cosigns of either.
   */
  records: Array<{ entryId: string; type: string; receivedAt: string; signedBy: string }>;
  /** Key records about the member's keys that count only once departments cosign them, oldest first. */
  pending: PendingKeyRecordView[];
}

/**
 * A key record awaiting cosigns (docs/design/key-history.md §3, rules 4–5): one the
 * member wrote while the consortium file's `keyRecords.cosigns` asks for cosigns
 * ("owner"), or one another department wrote about the member's key ("recovery"). A
 * department cosigns it with `zhixin.cosign {entryId, contentDigest}`.
 */
export interface PendingKeyRecordView {
  entryId: string;
  type: string;
  /** The department that wrote it. */
  writer: string;
  receivedAt: string;
  /** What a cosign names: hex SHA-256 of the JCS of `data`, which a cosigner recomputes. */
  contentDigest: string;
  /** The record's data, so that a cosigner sees what it cosigns (docs/FORMATS.md §10). */
  data: unknown;
  kind: "owner" | "recovery";
  /** Departments that cosigned it so far, in ledger order. */
  cosigners: string[];
  /** How many more departments must cosign it before it counts. */
  cosignsNeeded: number;
}

export interface KeyView {
  keyId: string;
  role: KeyRole;
  alg: SignatureAlgorithm;
  /** Base64 DER SubjectPublicKeyInfo. */
  spki: string;
  /** "active": it signs now; "retired": its retire's receivedAt has passed; "revoked": a revoke named it. */
  status: "active" | "retired" | "revoked";
  validFrom: string;
  validUntil?: string;
  compromisedSince?: string;
  addEntry: string;
  retireEntry?: string;
  revokeEntry?: string;
}
