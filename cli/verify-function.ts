import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from "@aws-sdk/client-lambda";
import { AwsCliError, explainAwsError } from "./aws.js";
import type { VerifyPayload, VerifyReport } from "./client.js";

/**
 * `zhixin verify --function <name|arn>`: the deployed verify function, invoked directly
 * (RequestResponse) with the payload local mode's POST /local/verify takes,
 *   {}  |  { "from": 1, "to": 9, "trustedCheckpoint": "…" }  |  { "entry": "<id>" }
 * and answering the same report. A function that failed (FunctionError: its payload is
 * { "errorType", "errorMessage" }) is an AwsCliError FUNCTION_ERROR.
 */
export async function invokeVerifyFunction(
  client: LambdaClient,
  fn: string,
  payload: VerifyPayload,
): Promise<VerifyReport> {
  let out: InvokeCommandOutput;
  try {
    out = await client.send(
      new InvokeCommand({
        FunctionName: fn,
        InvocationType: "RequestResponse",
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
  } catch (e) {
    throw explainAwsError(e, { kind: "invoke", fn });
  }
  const text = out.Payload === undefined ? "" : new TextDecoder().decode(out.Payload);
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (out.FunctionError !== undefined) {
    const error = body as { errorType?: unknown; errorMessage?: unknown } | undefined;
    const detail =
      typeof error?.errorMessage === "string"
        ? `${typeof error.errorType === "string" ? `${error.errorType}: ` : ""}${error.errorMessage}`
        : text.slice(0, 200) || out.FunctionError;
    throw new AwsCliError("FUNCTION_ERROR", `the verify function ${fn} failed: ${detail}`);
  }
  if (typeof body !== "object" || body === null || typeof (body as { ok?: unknown }).ok !== "boolean") {
    throw new AwsCliError(
      "BAD_RESPONSE",
      `the verify function ${fn} answered something that is not a report: ${text.slice(0, 200)}`,
    );
  }
  return body as VerifyReport;
}
