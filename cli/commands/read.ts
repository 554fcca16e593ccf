import { ClientError } from "../client.js";
import { UsageError, type Values } from "../usage.js";
import { type Context, positiveInteger, printJson } from "./context.js";

/** `zhixin get`, `zhixin block` and `zhixin checkpoint`: reading entries, blocks and the latest checkpoint. */

export async function runGet(ctx: Context, _values: Values, [id]: string[]): Promise<number> {
  if (id === undefined || !/^[0-9a-f]{32}$/.test(id)) {
    throw new UsageError(`entry ids are 32 lowercase hex digits, got ${JSON.stringify(id ?? "")}`, "get");
  }
  const client = await ctx.client();
  printJson(await client.getEntry(id));
  return 0;
}

export async function runBlock(ctx: Context, _values: Values, [which]: string[]): Promise<number> {
  const height =
    which === undefined || which === "latest" ? "latest" : positiveInteger(which, "height", "block");
  const client = await ctx.client();
  printJson(await client.block(height));
  return 0;
}

/**
 * The published checkpoint: the sealer's signature line, then one line per witness that
 * cosigned it (docs/formats/witness.md §1). A ledger that publishes no tiles, or has not
 * published yet, has only the sealer's: that one is printed, and stderr says why.
 */
export async function runCheckpoint(ctx: Context): Promise<number> {
  const client = await ctx.client();
  let note: string;
  try {
    note = await client.publishedCheckpoint();
  } catch (e) {
    if (!(e instanceof ClientError && e.code === "NOT_FOUND")) throw e;
    note = await client.checkpoint();
    process.stderr.write(
      `zhixin: no published checkpoint (${e.message}); this is the sealer's alone, unwitnessed\n`,
    );
  }
  process.stdout.write(note.endsWith("\n") ? note : `${note}\n`);
  return 0;
}
