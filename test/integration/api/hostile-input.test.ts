import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode, type TestRequest } from "../../support/local-node.js";

// Issue #10, items 1, 2 and 4: malformed percent-encodings, numbers past 2^53, query
// strings and methods the router did not expect. Each is a 4xx with its own code,
// signed or not, and leaves the table exactly as it was.

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode();
});
afterAll(async () => {
  await t?.stop();
});

const get = (path: string, extra: Partial<TestRequest> = {}): TestRequest => ({
  method: "GET",
  path,
  as: "auditor",
  ...extra,
});

const refusals: Array<{ name: string; request: TestRequest; status: number; code: string }> = [
  // 1. Malformed percent-encodings in a path parameter, before any signature is checked.
  {
    name: "unsigned entry id %ZZ",
    request: get("/v1/entries/%ZZ", { unsigned: true }),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  {
    name: "unsigned height %FF",
    request: get("/v1/blocks/%FF", { unsigned: true }),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  {
    name: "unsigned contract id with a truncated UTF-8 sequence",
    request: get("/v1/contracts/%E0%A4%A", { unsigned: true }),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  { name: "signed entry id %ZZ", request: get("/v1/entries/%ZZ"), status: 400, code: "INVALID_PARAMETER" },
  {
    name: "an overlong UTF-8 '/'",
    request: get("/v1/contracts/%C0%AF"),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  {
    name: "a UTF-16 surrogate in UTF-8",
    request: get("/v1/contracts/%ED%A0%80"),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  { name: "a lone '%'", request: get("/v1/blocks/%"), status: 400, code: "INVALID_PARAMETER" },
  // 2. Numbers past 2^53, signed.
  {
    name: "height 2^53",
    request: get("/v1/blocks/9007199254740992"),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  {
    name: "height 9999999999999999",
    request: get("/v1/blocks/9999999999999999"),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  {
    name: "a 17-digit height",
    request: get("/v1/blocks/12345678901234567"),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  { name: "height 0", request: get("/v1/blocks/0"), status: 400, code: "INVALID_PARAMETER" },
  {
    name: "height 2^53 - 1, not sealed",
    request: get("/v1/blocks/9007199254740991"),
    status: 404,
    code: "NOT_FOUND",
  },
  // 4. The access trail's query, strictly.
  {
    name: "subject %ZZ",
    request: get("/v1/access", { query: "subject=%ZZ" }),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  {
    name: "subject %FF (not UTF-8)",
    request: get("/v1/access", { query: "subject=%FF" }),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  {
    name: "an empty subject",
    request: get("/v1/access", { query: "subject=" }),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  {
    name: "subject given twice",
    request: get("/v1/access", { query: "subject=a&subject=b" }),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  {
    name: "an unknown query parameter",
    request: get("/v1/access", { query: "subject=a&page=2" }),
    status: 400,
    code: "INVALID_PARAMETER",
  },
  {
    name: "a query on a route that takes none",
    request: get("/v1/blocks/latest", { query: "x=1" }),
    status: 400,
    code: "INVALID_PARAMETER",
  },
];

describe("hostile paths and queries: a 4xx with its own code, and nothing stored or changed", () => {
  it.each(refusals)("$name → $status $code", async ({ request, status, code }) => {
    const before = await t.snapshot();
    const res = await t.send(request);
    expect(res.status).toBe(status);
    expect(res.body?.error?.code).toBe(code);
    expect(await t.snapshot()).toEqual(before);
  });

  it("a subject with '+' and percent-encodings is read as the CLI encodes it (form encoding)", async () => {
    const plus = await t.send(get("/v1/access", { query: "subject=a+b%2Bc" }));
    const spelled = await t.send(
      get("/v1/access", { query: new URLSearchParams({ subject: "a b+c" }).toString() }),
    );
    expect(plus.status).toBe(200);
    expect(plus.body.subjectHmac).toBe(spelled.body.subjectHmac);
  });
});

describe("HTTP semantics (RFC 9110)", () => {
  it("a 405 names the allowed methods in Allow (§15.5.6)", async () => {
    const before = await t.snapshot();
    const del = await fetch(`${t.url}/v1/entries`, { method: "DELETE" });
    expect(del.status).toBe(405);
    expect(((await del.json()) as { error: { code: string } }).error.code).toBe("METHOD_NOT_ALLOWED");
    expect(del.headers.get("allow")).toBe("POST");
    const post = await fetch(`${t.url}/v1/health`, { method: "POST", body: "{}" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(await t.snapshot()).toEqual(before);
  });

  it("HEAD is served like GET, without a body (§9.3.2)", async () => {
    const head = await fetch(`${t.url}/v1/health`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await head.text()).toBe("");

    const signed = await t.send({ method: "HEAD", path: "/v1/blocks/latest", as: "auditor" });
    const plain = await t.send({ method: "GET", path: "/v1/blocks/latest", as: "auditor" });
    expect(signed.status).toBe(plain.status);
    expect(signed.text).toBe("");

    const unsigned = await fetch(`${t.url}/v1/blocks/latest`, { method: "HEAD" });
    expect(unsigned.status).toBe(401);
  });

  it("a request-target the URL parser rejects is a 4xx, not a server error", async () => {
    for (const target of ["http://[::1/v1/health", "//v1/health", "*"]) {
      const status = await rawRequest(`GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      expect(status, target).toBeGreaterThanOrEqual(400);
      expect(status, target).toBeLessThan(500);
    }
  });
});

/** Sends raw bytes to the node and returns the status code of its answer. */
function rawRequest(bytes: string): Promise<number> {
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.end(bytes));
    let answer = "";
    socket.on("data", (d) => {
      answer += d.toString("latin1");
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
  });
}
