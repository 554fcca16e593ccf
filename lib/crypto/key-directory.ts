import type { SignatureAlgorithm } from "#chain";

export type KeyRole = "department" | "auditor" | "sealer";

export interface PublicKeyRecord {
  keyId: string;
  /** Owning department id, "auditor" identities included; the sealer's owner is "sealer". */
  owner: string;
  role: KeyRole;
  alg: SignatureAlgorithm;
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
  /** The key may sign requests received at or after this time (RFC 3339). */
  validFrom: string;
  /** ...and before this time, if set (rotation/revocation). */
  validUntil?: string;
}

export interface KeyDirectory {
  getKey(keyId: string): PublicKeyRecord | undefined;
  /** Every key, for exports and audits. */
  listKeys(): PublicKeyRecord[];
}
