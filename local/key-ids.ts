import { isDerivedKeyId } from "#chain";
import type { BatchStore, BlockStore } from "../functions/store/ports.js";

/**
 * A home whose ledger predates derived key ids is refused, not migrated
 * (docs/design/key-history.md §1): its blocks name the sealer `sealer/key-1` and its
 * entries and batch keys `<member>/key-1`, ids this version no longer gives any key, so
 * its own trust bundle could no longer check a signature in it. No deployment holds such
 * data, so `npm start` says so and stops before serving.
 *
 * Every key id of a ledger is derived or none is (a home's keys are renamed only while
 * its ledger is empty, local/keys.ts), so a few places show which: the latest block's
 * sealer, the requests filed on its first page, and the oldest pending requests.
 */

/** Pending requests looked at: any one shows the ledger's ids. */
const PENDING_SAMPLE = 10;

export class LedgerPredatesKeyIdsError extends Error {
  override readonly name = "LedgerPredatesKeyIdsError";
  readonly code = "LEDGER_PREDATES_DERIVED_KEY_IDS";

  constructor(
    readonly home: string,
    /** The first key id found that is not derived, and where. */
    readonly keyId: string,
    where: string,
  ) {
    super(
      `the ledger in ${home} predates derived key ids: ${where} names the key ${keyId}, but keys are ` +
        "now known by the id derived from each (<member>/<16 hex digits>, docs/design/key-history.md §1), " +
        "under which this ledger's signatures cannot be checked, and there is no migration. Start a new " +
        `home (set ZHIXIN_HOME to an empty directory), or remove ${home} to start again from an empty ledger`,
    );
  }
}

/** Throws LedgerPredatesKeyIdsError when the ledger names a key by an id not derived from it. */
export async function refuseLedgerBeforeDerivedKeyIds(
  store: Pick<BlockStore, "getLatestBlock" | "getBlockPages"> & Pick<BatchStore, "listPendingBatches">,
  home: string,
): Promise<void> {
  const found = await firstOldKeyId(store);
  if (found) throw new LedgerPredatesKeyIdsError(home, found.keyId, found.where);
}

async function firstOldKeyId(
  store: Pick<BlockStore, "getLatestBlock" | "getBlockPages"> & Pick<BatchStore, "listPendingBatches">,
): Promise<{ keyId: string; where: string } | undefined> {
  const latest = await store.getLatestBlock();
  if (latest) {
    const { height, sealer } = latest.header;
    if (!isDerivedKeyId(sealer)) return { keyId: sealer, where: `block ${height}'s header` };
    const [page] = await store.getBlockPages(latest.hash, Math.min(latest.pageCount, 1));
    for (const batchKey of page?.batchKeys ?? []) {
      const keyId = keyIdOf(batchKey);
      if (!isDerivedKeyId(keyId)) return { keyId, where: `an entry of block ${height}` };
    }
  }
  for (const { key } of await store.listPendingBatches(PENDING_SAMPLE)) {
    const keyId = keyIdOf(key);
    if (!isDerivedKeyId(keyId)) return { keyId, where: "a pending request" };
  }
  return undefined;
}

/** A batch key is `<keyId>#<nonce>`, and a key id never holds `#` (docs/FORMATS.md §2). */
function keyIdOf(batchKey: string): string {
  const end = batchKey.indexOf("#");
  return end < 0 ? batchKey : batchKey.slice(0, end);
}
