import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { CLAIM_PK_PREFIX } from "../../../lib/store-layout.js";
import { mapLimit } from "../concurrency.js";
import type { ClaimStore, UniqueClaim } from "../ports.js";
import { type Item, itemKeys } from "../table.js";
import { A, decode, HEX64, ITEM_EXISTS, TIMESTAMP } from "./items.js";
import { PARALLEL_REQUESTS, type StoreActions, type TableClient } from "./table-client.js";

/**
 * Uniqueness claims (docs/STORAGE.md "Items"; functions/rules/unique-keys.ts).
 *
 *   pk              sk  attributes
 *   U#<unique key>  U   batchKey entryId claimedAt(RFC 3339 UTC, ms: the lease start)
 *
 * Every write is conditional: claimUnique creates only a new claim, takeOverClaim
 * replaces only the exact claim the caller read, releaseClaims deletes only the
 * caller's own.
 */

/** The claim is this very record's (same request, same record). */
const CLAIMED_BY_ME = "(#batchKey = :batchKey AND #entryId = :entryId)";
/** The claim is still exactly the one the caller read. */
const CLAIM_UNCHANGED =
  "(#batchKey = :oldBatchKey AND #entryId = :oldEntryId AND #claimedAt = :oldClaimedAt)";
const CLAIM_NAMES = { "#pk": "pk", "#batchKey": "batchKey", "#entryId": "entryId" } as const;
/** Rounds of claim-then-read before giving up when the holder keeps disappearing. */
const MAX_CLAIM_ROUNDS = 5;

/** What each method sends (StoreActions). */
export const CLAIM_STORE_ACTIONS = {
  // GetItem: the holder, when the claim is taken.
  claimUnique: { table: ["dynamodb:PutItem", "dynamodb:GetItem"] },
  takeOverClaim: { table: ["dynamodb:PutItem"] },
  releaseClaims: { table: ["dynamodb:DeleteItem"] },
  getClaim: { table: ["dynamodb:GetItem"] },
} as const satisfies StoreActions<DynamoDbClaims>;

export class DynamoDbClaims implements ClaimStore {
  constructor(private readonly table: TableClient) {}

  async claimUnique(claim: UniqueClaim): Promise<"claimed" | { holder: UniqueClaim }> {
    const item = claimItem(claim);
    for (let round = 1; round <= MAX_CLAIM_ROUNDS; round++) {
      // Two submits of the same value race to create the claim; one wins, the other
      // learns who holds it. Even a retry of the claiming request gets the holder back
      // rather than rewriting it: a replay of a committed batch must change nothing, and
      // submit decides what a retry may renew.
      if (await this.table.putIfNew(item)) return "claimed";
      // Released between our write and this read: try again.
      const holder = await this.getClaim(claim.key);
      if (holder !== undefined) return { holder };
    }
    throw new Error(`claim ${claim.key} keeps changing hands; giving up after ${MAX_CLAIM_ROUNDS} rounds`);
  }

  async takeOverClaim(claim: UniqueClaim, holder: UniqueClaim): Promise<boolean> {
    if (claim.key !== holder.key) throw new RangeError(`claim ${claim.key} cannot take over ${holder.key}`);
    try {
      await this.table.client.send(
        new PutItemCommand({
          TableName: this.table.tableName,
          Item: claimItem(claim),
          // CLAIM_UNCHANGED: two submits that both found the same stale claim race to
          // take it over; the first wins and changes it, so the second's condition
          // fails — and a holder that re-claimed (refreshed claimedAt) meanwhile keeps it.
          ConditionExpression: `${ITEM_EXISTS} AND ${CLAIM_UNCHANGED}`,
          ExpressionAttributeNames: { ...CLAIM_NAMES, "#claimedAt": "claimedAt" },
          ExpressionAttributeValues: {
            ":oldBatchKey": { S: holder.batchKey },
            ":oldEntryId": { S: holder.entryId },
            ":oldClaimedAt": { S: holder.claimedAt },
          },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async releaseClaims(claims: readonly UniqueClaim[]): Promise<void> {
    await mapLimit([...claims], PARALLEL_REQUESTS, async (claim) => {
      try {
        await this.table.client.send(
          new DeleteItemCommand({
            TableName: this.table.tableName,
            Key: itemKeys.claim(claim.key),
            // CLAIMED_BY_ME: between our claim and this release another submit may have
            // taken the claim over (our lease ran out), and a replay shares the original
            // request's batchKey: delete only what is still this record's own claim.
            ConditionExpression: CLAIMED_BY_ME,
            ExpressionAttributeNames: { "#batchKey": "batchKey", "#entryId": "entryId" },
            ExpressionAttributeValues: {
              ":batchKey": { S: claim.batchKey },
              ":entryId": { S: claim.entryId },
            },
          }),
        );
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    });
  }

  async getClaim(key: string): Promise<UniqueClaim | undefined> {
    const item = await this.table.getItem(itemKeys.claim(key));
    return item && parseClaimItem(item);
  }
}

function claimItem(claim: UniqueClaim): Item {
  if (!HEX64.test(claim.key)) throw new RangeError("a unique key is 64 lowercase hex digits");
  if (!TIMESTAMP.test(claim.claimedAt)) {
    throw new RangeError(`claimedAt ${claim.claimedAt} is not RFC 3339 UTC with milliseconds`);
  }
  return {
    ...itemKeys.claim(claim.key),
    batchKey: { S: claim.batchKey },
    entryId: { S: claim.entryId },
    claimedAt: { S: claim.claimedAt },
  };
}

function parseClaimItem(item: Item): UniqueClaim {
  return decode(item, (r) => {
    const claimedAt = r.string("claimedAt");
    if (!TIMESTAMP.test(claimedAt)) throw new Error(`claimedAt ${claimedAt} is not RFC 3339 UTC`);
    return {
      key: r.keyAfter(A.pk, CLAIM_PK_PREFIX),
      batchKey: r.string("batchKey"),
      entryId: r.string("entryId"),
      claimedAt,
    };
  });
}
