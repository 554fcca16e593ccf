import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zhixinAt } from "../../support/cli.js";
import { startTestNode, type TestNode } from "../../support/local-node.js";
import { type TrailAccess, trailOf, unchangedBy } from "../../support/sharing.js";
import {
  BLACKLIST,
  BLACKLIST_V2,
  LICENCE,
  LISTED_CITIZEN,
  OTHER_CITIZEN,
  seedSharing,
} from "../../support/sharing-seed.js";

// The routes the console's Sharing and Citizen views read (issue 16), over HTTP with real
// signatures: GET /v1/contracts (the contracts the caller is a party to; all for an
// auditor), GET /v1/accesses (the accesses naming the caller, without a subject; all for
// an auditor) and POST /v1/access (a subject's trail, the subject in the body). Every
// refusal leaves the table exactly as it was. The CLI reads them too, and sends the
// subject in no URL.

const LISTED = LISTED_CITIZEN;
const CLEAN = OTHER_CITIZEN;

let t: TestNode;
/** Access entry ids, in the order the requests were made: LISTED answered, CLEAN answered, CLEAN refused. */
const accesses: string[] = [];
beforeAll(async () => {
  t = await startTestNode();
  const seeded = await seedSharing(t);
  accesses.push(seeded.listedYes, seeded.otherNo, seeded.otherRefused);
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

async function get(path: string, as: string) {
  const res = await t.send({ method: "GET", path, as });
  expect(res.status, res.text).toBe(200);
  return res.body;
}

function postTrail(as: string, body: unknown) {
  return t.send({ method: "POST", path: "/v1/access", as, body: JSON.stringify(body) });
}

describe("GET /v1/contracts", () => {
  it.each([
    ["hf-sanya", [BLACKLIST.id]],
    ["hf-haikou", [BLACKLIST.id]],
    ["market-regulation", [LICENCE.id]],
    ["service-centre", [LICENCE.id]],
    ["civil-affairs", []],
    ["auditor", [BLACKLIST.id, LICENCE.id]],
  ])("as %s: the contracts it is a party to (an auditor: all), by id", async (as, ids) => {
    const list = await get("/v1/contracts", as);
    expect(list.truncated).toBe(false);
    expect(list.contracts.map((c: { id: string }) => c.id)).toEqual(ids);
  });

  it("shows each contract exactly as GET /v1/contracts/{id}: every version's history, and what is in effect", async () => {
    const list = await get("/v1/contracts", "auditor");
    for (const id of [BLACKLIST.id, LICENCE.id]) {
      expect(list.contracts.find((c: { id: string }) => c.id === id)).toEqual(
        await get(`/v1/contracts/${id}`, "auditor"),
      );
    }
    const [blacklist, licence] = list.contracts;
    expect(blacklist.versions).toMatchObject([
      { status: "approved", proposedBy: "hf-sanya", approvedBy: "hf-haikou", doc: BLACKLIST },
      { status: "proposed", proposedBy: "hf-haikou", doc: BLACKLIST_V2 },
    ]);
    expect(blacklist.effective.version).toBe(blacklist.versions[0].version);
    expect(licence.versions).toMatchObject([{ status: "revoked", approvedBy: "service-centre" }]);
    expect(licence).toMatchObject({ effective: { version: null }, revokedAt: expect.any(String) });
  });
});

describe("GET /v1/accesses", () => {
  it.each([
    ["hf-sanya", "the consumer"],
    ["hf-haikou", "the provider"],
    ["auditor", "an auditor"],
  ])(
    "as %s (%s): every access, oldest first, answered and refused, each once with its sealed entry",
    async (as) => {
      const list = await get("/v1/accesses", as);
      expect(list.truncated).toBe(false);
      const shown = list.accesses as TrailAccess[];
      expect(shown.map((a) => a.entry.id)).toEqual(accesses);
      expect(shown.map((a) => [a.consumer, a.access.contract, a.access.result, a.access.refusal])).toEqual([
        ["hf-sanya", BLACKLIST.id, "match", undefined],
        ["hf-sanya", BLACKLIST.id, "no-match", undefined],
        ["hf-sanya", BLACKLIST.id, "refused", "FIELD_NOT_ALLOWED"],
      ]);
      for (const a of shown) {
        expect(a.entry.status).toBe("sealed");
        expect(a.entry.sealed?.proof).toEqual(expect.any(Array));
        expect(a.entry).not.toHaveProperty("payload");
      }
      expect(JSON.stringify(list)).not.toContain(LISTED);
      expect(JSON.stringify(list)).not.toContain(CLEAN);
    },
  );

  it("as a department neither consumer nor provider of any access: none", async () => {
    expect(await get("/v1/accesses", "market-regulation")).toEqual({ accesses: [], truncated: false });
  });

  it("lists what the subjects' trails show, no more", async () => {
    const list = (await get("/v1/accesses", "hf-sanya")).accesses as TrailAccess[];
    const trails = [...(await trailOf(t, "hf-sanya", LISTED)), ...(await trailOf(t, "hf-sanya", CLEAN))];
    expect(list).toEqual(trails);
  });
});

describe("POST /v1/access", () => {
  it.each([
    ["hf-sanya", LISTED, 1],
    ["hf-haikou", CLEAN, 2],
    ["auditor", CLEAN, 2],
    ["civil-affairs", CLEAN, 0],
  ])("as %s: the same answer as GET /v1/access?subject=", async (as, subject, n) => {
    const posted = await postTrail(as, { subject });
    expect(posted.status, posted.text).toBe(200);
    const got = await t.send({
      method: "GET",
      path: "/v1/access",
      query: `subject=${encodeURIComponent(subject)}`,
      as,
    });
    expect(posted.body).toEqual(got.body);
    expect(posted.body.accesses).toHaveLength(n);
  });

  it("shows a subject only its own accesses: the other citizen's are not in it", async () => {
    const listed = await postTrail("auditor", { subject: LISTED });
    expect(listed.body.accesses.map((a: TrailAccess) => a.entry.id)).toEqual([accesses[0]]);
    const clean = await postTrail("auditor", { subject: CLEAN });
    expect(clean.body.accesses.map((a: TrailAccess) => a.entry.id)).toEqual([accesses[1], accesses[2]]);
  });
});

describe("refusals of the new routes store nothing", () => {
  const long = "x".repeat(257);
  it.each([
    ["no subject", "{}", 400, "SCHEMA_VIOLATION"],
    ["another member", JSON.stringify({ subject: LISTED, contract: "x" }), 400, "SCHEMA_VIOLATION"],
    ["an empty subject", JSON.stringify({ subject: "" }), 400, "SCHEMA_VIOLATION"],
    ["a subject of 257 bytes", JSON.stringify({ subject: long }), 400, "SCHEMA_VIOLATION"],
    ["a number as subject", JSON.stringify({ subject: 460100 }), 400, "SCHEMA_VIOLATION"],
    ["not JSON", "subject=1", 400, "INVALID_JSON"],
    ["a member named twice", `{"subject":"${LISTED}","subject":"${CLEAN}"}`, 400, "DUPLICATE_KEY"],
    ["over 1 KiB", JSON.stringify({ subject: LISTED, pad: "x".repeat(1100) }), 413, "BODY_TOO_LARGE"],
  ])("POST /v1/access with %s: %i %s", async (_what, body, status, code) => {
    const res = await unchangedBy(t, () =>
      t.send({ method: "POST", path: "/v1/access", as: "auditor", body }),
    );
    expect(res.status, res.text).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.text).not.toContain(LISTED);
  });

  it.each([
    [
      "POST /v1/access with a query",
      { method: "POST", path: "/v1/access", query: "subject=1" },
      400,
      "INVALID_PARAMETER",
    ],
    [
      "GET /v1/contracts with a query",
      { method: "GET", path: "/v1/contracts", query: "all=1" },
      400,
      "INVALID_PARAMETER",
    ],
    [
      "GET /v1/accesses with a subject",
      { method: "GET", path: "/v1/accesses", query: `subject=${LISTED}` },
      400,
      "INVALID_PARAMETER",
    ],
    ["DELETE /v1/accesses", { method: "DELETE", path: "/v1/accesses" }, 405, "METHOD_NOT_ALLOWED"],
    ["PUT /v1/contracts", { method: "PUT", path: "/v1/contracts" }, 405, "METHOD_NOT_ALLOWED"],
  ])("%s: %i %s", async (_what, request, status, code) => {
    const body = request.method === "POST" ? JSON.stringify({ subject: LISTED }) : undefined;
    const res = await unchangedBy(t, () => t.send({ ...request, as: "hf-sanya", ...(body ? { body } : {}) }));
    expect(res.status, res.text).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it.each([
    ["POST", "/v1/access"],
    ["GET", "/v1/accesses"],
    ["GET", "/v1/contracts"],
  ])("%s %s unsigned: 401 SIGNATURE_MISSING", async (method, path) => {
    const body = method === "POST" ? JSON.stringify({ subject: LISTED }) : undefined;
    const res = await unchangedBy(t, () =>
      t.send({ method, path, as: "auditor", unsigned: true, ...(body ? { body } : {}) }),
    );
    expect(res.status, res.text).toBe(401);
    expect(res.body.error.code).toBe("SIGNATURE_MISSING");
  });

  it("POST /v1/access whose body is not the one signed: 400 DIGEST_MISMATCH", async () => {
    const res = await unchangedBy(t, () =>
      t.send({
        method: "POST",
        path: "/v1/access",
        as: "hf-sanya",
        body: JSON.stringify({ subject: LISTED }),
        sendBody: JSON.stringify({ subject: CLEAN }),
      }),
    );
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe("DIGEST_MISMATCH");
  });
});

describe("the CLI", () => {
  /** A pass-through proxy to the node that records each request's method and target. */
  let proxy: Server;
  let proxyUrl: string;
  const seen: string[] = [];
  beforeAll(async () => {
    const target = new URL(t.url);
    proxy = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const out = httpRequest(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(out);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
  });
  const zhixin = (args: string[]) => zhixinAt(proxyUrl, t.node.home)(args);

  it("zhixin access --subject sends POST /v1/access: the subject is in no URL", async () => {
    seen.length = 0;
    const run = await zhixin(["access", "--as", "hf-sanya", "--subject", CLEAN]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual((await postTrail("hf-sanya", { subject: CLEAN })).body);
    expect(seen).toContain("POST /v1/access");
    expect(seen.join("\n")).not.toContain(CLEAN);
  });

  it("zhixin access --list prints GET /v1/accesses; zhixin contract list prints GET /v1/contracts", async () => {
    const accessList = await zhixin(["access", "--list", "--as", "hf-haikou"]);
    expect(accessList.code, accessList.stderr).toBe(0);
    expect(JSON.parse(accessList.stdout)).toEqual(await get("/v1/accesses", "hf-haikou"));
    const contracts = await zhixin(["contract", "list", "--as", "market-regulation"]);
    expect(contracts.code, contracts.stderr).toBe(0);
    expect(JSON.parse(contracts.stdout)).toEqual(await get("/v1/contracts", "market-regulation"));
  });

  it.each([[["access"]], [["access", "--list", "--subject", LISTED]]])(
    "zhixin %j: exit 2, saying to give --subject or --list, and sends nothing",
    async (args) => {
      seen.length = 0;
      const run = await zhixin(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("--subject <subject>");
      expect(run.stderr).toContain("--list");
      expect(seen).toEqual([]);
    },
  );
});
