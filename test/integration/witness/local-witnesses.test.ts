import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import { WitnessStateLostError } from "../../../functions/witness/state-store.js";
import { keyFile } from "../../../lib/local-home.js";
import { ensureLocalKeys } from "../../../local/keys.js";
import { startLocalWitnesses } from "../../../local/witnesses.js";
import { type LocalDynamo, startDynalite } from "../../support/dynalite.js";

// npm start's witnesses (local/witnesses.ts): one per witnessing department, each keeping
// its key and its state across restarts; one whose state table lost its genesis item —
// its state gone — stops the start rather than cosign from scratch.

let dynamo: LocalDynamo;
let home: string;
beforeAll(async () => {
  dynamo = await startDynalite();
  home = await mkdtemp(join(tmpdir(), "zhixin-witnesses-"));
});
afterAll(async () => {
  await dynamo?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

const consortium = loadConsortium("consortium.example.json");
const clock = { now: () => new Date("2026-12-04T08:00:00Z") };

async function start() {
  await ensureLocalKeys(home, consortium, clock.now());
  return startLocalWitnesses({
    home,
    consortium,
    client: dynamo.client,
    sealerKeyFile: keyFile(home, "sealer"),
    clock,
    log: () => {},
  });
}

describe("npm start's witnesses", () => {
  it("start one witness per witnessing department, and keep their keys across restarts", async () => {
    const first = await start();
    expect(first.witnesses.map((w) => [w.id, w.generated])).toEqual([
      ["hf-haikou", true],
      ["hf-sanya", true],
      ["internet-court", true],
    ]);
    const vkeys = first.witnesses.map((w) => w.vkey);
    await first.stop();
    const again = await start();
    expect(again.witnesses.map((w) => w.vkey)).toEqual(vkeys);
    expect(again.witnesses.every((w) => !w.generated)).toBe(true);
    await again.stop();
  });

  it("refuse to start when a witness's state table lost its genesis item", async () => {
    await dynamo.client.send(
      new DeleteItemCommand({ TableName: "zhixin-witness-hf-sanya", Key: { pk: { S: "GENESIS" } } }),
    );
    await expect(start()).rejects.toBeInstanceOf(WitnessStateLostError);
  });
});
