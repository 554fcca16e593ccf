import { generateKeyPairSync } from "node:crypto";
import { DynamoDBClient, InternalServerError } from "@aws-sdk/client-dynamodb";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ApiDeps, handleApiRequest } from "../../../functions/api/api.js";
import { type HttpRequest, unhandledErrorCount } from "../../../functions/api/http.js";
import { StaticKeyDirectory } from "../../../functions/auth/key-directory.js";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import type { LedgerStore } from "../../../functions/store/ports.js";
import { LocalSigner } from "../../../lib/crypto/local-signer.js";
import { signRequestNow } from "../../support/sign-request.js";

// A genuine store outage is the one 5xx a request may get: 503 UNAVAILABLE with
// Retry-After, so clients back off instead of the alarms firing on INTERNAL.

const auditor = new LocalSigner("auditor/key-1", generateKeyPairSync("ed25519").privateKey);

async function deps(store: LedgerStore): Promise<ApiDeps> {
  return {
    store,
    keys: new StaticKeyDirectory([
      {
        keyId: auditor.keyId,
        owner: "auditor",
        role: "auditor",
        alg: auditor.alg,
        spki: await auditor.publicKey(),
        validFrom: "2026-01-01T00:00:00.000Z",
      },
    ]),
    consortium: loadConsortium("consortium.example.json"),
    clock: { now: () => new Date() },
    subjectKey: new Uint8Array(32).fill(7),
  };
}

async function signedGet(path: string): Promise<HttpRequest> {
  const headers = await signRequestNow({ method: "GET", path, signer: auditor, department: "auditor" });
  return { method: "GET", path, query: "", headers: { ...headers }, body: new Uint8Array() };
}

/** A store on a port nothing listens on: every call fails after the SDK's retries. */
function unreachableStore(): DynamoDbLedgerStore {
  const client = new DynamoDBClient({
    endpoint: "http://127.0.0.1:9",
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  return new DynamoDbLedgerStore(client, "ledger");
}

/** A store each of whose calls throws `error`. */
function throwingStore(error: () => unknown): LedgerStore {
  return new Proxy({} as LedgerStore, {
    get: () => () => Promise.reject(error()),
  });
}

const health: HttpRequest = {
  method: "GET",
  path: "/v1/health",
  query: "",
  headers: {},
  body: new Uint8Array(),
};

/** The JSON log lines written to stderr (warnings and errors) while a test runs. */
let logged: Array<{ level: string; message: string }>;
beforeEach(() => {
  logged = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    for (const line of String(chunk).split("\n")) if (line.startsWith("{")) logged.push(JSON.parse(line));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("store outages answer 503 UNAVAILABLE with Retry-After", () => {
  it.each([
    ["GET /v1/health", () => Promise.resolve(health)],
    ["a signed GET /v1/blocks/1", () => signedGet("/v1/blocks/1")],
    ["a signed GET /v1/entries/{id}", () => signedGet(`/v1/entries/${"0".repeat(32)}`)],
  ])("the store unreachable: %s", async (_, request) => {
    const unhandled = unhandledErrorCount();
    const res = await handleApiRequest(await request(), await deps(unreachableStore()));
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body).error.code).toBe("UNAVAILABLE");
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    expect(logged).toMatchObject([{ level: "WARN", message: "store unavailable" }]);
    expect(unhandledErrorCount()).toBe(unhandled);
  });

  it("the store answering 500 InternalServerError", async () => {
    const store = throwingStore(() => new InternalServerError({ message: "boom", $metadata: {} }));
    const res = await handleApiRequest(await signedGet("/v1/blocks/latest"), await deps(store));
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body).error.code).toBe("UNAVAILABLE");
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    expect(logged).toMatchObject([{ level: "WARN", message: "store unavailable" }]);
  });

  it("a bug of ours is still INTERNAL, not an outage", async () => {
    const store = throwingStore(() => new TypeError("x is undefined"));
    const unhandled = unhandledErrorCount();
    const res = await handleApiRequest(health, await deps(store));
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body).error.code).toBe("INTERNAL");
    expect(logged).toMatchObject([{ level: "ERROR", message: "unhandled error" }]);
    expect(unhandledErrorCount()).toBe(unhandled + 1);
  });
});
