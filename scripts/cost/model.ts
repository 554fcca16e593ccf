import type { BatchMeasurement } from "./measure.js";

/**
 * The cost model of docs/COST.md: what a million entries and an idle month cost, line by
 * line, each line a quantity times one unit price of scripts/cost/prices.json. Pure: the
 * measured item sizes (./measure.ts) and the template's figures (../cost.ts) come in as
 * data, so the arithmetic is tested on its own (test/unit/scripts/cost-model.test.ts).
 */

export interface Price {
  usd: number;
  per: number;
  unit: string;
  source: string;
}
export type PriceName =
  | "apiRequest"
  | "lambdaRequest"
  | "lambdaGbSecond"
  | "dynamoWrite"
  | "dynamoRead"
  | "dynamoStorage"
  | "dynamoPitr"
  | "backupStorage"
  | "backupColdStorage"
  | "kmsKey"
  | "kmsAsymmetricRequest"
  | "kmsSymmetricRequest"
  | "metric"
  | "alarm"
  | "dashboard"
  | "logIngest"
  | "s3Put"
  | "s3Storage";
export type Prices = Record<PriceName, Price>;

/** What the synthesised template says (read by ../cost.ts from the consortium's stack). */
export interface TemplateFacts {
  memoryMb: { submit: number; seal: number; verify: number };
  /** KMS keys the stack creates for members (one per key version). */
  memberKeys: number;
  /** Every other KMS key of the stack; `rotating` of them rotate yearly. */
  otherKeys: number;
  rotatingKeys: number;
  /** Metrics the alarms watch (a math alarm counts each of its metrics). */
  alarmMetrics: number;
  dashboards: number;
  /** Custom metrics the functions emit (name × emitting function). */
  customMetrics: number;
  /** Minutes between the sealer's scheduled runs (the backstop). */
  sealEveryMinutes: number;
  /** The consortium file's aws.backup. */
  backup: { dailyDays: number; monthlyDays: number };
}

/** What the model assumes where nothing here can measure it; each is printed beside the result. */
export interface Assumptions {
  /** Store round trips of one submit, each this much slower on AWS than locally. */
  storeRoundTrips: number;
  dynamoLatencyMs: number;
  /** Bytes of CloudWatch Logs per API request: the access log line and the function's lines. */
  logBytesPerRequest: number;
  /** Entries per sealed block (a busy ledger's blocks are fuller). */
  entriesPerBlock: number;
  /** Milliseconds an idle scheduled seal takes: one pending-index query and a metric. */
  idleSealMs: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  storeRoundTrips: 3,
  dynamoLatencyMs: 5,
  logBytesPerRequest: 1000,
  entriesPerBlock: 1000,
  idleSealMs: 300,
};

export interface CostLine {
  what: string;
  quantity: number;
  price: PriceName;
  usd: number;
}

const KB = 1024;
const wru = (bytes: number) => Math.ceil(bytes / KB);
const rruStrong = (bytes: number) => Math.ceil(bytes / (4 * KB));

function line(prices: Prices, what: string, quantity: number, price: PriceName): CostLine {
  const p = prices[price];
  return { what, quantity, price, usd: (quantity * p.usd) / p.per };
}

/** Writes (WRU) of one batch: what submit puts, what the seal puts or rewrites. */
export function batchWrites(batch: BatchMeasurement, entriesPerBlock: number) {
  let submit = 0;
  let seal = 0;
  for (const item of batch.items) {
    if (item.family === "page") {
      // A page holds 1,000 leaves in production: this batch's share of the page's bytes.
      seal += item.sealed / KB;
    } else if (item.family === "block") {
      seal += (wru(item.sealed) * batch.size) / entriesPerBlock;
    } else if (item.submitted > 0) {
      submit += wru(item.submitted);
      // Changed by the seal: an update is charged on the larger of before and after.
      if (item.sealed !== item.submitted && item.sealed > 0)
        seal += wru(Math.max(item.submitted, item.sealed));
    } else if (item.sealed > 0) {
      seal += wru(item.sealed);
    }
  }
  // The pending index (KEYS_ONLY, < 1 KB an entry): written at commit, deleted at the seal.
  submit += 1;
  seal += 1;
  return { submit, seal };
}

/** Strongly consistent reads (RRU) of one batch: authentication's index query, the sealer's re-read. */
export function batchReads(batch: BatchMeasurement) {
  const sealer = batch.items
    .filter((i) => i.family === "batch head" || i.family === "batch body")
    .reduce((n, i) => n + rruStrong(i.submitted), 0);
  return { submit: 1, seal: sealer };
}

/** The cost of `entries` entries submitted in batches like `batch`. */
export function perEntries(
  entries: number,
  batch: BatchMeasurement,
  t: TemplateFacts,
  prices: Prices,
  a: Assumptions = DEFAULT_ASSUMPTIONS,
): CostLine[] {
  const batches = entries / batch.size;
  const blocks = entries / a.entriesPerBlock;
  const writes = batchWrites(batch, a.entriesPerBlock);
  const reads = batchReads(batch);
  const submitSeconds = (batch.submitMs + a.storeRoundTrips * a.dynamoLatencyMs) / 1000;
  // Each 256 entries fill a level-0 tile and an entry bundle; each block rewrites the
  // partial tiles of its levels (~4) and the checkpoint (C2SP tlog-tiles).
  const tilePuts = (entries / 256) * 2 + blocks * 5;
  return [
    line(
      prices,
      "API requests (one per batch; 512 KB each)",
      batches * Math.ceil(batch.requestBytes / (512 * KB)),
      "apiRequest",
    ),
    line(prices, "submit invocations", batches, "lambdaRequest"),
    line(
      prices,
      `submit GB-s (${fmt(submitSeconds * 1000)} ms at ${t.memoryMb.submit} MB)`,
      batches * submitSeconds * (t.memoryMb.submit / 1024),
      "lambdaGbSecond",
    ),
    line(prices, "DynamoDB writes at submit (items, pending index)", batches * writes.submit, "dynamoWrite"),
    line(
      prices,
      "DynamoDB writes at seal (marks, pages, blocks, index removal)",
      batches * writes.seal,
      "dynamoWrite",
    ),
    line(
      prices,
      "DynamoDB reads (authentication, the sealer's re-read)",
      batches * (reads.submit + reads.seal),
      "dynamoRead",
    ),
    line(prices, "KMS signatures (block header, checkpoint)", blocks * 2, "kmsAsymmetricRequest"),
    line(prices, "S3 PUTs of the published tiles", tilePuts, "s3Put"),
    line(prices, "CloudWatch Logs ingested (GB)", (batches * a.logBytesPerRequest) / 1e9, "logIngest"),
    line(
      prices,
      `sealer GB-s (${t.memoryMb.seal} MB, ~18k entries/s of CPU)`,
      (entries / 18_000) * (t.memoryMb.seal / 1024),
      "lambdaGbSecond",
    ),
  ];
}

/** Bytes the table keeps per entry, as measured (items after the seal). */
export function storedBytesPerEntry(batch: BatchMeasurement): number {
  return batch.items.reduce((n, i) => n + i.sealed, 0) / batch.size;
}

/**
 * A month of keeping `entries` entries, a year after the first backup: the table, its
 * continuous backups (PITR), the daily recovery points (each a full copy) and twelve
 * monthly ones, three of them warm and nine cold (cold after 90 days).
 */
export function keptMonthly(
  entries: number,
  batch: BatchMeasurement,
  backup: { dailyDays: number; monthlyDays: number },
  prices: Prices,
): CostLine[] {
  const gb = (entries * storedBytesPerEntry(batch)) / 1e9;
  const monthly = Math.min(12, Math.floor(backup.monthlyDays / 30));
  const warmMonthly = Math.min(3, monthly);
  return [
    line(prices, `table storage (GB; ${fmt(storedBytesPerEntry(batch))} B an entry)`, gb, "dynamoStorage"),
    line(prices, "point-in-time recovery (GB)", gb, "dynamoPitr"),
    line(
      prices,
      `daily recovery points (${backup.dailyDays} full copies, GB)`,
      gb * backup.dailyDays,
      "backupStorage",
    ),
    line(
      prices,
      `monthly recovery points, warm (${warmMonthly} copies, GB)`,
      gb * warmMonthly,
      "backupStorage",
    ),
    line(
      prices,
      `monthly recovery points, cold (${monthly - warmMonthly} copies, GB)`,
      gb * (monthly - warmMonthly),
      "backupColdStorage",
    ),
  ];
}

/** A month with no traffic. */
export function idleMonth(
  t: TemplateFacts,
  prices: Prices,
  rotatedYears: 0 | 1 | 2,
  a: Assumptions = DEFAULT_ASSUMPTIONS,
): CostLine[] {
  const ticks = (30 * 24 * 60) / t.sealEveryMinutes;
  return [
    line(prices, "members' keys", t.memberKeys, "kmsKey"),
    line(prices, "the consortium's other keys (sealer, subject, table, alert topics)", t.otherKeys, "kmsKey"),
    ...(rotatedYears > 0
      ? [
          line(
            prices,
            `rotated key material (${rotatedYears} rotation(s) of ${t.rotatingKeys} keys)`,
            t.rotatingKeys * rotatedYears,
            "kmsKey",
          ),
        ]
      : []),
    line(prices, "dashboard", t.dashboards, "dashboard"),
    line(prices, "alarm metrics", t.alarmMetrics, "alarm"),
    line(prices, "custom metrics", t.customMetrics, "metric"),
    line(prices, "scheduled seals (invocations)", ticks, "lambdaRequest"),
    line(
      prices,
      `scheduled seals (GB-s, ${a.idleSealMs} ms each)`,
      ticks * (a.idleSealMs / 1000) * (t.memoryMb.seal / 1024),
      "lambdaGbSecond",
    ),
    line(prices, "scheduled seals' logs (GB)", (ticks * 600) / 1e9, "logIngest"),
  ];
}

export const total = (lines: readonly CostLine[]) => lines.reduce((n, l) => n + l.usd, 0);

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}
