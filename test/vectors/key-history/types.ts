/**
 * The shapes of the vector files in this folder: written by generate.ts, read by the
 * key-history tests of test/unit/lib/chain. Bytes are base64; times are RFC 3339 UTC with
 * milliseconds; a record that does not count says in `wrong` what is wrong with it.
 */

export interface VectorKey {
  name: string;
  owner: string;
  role: "department" | "auditor";
  alg: "ed25519" | "ecdsa-p256-sha256";
  /** base64 PKCS#8 private key: for tests that sign. */
  pkcs8: string;
  /** base64 DER SubjectPublicKeyInfo. */
  spki: string;
  keyId: string;
  /** base64 signature over "zhixin/key-pop/v1\n" || keyId. */
  pop: string;
}

export interface VectorRecord {
  entryId: string;
  writer: string;
  signedBy: string;
  receivedAt: string;
  type: string;
  data: unknown;
  /** "counts", or the refusal code. */
  expect: string;
  /** For a record that does not count: what is wrong with it. */
  wrong?: string;
}

export interface VectorCase {
  description: string;
  /** The consortium's rule for key records (rules 4–5); absent: owners alone, no departments. */
  governance?: { departments: string[]; ownerCosigns: number };
  records: VectorRecord[];
  /** The keys of the history after the fold, in the order added. */
  history: Array<{
    keyId: string;
    validFrom: string;
    validUntil?: string;
    compromisedSince?: string;
  }>;
  keyAt: Array<{ keyId: string; at: string; expect: string }>;
  /** Records still awaiting cosigns after the fold, in the order written, with their cosigners so far; absent: none. */
  pending?: Array<{ entryId: string; cosigners: string[] }>;
}
