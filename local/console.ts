import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { deriveKeyId } from "#chain";
import { type Consortium, suiteOf } from "../lib/consortium/consortium.js";
import { keyFile } from "../lib/local-home.js";
import type { LocalResponse, LocalRoute } from "./server.js";

/**
 * The web console in local mode (docs/CONSOLE.md): the static bundle that
 * `npm run build:console` writes to dist/console, served at /console/, and
 * GET /local/identities, the demo members' keys it signs its requests with, as the CLI
 * signs with the same files. On AWS neither exists: the bundle is on CloudFront and each
 * user signs with their own member's KMS key (docs/CONSOLE.md "On AWS").
 */

export const CONSOLE_PATH = "/console/";
export const IDENTITIES_PATH = "/local/identities";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json; charset=utf-8",
  ".woff2": "font/woff2",
};

/** One demo member as the console signs: its PKCS#8 key, which only loopback pages read. */
export interface LocalIdentity {
  id: string;
  name: string;
  role: "department" | "auditor";
  alg: string;
  keyId: string;
  /** PKCS#8 DER, base64. */
  pkcs8: string;
}

/** What the console's sign-in reads from /local/identities: the consortium, and its members' keys. */
export interface LocalIdentities {
  consortium: string;
  log: string;
  /** The consortium file's SM2 identifier, when it sets one: what an SM2 key signs with. */
  sm2Id?: string;
  members: LocalIdentity[];
}

export function consoleRoutes(options: {
  /** The built console (dist/console); a missing bundle is answered with what to run. */
  dir: string;
  home: string;
  consortium: Consortium;
}): LocalRoute {
  const root = normalize(options.dir);
  return async ({ method, path, headers }) => {
    if (method !== "GET" && method !== "HEAD") return undefined;
    if (path === "/console") return redirect(CONSOLE_PATH);
    if (path.startsWith(CONSOLE_PATH)) return serveFile(root, path.slice(CONSOLE_PATH.length));
    if (path === IDENTITIES_PATH) {
      // The keys are the user's own files, but a page from anywhere can reach loopback.
      // Only a same-origin page of this server, under a loopback name, is answered: no
      // CORS header is ever sent, and a Host that is not loopback (DNS rebinding) is refused.
      if (!isLoopbackHost(headers.host) || (headers.origin && !isLoopbackHost(hostOf(headers.origin)))) {
        return {
          statusCode: 403,
          body: {
            error: { code: "FORBIDDEN", message: "local identities are served to loopback pages only" },
          },
        };
      }
      return { statusCode: 200, body: await localIdentities(options.home, options.consortium) };
    }
    return undefined;
  };
}

export async function localIdentities(home: string, consortium: Consortium): Promise<LocalIdentities> {
  const members = [
    ...consortium.departments.map((m) => ({ ...m, role: "department" as const })),
    ...consortium.auditors.map((m) => ({ ...m, role: "auditor" as const })),
  ];
  const identities: LocalIdentity[] = [];
  for (const m of members) {
    const key = createPrivateKey(await readFile(keyFile(home, m.id), "utf8"));
    const spki = new Uint8Array(createPublicKey(key).export({ format: "der", type: "spki" }));
    identities.push({
      id: m.id,
      name: m.name,
      role: m.role,
      alg: m.alg,
      keyId: deriveKeyId(suiteOf(consortium), m.id, spki),
      pkcs8: key.export({ format: "der", type: "pkcs8" }).toString("base64"),
    });
  }
  return {
    consortium: consortium.consortium,
    log: consortium.log,
    ...(consortium.sm2Id === undefined ? {} : { sm2Id: consortium.sm2Id }),
    members: identities,
  };
}

function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host);
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

function redirect(location: string): LocalResponse {
  return { statusCode: 308, bytes: new Uint8Array(), headers: { location } };
}

async function serveFile(root: string, relative: string): Promise<LocalResponse> {
  const name = relative === "" ? "index.html" : decodeURIComponentSafe(relative);
  const file = normalize(join(root, name ?? ""));
  if (name === undefined || !file.startsWith(root + sep)) return notFound();
  try {
    const bytes = new Uint8Array(await readFile(file));
    return {
      statusCode: 200,
      bytes,
      headers: {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        // Hashed asset names never change; index.html names the current ones.
        "cache-control": name.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache",
        "x-content-type-options": "nosniff",
        ...(file.endsWith(".html") ? { "content-security-policy": CONSOLE_CSP } : {}),
      },
    };
  } catch {
    if (relative === "")
      return {
        statusCode: 503,
        body: {
          error: {
            code: "CONSOLE_NOT_BUILT",
            message: "the console is not built: run `npm run build:console` (npm ci builds it)",
          },
        },
      };
    return notFound();
  }
}

/**
 * The console's page may load only its own files and call only its own origin: no inline
 * script, nothing from elsewhere, not framed. The same policy is CloudFront's response
 * header policy on AWS (cdk/lib/console.ts).
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function notFound(): LocalResponse {
  return { statusCode: 404, body: { error: { code: "NOT_FOUND", message: "no such console file" } } };
}

function decodeURIComponentSafe(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
