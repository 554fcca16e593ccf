import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { handleApiRequest } from "../api/api.js";
import { errorResponse, requestFromEvent, toResult } from "../api/http.js";
import { type ApiRuntime, getApiRuntime, withLedgerSuiteChecked } from "../runtime/runtime.js";
import { addLogContext } from "../telemetry/log.js";

/**
 * API Gateway HTTP API handler: every route of lib/protocol/routes.ts (POST
 * /v1/entries, POST /v1/match, and the reads). Its wiring is a port, like the other
 * handlers', so that local mode can hand it another clock (tests set the time rather
 * than wait for it).
 */
export interface SubmitPorts {
  runtime: () => Promise<ApiRuntime>;
}

export function submitHandler(ports: SubmitPorts) {
  return async (
    event: APIGatewayProxyEventV2,
    context?: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    addLogContext(context);
    try {
      return toResult(await handleApiRequest(requestFromEvent(event), await ports.runtime()));
    } catch (e) {
      return toResult(errorResponse(e));
    }
  };
}

export const handler = submitHandler({ runtime: () => getApiRuntime().then(withLedgerSuiteChecked) });
