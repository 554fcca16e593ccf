import type { ScheduledEvent } from "aws-lambda";
import { log } from "../shared/log.js";
import { getRuntime } from "../shared/runtime.js";
import { type SealResult, sealBlock } from "../shared/sealer.js";

/**
 * EventBridge schedule target (also invoked by local mode's timer and `zhixin seal`).
 * Seals one block, or reports that nothing was pending or that another sealer won.
 * A failure propagates, so the invocation counts as an error and the alarm sees it;
 * the next run finishes whatever this one committed (see functions/shared/sealer.ts).
 */
export async function handler(_event?: ScheduledEvent | Record<string, never>): Promise<SealResult> {
  const { store, sealer, clock, consortium } = await getRuntime();
  if (!sealer) throw new Error("no sealer key: set ZHIXIN_SEALER_KEY_FILE or ZHIXIN_SEALER_KMS_KEY");
  const result = await sealBlock({ store, signer: sealer, clock, log: consortium.log });
  log(result.sealed ? "INFO" : "DEBUG", "seal", { ...result });
  return result;
}
