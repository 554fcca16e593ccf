import { setTimeout as sleep } from "node:timers/promises";
import type { Context, DynamoDBStreamEvent, ScheduledEvent } from "aws-lambda";
import { suiteOf } from "../../lib/consortium/consortium.js";
import type { SealResult } from "../../lib/protocol/entries.js";
import { publishSealMetrics, runSealer, type SealRunSummary } from "../ledger/seal-run.js";
import { sealBlock } from "../ledger/sealer.js";
import { getSealerRuntime, type SealerRuntime, withLedgerSuiteChecked } from "../runtime/runtime.js";
import { addLogContext, log } from "../telemetry/log.js";

/**
 * EventBridge schedule target, and the target of the table stream's seal trigger
 * (cdk/lib/seal-trigger.ts: a batch committed; the records are only a wake-up and are
 * not read). Also invoked by local mode's timer and `zhixin seal`,
 * with no context: they seal once and get the SealResult. In Lambda, with
 * ZHIXIN_SEAL_LOOP_SECONDS > 0, it keeps sealing on that interval while the invocation
 * has time and each seal finds something pending (functions/ledger/seal-run.ts), and
 * returns a SealRunSummary. A failure
 * propagates, so the invocation counts as an error and the alarm sees it; the next run
 * finishes whatever this one committed (see functions/ledger/sealer.ts).
 */
export interface SealBlockPorts {
  runtime: () => Promise<SealerRuntime>;
  seal: typeof sealBlock;
  /** The seal loop's clock, in milliseconds; `sleep` waits on it. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export function sealBlockHandler(ports: SealBlockPorts) {
  return async (
    _event?: ScheduledEvent | DynamoDBStreamEvent | Record<string, never>,
    context?: Context,
  ): Promise<SealResult | SealRunSummary> => {
    addLogContext(context);
    const { store, sealer, clock, consortium, sealLoopMs, tiles, witnessing } = await ports.runtime();
    return runSealer({
      seal: () =>
        ports.seal({
          store,
          signer: sealer,
          clock,
          log: consortium.log,
          suite: suiteOf(consortium),
          ...(tiles ? { tiles } : {}),
          ...(witnessing ? { witnessing } : {}),
        }),
      ...(context && sealLoopMs > 0
        ? {
            loop: {
              intervalMs: sealLoopMs,
              remainingMs: () => context.getRemainingTimeInMillis(),
              sleep: ports.sleep,
              now: ports.now,
            },
          }
        : {}),
      onSeal: (result) => log(result.sealed ? "INFO" : "DEBUG", "seal", { ...result }),
      after: (seals) => publishSealMetrics({ store, clock, consortium: consortium.consortium }, seals),
    });
  };
}

export const handler = sealBlockHandler({
  runtime: () => getSealerRuntime().then(withLedgerSuiteChecked),
  seal: sealBlock,
  now: Date.now,
  sleep: (ms) => sleep(ms),
});
