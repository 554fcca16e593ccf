import { describe, expect, it } from "vitest";
import type { BlockPage, PendingBatchRef, StoredBlock } from "../../../functions/store/ports.js";
import { refuseLedgerBeforeDerivedKeyIds } from "../../../local/key-ids.js";
import { blockHeaderWith } from "../../support/block-header.js";

// npm start refuses a home whose ledger predates derived key ids (docs/design/key-history.md
// §1): what it reads to tell, against a store holding one block and some pending requests.
// test/integration/api/restart.test.ts runs npm start on such a home.

const SEALER = "sealer/0a1b2c3d4e5f6071";
const HAIKOU = "hf-haikou/06e3fd8fda29bb60";

function ledger(options: { sealer?: string; sealed?: string[]; pending?: string[] }) {
  const block =
    options.sealer === undefined
      ? undefined
      : {
          header: blockHeaderWith({ height: 3, sealer: options.sealer }),
          hash: "b".repeat(64),
          pageCount: 1,
        };
  const page: BlockPage = {
    page: 0,
    leafHashes: [],
    entryIds: (options.sealed ?? []).map(() => "e".repeat(32)),
    batchKeys: options.sealed ?? [],
  };
  return {
    getLatestBlock: async () => block as StoredBlock | undefined,
    getBlockPages: async (hash: string, count: number) => (hash === block?.hash && count === 1 ? [page] : []),
    listPendingBatches: async (limit: number): Promise<PendingBatchRef[]> =>
      (options.pending ?? []).slice(0, limit).map((key) => ({ key, receivedAt: "2026-11-21T08:00:00.000Z" })),
  };
}

const refused = (store: ReturnType<typeof ledger>) =>
  refuseLedgerBeforeDerivedKeyIds(store, "/home/x/.zhixin");

describe("refuseLedgerBeforeDerivedKeyIds", () => {
  it("lets an empty ledger and one of derived ids through", async () => {
    await expect(refused(ledger({}))).resolves.toBeUndefined();
    await expect(
      refused(
        ledger({ sealer: SEALER, sealed: [`${HAIKOU}#nonce-0001`], pending: [`${HAIKOU}#nonce-0002`] }),
      ),
    ).resolves.toBeUndefined();
  });

  it.each([
    ["a block sealed by sealer/key-1", { sealer: "sealer/key-1" }, "sealer/key-1"],
    [
      "a block filing a request of hf-haikou/key-1",
      { sealer: SEALER, sealed: [`${HAIKOU}#nonce-0001`, "hf-haikou/key-1#nonce-0002"] },
      "hf-haikou/key-1",
    ],
    [
      "a pending request of hf-sanya/key-1 and no block",
      { pending: [`${HAIKOU}#nonce-0003`, "hf-sanya/key-1#nonce-0004"] },
      "hf-sanya/key-1",
    ],
    [
      "a pending request under a KMS alias",
      { pending: ["alias/zhixin/demo/hf-haikou#nonce-0005"] },
      "alias/zhixin/demo/hf-haikou",
    ],
  ])("refuses %s, naming the key id", async (_what, options, keyId) => {
    await expect(refused(ledger(options))).rejects.toMatchObject({
      code: "LEDGER_PREDATES_DERIVED_KEY_IDS",
      keyId,
      home: "/home/x/.zhixin",
    });
  });
});
