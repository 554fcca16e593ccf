import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type AttributeValue, ScanCommand } from "@aws-sdk/client-dynamodb";
import { INTL } from "#chain";
import { dynamoDbItemBytes } from "../../bench/item-sizes.js";
import { submitRecords } from "../../bench/support/consortium-process.js";
import { readOwnerSignerFile } from "../../functions/auth/signer-file.js";
import { keyFile } from "../../lib/local-home.js";
import { startLocalConsortium } from "../../local/consortium-node.js";

/**
 * What one batch of the demo's most common record costs in storage, measured on the real
 * code: a local consortium (dynalite) takes one batch of `size` housing-fund deposit
 * certificates from hf-haikou through the HTTP API, seals it, and every item the table
 * gained is sized by DynamoDB's rules (bench/item-sizes.ts dynamoDbItemBytes) —
 * before the seal and after, since a write is charged on the larger of the two. Nothing
 * here assumes the table's layout: items are told apart by their key prefixes only.
 */

/** Item families by key (docs/STORAGE.md, Items). */
export type ItemFamily =
  | "payload"
  | "batch head"
  | "batch body"
  | "index entry"
  | "cosign mark"
  | "claim"
  | "block"
  | "page"
  | "other";

export interface MeasuredItem {
  family: ItemFamily;
  /** Bytes when submit wrote it (0: written by the seal). */
  submitted: number;
  /** Bytes after the seal (0: gone). */
  sealed: number;
}

export interface BatchMeasurement {
  /** Records in the batch. */
  size: number;
  /** Bytes of the request body. */
  requestBytes: number;
  /** Wall-clock milliseconds of the POST, median of the runs (local: dynalite in this process). */
  submitMs: number;
  items: MeasuredItem[];
}

function familyOf(pk: string, sk: string): ItemFamily {
  if (pk.startsWith("E#")) return "payload";
  if (pk.startsWith("B#")) return sk === "B" ? "batch head" : "batch body";
  if (/^[SACK]#/.test(pk)) return "index entry";
  if (pk.startsWith("M#")) return "cosign mark";
  if (pk.startsWith("U#")) return "claim";
  if (pk === "CHAIN") return "block";
  if (pk.startsWith("G#")) return "page";
  return "other";
}

type Item = Record<string, AttributeValue>;

const keyOf = (item: Item) => `${item.pk?.S}\u0000${item.sk?.S}`;

/** Deposit certificates of distinct citizens: valid ID-card numbers are 17 digits and a check character. */
function deposits(size: number, first: number) {
  return Array.from({ length: size }, (_, i) => ({
    type: "housing-fund.deposit-certificate",
    data: {
      citizen: `46010019900101${String(first + i).padStart(4, "0")}`,
      months: 12 + (i % 48),
      status: "active",
      issuedAt: "2026-12-04",
    },
  }));
}

export async function measureBatches(
  sizes: readonly number[],
  options: { runs?: number; progress?: (line: string) => void } = {},
): Promise<BatchMeasurement[]> {
  const runs = options.runs ?? 3;
  const home = await mkdtemp(join(tmpdir(), "zhixin-cost-"));
  const node = await startLocalConsortium({
    home,
    consortiumFile: resolve("consortium.example.json"),
    port: 0,
    dynamoPort: 0,
    sealIntervalMs: 0,
  });
  try {
    const signer = await readOwnerSignerFile(INTL, keyFile(home, "hf-haikou"), "hf-haikou");
    const scan = async (): Promise<Map<string, Item>> => {
      const out = new Map<string, Item>();
      let start: Item | undefined;
      do {
        const page = await node.dynamo.client.send(
          new ScanCommand({ TableName: node.table, ConsistentRead: true, ExclusiveStartKey: start }),
        );
        for (const item of page.Items ?? []) out.set(keyOf(item), item);
        start = page.LastEvaluatedKey;
      } while (start);
      return out;
    };
    await node.seal();
    const results: BatchMeasurement[] = [];
    let citizen = 0;
    for (const size of sizes) {
      options.progress?.(`measuring a batch of ${size} record(s) …`);
      const times: number[] = [];
      let measured: BatchMeasurement | undefined;
      for (let run = 0; run < runs; run++) {
        const before = await scan();
        const records = deposits(size, citizen);
        citizen += size;
        const t0 = performance.now();
        await submitRecords(node.url, signer, "hf-haikou", records);
        times.push(performance.now() - t0);
        const submitted = await scan();
        await node.seal();
        const sealed = await scan();
        if (run > 0) continue;
        const items: MeasuredItem[] = [];
        for (const key of new Set([...submitted.keys(), ...sealed.keys()])) {
          const was = before.get(key);
          const now = sealed.get(key);
          const sub = submitted.get(key);
          // Items this batch and its seal wrote or changed; a block written by the seal is new.
          if (was && now && JSON.stringify(was) === JSON.stringify(now)) continue;
          const [pk = "", sk = ""] = key.split("\u0000");
          items.push({
            family: familyOf(pk, sk),
            submitted: sub && !was ? dynamoDbItemBytes(sub) : 0,
            sealed: now ? dynamoDbItemBytes(now) : 0,
          });
        }
        measured = {
          size,
          requestBytes: new TextEncoder().encode(JSON.stringify({ records })).length,
          submitMs: 0,
          items,
        };
      }
      times.sort((a, b) => a - b);
      results.push({
        ...(measured as BatchMeasurement),
        submitMs: times[Math.floor(times.length / 2)] as number,
      });
    }
    return results;
  } finally {
    await node.stop();
    await rm(home, { recursive: true, force: true });
  }
}
