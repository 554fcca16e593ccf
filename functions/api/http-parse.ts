import { KEY_OWNER, MAX_SUBJECT_BYTES, parseTilePath } from "#chain";
import { ApiError } from "../../lib/protocol/errors.js";
import { API_ROUTES, type Height, type RouteKey, routePattern } from "../../lib/protocol/routes.js";

/**
 * The one place a request's target becomes typed values (issue #10): its route, its path
 * parameters and its query, total over every string a client can send. A target either
 * parses or is refused with a 4xx ApiError, checked in this order:
 *
 *   ROUTE_NOT_FOUND     the path is no route's
 *   METHOD_NOT_ALLOWED  the path is a route's, the method is not; details.allowed lists
 *                       the methods, which the response's Allow header repeats (RFC 9110 §15.5.6)
 *   INVALID_PARAMETER   a path parameter or the query is malformed; details.parameter names it
 *
 * HEAD is allowed wherever GET is and is answered like it, without a body (RFC 9110 §9.3.2).
 * Of the headers, the API reads only the signature's (signature, signature-input,
 * content-digest, zhixin-department, zhixin-batch-root): verifyRequest parses them, total
 * in the same sense, with codes of its own (http-signature/verify.ts).
 *
 * Wire forms (RFC 3986 §2.1, §3.3, §3.4):
 *
 *   GET /v1/blocks/123 HTTP/1.1                   a "{name}" of routes.ts is one path segment
 *   GET /v1/access?subject=a+b%2Bc HTTP/1.1       the query as URLSearchParams writes it:
 *                                                 name=value pairs joined by "&", "+" a space
 *
 * Segments, names and values are percent-encoded UTF-8. A "%" not followed by two hex
 * digits, bytes that are not well-formed UTF-8 (overlong forms, surrogates, truncated
 * sequences) and lone UTF-16 surrogates in the raw string are malformed. In a query, an
 * empty pair ("a=1&&b=2"), a name the route does not take and a name given twice are too.
 */

/** Each route's typed parameters, path and query together. */
export interface RouteParams {
  "POST /v1/entries": NoParams;
  "GET /v1/entries/{id}": { id: string };
  "GET /v1/entries/{id}/evidence": { id: string };
  "GET /v1/blocks/{height}": { height: Height };
  "GET /v1/blocks/{height}/entries": { height: number; start: number };
  "GET /v1/checkpoint": NoParams;
  "GET /v1/health": NoParams;
  "POST /v1/match": NoParams;
  "GET /v1/access": { subject: string };
  "POST /v1/access": NoParams;
  "GET /v1/accesses": NoParams;
  "GET /v1/contracts": NoParams;
  "GET /v1/contracts/{id}": { id: string };
  "GET /v1/keys/{member}": { member: string };
  "GET /v1/log/checkpoint": NoParams;
  "GET /v1/log/proof/inclusion": { index: number; size: number };
  "GET /v1/log/proof/consistency": { from: number; to: number };
  "GET /v1/log/tile/{path+}": { path: string };
}
type NoParams = Record<string, never>;

export type RequestTarget<K extends RouteKey = RouteKey> = K extends RouteKey
  ? { route: K; params: RouteParams[K] }
  : never;

/** Entry ids: 32 lowercase hex digits (lib/chain envelope.ts). */
const ENTRY_ID = /^[0-9a-f]{32}$/;
/** Contract ids, as the contract schema has them (contracts.ts). */
const CONTRACT_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** A height's digits: no sign, no leading zero, at most 16 (2^53 − 1 has 16). */
const HEIGHT_DIGITS = /^[1-9][0-9]{0,15}$/;

type Parse<K extends RouteKey> = (segments: readonly string[], query: Query) => RouteParams[K];

const PARSERS: { [K in RouteKey]: Parse<K> } = {
  "POST /v1/entries": (_, query) => noQuery(query),
  "GET /v1/entries/{id}": ([id], query) => ({ ...noQuery(query), id: entryId(id) }),
  "GET /v1/entries/{id}/evidence": ([id], query) => ({ ...noQuery(query), id: entryId(id) }),
  "GET /v1/blocks/{height}": ([height], query) => ({ ...noQuery(query), height: blockHeight(height) }),
  "GET /v1/blocks/{height}/entries": ([height], query) => {
    const n = blockHeight(height);
    if (n === "latest")
      throw invalid("height", "the entries of a block are read by its number, not 'latest'");
    const { start } = onlyParams(query, ["start"]);
    return { height: n, start: start === undefined ? 0 : logPosition("start", start, 0) };
  },
  "GET /v1/checkpoint": (_, query) => noQuery(query),
  "GET /v1/health": (_, query) => noQuery(query),
  "POST /v1/match": (_, query) => noQuery(query),
  "GET /v1/access": (_, query) => ({ subject: subject(onlyParams(query, ["subject"]).subject) }),
  "POST /v1/access": (_, query) => noQuery(query),
  "GET /v1/accesses": (_, query) => noQuery(query),
  "GET /v1/contracts": (_, query) => noQuery(query),
  "GET /v1/contracts/{id}": ([id], query) => ({ ...noQuery(query), id: contractId(id) }),
  "GET /v1/keys/{member}": ([member], query) => ({ ...noQuery(query), member: memberId(member) }),
  "GET /v1/log/checkpoint": (_, query) => noQuery(query),
  "GET /v1/log/proof/inclusion": (_, query) => {
    const q = onlyParams(query, ["index", "size"]);
    return { index: logPosition("index", q.index, 0), size: logPosition("size", q.size, 1) };
  },
  "GET /v1/log/proof/consistency": (_, query) => {
    const q = onlyParams(query, ["from", "to"]);
    return { from: logPosition("from", q.from, 1), to: logPosition("to", q.to, 1) };
  },
  "GET /v1/log/tile/{path+}": ([rest], query) => ({ ...noQuery(query), path: tileObjectPath(rest) }),
};

const ROUTES = API_ROUTES.map((r) => ({
  method: r.method as string,
  key: `${r.method} ${r.path}` as RouteKey,
  pattern: routePattern(r.path),
}));

/**
 * The route, path parameters and query of `method path?query`. Requires `method`
 * uppercase; `path` and `query` raw, as received (API Gateway's rawPath, rawQueryString).
 */
export function parseTarget(method: string, path: string, query: string): RequestTarget {
  const matching = ROUTES.flatMap((r) => {
    const m = r.pattern.exec(path);
    return m ? [{ route: r, segments: m.slice(1) }] : [];
  });
  if (matching.length === 0) throw new ApiError("ROUTE_NOT_FOUND", `no route ${printable(path)}`);
  const asMethod = method === "HEAD" ? "GET" : method;
  const hit = matching.find((x) => x.route.method === asMethod);
  if (!hit) {
    const allowed = matching.flatMap((x) => (x.route.method === "GET" ? ["GET", "HEAD"] : [x.route.method]));
    throw new ApiError("METHOD_NOT_ALLOWED", `${printable(method)} is not allowed on ${printable(path)}`, {
      allowed,
    });
  }
  return parseRoute(hit.route.key, hit.segments, parseQuery(query));
}

function parseRoute<K extends RouteKey>(key: K, segments: readonly string[], query: Query): RequestTarget {
  const params = PARSERS[key](segments, query);
  return { route: key, params } as RequestTarget;
}

function entryId(raw: string | undefined): string {
  const id = decodeParameter("id", raw, false);
  if (!ENTRY_ID.test(id)) throw invalid("id", "entry ids are 32 lowercase hex digits");
  return id;
}

function contractId(raw: string | undefined): string {
  const id = decodeParameter("id", raw, false);
  if (!CONTRACT_ID.test(id)) {
    throw invalid("id", "contract ids are 2 to 63 lowercase letters, digits and '-'");
  }
  return id;
}

function memberId(raw: string | undefined): string {
  const id = decodeParameter("member", raw, false);
  if (!KEY_OWNER.test(id))
    throw invalid("member", "member ids are 2 to 63 lowercase letters, digits and '-'");
  return id;
}

function blockHeight(raw: string | undefined): Height {
  const height = decodeParameter("height", raw, false);
  if (height === "latest") return height;
  // Number() is exact below 2^53, and anything of 16 digits past 2^53 − 1 is not a safe integer.
  const n = HEIGHT_DIGITS.test(height) ? Number(height) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw invalid("height", "height must be an integer from 1 to 2^53 − 1, or 'latest'");
  }
  return n;
}

/**
 * The tile or entry bundle named by the rest of /v1/log/tile/, as the object path
 * "tile/…" of the tile store. Taken raw, not percent-decoded: a tile path has one
 * spelling (lib/chain tile-path.ts), and every character of it is unreserved, so an
 * escaped form is a second spelling and refused like any other.
 */
function tileObjectPath(raw: string | undefined): string {
  const path = `tile/${raw ?? ""}`;
  try {
    parseTilePath(path);
  } catch {
    throw invalid("path", "not a tlog-tiles path: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]");
  }
  return path;
}

/** A log index or size from the query: decimal digits, no leading zero, `min` to 2^53 − 1. */
function logPosition(name: string, value: string | undefined, min: number): number {
  const n = value !== undefined && /^(0|[1-9][0-9]{0,15})$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw invalid(name, `?${name}= must be an integer from ${min} to 2^53 − 1`);
  }
  return n;
}

function subject(value: string | undefined): string {
  const bytes = value === undefined ? 0 : Buffer.byteLength(value, "utf8");
  if (value === undefined || bytes === 0 || bytes > MAX_SUBJECT_BYTES) {
    throw invalid("subject", `the query is exactly ?subject=<1 to ${MAX_SUBJECT_BYTES} UTF-8 bytes>`);
  }
  return value;
}

/** A query's decoded pairs in order, names repeated as often as given. */
type Query = ReadonlyArray<readonly [name: string, value: string]>;

// query = pair *("&" pair); pair = name ["=" value]; "" is no pairs.
function parseQuery(raw: string): Query {
  if (raw === "") return [];
  return raw.split("&").map((pair) => {
    if (pair === "") throw invalid("query", "the query has an empty parameter");
    const eq = pair.indexOf("=");
    const name = decodeParameter("query", eq < 0 ? pair : pair.slice(0, eq), true);
    const value = eq < 0 ? "" : decodeParameter(name, pair.slice(eq + 1), true);
    return [name, value] as const;
  });
}

function noQuery(query: Query): NoParams {
  onlyParams(query, []);
  return {};
}

/** The query as name → value, refusing names not in `names` and names given twice. */
function onlyParams<N extends string>(query: Query, names: readonly N[]): Partial<Record<N, string>> {
  const out: Partial<Record<N, string>> = {};
  for (const [name, value] of query) {
    if (!(names as readonly string[]).includes(name)) {
      throw invalid(name, `query parameter ${JSON.stringify(name)} is not taken here`);
    }
    if (out[name as N] !== undefined) throw invalid(name, `query parameter ${name} is given twice`);
    out[name as N] = value;
  }
  return out;
}

/** RFC 3986 §2.1 percent-decoding of UTF-8; with `plusIsSpace`, form decoding. */
function decodeParameter(parameter: string, raw: string | undefined, plusIsSpace: boolean): string {
  if (raw === undefined || !raw.isWellFormed()) throw notUtf8(parameter);
  try {
    // decodeURIComponent refuses bad "%" escapes and ill-formed UTF-8 with a URIError.
    return decodeURIComponent(plusIsSpace ? raw.replaceAll("+", " ") : raw);
  } catch {
    throw notUtf8(parameter);
  }
}

function notUtf8(parameter: string): ApiError {
  return invalid(parameter, `${printable(parameter)} is not percent-encoded UTF-8`);
}

function invalid(parameter: string, message: string): ApiError {
  return new ApiError("INVALID_PARAMETER", message, { parameter: printable(parameter) });
}

/** A client's string, safe to echo in a message: JSON-escaped, at most 100 characters. */
function printable(s: string): string {
  const escaped = JSON.stringify(s.isWellFormed() ? s : s.toWellFormed());
  return escaped.length > 102 ? `${escaped.slice(0, 100)}…"` : escaped;
}
