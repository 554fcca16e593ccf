import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCosignatureVerifierKey } from "#chain";
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

  it("under the gm suite, cosign with SM2: SM2 key files, SM2 cosigner vkeys (witness.md §1.7)", async () => {
    const file = JSON.parse(await readFile("examples/consortium.gm.json", "utf8")) as {
      departments: Array<Record<string, unknown>>;
    };
    for (const d of file.departments.slice(0, 2)) d.witness = true;
    const gmHome = await mkdtemp(join(tmpdir(), "zhixin-witnesses-gm-"));
    try {
      await writeFile(join(gmHome, "consortium.json"), JSON.stringify(file));
      const gm = loadConsortium(join(gmHome, "consortium.json"));
      await ensureLocalKeys(gmHome, gm, clock.now());
      const started = await startLocalWitnesses({
        home: gmHome,
        consortium: gm,
        client: dynamo.client,
        sealerKeyFile: keyFile(gmHome, "sealer"),
        clock,
        log: () => {},
      });
      try {
        const keys = started.witnesses.map((w) => parseCosignatureVerifierKey(w.vkey));
        expect(keys.map((k) => [k.name, k.alg])).toEqual([
          ["zhixin-witness/ningxia/hf-yinchuan", "sm2-sm3"],
          ["zhixin-witness/ningxia/hf-wuzhong", "sm2-sm3"],
        ]);
      } finally {
        await started.stop();
      }
    } finally {
      await rm(gmHome, { recursive: true, force: true });
    }
  });

  it("refuse to start when a witness's state table lost its genesis item", async () => {
    await dynamo.client.send(
      new DeleteItemCommand({ TableName: "zhixin-witness-hf-sanya", Key: { pk: { S: "GENESIS" } } }),
    );
    await expect(start()).rejects.toBeInstanceOf(WitnessStateLostError);
  });
});
