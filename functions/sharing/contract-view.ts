import type { Clock } from "../../lib/clock.js";
import { ApiError } from "../../lib/protocol/errors.js";
import { type ContractState, effectiveVersion, loadContract } from "../rules/contracts.js";
import type { LedgerStore } from "../store/ports.js";

/**
 * GET /v1/contracts/{id}: a contract's state as folded from its committed records —
 * every version with who proposed and approved it (and the entries that did), whether
 * it was revoked, and which version is in effect now. Contracts are ledger records that
 * every member may read, like envelopes.
 */
export interface ContractView extends ContractState {
  /** The version answering requests now, or why none does. */
  effective: { version: string } | { version: null; reason: string };
}

export async function readContract(id: string, store: LedgerStore, clock: Clock): Promise<ContractView> {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(id)) {
    throw new ApiError("INVALID_PARAMETER", "contract ids are 2 to 63 lowercase letters, digits and '-'");
  }
  const state = await loadContract(store, id);
  if (!state) throw new ApiError("CONTRACT_NOT_FOUND", `no contract ${id}`);
  const now = effectiveVersion(state, clock.now());
  return {
    ...state,
    effective: now.effective ? { version: now.version.version } : { version: null, reason: now.reason },
  };
}
