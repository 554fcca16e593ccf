import type { Clock } from "../../lib/clock.js";
import { type Consortium, suiteOf } from "../../lib/consortium/consortium.js";
import { type ContractList, type ContractView, MAX_CONTRACT_LIST } from "../../lib/protocol/contracts.js";
import { partyIndex } from "../../lib/store-layout.js";
import type { Caller } from "../auth/caller.js";
import { type ContractStore, loadContract } from "../rules/contracts.js";
import { committedIndexEntries } from "../store/index-entries.js";
import { StoreInvariantError } from "../store/ports.js";
import { contractViewOf } from "./contract-view.js";

/**
 * GET /v1/contracts (docs/API.md "Sharing contracts"): the contracts the caller is a
 * party to — every contract, for an auditor — by id, each as GET /v1/contracts/{id}
 * shows it. Found through the `P#<department>` index entries each propose writes for
 * its two parties (functions/rules/contracts.ts), of which only committed ones count;
 * an auditor's list reads every department's. Each contract is then folded from its
 * own `C#` entries, exactly as the single-contract route folds it.
 */

/** Contracts folded at once: each is a Query and a BatchGetItem. */
const CONCURRENCY = 16;

export async function listContracts(
  caller: Caller,
  deps: { store: ContractStore; consortium: Consortium; clock: Clock },
): Promise<ContractList> {
  const parties =
    caller.role === "auditor" ? deps.consortium.departments.map((d) => d.id) : [caller.department];
  const listed = (await Promise.all(parties.map((p) => deps.store.listIndexEntries(partyIndex(p))))).flat();
  const committed = await committedIndexEntries(deps.store, listed);
  const ids = [...new Set(committed.map((e) => e.attrs.contract ?? ""))].filter(Boolean).sort();
  const shown = ids.slice(0, MAX_CONTRACT_LIST);
  const now = deps.clock.now();
  const contracts: ContractView[] = [];
  for (let i = 0; i < shown.length; i += CONCURRENCY) {
    const batch = shown.slice(i, i + CONCURRENCY);
    const states = await Promise.all(
      batch.map((id) => loadContract(suiteOf(deps.consortium), deps.store, id)),
    );
    for (const [j, state] of states.entries()) {
      // The propose that wrote the P# entry wrote its C# entry in the same call.
      if (!state)
        throw new StoreInvariantError(`contract ${batch[j]} is listed under P# but has no C# entries`);
      contracts.push(contractViewOf(state, now));
    }
  }
  return { contracts, truncated: ids.length > shown.length };
}
