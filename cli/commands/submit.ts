import { extname } from "node:path";
import { type Batch, InputError, parseRecordInput, planBatches } from "../input.js";
import { ProgressBar } from "../progress.js";
import { BatchesFailed, combineReceipts, sendBatches } from "../send-batches.js";
import type { Values } from "../usage.js";
import { type Context, positiveInteger, printJson, readInput, requireString } from "./context.js";

/** `zhixin submit`: records from a JSON or NDJSON file, sent in batches. */

export async function runSubmit(ctx: Context, values: Values): Promise<number> {
  // With a KMS key the member may follow from its alias (see ../kms-identity.ts).
  if (values["kms-key"] === undefined) requireString(values, "as", "submit");
  const type = requireString(values, "type", "submit");
  const file = requireString(values, "file", "submit");
  const concurrency =
    values.concurrency === undefined ? 4 : positiveInteger(values.concurrency, "--concurrency", "submit");

  const client = await ctx.client();
  const input = parseInputFile(await readInput(file), file);

  if (input.format === "json") {
    const [only] = planBatches(type, input.records);
    if (!only) throw new InputError("no records");
    printJson(await client.submit(only.records));
    return 0;
  }

  const batches = planBatches(type, input.records);
  const total = input.records.length;
  const bar = process.stderr.isTTY ? new ProgressBar(process.stderr, total) : undefined;
  try {
    const receipts = await sendBatches(client, batches, {
      concurrency,
      onBatch: (batch) => bar?.advance(batch.records.length),
    });
    bar?.finish();
    printJson(combineReceipts(receipts));
    return 0;
  } catch (e) {
    bar?.clear();
    if (!(e instanceof BatchesFailed)) throw e;
    const failed = batches[e.batch];
    const where = failed ? ` (lines ${lineSpan([failed])})` : "";
    if (e.accepted.length > 0) {
      const accepted = e.accepted.flatMap((i) => batches[i] ?? []);
      const records = accepted.reduce((n, b) => n + b.records.length, 0);
      process.stderr.write(
        `zhixin: batch ${e.batch + 1} of ${batches.length}${where} failed; ${records} records (lines ${lineSpan(accepted)}) were accepted and are in the ledger\n`,
      );
    } else if (batches.length > 1) {
      process.stderr.write(
        `zhixin: nothing was accepted; batch ${e.batch + 1} of ${batches.length}${where} failed\n`,
      );
    }
    throw e.error;
  }
}

function parseInputFile(text: string, file: string): ReturnType<typeof parseRecordInput> {
  try {
    return parseRecordInput(text, { ndjson: extname(file).toLowerCase() === ".ndjson" });
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${file === "-" ? "stdin" : file}: ${e.message}`);
    throw e;
  }
}

/** "1–100, 201–300": the input lines of batches, adjacent batches merged (batches hold consecutive lines). */
function lineSpan(batches: readonly Batch[]): string {
  const spans: Array<[number, number]> = [];
  for (const b of batches) {
    const first = b.lines[0];
    const last = b.lines[b.lines.length - 1];
    if (first === undefined || last === undefined) continue;
    const previous = spans[spans.length - 1];
    if (previous && previous[1] + 1 >= first) previous[1] = Math.max(previous[1], last);
    else spans.push([first, last]);
  }
  return spans.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(", ");
}
