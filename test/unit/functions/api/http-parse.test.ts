import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ApiDeps, handleApiRequest } from "../../../../functions/api/api.js";
import { unhandledErrorCount } from "../../../../functions/api/http.js";
import { parseTarget } from "../../../../functions/api/http-parse.js";
import { StaticKeyDirectory } from "../../../../functions/auth/key-directory.js";
import { loadConsortium } from "../../../../functions/runtime/consortium-file.js";
import type { LedgerStore } from "../../../../functions/store/ports.js";
import { LocalSigner } from "../../../../lib/crypto/local-signer.js";
import { ApiError } from "../../../../lib/protocol/errors.js";
import { API_ROUTES } from "../../../../lib/protocol/routes.js";
import { signRequestNow } from "../../../support/sign-request.js";

// http-parse.ts is total: every string API Gateway can hand over as rawPath and
// rawQueryString (any UTF-16, lone surrogates included) parses or is a 4xx ApiError.

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof ApiError) return e.code;
    throw e;
  }
}

describe("parseTarget: typed values", () => {
  it.each([
    ["GET", "/v1/blocks/latest", "", { route: "GET /v1/blocks/{height}", params: { height: "latest" } }],
    [
      "GET",
      "/v1/blocks/9007199254740991",
      "",
      { route: "GET /v1/blocks/{height}", params: { height: 2 ** 53 - 1 } },
    ],
    ["HEAD", "/v1/blocks/7", "", { route: "GET /v1/blocks/{height}", params: { height: 7 } }],
    [
      "GET",
      "/v1/blocks/7/entries",
      "",
      { route: "GET /v1/blocks/{height}/entries", params: { height: 7, start: 0 } },
    ],
    [
      "GET",
      "/v1/blocks/7/entries",
      "start=1000",
      { route: "GET /v1/blocks/{height}/entries", params: { height: 7, start: 1000 } },
    ],
    ["GET", "/v1/contracts/%61b-1", "", { route: "GET /v1/contracts/{id}", params: { id: "ab-1" } }],
    ["GET", "/v1/keys/hf-haikou", "", { route: "GET /v1/keys/{member}", params: { member: "hf-haikou" } }],
    [
      "GET",
      "/v1/access",
      "subject=a+b%2Bc%E4%B8%AD",
      { route: "GET /v1/access", params: { subject: "a b+c中" } },
    ],
    ["POST", "/v1/entries", "", { route: "POST /v1/entries", params: {} }],
    [
      "GET",
      "/v1/log/tile/2/x001/x234/067.p/8",
      "",
      { route: "GET /v1/log/tile/{path+}", params: { path: "tile/2/x001/x234/067.p/8" } },
    ],
    [
      "GET",
      "/v1/log/tile/entries/000",
      "",
      { route: "GET /v1/log/tile/{path+}", params: { path: "tile/entries/000" } },
    ],
    // The published checkpoint keeps its own route: the greedy one takes only tile/….
    ["GET", "/v1/log/checkpoint", "", { route: "GET /v1/log/checkpoint", params: {} }],
  ])("%s %s?%s", (method, path, query, expected) => {
    expect(parseTarget(method, path, query)).toEqual(expected);
  });

  it.each([
    ["GET", "/v1/nothing", "", "ROUTE_NOT_FOUND"],
    ["GET", "/v1/entries/", "", "ROUTE_NOT_FOUND"],
    ["PUT", "/v1/health", "", "METHOD_NOT_ALLOWED"],
    ["HEAD", "/v1/entries", "", "METHOD_NOT_ALLOWED"],
    ["GET", "/v1/blocks/9007199254740992", "", "INVALID_PARAMETER"],
    ["GET", "/v1/blocks/%31", "", undefined],
    ["GET", "/v1/blocks/-1", "", "INVALID_PARAMETER"],
    ["GET", "/v1/blocks/1e3", "", "INVALID_PARAMETER"],
    ["GET", "/v1/blocks/latest/entries", "", "INVALID_PARAMETER"],
    ["GET", "/v1/blocks/0/entries", "", "INVALID_PARAMETER"],
    ["GET", "/v1/blocks/1/entries", "start=-1", "INVALID_PARAMETER"],
    ["GET", "/v1/blocks/1/entries", "start=01", "INVALID_PARAMETER"],
    ["GET", "/v1/blocks/1/entries", "start=1&start=2", "INVALID_PARAMETER"],
    ["GET", "/v1/blocks/1/entries", "from=1", "INVALID_PARAMETER"],
    ["POST", "/v1/blocks/1/entries", "", "METHOD_NOT_ALLOWED"],
    ["GET", "/v1/entries/%ZZ", "", "INVALID_PARAMETER"],
    ["GET", "/v1/contracts/\ud800", "", "INVALID_PARAMETER"],
    ["GET", "/v1/keys/HF", "", "INVALID_PARAMETER"],
    ["GET", "/v1/keys/hf-haikou", "x=1", "INVALID_PARAMETER"],
    ["POST", "/v1/keys/hf-haikou", "", "METHOD_NOT_ALLOWED"],
    ["GET", "/v1/access", "subject=\udc00", "INVALID_PARAMETER"],
    ["GET", "/v1/access", "subject=a&", "INVALID_PARAMETER"],
    ["GET", "/v1/access", "subject", "INVALID_PARAMETER"],
    ["GET", "/v1/access", `subject=${"x".repeat(257)}`, "INVALID_PARAMETER"],
    ["GET", "/v1/access", `subject=${"%E4%B8%AD".repeat(86)}`, "INVALID_PARAMETER"],
    ["GET", "/v1/health", "=", "INVALID_PARAMETER"],
    ["GET", "/v1/log/tile/", "", "ROUTE_NOT_FOUND"],
    ["GET", "/v1/log/tile/../checkpoint", "", "INVALID_PARAMETER"],
    ["GET", "/v1/log/tile/0/000/../001", "", "INVALID_PARAMETER"],
    ["GET", "/v1/log/tile/0/%30%30%30", "", "INVALID_PARAMETER"],
    ["GET", "/v1/log/tile/0/x000/001", "", "INVALID_PARAMETER"],
    ["GET", "/v1/log/tile/0/000", "n=1", "INVALID_PARAMETER"],
    ["PUT", "/v1/log/tile/0/000", "", "METHOD_NOT_ALLOWED"],
  ])("%s %s?%s → %s", (method, path, query, code) => {
    expect(codeOf(() => parseTarget(method, path, query))).toBe(code);
  });

  it("a 405 lists HEAD wherever GET is allowed", () => {
    try {
      parseTarget("DELETE", "/v1/health", "");
    } catch (e) {
      expect((e as ApiError).details).toEqual({ allowed: ["GET", "HEAD"] });
    }
    expect.assertions(1);
  });
});

describe("parseTarget: properties", () => {
  const anyString = fc.string({ unit: "binary", maxLength: 60 });
  const template = fc.constantFrom(...API_ROUTES.map((r) => r.path));

  it("any method, path and query: a target or a 4xx ApiError, never anything else", () => {
    const path = fc.oneof(
      anyString,
      fc.tuple(template, anyString).map(([p, s]) => p.replace(/\{[^}]+\}/, s)),
    );
    const method = fc.oneof(fc.constantFrom("GET", "HEAD", "POST"), anyString);
    const query = fc.oneof(
      anyString,
      anyString.map((s) => `subject=${s}`),
    );
    fc.assert(
      fc.property(method, path, query, (m, p, q) => {
        try {
          parseTarget(m, p, q);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
          expect((e as ApiError).statusCode).toBeGreaterThanOrEqual(400);
          expect((e as ApiError).statusCode).toBeLessThan(500);
        }
      }),
      { seed: 10, numRuns: 5000 },
    );
  });

  it("a subject as the CLI encodes it (URLSearchParams) reads back as itself", () => {
    const subject = fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 40 })
      .filter((s) => Buffer.byteLength(s) <= 256);
    fc.assert(
      fc.property(subject, (s) => {
        const query = new URLSearchParams({ subject: s }).toString();
        expect(parseTarget("GET", "/v1/access", query)).toEqual({
          route: "GET /v1/access",
          params: { subject: s },
        });
      }),
      { seed: 11, numRuns: 1000 },
    );
  });

  it("a height is read exactly up to 2^53 - 1 and refused past it", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 20n }), (n) => {
        const path = `/v1/blocks/${n}`;
        if (n <= BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(parseTarget("GET", path, "")).toEqual({
            route: "GET /v1/blocks/{height}",
            params: { height: Number(n) },
          });
        } else {
          expect(codeOf(() => parseTarget("GET", path, ""))).toBe("INVALID_PARAMETER");
        }
      }),
      { seed: 12, numRuns: 1000 },
    );
  });
});

describe("handleApiRequest in process: any signature header values, no 5xx", () => {
  it("signed reads whose headers are then replaced by arbitrary strings", async () => {
    const auditor = new LocalSigner("auditor/key-1", generateKeyPairSync("ed25519").privateKey);
    // A store with nothing in it: lists are empty, reads find nothing.
    const nothingStored = new Proxy({} as LedgerStore, {
      get: (_, method: string) => () =>
        Promise.resolve(
          /^(list|getBlockPages|getPayloads|getBatches|getBatchHeads)/.test(method) ? [] : undefined,
        ),
    });
    const deps: ApiDeps = {
      store: nothingStored,
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
    const header = fc.constantFrom(
      "signature",
      "signature-input",
      "content-digest",
      "zhixin-department",
      "zhixin-batch-root",
    );
    const unhandled = unhandledErrorCount();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          "/v1/blocks/latest",
          "/v1/checkpoint",
          "/v1/contracts/ab",
          "/v1/keys/hf-haikou",
          `/v1/entries/${"a".repeat(32)}`,
        ),
        fc.dictionary(header, fc.string({ unit: "binary", maxLength: 80 }), { maxKeys: 3 }),
        async (path, edits) => {
          const signed = await signRequestNow({
            method: "GET",
            path,
            signer: auditor,
            department: "auditor",
          });
          const res = await handleApiRequest(
            { method: "GET", path, query: "", headers: { ...signed, ...edits }, body: new Uint8Array() },
            deps,
          );
          expect(res.statusCode).toBeLessThan(500);
        },
      ),
      { seed: 13, numRuns: 500 },
    );
    expect(unhandledErrorCount()).toBe(unhandled);
  });
});
