/**
 * The key formats the ledger table uses, each defined once (docs/STORAGE.md "Items").
 * A batch's key `<keyId>#<nonce>` is lib/chain's `batchKeyFor`, as the audit derives
 * it from envelopes too; table.ts builds full item keys from these prefixes.
 */

/**
 * Partition-key prefixes of index entries (IndexEntry.index), one per question the
 * ledger answers by key rather than by id:
 *   S#<subjectHmac>   records about a subject (match: the latest effective record)
 *   A#<subjectHmac>   access entries about a subject (the access trail)
 *   C#<contractId>    a sharing contract's propose/approve/revoke records
 *   K#<owner>         a member's key records (zhixin.key.add/retire/revoke)
 *   P#<department>    contract proposals naming the department as a party (GET /v1/contracts)
 *   T#<department>    access entries naming the department as consumer or provider
 *                     (GET /v1/accesses: a department's trail without naming a subject)
 */
export const SUBJECT_INDEX_PREFIX = "S#";
export const ACCESS_INDEX_PREFIX = "A#";
export const CONTRACT_INDEX_PREFIX = "C#";
export const KEY_INDEX_PREFIX = "K#";
export const PARTY_INDEX_PREFIX = "P#";
export const DEPARTMENT_ACCESS_INDEX_PREFIX = "T#";
export const INDEX_PREFIXES = [
  SUBJECT_INDEX_PREFIX,
  ACCESS_INDEX_PREFIX,
  CONTRACT_INDEX_PREFIX,
  KEY_INDEX_PREFIX,
  PARTY_INDEX_PREFIX,
  DEPARTMENT_ACCESS_INDEX_PREFIX,
] as const;

export function subjectIndex(subjectHmac: string): string {
  return SUBJECT_INDEX_PREFIX + subjectHmac;
}

export function accessIndex(subjectHmac: string): string {
  return ACCESS_INDEX_PREFIX + subjectHmac;
}

export function contractIndex(contractId: string): string {
  return CONTRACT_INDEX_PREFIX + contractId;
}

export function keyIndex(owner: string): string {
  return KEY_INDEX_PREFIX + owner;
}

export function partyIndex(department: string): string {
  return PARTY_INDEX_PREFIX + department;
}

export function departmentAccessIndex(department: string): string {
  return DEPARTMENT_ACCESS_INDEX_PREFIX + department;
}

/** Partition-key prefixes of the other item kinds. */
export const PAYLOAD_PK_PREFIX = "E#";
export const BATCH_PK_PREFIX = "B#";
export const PAGES_PK_PREFIX = "G#";
/** Uniqueness claims: U#<unique key>. */
export const CLAIM_PK_PREFIX = "U#";
/** Co-signature marks: M#<signed entry id>. */
export const COSIGN_PK_PREFIX = "M#";
/** Request counters: R#<counter>. */
export const COUNTER_PK_PREFIX = "R#";

export const LEDGER_TABLE = {
  partitionKey: { name: "pk", type: "S" },
  sortKey: { name: "sk", type: "S" },
  /** Sparse: only pending batches carry gsi1pk/gsi1sk, so sealed ones drop out of it. */
  pendingIndex: {
    indexName: "gsi1",
    partitionKey: { name: "gsi1pk", type: "S" },
    sortKey: { name: "gsi1sk", type: "S" },
    projectionType: "KEYS_ONLY",
  },
  /**
   * Pending batches are spread over this many index partitions: one partition takes
   * ~1,000 writes/s on AWS, and every submit writes the index. Changing it strands
   * pending batches in shards no longer queried — drain the queue first.
   */
  pendingShards: 8,
  billingMode: "PAY_PER_REQUEST",
} as const;

/** The TTL attribute (epoch seconds) of items that may expire: request counters. */
export const TTL_ATTRIBUTE = "expiresAt";
