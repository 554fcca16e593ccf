import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  formatCheckpoint,
  formatSignedNote,
  INTL,
  NOTE_SIGNATURE_TYPE_ED25519,
  noteKeyHash,
  noteKeyOf,
  noteMessage,
} from "#chain";
import { ZhixinClient } from "../../../cli/client.js";
import { loadIdentity } from "../../../cli/identity.js";
import { readOwnerSignerFile } from "../../../functions/auth/signer-file.js";
import { itemKeys } from "../../../functions/store/table.js";
import { keyFile } from "../../../lib/local-home.js";
import { type CliConsortium, type CliRun, startCliConsortium } from "../../support/cli.js";

// `zhixin verify --from/--to` names heights of the log: a range past its head, or
// backwards, is a usage error (exit 2; the verify function answers RANGE_INVALID),
// never an audit finding. Checked on a fresh chain, then as it grows to 1 and 3 blocks.

let cli: CliConsortium;
let writer: ZhixinClient;
let blocks = 0;

beforeAll(async () => {
  cli = await startCliConsortium("verify-range");
  writer = new ZhixinClient({ url: cli.node.url, ...(await loadIdentity(INTL, cli.home, "hf-haikou")) });
});

afterAll(async () => {
  await cli?.stop();
});

/** One more block, of one record. */
async function addBlock(): Promise<void> {
  blocks += 1;
  const citizen = `46010019900101${String(1000 + blocks)}`;
  await writer.submit([
    { type: "housing-fund.deposit-certificate", data: { citizen, months: 12, status: "active" } },
  ]);
  await cli.node.seal();
}

/** The verify function's answer to a payload, as local mode serves it. */
async function verifyPayload(payload: unknown): Promise<unknown> {
  const response = await fetch(`${cli.node.url}/local/verify`, {
    method: "POST",
    body: JSON.stringify(payload),
  });
  return response.json();
}

/**
 * Runs an audit that has findings: the verify function, in this process, logs them as
 * one warning, which is checked here rather than printed.
 */
async function quietly(run: () => Promise<CliRun>): Promise<CliRun> {
  const warnings: string[] = [];
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    warnings.push(String(chunk));
    return true;
  });
  try {
    return await run();
  } finally {
    stderr.mockRestore();
    expect(warnings.map((w) => JSON.parse(w))).toEqual([
      expect.objectContaining({ level: "WARN", message: "audit findings" }),
    ]);
  }
}

const kept = () => join(cli.home, "audit", "trusted-checkpoint");

describe("verify --from/--to", () => {
  it("a fresh chain: the whole chain is ok, and any range is a usage error", async () => {
    const whole = await cli.zhixin(["verify"]);
    expect(whole.code).toBe(0);
    expect(JSON.parse(whole.stdout)).toMatchObject({ ok: true, blocksChecked: 0 });

    for (const args of [
      ["--from", "2", "--to", "5"],
      ["--from", "1"],
      ["--to", "1"],
    ]) {
      const run = await cli.zhixin(["verify", ...args]);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain("RANGE_INVALID");
      expect(run.code).toBe(2);
    }
    expect(await verifyPayload({ from: 2, to: 5 })).toMatchObject({
      ok: false,
      error: { code: "RANGE_INVALID", details: { latestHeight: 0 } },
    });
  });

  it("one block, checkpoint kept: --from 2 --to 5 is a usage error, not LOG_TRUNCATED", async () => {
    await addBlock();
    expect((await cli.zhixin(["verify"])).code).toBe(0);
    const checkpoint = await readFile(kept(), "utf8");

    const run = await cli.zhixin(["verify", "--from", "2", "--to", "5"]);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("RANGE_INVALID");
    expect(run.code).toBe(2);
    // The trusted checkpoint the CLI sends with a range does not turn it into a finding.
    expect(await verifyPayload({ from: 2, to: 5, trustedCheckpoint: checkpoint })).toMatchObject({
      ok: false,
      error: { code: "RANGE_INVALID", details: { latestHeight: 1 } },
    });
  });

  it("three blocks: ranges past the head or backwards are refused, with or without --forget", async () => {
    await addBlock();
    await addBlock();
    expect((await cli.zhixin(["verify"])).code).toBe(0);

    for (const args of [
      ["--from", "30", "--to", "40"],
      ["--from", "2", "--to", "4"],
      ["--from", "4"],
      ["--from", "4", "--forget"],
      ["--to", "4", "--forget"],
    ]) {
      const run = await cli.zhixin(["verify", ...args]);
      expect(run.stderr).toContain("RANGE_INVALID");
      expect(run.code).toBe(2);
    }
    // Refused by the CLI before anything is sent.
    for (const args of [
      ["--from", "3", "--to", "2"],
      ["--from", "0"],
    ]) {
      const run = await cli.zhixin(["verify", ...args]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
    }
    // And by the verify function itself, for any caller.
    expect(await verifyPayload({ from: 3, to: 2 })).toMatchObject({
      error: { code: "RANGE_INVALID", details: { latestHeight: 3 } },
    });
    expect(await verifyPayload({ from: 0 })).toMatchObject({ error: { code: "INVALID_PARAMETER" } });
  });

  it("a range within the log is audited against the kept checkpoint", async () => {
    for (const [from, to] of [
      ["2", "3"],
      ["1", "2"],
      ["2", "2"],
      ["3", "3"],
    ] as const) {
      const run = await cli.zhixin(["verify", "--from", from, "--to", to]);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, from: Number(from), to: Number(to) });
    }
    // A checkpoint of the block just before the range is the log the range extends.
    const first = JSON.parse((await cli.zhixin(["block", "1"])).stdout).checkpoint as string;
    const trust = await cli.writeWork("checkpoint-1", first);
    const run = await cli.zhixin(["verify", "--from", "2", "--to", "3", "--trust", trust, "--forget"]);
    expect(run.code).toBe(0);
  });

  it("a range is held to a checkpoint at the size just before it", async () => {
    // A sealer-signed checkpoint for the log after block 1, with another root: the range
    // 2–3 extends block 1's log, so it shows that history differs there.
    const sealer = await readOwnerSignerFile(INTL, keyFile(cli.home, "sealer"), "sealer");
    const log = cli.node.consortium.log;
    const text = formatCheckpoint({ origin: log, size: 1, rootHash: new Uint8Array(32).fill(7) });
    const publicKey = noteKeyOf("ed25519", await sealer.publicKey()).publicKey;
    const forged = formatSignedNote(text, [
      {
        name: log,
        keyHash: noteKeyHash(log, NOTE_SIGNATURE_TYPE_ED25519, publicKey),
        signature: await sealer.sign(noteMessage(text)),
      },
    ]);
    const trust = await cli.writeWork("checkpoint-forged", forged);
    const run = await quietly(() =>
      cli.zhixin(["verify", "--from", "2", "--to", "3", "--trust", trust, "--forget"]),
    );
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).findings).toEqual([expect.objectContaining({ code: "LOG_REWRITTEN" })]);
  });

  it("a range reaching the head compares the whole log's size with the kept checkpoint", async () => {
    // The newest block removed: a range that reaches the new head sees the log end short
    // of the checkpoint kept at height 3; one that stops before it cannot tell.
    const key = itemKeys.block(3);
    const { Item } = await cli.node.dynamo.client.send(
      new GetItemCommand({ TableName: cli.node.table, Key: key }),
    );
    await cli.node.dynamo.client.send(new DeleteItemCommand({ TableName: cli.node.table, Key: key }));
    try {
      const head = await quietly(() => cli.zhixin(["verify", "--from", "2"]));
      expect(head.code).toBe(1);
      // Short of the kept checkpoint, and of the one published with the tiles.
      expect(JSON.parse(head.stdout).findings).toEqual([
        expect.objectContaining({
          code: "LOG_TRUNCATED",
          message: expect.stringContaining("a trusted checkpoint"),
        }),
        expect.objectContaining({
          code: "LOG_TRUNCATED",
          message: expect.stringContaining("the published checkpoint"),
        }),
      ]);
      expect((await cli.zhixin(["verify", "--from", "1", "--to", "1"])).code).toBe(0);
    } finally {
      if (Item) await cli.node.dynamo.client.send(new PutItemCommand({ TableName: cli.node.table, Item }));
    }
  });
});
