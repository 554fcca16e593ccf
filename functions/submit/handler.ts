import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { handleApiRequest } from "../api/api.js";
import { errorResponse, requestFromEvent, toResult } from "../api/http.js";
import { addLogContext } from "../runtime/log.js";
import { getApiRuntime } from "../runtime/runtime.js";

/**
 * API Gateway HTTP API handler: every route of lib/protocol/routes.ts (POST
 * /v1/entries, POST /v1/match, and the reads).
 */
export async function handler(
  event: APIGatewayProxyEventV2,
  context?: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  addLogContext(context);
  try {
    return toResult(await handleApiRequest(requestFromEvent(event), await getApiRuntime()));
  } catch (e) {
    return toResult(errorResponse(e));
  }
}
