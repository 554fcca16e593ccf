import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { App } from "aws-cdk-lib";
import { addZhixinStack } from "../cdk/lib/app.js";
import { loadStackConfig } from "../cdk/lib/config.js";
import { METRICS } from "../lib/metrics.js";
import { measureBatches } from "./cost/measure.js";
import {
  type CostLine,
  DEFAULT_ASSUMPTIONS,
  idleMonth,
  keptMonthly,
  type Prices,
  perEntries,
  type TemplateFacts,
  total,
} from "./cost/model.js";

const HELP = `npm run cost -- [--entries N] [--batch B[,B...]] [--consortium FILE]

What Zhixin costs on AWS (docs/COST.md): dollars per N entries at each batch size, and an
idle month. Item sizes are measured here (a local consortium takes one batch of each size
and seals it); the functions' memory, the keys, alarms and metrics come from the
consortium's synthesised stack; unit prices from scripts/cost/prices.json, each with its
source. Assumptions the model cannot measure are printed with the result.

  --entries N       entries to price (default 1e6)
  --batch B,...     records per request (default 1,10,100)
  --consortium F    the consortium file (default consortium.example.json)

Examples:
  npm run cost
  npm run cost -- --entries 1e6 --batch 100

估算 Zhixin 在 AWS 上的费用：每百万条目的美元成本（按批大小）与空闲月成本。`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        entries: { type: "string", default: "1e6" },
        batch: { type: "string", default: "1,10,100" },
        consortium: { type: "string", default: "consortium.example.json" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}; see npm run cost -- --help`);
    process.exit(2);
  }
}
const values = parseOptions();
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const entries = Number(values.entries);
const sizes = (values.batch ?? "").split(",").map(Number);
if (!(entries > 0) || !sizes.every((b) => Number.isInteger(b) && b >= 1 && b <= 100)) {
  console.error(
    `--entries must be a positive number and --batch whole numbers 1–100 (got ${values.entries}, ${values.batch}); see --help`,
  );
  process.exit(2);
}

const prices = JSON.parse(readFileSync(new URL("./cost/prices.json", import.meta.url), "utf8")) as {
  prices: Prices;
  note: string;
  region: string;
};
const facts = templateFacts(resolve(values.consortium ?? "consortium.example.json"));

console.log(`Prices: ${prices.region}. ${prices.note}`);
console.log(
  `Template: submit ${facts.memoryMb.submit} MB, seal ${facts.memoryMb.seal} MB; ${facts.memberKeys} member key(s), ` +
    `${facts.otherKeys} other key(s); ${facts.alarmMetrics} alarm metric(s), ${facts.customMetrics} custom metric(s), ` +
    `${facts.dashboards} dashboard(s); seal schedule every ${facts.sealEveryMinutes} min.`,
);
const a = DEFAULT_ASSUMPTIONS;
console.log(
  `Assumed: ${a.storeRoundTrips} store round trips per submit, each ${a.dynamoLatencyMs} ms slower than locally; ` +
    `${a.logBytesPerRequest} B of logs per request; ${a.entriesPerBlock} entries per block; an idle seal ${a.idleSealMs} ms.`,
);

const measured = await measureBatches(sizes, { progress: (l) => process.stderr.write(`${l}\n`) });
const TARGETS: Record<number, number> = { 1: 6, 100: 2 };
for (const batch of measured) {
  const lines = perEntries(entries, batch, facts, prices.prices);
  print(
    `${fmtCount(entries)} entries, ${batch.size} record(s) per request (measured: request ${batch.requestBytes} B, local submit ${batch.submitMs.toFixed(0)} ms)`,
    lines,
  );
  const target = TARGETS[batch.size];
  if (target !== undefined) {
    const perMillion = (total(lines) / entries) * 1e6;
    console.log(
      `  per million: $${perMillion.toFixed(2)} (target ≤ $${target.toFixed(2)}: ${perMillion <= target ? "met" : "MISSED"})`,
    );
  }
  print(
    "… and keeping them, each month (a year in)",
    keptMonthly(entries, batch, facts.backup, prices.prices),
  );
}
for (const years of [0, 2] as const) {
  const lines = idleMonth(facts, prices.prices, years);
  print(
    years === 0
      ? "An idle month, first year"
      : "An idle month, from the third year (two rotations of each rotating key)",
    lines,
  );
  const fixed = total(lines) - (lines[0]?.usd ?? 0);
  console.log(
    `  beside the members' keys: $${fixed.toFixed(2)} (target ≤ $12.00: ${fixed <= 12 ? "met" : "MISSED"})`,
  );
}

function print(title: string, lines: readonly CostLine[]): void {
  console.log(`\n${title}`);
  for (const l of lines) {
    const p = prices.prices[l.price];
    console.log(
      `  ${l.what.padEnd(74)} ${fmtCount(l.quantity).padStart(12)} × $${p.usd}/${fmtCount(p.per)}  = $${l.usd.toFixed(4).padStart(9)}`,
    );
  }
  console.log(
    `  ${"total".padEnd(74)} ${"".padStart(12)}                 $${total(lines).toFixed(2).padStart(9)}`,
  );
}

function fmtCount(n: number): string {
  if (n >= 1e6 && Number.isInteger(n / 1e6)) return `${n / 1e6} M`;
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  return n < 0.01 ? n.toExponential(2) : n.toFixed(2);
}

/** The template's figures, from the consortium's stack built (not bundled) as `npm run synth` builds it. */
function templateFacts(file: string): TemplateFacts {
  const config = loadStackConfig(file);
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = addZhixinStack(app, config);
  const t = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  const resources = Object.values(t.Resources);
  const fn = (service: string) =>
    resources.find(
      (r) =>
        r.Type === "AWS::Lambda::Function" &&
        (r.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables
          ?.POWERTOOLS_SERVICE_NAME === service,
    )?.Properties?.MemorySize as number;
  const keys = resources.filter((r) => r.Type === "AWS::KMS::Key");
  const member = keys.filter((k) =>
    JSON.stringify(k.Properties?.Description ?? "").includes("signing key of"),
  ).length;
  const alarms = resources.filter((r) => r.Type === "AWS::CloudWatch::Alarm");
  const metricsOf = (r: (typeof alarms)[number]) => {
    const math = r.Properties?.Metrics;
    return Array.isArray(math) ? math.filter((m) => (m as { MetricStat?: unknown }).MetricStat).length : 1;
  };
  const alarmMetrics = alarms.reduce((n, r) => n + metricsOf(r), 0);
  return {
    memoryMb: { submit: fn("zhixin-submit"), seal: fn("zhixin-seal"), verify: fn("zhixin-verify") },
    memberKeys: member,
    otherKeys: keys.length - member,
    rotatingKeys: keys.filter((k) => k.Properties?.EnableKeyRotation === true).length,
    alarmMetrics,
    dashboards: resources.filter((r) => r.Type === "AWS::CloudWatch::Dashboard").length,
    // KeyDirectoryFailures is emitted by two functions (lib/metrics.ts): two metrics.
    customMetrics: Object.keys(METRICS).length + 1,
    sealEveryMinutes: config.consortium.aws.sealEveryMinutes,
    backup: config.consortium.aws.backup,
  };
}
