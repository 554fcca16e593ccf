import { UsageError } from "../usage.js";
import { type Context, printJson } from "./context.js";

/** `zhixin seal`: seal the pending entries now (local mode). */

export async function runSeal(ctx: Context): Promise<number> {
  if (ctx.sigv4) {
    throw new UsageError(
      "`zhixin seal` is for local mode: a deployed stack seals on its schedule (the seal-block function)",
    );
  }
  printJson(await (await ctx.anonymousClient()).seal());
  return 0;
}
