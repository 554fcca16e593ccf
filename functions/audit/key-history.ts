import {
  type BlockEvidence,
  type CryptoSuite,
  type Finding,
  KEY_COSIGN_TYPE,
  type KeyGovernance,
  type LedgerKeys,
  ledgerKeys,
  OWNER_ALONE,
} from "#chain";
import { keySignatureCheckOf } from "../../lib/crypto/verify.js";
import { type KeyRecordStore, loadKeyRecords, type StoredKeyRecord } from "../store/key-records.js";
import type { AuditSource } from "../store/ports.js";

/**
 * The key history a chain audit holds the log to (docs/FORMATS.md §2 step 4): the key
 * records the store's `K#<owner>` index lists as committed, kept where their batch is
 * sealed at or below the audited height (an entry's audit: every committed one), folded
 * in ledger order. The index is the
 * operator's, so it is only what the audit is given: the log must hold exactly these
 * records (the signature check compares each sealed key record with the one given, and
 * `unmetKeyRecords` names those given as sealed in the audited range but not found
 * there), or the audit reports KEY_HISTORY_MISMATCH. The same holds for the cosigns of
 * key records (design §3, rules 4–5), which the index lists beside them: a sealed one it
 * leaves out (`unlistedKeyCosigns`) would leave the record it completes pending — and a
 * recovery's revoke of a stolen key without effect.
 *
 * The records are folded under the consortium's governance (`keyGovernance`, lib/consortium
 * keyGovernanceOf), as intake and the API fold them.
 */

export interface AuditKeyHistory {
  ledger: LedgerKeys;
  /** Per record given: the height its batch records it sealed at. */
  sealedAt: ReadonlyMap<string, number>;
  /** An owner's index that does not read as key records. */
  findings: Finding[];
}

export async function loadAuditKeyHistory(
  suite: CryptoSuite,
  store: KeyRecordStore,
  source: Pick<AuditSource, "getRawBatches">,
  owners: readonly string[],
  to: number | "committed",
  governance: KeyGovernance = OWNER_ALONE,
): Promise<AuditKeyHistory> {
  const findings: Finding[] = [];
  const perOwner = await Promise.all(
    owners.map(async (owner) => {
      try {
        return await loadKeyRecords(store, owner);
      } catch (e) {
        findings.push({
          code: "KEY_HISTORY_MISMATCH",
          message: `the key index of ${owner} does not read as key records: ${(e as Error).message}`,
        });
        return [];
      }
    }),
  );
  const records = perOwner.flat();
  const batches = await source.getRawBatches([...new Set(records.map((r) => r.batchKey))]);
  const height = new Map(batches.map((b) => [b.key, b.sealedHeight]));
  // Owners' histories are independent (everything about an owner's keys is under its
  // K#<owner>, recoveries and cosigns included), so the fold may take them owner after
  // owner, each in ledger order.
  const sealed = records.filter((r) => {
    const h = height.get(r.batchKey);
    return to === "committed" || (h !== undefined && h <= to);
  });
  return {
    ledger: ledgerKeys(suite, sealed, keySignatureCheckOf(suite), governance),
    sealedAt: new Map(
      sealed.flatMap((r: StoredKeyRecord) => {
        const h = height.get(r.batchKey);
        return h === undefined ? [] : [[r.entryId, h] as const];
      }),
    ),
    findings,
  };
}

/**
 * The records given as sealed at heights from..to that the audit did not meet there (`to`
 * unset: every height from `from` on the history was loaded for).
 */
export function unmetKeyRecords(
  history: AuditKeyHistory,
  from: number,
  met: ReadonlySet<string>,
  to = Number.POSITIVE_INFINITY,
): Finding[] {
  return [...history.sealedAt]
    .filter(([id, height]) => height >= from && height <= to && !met.has(id))
    .map(([id, height]) => ({
      code: "KEY_HISTORY_MISMATCH" as const,
      height,
      entryId: id,
      message: `the key index lists key record ${id} as sealed at height ${height}, but that block does not hold it`,
    }));
}

/**
 * The sealed zhixin.cosign entries of `evidence` (block `height`) that name a key record
 * the audit was given but are not given themselves: the key index leaves out a cosign
 * that counts for that record's history (intake indexes every cosign of a key record
 * under its owner, functions/rules/key-records.ts).
 */
export function unlistedKeyCosigns(
  history: AuditKeyHistory,
  height: number,
  evidence: Pick<BlockEvidence, "entries" | "entryIds">,
): Finding[] {
  const { records } = history.ledger;
  return evidence.entries.flatMap((e, i) => {
    const envelope = e?.envelope as { id?: unknown; type?: unknown } | undefined;
    if (envelope?.type !== KEY_COSIGN_TYPE || !e?.payload) return [];
    const id = typeof envelope.id === "string" ? envelope.id : evidence.entryIds?.[i];
    const target = cosignTarget(e.payload);
    if (id === undefined || target === undefined || !records.has(target) || records.has(id)) return [];
    return [
      {
        code: "KEY_HISTORY_MISMATCH" as const,
        height,
        entryId: id,
        message: `cosign ${id} names key record ${target}, but is not among the key records the audit was given (the key index leaves it out)`,
      },
    ];
  });
}

function cosignTarget(payload: string): string | undefined {
  try {
    const target = (JSON.parse(payload) as { entryId?: unknown } | null)?.entryId;
    return typeof target === "string" ? target : undefined;
  } catch {
    return undefined;
  }
}
