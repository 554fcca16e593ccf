import { Duration, Validations } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import {
  EventSourceMapping,
  FilterCriteria,
  FilterRule,
  type IFunction,
  StartingPosition,
} from "aws-cdk-lib/aws-lambda";
import { BATCH_PK_PREFIX } from "../../lib/store-layout.js";

/**
 * Wakes the sealer when a batch commits, so the seal loop can stop as soon as nothing is
 * pending (functions/ledger/seal-run.ts) and an idle ledger runs no Lambda between the
 * schedule's ticks. The table's stream (KEYS_ONLY: the trigger needs no item data) feeds
 * an event source mapping filtered to the inserts of batch items — `B#<key>` / `B`, the
 * commit point (docs/STORAGE.md, step 2; test/cdk/operations.test.ts holds the filter
 * to functions/store/table.ts `itemKeys.batch`) — so payloads, index entries, blocks and
 * pages never invoke it.
 *
 * The records are only a wake-up: the handler ignores them and seals what is pending.
 * While a seal loop runs, the seal function's reserved concurrency of one throttles the
 * mapping's invocation, which Lambda retries; if those retries run out (retryAttempts) or
 * the record ages past maxRecordAge the wake-up is dropped, and the schedule's next tick
 * (at most sealEveryMinutes later) seals instead — a lost record delays sealing, it loses
 * nothing, so the mapping needs no failure destination.
 */
export const SEAL_TRIGGER = {
  /** Every insert of a small burst in one invocation: the handler reads the pending index anyway. */
  batchSize: 1000,
  retryAttempts: 3,
  maxRecordAge: Duration.minutes(5),
  /** What the mapping passes on: inserts of batch items, by key. */
  filter: {
    eventName: FilterRule.isEqual("INSERT"),
    dynamodb: {
      Keys: { pk: { S: FilterRule.beginsWith(BATCH_PK_PREFIX) }, sk: { S: FilterRule.isEqual("B") } },
    },
  },
} as const;

/** The stream reads an event source mapping makes with the function's role. */
export const STREAM_READ_ACTIONS = [
  "dynamodb:DescribeStream",
  "dynamodb:GetRecords",
  "dynamodb:GetShardIterator",
] as const;

export function addSealTrigger(seal: IFunction, table: ITable): void {
  const streamArn = table.tableStreamArn;
  if (streamArn === undefined) throw new Error("the ledger table has no stream to trigger the sealer");
  // Granted here rather than by DynamoEventSource, whose grant adds kms:Decrypt on the table's
  // key without the kms:ViaService condition the role's table-key statement keeps
  // (cdk/lib/ledger-table.ts grant): the stream is read through DynamoDB, which that covers.
  const role = seal.role;
  if (role === undefined) throw new Error("the seal function has no role");
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: [...STREAM_READ_ACTIONS], resources: [streamArn] }),
  );
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ["dynamodb:ListStreams"], resources: ["*"] }));
  // On the role: its default policy, where the grants land, is the finding's scope.
  Validations.of(role).acknowledge({
    id: "AwsSolutions-IAM5[Resource::*]",
    reason:
      "dynamodb:ListStreams, which the sealer's stream trigger needs, names no resource (IAM cannot " +
      "scope it); the stream reads themselves are granted on this table's stream alone.",
  });
  const mapping = new EventSourceMapping(seal, "SealTrigger", {
    target: seal,
    eventSourceArn: streamArn,
    startingPosition: StartingPosition.LATEST,
    batchSize: SEAL_TRIGGER.batchSize,
    retryAttempts: SEAL_TRIGGER.retryAttempts,
    maxRecordAge: SEAL_TRIGGER.maxRecordAge,
    bisectBatchOnError: false,
    filters: [FilterCriteria.filter(SEAL_TRIGGER.filter)],
  });
  // The mapping checks its role can read the stream when it is created.
  mapping.node.addDependency(role);
}
