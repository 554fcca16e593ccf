import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { addCheckpointHandler } from "../../../../functions/add-checkpoint/handler.js";
import type { WitnessRuntime } from "../../../../functions/runtime/witness.js";
import { WitnessStateLostError } from "../../../../functions/witness/state-store.js";

// The witness's function-URL handler (functions/add-checkpoint/handler.ts): only POST
// /add-checkpoint reaches the witness; a witness whose state is lost, or whose store is
// down, answers 503 and says which — never a 500, never a cosignature.

const event = (method: string, path: string, body = "", base64 = false): APIGatewayProxyEventV2 =>
  ({
    rawPath: path,
    rawQueryString: "",
    headers: {},
    body: base64 ? Buffer.from(body).toString("base64") : body,
    isBase64Encoded: base64,
    requestContext: { http: { method } },
  }) as unknown as APIGatewayProxyEventV2;

function handler(runtime: () => Promise<WitnessRuntime>) {
  const logged: Array<{ level: string; message: string }> = [];
  const h = addCheckpointHandler({ runtime, log: (level, message) => logged.push({ level, message }) });
  return { h, logged };
}

const failing = (err: Error) => () => Promise.reject(err);

describe("the witness's function-URL handler", () => {
  it("answers 404 on any other path and 405 on any other method, without building the witness", async () => {
    let built = 0;
    const { h } = handler(() => {
      built++;
      return Promise.reject(new Error("not to be built"));
    });
    expect((await h(event("POST", "/"))).statusCode).toBe(404);
    const get = await h(event("GET", "/add-checkpoint"));
    expect([get.statusCode, get.headers?.allow]).toEqual([405, "POST"]);
    expect(built).toBe(0);
  });

  it("refuses a body that is not a request with 400, base64 or not", async () => {
    const runtime = { logs: [] } as unknown as WitnessRuntime;
    const { h } = handler(async () => runtime);
    expect((await h(event("POST", "/add-checkpoint", "old x\n"))).statusCode).toBe(400);
    expect((await h(event("POST", "/add-checkpoint", "old x\n", true))).statusCode).toBe(400);
  });

  it("answers 503 when its state was lost, and when it cannot reach its store, and logs which", async () => {
    const lost = handler(failing(new WitnessStateLostError("genesis missing")));
    const answer = await lost.h(event("POST", "/add-checkpoint", "old 0\n"));
    expect([answer.statusCode, answer.headers?.["retry-after"]]).toEqual([503, "5"]);
    expect(answer.body).toContain("genesis missing");
    expect(lost.logged).toEqual([{ level: "ERROR", message: "witness state lost" }]);

    const down = handler(failing(new Error("connect ECONNREFUSED")));
    const unavailable = await down.h(event("POST", "/add-checkpoint", "old 0\n"));
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.body).not.toContain("ECONNREFUSED");
    expect(down.logged).toEqual([{ level: "ERROR", message: "witness unavailable" }]);
  });
});
