import { createReadStream, existsSync } from "node:fs";
import { resolve } from "node:path";
import { MAX_RECORDS } from "../../lib/protocol/limits.js";
import { ClientError, newNonce, ZhixinClient } from "../client.js";
import { InputError } from "../input.js";
import { DEFAULT_LIMITS } from "../ship/batcher.js";
import {
  BatchRefused,
  DEFAULT_RETRY,
  type Delivery,
  ReplayMismatch,
  RetriesExhausted,
} from "../ship/deliver.js";
import { Journal, type JournalHeader } from "../ship/journal.js";
import { BadLine, ShipFailed, type ShippedBatch, type ShipSummary, ship } from "../ship/shipper.js";
import { newCounts, ShipStatus } from "../ship/status.js";
import { UsageError, type Values } from "../usage.js";
import { type Context, optionalString, positiveInteger, requireString } from "./context.js";

/** `zhixin ship`: a stream of records to the ledger, restart-safe (../ship/shipper.ts). */

const FOLLOW_POLL_MS = 100;
/** On a pipe or a log, one line per this long at most about batches being sent again. */
const RETRY_NOTICE_MS = 5_000;

export async function runShip(ctx: Context, values: Values): Promise<number> {
  if (values["kms-key"] === undefined) requireString(values, "as", "ship");
  const type = requireString(values, "type", "ship");
  const file = optionalString(values, "file") ?? "-";
  const stdin = file === "-";
  const follow = values.follow === true;
  if (follow && stdin) {
    throw new UsageError(
      "--follow tails a file: give --file <path> (stdin is read until it ends anyway)",
      "ship",
    );
  }
  const count = (name: string, fallback: number | undefined) =>
    values[name] === undefined ? fallback : positiveInteger(values[name], `--${name}`, "ship");
  const maxRecords = count("max-records", DEFAULT_LIMITS.maxRecords) as number;
  if (maxRecords > MAX_RECORDS) {
    throw new UsageError(`--max-records must be at most ${MAX_RECORDS} (the API's batch limit)`, "ship");
  }
  const limits = {
    ...DEFAULT_LIMITS,
    maxRecords,
    maxWaitMs: count("max-wait-ms", DEFAULT_LIMITS.maxWaitMs) as number,
  };
  const concurrency = count("concurrency", 4) as number;
  const maxRetries = count("max-retries", undefined);
  const offsetFile = optionalString(values, "offset-file") ?? (stdin ? undefined : `${file}.ship-offset`);
  if (!stdin && !existsSync(file)) {
    throw new InputError(
      `cannot read ${file}: no such file (give the ndjson file to ship, or --file - for stdin)`,
    );
  }

  const identity = await ctx.identity();
  const transport = await ctx.transport();
  const client = new ZhixinClient({ url: ctx.url, ...identity, ...(transport ? { transport } : {}) });
  const header: JournalHeader = { input: stdin ? "-" : resolve(file), type, as: identity.department };
  const { journal, state } =
    offsetFile === undefined
      ? { journal: Journal.inMemory(header), state: Journal.inMemory(header).state() }
      : Journal.open(resolve(offsetFile), header);

  const counts = newCounts(journal.offset);
  const status = process.stderr.isTTY ? new ShipStatus(process.stderr, counts) : undefined;
  const notice = (text: string) => {
    status?.clear();
    process.stderr.write(`zhixin: ship: ${text}\n`);
  };
  const receipts = !process.stdout.isTTY;
  let lastNotice = Number.NEGATIVE_INFINITY;

  // Ctrl-C (or SIGTERM) stops reading and finishes what is read; a second one stops now.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      notice("stopped at once; the offset file keeps every batch not yet acknowledged, for the next run");
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    notice("stopping: sending what is read (again to stop at once)");
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let summary: ShipSummary;
  try {
    summary = await ship({
      api: client,
      type,
      keyId: identity.signer.keyId,
      input: stdin
        ? { kind: "stream", stream: process.stdin }
        : { kind: "file", path: file, ...(follow ? { follow: { pollMs: FOLLOW_POLL_MS } } : {}) },
      journal,
      recovered: state,
      limits,
      concurrency,
      retry: { ...DEFAULT_RETRY, maxRetries },
      signal: stop.signal,
      nonce: newNonce,
      events: {
        onRead: (n) => {
          counts.read += n;
        },
        onSent: (batch) => {
          counts.sent += batch.records;
          counts.inFlight += 1;
        },
        onAcked: (batch, delivery) => {
          counts.acked += batch.records;
          counts.inFlight = Math.max(0, counts.inFlight - 1);
          counts.offset = journal.offset;
          counts.retrying = undefined;
          if (receipts) process.stdout.write(`${JSON.stringify(receiptLine(batch, delivery))}\n`);
        },
        onRetry: (batch, code, attempt, delayMs) => {
          counts.retrying = code;
          if (status || Date.now() - lastNotice < RETRY_NOTICE_MS) return;
          lastNotice = Date.now();
          notice(
            `${code}: sending the batch of bytes ${batch.from}–${batch.to} again in ${(delayMs / 1000).toFixed(1)} s ` +
              `(attempt ${attempt + 1}); batches wait for it and retry the same way`,
          );
        },
      },
    });
  } catch (e) {
    if (!(e instanceof ShipFailed)) throw e;
    status?.clear();
    throw await explainFailure(e, stdin ? undefined : file, journal.path);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    journal.close();
    status?.finish();
  }
  const where = journal.path
    ? `; ${stdin ? "stdin" : file} is acknowledged up to byte ${summary.offset} (${journal.path})`
    : "";
  const earlier =
    summary.resent > 0 || summary.replayed > 0
      ? ` (${summary.resent} resent from the offset file, ${summary.replayed} found already on the ledger)`
      : "";
  process.stderr.write(
    `zhixin: ship: ${summary.records} records acknowledged in ${summary.batches} batches${earlier}${where}\n`,
  );
  return 0;
}

/** The JSON line printed for each acknowledged batch. */
function receiptLine(batch: ShippedBatch, delivery: Delivery) {
  return {
    from: batch.from,
    to: batch.to,
    records: batch.records,
    nonce: batch.nonce,
    entries: delivery.receipt.entries,
    receivedAt: delivery.receipt.receivedAt,
    ...(delivery.kind === "replayed" ? { replayed: true } : {}),
  };
}

/**
 * The error to report for a stop, after saying on stderr where the input stands. Returns
 * what runCommand's error reporting prints with the right exit status.
 */
async function explainFailure(
  e: ShipFailed,
  file: string | undefined,
  offsetFile: string | undefined,
): Promise<Error> {
  const kept = offsetFile
    ? `${offsetFile} keeps the place: fix the input and run the same command again`
    : "there is no offset file (stdin without --offset-file)";
  const done = `${e.summary.records} records were acknowledged before it`;
  const reason = e.reason;
  if (reason instanceof BadLine) {
    const where = file
      ? `${file} line ${await lineNumberAt(file, reason.at)}`
      : `stdin, the line at byte ${reason.at}`;
    return new InputError(`${where}: ${reason.message}. Every line before it is sent; ${kept}`);
  }
  const batch = e.batch;
  const what = !batch
    ? "a batch the offset file left open"
    : `the batch of ${file ? await lineSpan(file, batch) : `bytes ${batch.from}–${batch.to}`}`;
  if (reason instanceof BatchRefused) {
    const index = recordAtFault(reason.error.details);
    const start = index === undefined ? undefined : batch?.starts[index];
    const record =
      start !== undefined && file
        ? `; the record at fault is on line ${await lineNumberAt(file, start)}`
        : "";
    process.stderr.write(
      `zhixin: ship: ${what} was refused (nothing of it was stored)${record}. ${done}; ${kept}\n`,
    );
    return reason.error;
  }
  if (reason instanceof RetriesExhausted) {
    process.stderr.write(
      `zhixin: ship: gave up on ${what} after ${reason.attempts} attempts. ${done}; ` +
        `${offsetFile ? `${offsetFile} journals the batch, which the same command sends again under its nonce` : kept}\n`,
    );
    return reason.error;
  }
  if (reason instanceof ReplayMismatch) return new ClientError("NONCE_REPLAYED", reason.message);
  return reason as Error;
}

/** The batch position of the record a refusal names: details {index} or [{index}, …] (docs/API.md). */
function recordAtFault(details: unknown): number | undefined {
  const first = Array.isArray(details) ? details[0] : details;
  const index = (first as { index?: unknown } | undefined)?.index;
  return typeof index === "number" && Number.isSafeInteger(index) ? index : undefined;
}

async function lineSpan(file: string, batch: ShippedBatch): Promise<string> {
  const first = batch.starts[0];
  const last = batch.starts[batch.starts.length - 1];
  if (first === undefined || last === undefined) return `bytes ${batch.from}–${batch.to}`;
  const [a, b] = [await lineNumberAt(file, first), await lineNumberAt(file, last)];
  return a === b ? `line ${a}` : `lines ${a}–${b}`;
}

/** The 1-based number of the line that starts at byte `at` of the file. */
async function lineNumberAt(file: string, at: number): Promise<number> {
  let line = 1;
  if (at === 0) return line;
  for await (const chunk of createReadStream(file, { start: 0, end: at - 1 })) {
    for (const byte of chunk as Buffer) if (byte === 10) line++;
  }
  return line;
}
