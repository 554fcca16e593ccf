import type { Clock } from "../../lib/clock.js";
import type { ContractView } from "../../lib/protocol/contracts.js";
import { ApiError } from "../../lib/protocol/errors.js";
import { type ContractStore, effectiveVersion, loadContract } from "../rules/contracts.js";

export async function readContract(id: string, store: ContractStore, clock: Clock): Promise<ContractView> {
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
