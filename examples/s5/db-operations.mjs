#!/usr/bin/env node
// An example S5 stream: one `audit.db-operation` record per line (ndjson), as a
// department's database audit log would write them, for `zhixin ship` (or `zhixin submit
// --file`). It depends on nothing but Node.js. The records are made up but valid under
// consortium.example.json's schema, and the same options always print the same lines.
//
//   node examples/s5/db-operations.mjs --count 1000 > ops.ndjson
//   node examples/s5/db-operations.mjs --count 5000 --rate 500 >> /var/log/db-ops.ndjson
//   node examples/s5/db-operations.mjs --count 1000 | zhixin ship --as hf-haikou --type audit.db-operation
import { parseArgs } from "node:util";

const HELP = `Usage: node examples/s5/db-operations.mjs [--count <n>] [--from <n>] [--department <id>] [--rate <n>]

Prints <n> made-up audit.db-operation records (S5: a read or write on a business
database), one JSON object per line, for \`zhixin ship --type audit.db-operation\`.
Record k (counted from --from) is always the same line, so a run is reproducible and two
runs with --from ranges that do not overlap print different records.

Options:
  --count <n>         how many records (default 1000)
  --from <n>          number of the first record (default 0)
  --department <id>   the department whose databases they log (default hf-haikou)
  --rate <n>          print at most n records a second, as a live log would (default: at once)
  -h, --help          show this help

Example:
  node examples/s5/db-operations.mjs --count 250 > ops.ndjson
  zhixin ship --as hf-haikou --type audit.db-operation --file ops.ndjson > receipts.ndjson
`;

const POSTS = ["loan-officer", "teller", "auditor", "window-clerk", "dba"];
const TABLES = [
  ["hf_core", "deposits"],
  ["hf_core", "accounts"],
  ["hf_core", "loans"],
  ["hf_archive", "certificates"],
];
const OPERATIONS = ["read", "read", "read", "read", "write", "read", "write", "delete"];
const START = Date.UTC(2026, 11, 1, 8, 0, 0);

function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        count: { type: "string" },
        from: { type: "string" },
        department: { type: "string" },
        rate: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (e) {
    return fail(e.message.split(". ")[0]);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  let count;
  let from;
  let rate;
  try {
    count = number(values.count ?? "1000", "--count", 0);
    from = number(values.from ?? "0", "--from", 0);
    rate = values.rate === undefined ? undefined : number(values.rate, "--rate", 1);
  } catch (e) {
    return fail(e.message);
  }
  const department = values.department ?? "hf-haikou";
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(department)) {
    return fail(`--department must be a member id such as hf-haikou, got ${JSON.stringify(department)}`);
  }
  return write(department, from, count, rate);
}

/** Record k: everything derived from k, so the same k is the same line. */
function record(department, k) {
  const [database, table] = TABLES[k % TABLES.length];
  const operation = OPERATIONS[(k * 7) % OPERATIONS.length];
  return {
    department,
    post: `${POSTS[k % POSTS.length]}-${String((k * 13) % 40).padStart(2, "0")}`,
    operation,
    database,
    table,
    rowKey: `${table}:${String(100000 + ((k * 7919) % 900000))}`,
    rows: operation === "read" ? 1 + (k % 20) : 1,
    at: new Date(START + k * 250).toISOString(),
    seq: k,
  };
}

/** Writes records [from, from + count), paced at `rate` a second if given, honouring back-pressure. */
async function write(department, from, count, rate) {
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    if (rate !== undefined) {
      const due = started + (i * 1000) / rate - Date.now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
    }
    const line = `${JSON.stringify(record(department, from + i))}\n`;
    if (!process.stdout.write(line)) await new Promise((r) => process.stdout.once("drain", r));
  }
}

function number(text, name, min) {
  if (!/^[0-9]{1,15}$/.test(text) || Number(text) < min) {
    throw new Error(`${name} must be a whole number of at least ${min}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function fail(message) {
  process.stderr.write(`db-operations: ${message}\n\n${HELP}`);
  process.exitCode = 2;
}

// A reader that stops early (`| head`) closes the pipe: stop quietly, as Unix tools do.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

await main();
