import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { uniqueKeyFor } from "../../../functions/rules/unique-keys.js";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import { StoreInvariantError, type UniqueClaim } from "../../../functions/store/ports.js";
import { scanAll } from "../../../functions/store/snapshot.js";
import { itemKeys } from "../../../functions/store/table.js";
import { INTL } from "../../../lib/chain/index.js";
import { freshTable, type LocalDynamo, startDynalite } from "../../support/dynalite.js";

// The LedgerStore contract for uniqueness claims (claimUnique, takeOverClaim,
// releaseClaims, getClaim), against dynalite over the real wire protocol.

let dynamo: LocalDynamo;
let store: DynamoDbLedgerStore;
let table: string;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.stop();
});
beforeEach(async () => {
  table = await freshTable(dynamo.client, "claims");
  store = new DynamoDbLedgerStore(dynamo.client, table);
});

/** A fixed subject key (32 bytes of 0x07): claim keys are HMACs under it. */
const SUBJECT_KEY = new Uint8Array(32).fill(7);
const KEY = uniqueKeyFor(INTL, SUBJECT_KEY, "invoice.claim", ["12345678"]);
const claimBy = (batchKey: string, entryId: string, claimedAt = "2026-11-21T08:00:00.000Z"): UniqueClaim => ({
  key: KEY,
  batchKey,
  entryId,
  claimedAt,
});
const A = claimBy("service-centre/key-1#n1", "a".repeat(64));
const B = claimBy("market-regulation/key-1#n2", "b".repeat(64), "2026-11-21T08:05:00.000Z");

describe("uniqueKeyFor", () => {
  it("is the keyed HMAC of the domain-separated canonical JSON of the type and values", () => {
    // printf 'zhixin/unique/v2\n{"type":"invoice.claim","values":["12345678"]}' |
    //   openssl dgst -sha256 -mac HMAC -macopt hexkey:0707…07 (32 bytes)
    expect(KEY).toBe("2248ffb7ae5b59a56c19579b037b7981ff7e66191594a475fcefaa96de303d00");
    expect(uniqueKeyFor(INTL, SUBJECT_KEY, "invoice.claim", ["12345679"])).not.toBe(KEY);
    expect(uniqueKeyFor(INTL, SUBJECT_KEY, "other.type", ["12345678"])).not.toBe(KEY);
  });
});

describe("claimUnique", () => {
  it("claims a free key, stored under U#<key> without the raw value", async () => {
    expect(await store.claimUnique(A)).toBe("claimed");
    expect(await store.getClaim(KEY)).toEqual(A);
    const items = await scanAll(dynamo.client, table);
    expect(items).toHaveLength(1);
    expect(items[0]?.pk?.S).toBe(`U#${KEY}`);
    expect(JSON.stringify(items)).not.toContain("12345678");
  });

  it("returns the holder to a second claimant, and changes nothing", async () => {
    await store.claimUnique(A);
    const before = await scanAll(dynamo.client, table);
    expect(await store.claimUnique(B)).toEqual({ holder: A });
    expect(await scanAll(dynamo.client, table)).toEqual(before);
  });

  it("returns the holder even to the same request's same record (renewing is takeOverClaim's)", async () => {
    await store.claimUnique(A);
    expect(await store.claimUnique({ ...A, claimedAt: "2026-11-21T09:00:00.000Z" })).toEqual({ holder: A });
  });

  it("lets exactly one of many concurrent claimants win", async () => {
    const claimants = Array.from({ length: 8 }, (_, i) => claimBy(`d/key-1#n${i}`, String(i).repeat(64)));
    const results = await Promise.all(claimants.map((c) => store.claimUnique(c)));
    const winners = results.filter((r) => r === "claimed");
    expect(winners).toHaveLength(1);
    const winner = claimants[results.indexOf("claimed")];
    for (const r of results) if (r !== "claimed") expect(r.holder).toEqual(winner);
  });

  it("refuses a malformed claim before writing", async () => {
    await expect(store.claimUnique({ ...A, key: "U#raw" })).rejects.toBeInstanceOf(RangeError);
    await expect(store.claimUnique({ ...A, claimedAt: "yesterday" })).rejects.toBeInstanceOf(RangeError);
    expect(await scanAll(dynamo.client, table)).toEqual([]);
  });
});

describe("takeOverClaim", () => {
  it("replaces the holder it read", async () => {
    await store.claimUnique(A);
    expect(await store.takeOverClaim(B, A)).toBe(true);
    expect(await store.getClaim(KEY)).toEqual(B);
  });

  it("fails when the claim changed since it was read (two takers: one wins)", async () => {
    await store.claimUnique(A);
    const C = claimBy("civil-affairs/key-1#n3", "c".repeat(64));
    const results = await Promise.all([store.takeOverClaim(B, A), store.takeOverClaim(C, A)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect([B, C]).toContainEqual(await store.getClaim(KEY));
  });

  it("fails when the holder renewed its lease, or the claim is gone", async () => {
    await store.claimUnique(A);
    const renewed = { ...A, claimedAt: "2026-11-21T08:10:00.000Z" };
    expect(await store.takeOverClaim(renewed, A)).toBe(true);
    expect(await store.takeOverClaim(B, A)).toBe(false);
    expect(await store.getClaim(KEY)).toEqual(renewed);
    await store.releaseClaims([renewed]);
    expect(await store.takeOverClaim(B, renewed)).toBe(false);
    expect(await store.getClaim(KEY)).toBeUndefined();
  });

  it("refuses to move a claim to another key", async () => {
    await expect(store.takeOverClaim({ ...B, key: "0".repeat(64) }, A)).rejects.toBeInstanceOf(RangeError);
  });
});

describe("releaseClaims", () => {
  it("deletes only claims still held by the same batch and entry; idempotent", async () => {
    const other = {
      ...claimBy("service-centre/key-1#n1", "d".repeat(64)),
      key: uniqueKeyFor(INTL, SUBJECT_KEY, "t.t", [1]),
    };
    await store.claimUnique(A);
    await store.claimUnique(other);
    // Same batch key (a replay shares it), other entry: not A's claim to release.
    await store.releaseClaims([{ ...A, entryId: "e".repeat(64) }]);
    expect(await store.getClaim(KEY)).toEqual(A);
    // Taken over meanwhile: the old holder's release leaves the new holder's claim.
    await store.takeOverClaim(B, A);
    await store.releaseClaims([A, other]);
    expect(await store.getClaim(KEY)).toEqual(B);
    expect(await store.getClaim(other.key)).toBeUndefined();
    await store.releaseClaims([A, other]);
    await store.releaseClaims([]);
    expect(await scanAll(dynamo.client, table)).toHaveLength(1);
  });
});

describe("getClaim", () => {
  it("is undefined for a free key and throws StoreInvariantError on a corrupt item", async () => {
    expect(await store.getClaim(KEY)).toBeUndefined();
    await dynamo.client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...itemKeys.claim(KEY),
          batchKey: { S: "x#y" },
          entryId: { S: "e" },
          claimedAt: { S: "now" },
        },
      }),
    );
    await expect(store.getClaim(KEY)).rejects.toBeInstanceOf(StoreInvariantError);
  });
});
