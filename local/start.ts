import { readFileSync } from "node:fs";
import { join } from "node:path";
import { localPaths, PROJECT_ROOT } from "../cli/defaults.js";
import { parseConsortiumText, readConsortiumText } from "../lib/consortium/consortium.js";
import { parseInterval, startLocalConsortium } from "./consortium-node.js";
import { rotateLocalKeys } from "./keys.js";

/**
 * `npm start`: the local consortium. Settings (environment):
 *   ZHIXIN_HOME            data directory: dynalite files and keys (default <clone>/.zhixin)
 *   ZHIXIN_CONSORTIUM      consortium file (default <clone>/consortium.example.json)
 *                          The defaults are the clone's from any directory, as the CLI's
 *                          (cli/defaults.ts); a relative path is taken from the current one.
 *   ZHIXIN_PORT            HTTP API port on 127.0.0.1 (default 8787)
 *   ZHIXIN_DYNAMODB_PORT   embedded DynamoDB port on 127.0.0.1 (default 8000)
 *   ZHIXIN_S3_PORT         embedded S3 port on 127.0.0.1, where the log's tiles are
 *                          published (default 8001)
 *   ZHIXIN_SEAL_INTERVAL   time between seals: 500ms, 2s, 1m, or off (default 2s)
 *   ZHIXIN_ROTATE_KEYS     comma-separated keys to replace before starting: "sealer", an
 *                          auditor's id, witness:<department> (local/keys.ts rotateLocalKeys).
 *                          The new keys sign from this start on; keys/trust.json keeps the
 *                          sealer's old one, keys/ a witness's old ones, so older blocks and
 *                          checkpoints still verify (docs/LOCAL.md "Keys").
 *                          Departments rotate on the ledger: `zhixin keys rotate`
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const env = process.env;
const CERTIFICATE = "housing-fund.deposit-certificate";
function port(name: string, fallback: number): number {
  const value = env[name] ?? String(fallback);
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    fail(`${name} must be a port number, got ${JSON.stringify(value)}`);
  return n;
}
function fail(message: string): never {
  console.error(`zhixin: ${message}`);
  process.exit(2);
}

const paths = localPaths(env, process.cwd());
let sealIntervalMs = 0;
try {
  sealIntervalMs = parseInterval(env.ZHIXIN_SEAL_INTERVAL ?? "2s");
} catch (e) {
  fail((e as Error).message);
}

const time = () => new Date().toISOString().slice(11, 23);
const rotate = (env.ZHIXIN_ROTATE_KEYS ?? "")
  .split(",")
  .map((n) => n.trim())
  .filter(Boolean);
if (rotate.length > 0) {
  try {
    const consortium = parseConsortiumText(
      readConsortiumText(paths.consortium, (p) => readFileSync(p, "utf8")),
      paths.consortium,
    );
    for (const r of await rotateLocalKeys(paths.home, consortium, rotate, new Date())) {
      console.log(
        `${time()} ${r.name} key rotated: ${r.retired} → ${r.active} (the old key is kept as keys/${r.oldKeyFile})`,
      );
    }
    if (rotate.includes("sealer"))
      console.log(
        `${time()} keys/trust.json keeps the sealer's old key with its validUntil; run \`zhixin trust export\` again and hand the new trust root on`,
      );
    if (rotate.some((n) => n.startsWith("witness:")))
      console.log(
        `${time()} the witness keeps what it cosigned and cosigns with its new key; run \`zhixin trust export\` again (it lists the old key too, so checkpoints cosigned before still count) and hand the new trust root on`,
      );
  } catch (e) {
    fail(`ZHIXIN_ROTATE_KEYS: ${(e as Error).message}`);
  }
}
try {
  const node = await startLocalConsortium({
    home: paths.home,
    consortiumFile: paths.consortium,
    port: port("ZHIXIN_PORT", 8787),
    dynamoPort: port("ZHIXIN_DYNAMODB_PORT", 8000),
    s3Port: port("ZHIXIN_S3_PORT", 8001),
    sealIntervalMs,
    log: (line) => console.log(`${time()} ${line}`),
    introduceKeys: true,
    consoleDir: join(PROJECT_ROOT, "dist", "console"),
  });
  const c = node.consortium;
  const url = node.url;
  // The CLI finds this home and consortium file by itself only when they are the
  // defaults, and this API only at its default URL: otherwise the lines to set them.
  // The walkthrough's record: S1's certificate, written by the first department the file
  // lets write it (hf-haikou in the example file, hf-yinchuan in examples/consortium.gm.json).
  const writer = c.recordTypes.find((t) => t.type === CERTIFICATE)?.writers[0];
  const submit =
    writer === undefined
      ? "  zhixin submit --as <department> --type <record type> --file record.json"
      : `  echo '{"citizen":"460100199001011234","months":36,"status":"active"}' > cert.json
  zhixin submit --as ${writer} --type ${CERTIFICATE} --file cert.json`;
  const exports = [
    env.ZHIXIN_HOME ? `  export ZHIXIN_HOME=${JSON.stringify(node.home)}` : "",
    env.ZHIXIN_CONSORTIUM ? `  export ZHIXIN_CONSORTIUM=${JSON.stringify(paths.consortium)}` : "",
    url === "http://127.0.0.1:8787" ? "" : `  export ZHIXIN_URL=${url}`,
  ].filter(Boolean);
  console.log(`
Zhixin local consortium "${c.consortium}" — log ${c.log}

  web console       ${url}/console/   (控制台: overview, blocks and proofs, evidence check, sharing, a citizen's trail)
  HTTP API          ${url}        (try: curl ${url}/v1/health)
  DynamoDB (local)  ${node.dynamo.endpoint}   table ${node.table}
                    aws dynamodb scan --table-name ${node.table} --endpoint-url ${node.dynamo.endpoint}
  log tiles (S3)    ${node.s3.endpoint}/${node.tilesBucket}/checkpoint   (C2SP tlog-tiles)
  consortium file   ${paths.consortium}
  data and keys     ${node.home}${node.generatedKeys.length ? `   (generated keys: ${node.generatedKeys.join(", ")})` : ""}
  sealer            ${sealIntervalMs > 0 ? `every ${sealIntervalMs} ms` : "off (zhixin seal)"}
  departments       ${c.departments.map((d) => d.id).join(", ")}${
    node.introducedKeys.length
      ? `
  key history       introduced ${node.introducedKeys.length} department key(s) (zhixin.key.add, sealed in the next block)`
      : ""
  }
  auditors          ${c.auditors.map((a) => a.id).join(", ") || "(none)"}

Try, in another terminal (zhixin is this clone's bin/zhixin; it works from any folder):
  export PATH="${join(PROJECT_ROOT, "bin")}:$PATH"
${exports.length ? `${exports.join("\n")}\n` : ""}${submit}
  zhixin seal
  zhixin get <entry id>
  zhixin verify

Ctrl-C stops; data stays in ${node.home}.
`);
  const shutdown = async () => {
    console.log(`${time()} stopping…`);
    await node.stop();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  if (err.code === "EADDRINUSE")
    fail(
      `a port is already in use (${err.message}); set ZHIXIN_PORT / ZHIXIN_DYNAMODB_PORT / ZHIXIN_S3_PORT`,
    );
  fail(err.message);
}
