import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { getWitnessRuntime, type WitnessRuntime } from "../runtime/witness.js";
import { log } from "../telemetry/log.js";
import { WitnessStateLostError } from "../witness/state-store.js";
import { addCheckpoint } from "../witness/witness.js";

/**
 * A department's witness behind a Lambda function URL (payload format 2.0), or local
 * mode's witness server: POST <url>/add-checkpoint, c2sp.org/tlog-witness. Anyone may
 * call it — the protocol is public by design: only a checkpoint the log signed, consistent
 * with what the witness cosigned before, gets a cosignature (functions/witness/witness.ts).
 * A witness that lost its state answers 503 until its table is restored.
 */
export interface AddCheckpointPorts {
  runtime: () => Promise<WitnessRuntime>;
  log: (level: "WARN" | "ERROR", message: string, fields: Record<string, unknown>) => void;
}

export function addCheckpointHandler(ports: AddCheckpointPorts) {
  return async (
    event: APIGatewayProxyEventV2,
    _context?: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext.http.method.toUpperCase();
    if (!event.rawPath.endsWith("/add-checkpoint"))
      return plain(404, "the witness answers POST /add-checkpoint\n");
    if (method !== "POST") return { ...plain(405, "POST only\n"), headers: { allow: "POST" } };
    const body = event.isBase64Encoded
      ? new Uint8Array(Buffer.from(event.body ?? "", "base64"))
      : new TextEncoder().encode(event.body ?? "");
    try {
      const runtime = await ports.runtime();
      const answer = await addCheckpoint(body, {
        ...runtime,
        onEvidence: (refusal) =>
          ports.log("WARN", "refused a checkpoint the log signed", {
            code: refusal.code,
            origin: refusal.signedCheckpoint?.origin,
            size: refusal.signedCheckpoint?.size,
            // The signed checkpoint itself is the evidence: keep the whole request.
            request: new TextDecoder().decode(body),
          }),
      });
      return {
        statusCode: answer.status,
        headers: { "content-type": answer.contentType },
        body: answer.body,
      };
    } catch (err) {
      const lost = err instanceof WitnessStateLostError;
      ports.log("ERROR", lost ? "witness state lost" : "witness unavailable", {
        error: (err as Error).message,
      });
      return {
        ...plain(503, lost ? `${(err as Error).message}\n` : "the witness is unavailable; retry later\n"),
        headers: { "retry-after": "5", "content-type": "text/plain; charset=utf-8" },
      };
    }
  };
}

function plain(statusCode: number, body: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}

export const handler = addCheckpointHandler({ runtime: () => getWitnessRuntime(), log });
