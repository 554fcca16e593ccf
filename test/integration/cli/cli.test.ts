import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itemKeys } from "../../../functions/store/table.js";
import { type CliConsortium, startCliConsortium } from "../../support/cli.js";
import { captureOutput } from "../../support/output.js";

// The `zhixin` CLI as a user runs it (node bin/zhixin.js, a child process) against a
// whole local consortium started in this process: real HTTP, signatures, dynalite.

const CERT_TYPE = "housing-fund.deposit-certificate";

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

const ENTRY_ID = /^[0-9a-f]{32}$/;

/** The verify function (local mode runs it in this process) logs an audit with findings as one warning. */
const auditFindingsLine = (code: string) =>
  expect.objectContaining({
    level: "WARN",
    message: "audit findings",
    first: expect.objectContaining({ code }),
  });

let cli: CliConsortium;

beforeAll(async () => {
  cli = await startCliConsortium("cli");
});

afterAll(async () => {
  await cli?.stop();
});

describe("zhixin CLI against a local consortium", () => {
  const cert = { citizen: "460100199001011234", months: 36, status: "active" };
  let entryId = "";

  it("--help names every command and the environment", async () => {
    const [run, submitHelp] = await Promise.all([cli.zhixin(["--help"]), cli.zhixin(["submit", "--help"])]);
    expect(run.code).toBe(0);
    for (const command of ["submit", "get", "block", "checkpoint", "seal", "verify"]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
    for (const variable of ["ZHIXIN_URL", "ZHIXIN_HOME", "ZHIXIN_CONSORTIUM"])
      expect(run.stdout).toContain(variable);
    expect(submitHelp.code).toBe(0);
    expect(submitHelp.stdout).toContain("--type");
  });

  it("submits one JSON record and returns its receipt", async () => {
    const file = await cli.writeWork("cert.json", `${JSON.stringify(cert, null, 2)}\n`);
    const run = await cli.zhixin(["submit", "--as", "hf-haikou", "--type", CERT_TYPE, "--file", file]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const receipt = JSON.parse(run.stdout);
    expect(receipt.entries).toHaveLength(1);
    expect(receipt.entries[0].id).toMatch(ENTRY_ID);
    expect(typeof receipt.receivedAt).toBe("string");
    entryId = receipt.entries[0].id;
  });

  it("shows the writer a pending entry with its payload", async () => {
    const run = await cli.zhixin(["get", entryId, "--as", "hf-haikou"]);
    expect(run.code).toBe(0);
    const entry = JSON.parse(run.stdout);
    expect(entry.status).toBe("pending");
    expect(entry.payload).toEqual(cert);
    expect(entry.envelope.dept).toBe("hf-haikou");
  });

  it("seals, then shows another department the proof but not the payload", async () => {
    const seal = await cli.zhixin(["seal"]);
    expect(seal.code).toBe(0);
    expect(JSON.parse(seal.stdout)).toMatchObject({ sealed: true, height: 1, entries: 1 });

    const [run, auditor] = await Promise.all([
      cli.zhixin(["get", entryId, "--as", "hf-sanya"]),
      cli.zhixin(["get", entryId]),
    ]);
    expect(run.code).toBe(0);
    const entry = JSON.parse(run.stdout);
    expect(entry.status).toBe("sealed");
    expect(entry.sealed).toMatchObject({ height: 1, index: 0 });
    expect(Array.isArray(entry.sealed.proof)).toBe(true);
    expect(entry).not.toHaveProperty("payload");

    // Without --as it reads as the consortium's auditor, who sees no payload either.
    const asAuditor = JSON.parse(auditor.stdout);
    expect(asAuditor.status).toBe("sealed");
    expect(asAuditor).not.toHaveProperty("payload");
  });

  it("prints blocks and the checkpoint", async () => {
    const [latest, first, checkpoint, missing] = await Promise.all([
      cli.zhixin(["block"]),
      cli.zhixin(["block", "1"]),
      cli.zhixin(["checkpoint"]),
      cli.zhixin(["block", "99"]),
    ]);
    expect(latest.code).toBe(0);
    expect(JSON.parse(latest.stdout).header.height).toBe(1);
    expect(JSON.parse(first.stdout).hash).toBe(JSON.parse(latest.stdout).hash);

    expect(checkpoint.code).toBe(0);
    expect(checkpoint.stdout.split("\n").slice(0, 2)).toEqual([cli.node.consortium.log, "1"]);
    // The sealer's line, then one per witnessing department's witness (local/witnesses.ts).
    const signers = checkpoint.stdout
      .split("\n")
      .filter((l) => l.startsWith("\u2014 "))
      .map((l) => l.split(" ")[1]);
    expect(signers).toEqual([cli.node.consortium.log, ...cli.node.witnesses.map((w) => w.name)]);
    expect(checkpoint.stderr).toBe("");

    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("zhixin: NOT_FOUND:");
  });

  it("verifies the chain: exit 0 and ok", async () => {
    const run = await cli.zhixin(["verify"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      blocksChecked: 1,
      entriesChecked: 1,
      findings: [],
    });
    expect(run.stderr).toBe("");
  });

  it("submits 250 ndjson records as 3 batches, in input order", async () => {
    const lines = Array.from({ length: 250 }, (_, i) =>
      JSON.stringify({
        citizen: `4601001990${String(i).padStart(8, "0")}`,
        months: i % 60,
        status: "active",
      }),
    );
    const file = await cli.writeWork("certs.ndjson", `${lines.join("\n")}\n`);
    const run = await cli.zhixin(["submit", "--as", "hf-haikou", "--type", CERT_TYPE, "--file", file]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const receipt = JSON.parse(run.stdout);
    expect(receipt.batches).toBe(3);
    expect(receipt.entries).toHaveLength(250);
    expect(new Set(receipt.entries.map((e: { id: string }) => e.id)).size).toBe(250);
    expect(receipt.receivedAt).toHaveLength(2);

    // Input order: line 200's entry carries line 200's data.
    const line200 = JSON.parse(
      (await cli.zhixin(["get", receipt.entries[199].id, "--as", "hf-haikou"])).stdout,
    );
    expect(line200.payload).toEqual(JSON.parse(lines[199] as string));

    expect(JSON.parse((await cli.zhixin(["seal"])).stdout)).toMatchObject({
      sealed: true,
      height: 2,
      entries: 250,
    });
    const check = await cli.zhixin(["verify", "--entry", receipt.entries[123].id]);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, status: "sealed", height: 2 });
  });

  it("refuses a bad ndjson line by number and sends nothing", async () => {
    const file = await cli.writeWork(
      "bad.ndjson",
      `${JSON.stringify(cert)}\n${JSON.stringify(cert)}\n{"months": 3,\n`,
    );
    const run = await cli.zhixin(["submit", "--as", "hf-haikou", "--type", CERT_TYPE, "--file", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("line 3");
    expect(run.stdout).toBe("");
    expect(JSON.parse((await cli.zhixin(["seal"])).stdout)).toMatchObject({
      sealed: false,
      reason: "nothing-pending",
    });
  });

  it("reports an API refusal with its code: exit 1", async () => {
    // Read from stdin ("-") this time.
    const licence = JSON.stringify({ company: "Haikou Example Ltd" });
    const run = await cli.zhixin(
      ["submit", "--as", "hf-sanya", "--type", "licence.business", "--file", "-"],
      {},
      licence,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("zhixin: RECORD_TYPE_FORBIDDEN:");
    expect(run.stdout).toBe("");
  });

  it("bad usage exits 2 with usage on stderr", async () => {
    const cases = [
      ["frobnicate"],
      ["submit", "--as", "hf-haikou", "--type", CERT_TYPE],
      ["submit", "--as", "nobody", "--type", CERT_TYPE, "--file", "x.json"],
      ["get", entryId, "--bogus"],
      ["get", "not-an-id"],
      ["verify", "--entry", entryId, "--from", "1"],
      [],
    ];
    const runs = await Promise.all(cases.map((args) => cli.zhixin(args)));
    for (const [i, run] of runs.entries()) {
      const args = cases[i] ?? [];
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr, args.join(" ")).toMatch(/Usage: zhixin/);
      expect(run.stdout).toBe("");
    }
  });

  it("names the missing key file when the identity has no key", async () => {
    const empty = await mkdtemp(join(tmpdir(), "zhixin-cli-nokeys-"));
    try {
      const run = await cli.zhixin(["get", entryId, "--as", "hf-haikou"], { ZHIXIN_HOME: empty });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(join(empty, "keys", "hf-haikou.pem"));
      expect(run.stderr).toContain("npm start");
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("verify keeps the last clean checkpoint and catches removal of the newest block", async () => {
    await cli.zhixin(["seal"]);
    const clean = await cli.zhixin(["verify"]);
    expect(clean.code).toBe(0);
    const kept = await readFile(join(cli.home, "audit", "trusted-checkpoint"), "utf8");
    expect(kept).toBe(JSON.parse(clean.stdout).checkpoint);
    const latest = JSON.parse((await cli.zhixin(["block", "latest"])).stdout).header.height as number;

    const key = itemKeys.block(latest);
    const { Item } = await cli.node.dynamo.client.send(
      new GetItemCommand({ TableName: cli.node.table, Key: key }),
    );
    await cli.node.dynamo.client.send(new DeleteItemCommand({ TableName: cli.node.table, Key: key }));
    const output = captureOutput();
    try {
      const truncated = await cli.zhixin(["verify"]);
      expect(truncated.code).toBe(1);
      // The kept checkpoint shows it, and so does the one published with the tiles.
      expect(JSON.parse(truncated.stdout).findings).toEqual([
        expect.objectContaining({
          code: "LOG_TRUNCATED",
          message: expect.stringContaining("a trusted checkpoint"),
        }),
        expect.objectContaining({
          code: "LOG_TRUNCATED",
          message: expect.stringContaining("the published checkpoint"),
        }),
      ]);
      // Without the kept checkpoint the published one still shows it: the chain alone could not.
      const forgot = await cli.zhixin(["verify", "--forget"]);
      expect(forgot.code).toBe(1);
      expect(JSON.parse(forgot.stdout).findings.map((f: { code: string }) => f.code)).toEqual([
        "LOG_TRUNCATED",
      ]);
      const given = await cli.zhixin([
        "verify",
        "--forget",
        "--trust",
        join(cli.home, "audit", "trusted-checkpoint"),
      ]);
      expect(given.code).toBe(1);
    } finally {
      output.stop();
      if (Item) await cli.node.dynamo.client.send(new PutItemCommand({ TableName: cli.node.table, Item }));
    }
    expect(output.logLines()).toEqual([
      auditFindingsLine("LOG_TRUNCATED"),
      auditFindingsLine("LOG_TRUNCATED"),
      auditFindingsLine("LOG_TRUNCATED"),
    ]);
    expect((await cli.zhixin(["verify"])).code).toBe(0);
  });

  it("verify exits 1 with findings once a stored payload is altered", async () => {
    await cli.node.dynamo.client.send(
      new UpdateItemCommand({
        TableName: cli.node.table,
        Key: itemKeys.payload(entryId),
        UpdateExpression: "SET #data = :data",
        ExpressionAttributeNames: { "#data": "data" },
        ExpressionAttributeValues: { ":data": { S: JSON.stringify({ ...cert, months: 60 }) } },
      }),
    );
    const output = captureOutput();
    const [chain, entry] = await Promise.all([
      cli.zhixin(["verify"]),
      cli.zhixin(["verify", "--entry", entryId]),
    ]).finally(() => output.stop());
    expect(output.logLines()).toEqual([
      auditFindingsLine("PAYLOAD_DIGEST_MISMATCH"),
      auditFindingsLine("PAYLOAD_DIGEST_MISMATCH"),
    ]);
    for (const run of [chain, entry]) {
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout);
      expect(report.ok).toBe(false);
      expect(report.findings).toContainEqual(
        expect.objectContaining({ code: "PAYLOAD_DIGEST_MISMATCH", entryId }),
      );
    }
  });

  it("an unreachable URL exits 2 and says so", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await cli.zhixin(["seal"], { ZHIXIN_URL: url });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`zhixin: cannot reach ${url} — is \`npm start\` running? (set ZHIXIN_URL)`);
  });
});
