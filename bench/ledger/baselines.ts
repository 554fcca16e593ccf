import { generateKeyPairSync, sign, verify } from "node:crypto";
import { BatchWriteItemCommand, type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { itemKeys } from "../../functions/store/table.js";
import type { Signer } from "../../lib/crypto/signer.js";
import { signRequestNow } from "../../test/support/sign-request.js";
import { batchRootOf } from "../support/consortium-process.js";
import { pool } from "../support/pool.js";
import { BATCH_RECORDS, WRITERS } from "./settings.js";
import { makeRecord, type Writer } from "./workload.js";

/** The ledger benchmark's baselines: raw store writes and raw Ed25519 verifies, measured in the same run. */

/** PutItem of payload-shaped items (the ledger table's layout, no condition): items/s. */
export async function putItems(
  client: DynamoDBClient,
  table: string,
  prefix: string,
  count: number,
  concurrency: number,
): Promise<number> {
  const data = JSON.stringify(makeRecord(WRITERS[0].type).data);
  const t0 = performance.now();
  await pool(count, concurrency, async (i) => {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...itemKeys.payload(`${prefix}-${i}`),
          dept: { S: "hf-haikou" },
          type: { S: WRITERS[0].type },
          batch: { S: `hf-haikou/key-1#${prefix}-${i}` },
          data: { S: data },
        },
      }),
    );
  });
  return count / ((performance.now() - t0) / 1000);
}

/** BatchWriteItem of 25 payload-shaped items at a time (as putEntryItems writes them): items/s. */
export async function batchWriteItems(
  client: DynamoDBClient,
  table: string,
  count: number,
  concurrency: number,
): Promise<number> {
  const data = JSON.stringify(makeRecord(WRITERS[0].type).data);
  const calls = Math.ceil(count / 25);
  const t0 = performance.now();
  await pool(calls, concurrency, async (c) => {
    const requests = Array.from({ length: 25 }, (_, j) => ({
      PutRequest: {
        Item: {
          ...itemKeys.payload(`bw-${c}-${j}`),
          dept: { S: "hf-haikou" },
          type: { S: WRITERS[0].type },
          batch: { S: `hf-haikou/key-1#bw-${c}` },
          data: { S: data },
        },
      },
    }));
    const res = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
    if (Object.keys(res.UnprocessedItems ?? {}).length > 0)
      throw new Error("dynalite left items unprocessed");
  });
  return (calls * 25) / ((performance.now() - t0) / 1000);
}

/** The exact signature base a department signs for a 100-record submit. */
export async function capturedSignatureBase(writer: Writer): Promise<Uint8Array> {
  let captured: Uint8Array | undefined;
  const capture: Signer = {
    keyId: writer.signer.keyId,
    alg: writer.signer.alg,
    sign: async (message) => {
      captured = message;
      return new Uint8Array(64);
    },
    publicKey: () => writer.signer.publicKey(),
  };
  const records = Array.from({ length: BATCH_RECORDS }, () => makeRecord(writer.type));
  await signRequestNow({
    method: "POST",
    path: "/v1/entries",
    body: new TextEncoder().encode(JSON.stringify({ records })),
    batchRoot: batchRootOf(records),
    signer: capture,
    department: writer.dept,
  });
  if (!captured) throw new Error("signRequest did not sign");
  return captured;
}

export interface Rate {
  perSecond: number;
  /** Per CPU-second of this process: what one core does, whatever else the machine runs. */
  perCpuSecond: number;
}

/**
 * node:crypto Ed25519 verification of `message` with one cached KeyObject: returns a
 * function that verifies `count` times and gives the rate.
 */
export function ed25519Verifier(message: Uint8Array): (count: number) => Rate {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const signature = sign(null, message, privateKey);
  const loop = (count: number) => {
    for (let i = 0; i < count; i++) {
      if (!verify(null, message, publicKey, signature))
        throw new Error("the baseline signature did not verify");
    }
  };
  loop(500);
  return (count) => {
    const t = cpuTimed(() => loop(count));
    return { perSecond: (count * 1000) / t.wallMs, perCpuSecond: (count * 1000) / t.cpuMs };
  };
}

export function cpuTimed(fn: () => void): { wallMs: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}
