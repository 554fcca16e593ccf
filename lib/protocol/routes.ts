/**
 * The API's routes, as data: functions/api/api.ts serves them and the CDK stack
 * creates exactly these (with IAM authorisation) and grants `execute-api:Invoke` on them
 * by access — departments all, auditors the reads. Path parameters are `{name}`.
 */
export type RouteAccess = "write" | "read";

export const API_ROUTES = [
  { method: "POST", path: "/v1/entries", access: "write" },
  { method: "GET", path: "/v1/entries/{id}", access: "read" },
  { method: "GET", path: "/v1/entries/{id}/evidence", access: "read" },
  { method: "GET", path: "/v1/blocks/{height}", access: "read" },
  { method: "GET", path: "/v1/blocks/{height}/entries", access: "read" },
  { method: "GET", path: "/v1/checkpoint", access: "read" },
  { method: "GET", path: "/v1/health", access: "read" },
  { method: "POST", path: "/v1/match", access: "write" },
  { method: "GET", path: "/v1/access", access: "read" },
  // The same trail with the subject in the body: out of URLs and access logs. A read.
  { method: "POST", path: "/v1/access", access: "read" },
  { method: "GET", path: "/v1/accesses", access: "read" },
  { method: "GET", path: "/v1/contracts", access: "read" },
  { method: "GET", path: "/v1/contracts/{id}", access: "read" },
  { method: "GET", path: "/v1/keys/{member}", access: "read" },
  { method: "GET", path: "/v1/log/checkpoint", access: "read" },
  { method: "GET", path: "/v1/log/proof/inclusion", access: "read" },
  { method: "GET", path: "/v1/log/proof/consistency", access: "read" },
  // The rest of a c2sp.org/tlog-tiles path: /v1/log/ is then a tlog-tiles prefix.
  { method: "GET", path: "/v1/log/tile/{path+}", access: "read" },
] as const satisfies readonly { method: "GET" | "POST"; path: string; access: RouteAccess }[];

/** A block height the store can hold (an integer 1 ≤ h ≤ 2^53 − 1), or the latest block. */
export type Height = number | "latest";

type Route = (typeof API_ROUTES)[number];
/** "METHOD /path" of each route, e.g. "GET /v1/entries/{id}". */
export type RouteKey = Route extends infer R
  ? R extends Route
    ? `${R["method"]} ${R["path"]}`
    : never
  : never;

/**
 * A matcher for a route path: each `{name}` matches one non-empty path segment, and a
 * final `{name+}` (API Gateway's greedy path variable) the rest of the path, slashes
 * included.
 */
export function routePattern(path: string): RegExp {
  return new RegExp(`^${path.replace(/\{[^/}+]+\+\}$/, "(.+)").replace(/\{[^/}+]+\}/g, "([^/]+)")}$`);
}
