import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { mapLimit } from "../concurrency.js";
import type { Item, ItemKey } from "../table.js";
import { A, ITEM_IS_NEW } from "./items.js";

/**
 * The DynamoDB requests every item family shares: conditional create, consistent get,
 * paginated Query, and BatchWriteItem/BatchGetItem with retries of unprocessed requests.
 * No item layout lives here; the family files (batches.ts, blocks.ts, ...) own theirs.
 */

/** A DynamoDB action as IAM names it: what a role must be granted for a store method to run. */
export type DynamoDbAction =
  | "dynamodb:GetItem"
  | "dynamodb:BatchGetItem"
  | "dynamodb:Query"
  | "dynamodb:PutItem"
  | "dynamodb:UpdateItem"
  | "dynamodb:DeleteItem"
  | "dynamodb:BatchWriteItem";

/**
 * What each public method of a store family may send, on the table and on its pending
 * index (IAM grants those two resources apart). Each family file declares its own beside
 * its code, so that the Lambda functions' grants can be checked against what their ports
 * send (test/cdk/grants-drift.test.ts) rather than against source text; a test records
 * what each method sends through the SDK and holds it to the declaration
 * (test/unit/functions/store/dynamodb-actions.test.ts).
 */
export type StoreActions<Family> = { readonly [M in keyof Family]: MethodActions };

export interface MethodActions {
  readonly table: readonly DynamoDbAction[];
  readonly pendingIndex?: readonly DynamoDbAction[];
}

export interface TableClientOptions {
  /**
   * Items per Query request. Unset, DynamoDB fills each 1 MB page; tests set it low to
   * exercise the pagination loops without writing thousands of items.
   */
  queryPageLimit?: number;
}

const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;
/** Batch requests in flight per call: enough for throughput, far below the SDK's 50 sockets. */
export const PARALLEL_REQUESTS = 8;
/** Rounds in a row that may make no progress on Unprocessed{Items,Keys} before giving up. */
const MAX_STALLED_ROUNDS = 8;
const BACKOFF_BASE_MS = 25;
const BACKOFF_CAP_MS = 2_000;

export class TableClient {
  private readonly queryPageLimit: number | undefined;

  /** `client` is created once at module scope by the caller and shared. */
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
    options: TableClientOptions = {},
  ) {
    this.queryPageLimit = options.queryPageLimit;
  }

  /** PutItem only if no item has this key yet; false when one does. */
  async putIfNew(item: Item): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: ITEM_IS_NEW,
          ExpressionAttributeNames: { "#pk": A.pk },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async getItem(key: ItemKey): Promise<Item | undefined> {
    const res = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return res.Item;
  }

  /** Every item of a Query, following LastEvaluatedKey; stops after `max` items if given. */
  async *query(input: QueryCommandInput, max?: number): AsyncGenerator<Item> {
    let startKey: Record<string, AttributeValue> | undefined;
    let yielded = 0;
    do {
      const wanted = max === undefined ? undefined : max - yielded;
      const limit = minDefined(this.queryPageLimit, wanted);
      const res = await this.client.send(
        new QueryCommand({
          ...input,
          ...(limit === undefined ? {} : { Limit: limit }),
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of res.Items ?? []) {
        yield item;
        if (++yielded === max) return;
      }
      startKey = res.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  async batchPut(items: readonly Item[]): Promise<void> {
    await this.batchWrite(items.map((Item): WriteRequest => ({ PutRequest: { Item } })));
  }

  /** Unconditional puts/deletes, 25 per BatchWriteItem, retrying UnprocessedItems. Keys must be distinct. */
  async batchWrite(requests: readonly WriteRequest[]): Promise<void> {
    await mapLimit(chunk(requests, BATCH_WRITE_MAX), PARALLEL_REQUESTS, (chunkRequests) =>
      retryUnprocessed(chunkRequests, async (pending) => {
        const res = await this.client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        return { done: [], left: res.UnprocessedItems?.[this.tableName] ?? [] };
      }),
    );
  }

  /**
   * Strongly consistent reads, 100 keys per BatchGetItem, retrying UnprocessedKeys
   * (DynamoDB returns at most 16 MB per call, dynalite ~1.4 MB); `projection` reads only
   * those attributes. Keys must be distinct.
   */
  async batchGet(
    keys: readonly ItemKey[],
    projection?: string,
    names?: Record<string, string>,
  ): Promise<Item[]> {
    const results = await mapLimit(chunk(keys, BATCH_GET_MAX), PARALLEL_REQUESTS, (chunkKeys) =>
      retryUnprocessed<Record<string, AttributeValue>, Item>(chunkKeys, async (pending) => {
        const res = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: pending,
                ConsistentRead: true,
                ...(projection ? { ProjectionExpression: projection, ExpressionAttributeNames: names } : {}),
              },
            },
          }),
        );
        return {
          done: res.Responses?.[this.tableName] ?? [],
          left: res.UnprocessedKeys?.[this.tableName]?.Keys ?? [],
        };
      }),
    );
    return results.flat();
  }
}

// ---- retries --------------------------------------------------------------------

/**
 * Runs `round` until nothing is left over. Backs off (exponential, full jitter) only
 * after rounds that made no progress — throttling — and gives up after
 * MAX_STALLED_ROUNDS of them; rounds cut short by a response-size limit retry at once.
 */
async function retryUnprocessed<Req, Res>(
  requests: readonly Req[],
  round: (pending: Req[]) => Promise<{ done: Res[]; left: Req[] }>,
): Promise<Res[]> {
  const results: Res[] = [];
  let pending = [...requests];
  let stalled = 0;
  while (pending.length > 0) {
    const { done, left } = await round(pending);
    results.push(...done);
    if (left.length < pending.length) stalled = 0;
    else if (++stalled > MAX_STALLED_ROUNDS) {
      throw new Error(`DynamoDB left ${left.length} requests unprocessed after ${stalled} rounds`);
    }
    pending = left;
    if (pending.length > 0 && stalled > 0) {
      const capMs = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** stalled);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * capMs));
    }
  }
  return results;
}

/** `items` cut into consecutive runs of at most `size`. */
function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
