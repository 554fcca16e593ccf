import type { SignatureAlgorithm } from "#chain";

export type KeyRole = "department" | "auditor" | "sealer";

/** The owner of the sealer's key, hence the prefix of its derived key id (a member id no member may take). */
export const SEALER_OWNER = "sealer";

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

/**
 * A directory that reads each owner's keys on first need, not all at start (the KMS one,
 * functions/auth/kms-key-directory.ts): getKey and listKeys answer for the owners read so
 * far. `loadOwner` resolves once `owner`'s keys are in — at once when they already are, or
 * when `owner` has no keys to read — and rejects with why they could not be read, without
 * touching any other owner's. Whoever looks a key up awaits its owner first.
 */
export interface OwnerLoadingKeyDirectory extends KeyDirectory {
  loadOwner(owner: string): Promise<void>;
}

export function loadsOwners(keys: KeyDirectory): keys is OwnerLoadingKeyDirectory {
  return typeof (keys as Partial<OwnerLoadingKeyDirectory>).loadOwner === "function";
}

/** Whether `key` may sign at `at` (RFC 3339): validFrom <= at < validUntil. */
export function keyValidAt(key: PublicKeyRecord, at: string): boolean {
  const t = Date.parse(at);
  return t >= Date.parse(key.validFrom) && (key.validUntil === undefined || t < Date.parse(key.validUntil));
}
