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
  /** The member's committed key records, in ledger order. */
  records: Array<{ entryId: string; type: string; receivedAt: string; signedBy: string }>;
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
