import { DynamoDBClient } from "@aws-sdk/client-dynamodb";

/**
 * What every function's wiring reads from the environment the same way (runtime.ts for the
 * ledger's functions, witness.ts for a department's witness). A module of its own so the
 * witness's bundle does not pull in the ledger's wiring.
 */

/** A variable that must be set; its absence stops the function with the variable's name. */
export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** The DynamoDB client: AWS's from the Lambda environment, or ZHIXIN_DYNAMODB_ENDPOINT (dynalite locally). */
export function dynamoClient(env: NodeJS.ProcessEnv): DynamoDBClient {
  const endpoint = env.ZHIXIN_DYNAMODB_ENDPOINT;
  return new DynamoDBClient(
    endpoint
      ? {
          endpoint,
          region: env.AWS_REGION ?? "local",
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
        }
      : {},
  );
}
