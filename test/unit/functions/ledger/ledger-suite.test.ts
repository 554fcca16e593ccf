import { describe, expect, it } from "vitest";
import { type BlockHeader, GM, gmSuite, INTL } from "#chain";
import { assertLedgerSuite, LedgerSuiteError } from "../../../../functions/ledger/ledger-suite.js";
import type { StoredBlock } from "../../../../functions/store/ports.js";
import { blockHeaderWith } from "../../../support/block-header.js";

// The API and the sealer run only on the suite block 1 records (docs/formats/suites.md §2);
// test/integration/api/restart.test.ts runs npm start on an intl ledger with a gm file.

/** A store whose block 1 has `genesis` as its header, or none; it counts the reads. */
function storeWith(genesis: BlockHeader | undefined) {
  const heights: number[] = [];
  return {
    heights,
    getBlock: async (height: number) => {
      heights.push(height);
      return genesis === undefined
        ? undefined
        : ({ header: genesis, hash: "b".repeat(64), pageCount: 1 } as unknown as StoredBlock);
    },
  };
}

describe("assertLedgerSuite", () => {
  it("passes a ledger with no block yet, and one whose genesis records the file's suite", async () => {
    const empty = storeWith(undefined);
    await expect(assertLedgerSuite(empty, GM)).resolves.toBeUndefined();
    expect(empty.heights).toEqual([1]);
    await expect(
      assertLedgerSuite(storeWith(blockHeaderWith({ suite: "intl" })), INTL),
    ).resolves.toBeUndefined();
    // A genesis sealed before suites were recorded is intl's.
    await expect(assertLedgerSuite(storeWith(blockHeaderWith({})), INTL)).resolves.toBeUndefined();
    await expect(assertLedgerSuite(storeWith(blockHeaderWith({ suite: "gm" })), GM)).resolves.toBeUndefined();
    const own = blockHeaderWith({ suite: "gm", sm2Id: "zhixin@hainan.gov.cn" });
    await expect(assertLedgerSuite(storeWith(own), gmSuite("zhixin@hainan.gov.cn"))).resolves.toBeUndefined();
  });

  it("refuses another suite, or the same with another SM2 identifier: LEDGER_SUITE_MISMATCH, naming both", async () => {
    const refusal = (genesis: BlockHeader, suite: typeof GM) =>
      assertLedgerSuite(storeWith(genesis), suite).then(
        () => undefined,
        (e: unknown) => e,
      );
    const changed = await refusal(blockHeaderWith({ suite: "intl" }), GM);
    expect(changed).toBeInstanceOf(LedgerSuiteError);
    expect(changed).toMatchObject({ code: "LEDGER_SUITE_MISMATCH", recorded: INTL, configured: GM });
    expect((changed as Error).message).toMatch(
      /^the ledger's genesis block records the intl suite, but the consortium file gives gm: .*Put the file's suite and sm2Id back/,
    );
    const own = blockHeaderWith({ suite: "gm", sm2Id: "zhixin@hainan.gov.cn" });
    expect(((await refusal(own, GM)) as Error).message).toContain(
      'records the gm (SM2 identifier "zhixin@hainan.gov.cn") suite, but the consortium file gives gm:',
    );
    expect(((await refusal(blockHeaderWith({ suite: "gm" }), gmSuite("other"))) as Error).message).toContain(
      'records the gm suite, but the consortium file gives gm (SM2 identifier "other")',
    );
  });
});
