import { describe, expect, it } from "vitest";
import { errorResponse } from "../../../../functions/api/http.js";
import { ApiError } from "../../../../lib/protocol/errors.js";
import { captured } from "../../../support/output.js";

describe("errorResponse: the one place errors become HTTP", () => {
  it("an ApiError keeps its status and code", () => {
    const res = errorResponse(new ApiError("NONCE_REPLAYED", "used", { nonce: "n" }));
    expect(res.statusCode).toBe(409);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: "NONCE_REPLAYED", message: "used", details: { nonce: "n" } },
    });
  });

  it("store throttling becomes 503 UNAVAILABLE with Retry-After, and a warning", async () => {
    const e = Object.assign(new Error("slow down"), { name: "ProvisionedThroughputExceededException" });
    const { result: res, output } = await captured(() => errorResponse(e));
    expect(output.logLines()).toEqual([
      expect.objectContaining({
        level: "WARN",
        message: "store unavailable",
        error: { name: "ProvisionedThroughputExceededException", message: "slow down" },
      }),
    ]);
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
    expect(JSON.parse(res.body).error.code).toBe("UNAVAILABLE");
  });

  it("anything else is a 500 that does not leak its message, which goes to the log", async () => {
    const { result: res, output } = await captured(() => errorResponse(new Error("secret table name")));
    expect(output.logLines()).toEqual([
      expect.objectContaining({
        level: "ERROR",
        message: "unhandled error",
        error: expect.objectContaining({ name: "Error", message: "secret table name" }),
      }),
    ]);
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain("secret");
    expect(JSON.parse(res.body).error.code).toBe("INTERNAL");
  });
});
