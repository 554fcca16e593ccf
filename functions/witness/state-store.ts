import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceInUseException,
} from "@aws-sdk/client-dynamodb";
import type { WitnessState, WitnessStateUpdate } from "../../lib/witness/index.js";

/**
 * The witness's memory: per log origin, the size and root hash of the last checkpoint it
 * cosigned (docs/formats/witness.md §2). A witness that forgot would cosign any history
 * from scratch, a fork included, so the store also holds a genesis item written once when
 * the witness is set up: without it the witness refuses to answer (WitnessStateLostError)
 * rather than start over.
 */
export interface WitnessStateStore {
  /** The stored state for `origin`, null when this witness never cosigned for it. Strongly consistent. */
  get(origin: string): Promise<WitnessState | null>;
  /** Stores `update.next` only if the stored size is still `update.ifStoredSize`; false when it is not. */
  compareAndSwap(update: WitnessStateUpdate): Promise<boolean>;
}

/** The witness's genesis item is gone: its state was lost, and it must not cosign from scratch. */
export class WitnessStateLostError extends Error {
  override readonly name = "WitnessStateLostError";
}

/**
 * The state in a DynamoDB table of its own (the member stack's, or a dynalite table
 * locally), one item per origin:
 *
 *   pk "GENESIS"        createdAt                 written once, by initializeWitnessTable
 *   pk "W#<origin>"     size (N), root (B, 32)    the last cosigned checkpoint
 *
 * Every read is strongly consistent and every write conditional.
 */
export class DynamoDbWitnessState implements WitnessStateStore {
  #genesis = false;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async get(origin: string): Promise<WitnessState | null> {
    await this.#requireGenesis();
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { pk: { S: STATE_PREFIX + origin } },
        ConsistentRead: true,
      }),
    );
    const item = out.Item;
    if (!item) return null;
    const size = Number(item.size?.N);
    const root = item.root?.B;
    if (!Number.isSafeInteger(size) || size < 0 || !(root instanceof Uint8Array) || root.length !== 32) {
      throw new Error(`witness state for ${origin} is malformed`);
    }
    return { size, rootHash: root };
  }

  async compareAndSwap(update: WitnessStateUpdate): Promise<boolean> {
    await this.#requireGenesis();
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: STATE_PREFIX + update.origin },
            size: { N: String(update.next.size) },
            root: { B: update.next.rootHash },
          },
          ...(update.ifStoredSize === null
            ? { ConditionExpression: "attribute_not_exists(pk)" }
            : {
                // "size" is a DynamoDB reserved word.
                ConditionExpression: "#size = :stored",
                ExpressionAttributeNames: { "#size": "size" },
                ExpressionAttributeValues: { ":stored": { N: String(update.ifStoredSize) } },
              }),
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async #requireGenesis(): Promise<void> {
    if (this.#genesis) return;
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: GENESIS } }, ConsistentRead: true }),
    );
    if (!out.Item) {
      throw new WitnessStateLostError(
        `witness table ${this.table} has no genesis item: its state was lost or never set up; restore the table (point-in-time recovery) rather than start the witness over`,
      );
    }
    this.#genesis = true;
  }
}

const GENESIS = "GENESIS";
const STATE_PREFIX = "W#";

/** The witness table's key schema, as the member stack and local mode create it. */
export const WITNESS_TABLE_KEY = { name: "pk", type: "S" } as const;

/** The DynamoDB actions the witness sends, for its role's grants (cdk/). */
export const WITNESS_STATE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem"] as const;

/**
 * Creates a witness table and waits until it is ACTIVE (local mode and tests; the member
 * stack declares its own). Idempotent: an existing table is kept, with its state.
 */
export async function createWitnessTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [
          { AttributeName: WITNESS_TABLE_KEY.name, AttributeType: WITNESS_TABLE_KEY.type },
        ],
        KeySchema: [{ AttributeName: WITNESS_TABLE_KEY.name, KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  for (let delayMs = 10; ; delayMs = Math.min(delayMs * 2, 1_000)) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (Table?.TableStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

/**
 * Writes the genesis item, once: when the witness is set up (its key generated locally, its
 * member stack created on AWS). Returns false when it was already there.
 */
export async function initializeWitnessTable(
  client: DynamoDBClient,
  table: string,
  createdAt: Date,
): Promise<boolean> {
  try {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: GENESIS }, createdAt: { S: createdAt.toISOString() } },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw err;
  }
}
