import { DeleteItemCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ZhixinClient } from "../../../cli/client.js";
import { loadIdentity } from "../../../cli/identity.js";
import { itemKeys } from "../../../functions/store/table.js";
import { INTL } from "../../../lib/chain/index.js";
import { type CliConsortium, type CliRun, startCliConsortium } from "../../support/cli.js";

// `zhixin verify --entry <id>`: an id the ledger never had is not found (exit 2; the
// verify function answers NOT_FOUND), not evidence of tampering. An entry the ledger
// still names — in a block's page or a pending batch — whose items are gone is a finding.

let cli: CliConsortium;
let writer: ZhixinClient;
let citizens = 0;

beforeAll(async () => {
  cli = await startCliConsortium("verify-entry");
  writer = new ZhixinClient({ url: cli.node.url, ...(await loadIdentity(INTL, cli.home, "hf-haikou")) });
});

afterAll(async () => {
  await cli?.stop();
});

/** Submits one record; returns its entry id and batch key. */
async function submitOne(): Promise<{ id: string; batchKey: string }> {
  citizens += 1;
  const citizen = `46010019900101${String(2000 + citizens)}`;
  const receipt = await writer.submit([
    { type: "housing-fund.deposit-certificate", data: { citizen, months: 12, status: "active" } },
  ]);
  const id = receipt.entries[0]?.id as string;
  const { Item } = await cli.node.dynamo.client.send(
    new GetItemCommand({ TableName: cli.node.table, Key: itemKeys.payload(id) }),
  );
  return { id, batchKey: Item?.batch?.S as string };
}

async function deleteItem(key: ReturnType<typeof itemKeys.payload>): Promise<void> {
  await cli.node.dynamo.client.send(new DeleteItemCommand({ TableName: cli.node.table, Key: key }));
}

async function verifyPayload(payload: unknown): Promise<unknown> {
  const response = await fetch(`${cli.node.url}/local/verify`, {
    method: "POST",
    body: JSON.stringify(payload),
  });
  return response.json();
}

/** `zhixin verify --entry <id>`, expecting findings: the verify function, in this process, logs them once. */
async function verifyWithFindings(id: string): Promise<CliRun> {
  const warnings: string[] = [];
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    warnings.push(String(chunk));
    return true;
  });
  try {
    return await cli.zhixin(["verify", "--entry", id]);
  } finally {
    stderr.mockRestore();
    expect(warnings.map((w) => JSON.parse(w))).toEqual([
      expect.objectContaining({ level: "WARN", message: "audit findings" }),
    ]);
  }
}

describe("verify --entry", () => {
  it("an id the ledger never had is not found: exit 2, no report", async () => {
    await submitOne();
    await cli.node.seal();
    const unknown = "0123456789abcdef".repeat(2);
    const run = await cli.zhixin(["verify", "--entry", unknown]);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("NOT_FOUND");
    expect(run.code).toBe(2);
    expect(await verifyPayload({ entry: unknown })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
  });

  it("a sealed entry whose payload item is gone: PAYLOAD_MISSING, found through its block", async () => {
    const { id } = await submitOne();
    await cli.node.seal();
    await deleteItem(itemKeys.payload(id));
    const run = await verifyWithFindings(id);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: false, entryId: id, status: "sealed" });
    expect(report.findings).toEqual([expect.objectContaining({ code: "PAYLOAD_MISSING", entryId: id })]);
  });

  it("a sealed entry whose payload and batch items are gone: ENTRY_MISSING", async () => {
    const { id, batchKey } = await submitOne();
    await cli.node.seal();
    await deleteItem(itemKeys.payload(id));
    await deleteItem(itemKeys.batch(batchKey));
    const run = await verifyWithFindings(id);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).findings).toEqual([
      expect.objectContaining({ code: "ENTRY_MISSING", entryId: id }),
    ]);
  });

  it("a pending entry whose payload item is gone: PAYLOAD_MISSING, found through its pending batch", async () => {
    const { id } = await submitOne();
    await deleteItem(itemKeys.payload(id));
    const run = await verifyWithFindings(id);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: false, entryId: id, status: "pending" });
    expect(report.findings).toEqual([expect.objectContaining({ code: "PAYLOAD_MISSING", entryId: id })]);
    // Sealed later (its missing payload does not stop the sealer), it is found through its block.
    await cli.node.seal();
    expect(JSON.parse((await verifyWithFindings(id)).stdout)).toMatchObject({ status: "sealed" });
  });
});
