import type { CryptoSuite } from "#chain";
import type { Clock } from "../../lib/clock.js";
import type { ContractState, ContractView } from "../../lib/protocol/contracts.js";
import { ApiError } from "../../lib/protocol/errors.js";
import { type ContractStore, effectiveVersion, loadContract } from "../rules/contracts.js";

/** GET /v1/contracts/{id}: a contract's state now, for any member. */
export async function readContract(
  suite: CryptoSuite,
  id: string,
  store: ContractStore,
  clock: Clock,
): Promise<ContractView> {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(id)) {
    throw new ApiError("INVALID_PARAMETER", "contract ids are 2 to 63 lowercase letters, digits and '-'");
  }
  const state = await loadContract(suite, store, id);
  if (!state) throw new ApiError("CONTRACT_NOT_FOUND", `no contract ${id}`);
  return contractViewOf(state, clock.now());
}

/** A contract's folded state with the version in effect at `now`, or why none is. */
export function contractViewOf(state: ContractState, now: Date): ContractView {
  const effective = effectiveVersion(state, now);
  return {
    ...state,
    effective: effective.effective
      ? { version: effective.version.version }
      : { version: null, reason: effective.reason },
  };
}
