import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliConsortium, startCliConsortium } from "../../support/cli.js";

// Mistakes the CLI and the API must name rather than answer: a mistyped --where
// operator is refused before anything is sent; a record type the consortium does not
// define is refused with the types it does define.

let cli: CliConsortium;

beforeAll(async () => {
  cli = await startCliConsortium("refusals");
});

afterAll(async () => {
  await cli?.stop();
});

/** Every item of the ledger table: a refusal leaves them as they were. */
async function logState(): Promise<unknown> {
  const { Items } = await cli.node.dynamo.client.send(new ScanCommand({ TableName: cli.node.table }));
  return Items;
}

describe("refusals that name the mistake", () => {
  it("--where action==add is a usage error, and nothing is sent", async () => {
    const before = await logState();
    const run = await cli.zhixin([
      "match",
      "--as",
      "hf-sanya",
      "--contract",
      "s1-hf-deposit-certificate",
      "--subject",
      "460100199001011234",
      "--where",
      "action==add",
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^zhixin: --where "action==add"/);
    // A match request, answered or refused, is recorded as an access entry: none was.
    expect(await logState()).toEqual(before);
  });

  it("UNKNOWN_RECORD_TYPE lists the consortium's record types in its details", async () => {
    const file = await cli.writeWork("record.json", '{"citizen":"460100199001011234"}\n');
    const before = await logState();
    const run = await cli.zhixin([
      "submit",
      "--as",
      "hf-haikou",
      "--type",
      "housing-fund.nope",
      "--file",
      file,
    ]);
    expect(run.code).toBe(1);
    const body = JSON.parse(run.stderr.slice(run.stderr.indexOf("{")));
    expect(body.error).toMatchObject({
      code: "UNKNOWN_RECORD_TYPE",
      details: {
        index: 0,
        type: "housing-fund.nope",
        recordTypes: cli.node.consortium.recordTypes.map((t) => t.type),
      },
    });
    for (const t of cli.node.consortium.recordTypes) expect(body.error.message).toContain(t.type);
    expect(await logState()).toEqual(before);
  });

  it("a contract file that names a field twice is refused before signing, as the API would", async () => {
    // JSON.parse would keep the last "consumer" and sign a contract the file does not show.
    const file = await cli.writeWork(
      "contract.json",
      JSON.stringify({
        id: "s1-dup",
        provider: "hf-haikou",
        consumer: "hf-sanya",
        type: "housing-fund.deposit-certificate",
        purpose: "a contract with a field given twice",
        share: "conditional",
        match: ["months"],
        validFrom: "2026-01-01T00:00:00Z",
        validUntil: "2028-01-01T00:00:00Z",
        rateLimit: { perMinute: 10 },
      }).replace('"consumer":"hf-sanya"', '"consumer":"hf-sanya","consumer":"market-regulation"'),
    );
    const before = await logState();
    const run = await cli.zhixin(["contract", "propose", "--as", "hf-haikou", "--file", file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/DUPLICATE_KEY/);
    expect(await logState()).toEqual(before);
  });
});
