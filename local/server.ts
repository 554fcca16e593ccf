import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/**
 * Serves Lambda handlers over HTTP on loopback, the way API Gateway HTTP APIs invoke
 * them (payload format 2.0, $default stage): the handler code is exactly what runs in
 * Lambda. Bodies over `maxBodyBytes` are cut off with 413 before reaching a handler,
 * as API Gateway's own payload limit would.
 */

export type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
export type LocalRoute = (req: {
  method: string;
  path: string;
  body: string;
  /** Request headers, lowercase names. */
  headers: Record<string, string>;
}) => Promise<LocalResponse | undefined>;

/** A JSON answer, or (with `bytes`) a file served as is with its own headers. */
export type LocalResponse =
  | { statusCode: number; body: unknown }
  | { statusCode: number; bytes: Uint8Array; headers: Record<string, string> };

export interface LocalServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function serveHandler(options: {
  handler: ApiHandler;
  /** Extra local-only routes (tried first); return undefined to fall through. */
  local?: LocalRoute;
  port?: number;
  maxBodyBytes?: number;
}): Promise<LocalServer> {
  const maxBody = options.maxBodyBytes ?? 2 * 1024 * 1024;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      console.error(e);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "INTERNAL", message: "local server error" } }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, maxBody);
    if (body === undefined) {
      res.writeHead(413, { "content-type": "application/json", connection: "close" });
      res.end(
        JSON.stringify({ error: { code: "BODY_TOO_LARGE", message: `body exceeds ${maxBody} bytes` } }),
      );
      return;
    }
    const target = requestTarget(req.url ?? "/");
    const method = (req.method ?? "GET").toUpperCase();
    const local = await options.local?.({
      method,
      path: target.path,
      body: body.toString("utf8"),
      headers: lowercaseHeaders(req),
    });
    if (local && "bytes" in local) {
      res.writeHead(local.statusCode, local.headers);
      res.end(method === "HEAD" ? undefined : local.bytes);
      return;
    }
    if (local) {
      res.writeHead(local.statusCode, { "content-type": "application/json; charset=utf-8" });
      res.end(`${JSON.stringify(local.body, null, 2)}\n`);
      return;
    }
    const result = await options.handler(toEvent(req, method, target, body));
    res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
    res.end(result.isBase64Encoded ? Buffer.from(result.body ?? "", "base64") : (result.body ?? ""));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * The request-target's path and query exactly as sent (RFC 9112 §3.2), as API Gateway's
 * rawPath and rawQueryString are: no URL parser normalises, re-encodes or refuses them
 * here, so the handler alone decides (http-parse.ts). A target other than origin-form
 * ("*", "http://host/…") is passed on as a path no route has.
 */
function requestTarget(raw: string): { path: string; query: string } {
  const q = raw.indexOf("?");
  return q < 0 ? { path: raw, query: "" } : { path: raw.slice(0, q), query: raw.slice(q + 1) };
}

function lowercaseHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : v;
  }
  return headers;
}

function toEvent(
  req: IncomingMessage,
  method: string,
  target: { path: string; query: string },
  body: Buffer,
): APIGatewayProxyEventV2 {
  const headers = lowercaseHeaders(req);
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: target.path,
    rawQueryString: target.query,
    headers,
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: headers.host ?? "127.0.0.1",
      domainPrefix: "local",
      http: {
        method,
        path: target.path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: body.toString("base64"),
    isBase64Encoded: true,
  };
}
