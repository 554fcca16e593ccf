import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { handleApiRequest } from "../shared/api.js";
import { errorResponse, requestFromEvent, toResult } from "../shared/http.js";
import { addLogContext } from "../shared/log.js";
import { getRuntime } from "../shared/runtime.js";

/**
 * API Gateway HTTP API handler: POST /v1/entries and the read routes
 * (GET /v1/entries/{id}, /v1/blocks/{height|latest}, /v1/checkpoint, /v1/health).
 */
export async function handler(
  event: APIGatewayProxyEventV2,
  context?: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  addLogContext(context);
  try {
    return toResult(await handleApiRequest(requestFromEvent(event), await getRuntime()));
  } catch (e) {
    return toResult(errorResponse(e));
  }
}
