import { type CryptoSuite, genesisCryptoSuite, sameSuite, suiteLabel } from "#chain";
import type { BlockStore } from "../store/ports.js";

/**
 * A ledger's crypto suite — and under gm its SM2 identifier — is fixed by its genesis block
 * for its whole life (docs/formats/suites.md §2). A consortium file changed since would
 * have the API hash new entries, and the sealer chain new blocks, under another suite:
 * blocks no audit accepts (SUITE_MISMATCH, then every hash and signature after it). So
 * the API and the sealer read block 1 once per process and refuse to run on such a file,
 * and `npm start` refuses to start; the verify function does not refuse, as an audit's
 * report of the mismatch is what an auditor asked for.
 */

export class LedgerSuiteError extends Error {
  override readonly name = "LedgerSuiteError";
  readonly code = "LEDGER_SUITE_MISMATCH";

  constructor(
    readonly recorded: CryptoSuite,
    readonly configured: CryptoSuite,
  ) {
    super(
      `the ledger's genesis block records the ${suiteLabel(recorded)} suite, but the consortium file ` +
        `gives ${suiteLabel(configured)}: a ledger's suite and SM2 identifier cannot change ` +
        "(docs/formats/suites.md §2). Put the file's suite and sm2Id back as the ledger was started, " +
        "or start a new ledger for the new suite",
    );
  }
}

/** Throws LedgerSuiteError when block 1 exists and records another suite than `suite`. */
export async function assertLedgerSuite(
  store: Pick<BlockStore, "getBlock">,
  suite: CryptoSuite,
): Promise<void> {
  const genesis = await store.getBlock(1);
  if (genesis === undefined) return;
  const recorded = genesisCryptoSuite(genesis.header);
  if (!sameSuite(recorded, suite)) throw new LedgerSuiteError(recorded, suite);
}
