import { createPrivateKey, createPublicKey, type KeyObject, sign as nodeSign } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyFile } from "../../lib/local-home.js";
import { CONSOLE_CSP } from "../../local/console.js";
import { CONSOLE_DIR, launchChromium, pageErrors, SCREENSHOTS } from "../support/browser.js";
import { startTestNode, type TestNode } from "../support/local-node.js";
import { type ExpectedSigner, sigv4Problem } from "../support/sigv4-check.js";

// Signing in to the console on AWS (console/src/aws/), in Chromium, with AWS faked at the
// HTTP boundary only. One test server plays CloudFront: it serves the built console with a
// config.json in aws mode and the stack's CSP, and forwards /v1/* to a local node after
// checking the request's SigV4 for execute-api on the API's host (as IAM would, with
// @smithy/signature-v4 in Node). A second one, on another origin, plays KMS: it checks each
// request's SigV4 for kms and answers GetPublicKey and Sign with the node's own key file for
// the member, signing exactly as KMS does (Ed25519 raw, ECDSA DER), so the ledger accepts
// the RFC 9421 signatures the page makes through it.

const REGION = "cn-north-1";
const API_HOST = "abc123defg.execute-api.cn-north-1.amazonaws.com.cn";
const CREDENTIALS = {
  accessKeyId: "ASIACONSOLETEST00001",
  secretAccessKey: "dGVzdC1zZWNyZXQtb2YtdGhlLWNvbnNvbGUtc2lnbi1pbg",
  sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE//token+for/the=console",
};
/** Credentials KMS knows but whose role its key policy does not let use the key. */
const DENIED = { ...CREDENTIALS, accessKeyId: "ASIANOTTHEMEMBERROLE" };
const MEMBERS = ["hf-haikou", "market-regulation"] as const;

let node: TestNode;
let browser: Browser;
let page: Server;
let kms: Server;
let pageUrl: string;
let kmsUrl: string;
const keys = new Map<string, KeyObject>();
/** What each fake saw: KMS actions, API paths, and every SigV4 refusal (none expected). */
const seen = { kms: [] as string[], api: [] as string[], refused: [] as string[] };

/** What `aws configure export-credentials --format process` prints for `c`. */
function exported(c: typeof CREDENTIALS, expiresInMs: number): string {
  return JSON.stringify({
    Version: 1,
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    SessionToken: c.sessionToken,
    Expiration: new Date(Date.now() + expiresInMs).toISOString(),
  });
}

async function body(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

function received(req: IncomingMessage, host: string, bytes: Uint8Array) {
  const url = new URL(req.url ?? "/", "http://x");
  return {
    method: req.method ?? "GET",
    host,
    path: url.pathname,
    query: url.search.slice(1),
    headers: req.headers,
    body: bytes,
  };
}

function signerFor(service: string, c: typeof CREDENTIALS): ExpectedSigner {
  return { service, region: REGION, ...c };
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
};

/** CloudFront: the bundle, the stack's config.json and CSP, and /v1/* to the API with SigV4 checked. */
async function servePage(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  if (path.startsWith("/v1/")) {
    const bytes = await body(req);
    // CloudFront sets Host to the API's: the signature must hold for that host.
    const problem = await sigv4Problem(received(req, API_HOST, bytes), signerFor("execute-api", CREDENTIALS));
    if (problem) {
      seen.refused.push(`${path}: ${problem}`);
      res
        .writeHead(403, { "content-type": "application/json" })
        .end(JSON.stringify({ message: "Forbidden" }));
      return;
    }
    seen.api.push(`${req.method} ${path}`);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (k !== "host" && typeof v === "string") headers[k] = v;
    const answer = await fetch(`${node.url}${req.url}`, {
      method: req.method ?? "GET",
      headers,
      ...(bytes.length ? { body: bytes } : {}),
    });
    res.writeHead(answer.status, {
      "content-type": answer.headers.get("content-type") ?? "application/json",
    });
    res.end(Buffer.from(await answer.arrayBuffer()));
    return;
  }
  if (path === "/config.json") {
    const config = {
      mode: "aws",
      region: REGION,
      apiHost: API_HOST,
      kmsEndpoint: kmsUrl,
      consortium: "demo",
      log: "zhixin.example/demo",
      members: [
        {
          id: "hf-haikou",
          name: "Haikou Housing Provident Fund Centre (海口住房公积金管理局)",
          role: "department",
          alg: "ed25519",
          kmsKey: "alias/zhixin/demo/hf-haikou",
          ownAccount: false,
        },
        {
          id: "market-regulation",
          name: "Market Regulation Bureau (市场监督管理局)",
          role: "department",
          alg: "ecdsa-p256-sha256",
          kmsKey: "alias/zhixin/demo/market-regulation",
          ownAccount: false,
        },
      ],
    };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(config));
    return;
  }
  const file = normalize(join(CONSOLE_DIR, path === "/" ? "index.html" : decodeURIComponent(path)));
  if (!file.startsWith(CONSOLE_DIR + sep)) return void res.writeHead(404).end();
  try {
    const bytes = await readFile(file);
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      // The stack's CSP (cdk/lib/console.ts): the local node's, with connect-src widened to KMS.
      ...(file.endsWith(".html")
        ? {
            "content-security-policy": CONSOLE_CSP.replace(
              "connect-src 'self'",
              `connect-src 'self' ${kmsUrl}`,
            ),
          }
        : {}),
    });
    res.end(bytes);
  } catch {
    res.writeHead(404).end();
  }
}

/** KMS: CORS for the page's origin, SigV4 for kms checked, GetPublicKey and Sign from the member's key file. */
async function serveKms(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const cors = {
    "access-control-allow-origin": req.headers.origin ?? "*",
    "access-control-allow-headers":
      "authorization,content-type,x-amz-content-sha256,x-amz-date,x-amz-security-token,x-amz-target",
    "access-control-allow-methods": "POST",
  };
  if (req.method === "OPTIONS") return void res.writeHead(200, cors).end();
  const bytes = await body(req);
  const answer = (status: number, json: unknown): void => {
    res
      .writeHead(status, { ...cors, "content-type": "application/x-amz-json-1.1" })
      .end(JSON.stringify(json));
  };
  const target = String(req.headers["x-amz-target"]);
  const input = JSON.parse(Buffer.from(bytes).toString("utf8")) as {
    KeyId: string;
    Message?: string;
    MessageType?: string;
    SigningAlgorithm?: string;
  };
  const who = String(req.headers.authorization).includes(DENIED.accessKeyId) ? DENIED : CREDENTIALS;
  const problem = await sigv4Problem(received(req, new URL(kmsUrl).host, bytes), signerFor("kms", who));
  if (problem) {
    seen.refused.push(`KMS ${target}: ${problem}`);
    return answer(400, { __type: "InvalidSignatureException", message: problem });
  }
  seen.kms.push(
    `${target} ${input.KeyId}${input.SigningAlgorithm ? ` ${input.SigningAlgorithm} ${input.MessageType}` : ""}`,
  );
  const member = /^alias\/zhixin\/demo\/(.+)$/.exec(input.KeyId)?.[1] ?? "";
  const key = keys.get(member);
  if (!key)
    return answer(400, { __type: "NotFoundException", message: `Alias ${input.KeyId} is not found.` });
  if (who === DENIED) {
    return answer(400, {
      __type: "AccessDeniedException",
      message: `User: arn:aws-cn:sts::111111111111:assumed-role/other/x is not authorized to perform: kms:${target.split(".")[1]}`,
    });
  }
  const ed = key.asymmetricKeyType === "ed25519";
  if (target === "TrentService.GetPublicKey") {
    return answer(200, {
      KeyId: `arn:aws-cn:kms:${REGION}:999999999999:key/${member}`,
      KeySpec: ed ? "ECC_NIST_EDWARDS25519" : "ECC_NIST_P256",
      KeyUsage: "SIGN_VERIFY",
      SigningAlgorithms: [ed ? "ED25519_SHA_512" : "ECDSA_SHA_256"],
      PublicKey: createPublicKey(key).export({ format: "der", type: "spki" }).toString("base64"),
    });
  }
  if (target === "TrentService.Sign") {
    const message = Buffer.from(input.Message ?? "", "base64");
    // As KMS signs RAW messages: Ed25519 over the message; ECDSA over its SHA-256, DER-encoded.
    const signature = ed ? nodeSign(null, message, key) : nodeSign("sha256", message, key);
    return answer(200, {
      KeyId: input.KeyId,
      Signature: signature.toString("base64"),
      SigningAlgorithm: input.SigningAlgorithm,
    });
  }
  return answer(400, { __type: "UnknownOperationException" });
}

async function listen(server: Server, host: string): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  node = await startTestNode({ introduceKeys: true });
  // A published checkpoint, so the overview has one to show (and asks for nothing that is not there).
  expect(await node.seal()).toMatchObject({ sealed: true });
  for (const m of MEMBERS) keys.set(m, createPrivateKey(await readFile(keyFile(node.node.home, m), "utf8")));
  page = createServer((req, res) => void servePage(req, res).catch((e) => res.writeHead(500).end(String(e))));
  kms = createServer((req, res) => void serveKms(req, res).catch((e) => res.writeHead(500).end(String(e))));
  pageUrl = await listen(page, "127.0.0.1");
  // Another origin than the page's, as KMS's is: the page reaches it by CORS, under its CSP.
  kmsUrl = await listen(kms, "localhost");
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => page?.close(r));
  await new Promise((r) => kms?.close(r));
  await node?.stop();
});

async function open(lang: "en" | "zh" = "en"): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: lang });
  await context.addInitScript((l) => {
    (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem(
      "zhixin.lang",
      l,
    );
  }, lang);
  const p = await context.newPage();
  const errors: string[] = [];
  p.on("pageerror", (e) => errors.push(e.message));
  p.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  (p as Page & { consoleErrors?: string[] }).consoleErrors = errors;
  await p.goto(`${pageUrl}/#/overview`);
  await p.locator("[data-testid=signin-submit]").waitFor();
  return p;
}

async function signIn(p: Page, member: string, credentials: string): Promise<void> {
  await p.locator("[data-testid=signin-member]").selectOption(member);
  await p.locator("[data-testid=signin-credentials]").fill(credentials);
  await p.locator("[data-testid=signin-submit]").click();
}

const storedSession = (p: Page) => p.evaluate("sessionStorage.getItem('zhixin.aws.session')");

describe("signing in to the console on AWS", () => {
  it("signs in with a member's role credentials, and the ledger accepts what its KMS key signed", async () => {
    const p = await open();
    await p.locator("[data-testid=signin-member]").selectOption("hf-haikou");
    await p.locator("[data-testid=signin-credentials]").fill(exported(CREDENTIALS, 3600_000));
    await p.screenshot({ path: join(SCREENSHOTS, "aws-sign-in.png"), fullPage: true });
    seen.kms.length = 0;
    await p.locator("[data-testid=signin-submit]").click();

    await expect
      .poll(() => p.locator("[data-testid=height]").textContent(), { timeout: 20_000 })
      .toMatch(/^\d+$/);
    expect(await p.locator("[data-testid=signed-in]").textContent()).toContain("Signed in as hf-haikou");
    expect(await p.locator("[data-testid=signed-in-expiry]").textContent()).toMatch(
      /credentials expire at .* \((59|60) min left\)/,
    );
    // The key first, then one RAW Ed25519 signature per API request.
    expect(seen.kms[0]).toBe("TrentService.GetPublicKey alias/zhixin/demo/hf-haikou");
    expect(
      seen.kms
        .slice(1)
        .every((k) => k === "TrentService.Sign alias/zhixin/demo/hf-haikou ED25519_SHA_512 RAW"),
    ).toBe(true);
    expect(seen.kms.length - 1).toBe(seen.api.length);
    expect(seen.api).toContain("GET /v1/keys/hf-haikou");
    expect(seen.api).toContain("GET /v1/health");
    expect(seen.refused).toEqual([]);
    // Kept for the tab only: a reload stays signed in; nothing in localStorage.
    expect(JSON.parse(String(await storedSession(p))).member).toBe("hf-haikou");
    expect(await p.evaluate("JSON.stringify(Object.keys(localStorage))")).not.toContain("aws");
    await p.reload();
    await expect
      .poll(() => p.locator("[data-testid=height]").textContent(), { timeout: 20_000 })
      .toMatch(/^\d+$/);
    await p.screenshot({ path: join(SCREENSHOTS, "aws-signed-in.png"), fullPage: true });
    // No demo citizen sign-in on AWS: the citizen's trail is the government portal's.
    await p.goto(`${p.url().split("#")[0]}#/citizen`);
    await p.locator("[data-testid=citizen-portal]").waitFor();
    expect(await p.locator("[data-testid=citizen-id]").count()).toBe(0);
    expect(pageErrors(p)).toEqual([]);

    await p.locator("[data-testid=signout]").click();
    await p.locator("[data-testid=signin-submit]").waitFor();
    expect(await storedSession(p)).toBeNull();
    await p.context().close();
  });

  it("signs ECDSA P-256 through KMS's DER, turned into the r||s the ledger checks", async () => {
    const p = await open("zh");
    seen.kms.length = 0;
    await signIn(p, "market-regulation", exported(CREDENTIALS, 900_000));
    await expect
      .poll(() => p.locator("[data-testid=height]").textContent(), { timeout: 20_000 })
      .toMatch(/^\d+$/);
    expect(await p.locator("[data-testid=signed-in]").textContent()).toContain("已登录为 market-regulation");
    expect(seen.kms).toContain("TrentService.Sign alias/zhixin/demo/market-regulation ECDSA_SHA_256 RAW");
    expect(seen.refused).toEqual([]);
    expect(pageErrors(p)).toEqual([]);
    await p.context().close();
  });

  it("says what to do when the credentials have expired, are not JSON, or are not the member's role", async () => {
    const p = await open();
    const alert = p.locator("[data-testid=signin-error]");
    seen.kms.length = 0;
    await signIn(p, "hf-haikou", exported(CREDENTIALS, -60_000));
    await expect
      .poll(() => alert.textContent())
      .toMatch(/These credentials have expired .*: run aws configure export-credentials again/);
    expect(seen.kms).toEqual([]);

    await signIn(p, "hf-haikou", "AWS_ACCESS_KEY_ID=ASIA…");
    await expect
      .poll(() => alert.textContent())
      .toMatch(/not the JSON of aws configure export-credentials --format process/);

    await signIn(p, "hf-haikou", exported(DENIED, 3600_000));
    await expect
      .poll(() => alert.textContent())
      .toMatch(
        /KMS refused these credentials the key alias\/zhixin\/demo\/hf-haikou: they are not your member's role/,
      );
    expect(await alert.getAttribute("role")).toBe("alert");
    expect(await storedSession(p)).toBeNull();
    expect(await p.locator("[data-testid=height]").count()).toBe(0);
    // The refusals were KMS's answers, not SigV4 failures of the page.
    expect(seen.refused).toEqual([]);
    await p.screenshot({ path: join(SCREENSHOTS, "aws-sign-in-refused.png"), fullPage: true });
    // Chromium logs each refused fetch (400); nothing else.
    expect(pageErrors(p).filter((e) => !/status of 400/.test(e))).toEqual([]);
    await p.context().close();
  });
});
