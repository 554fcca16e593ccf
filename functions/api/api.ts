import type { Clock } from "../../lib/clock.js";
import { type Consortium, keyGovernanceOf, suiteOf } from "../../lib/consortium/consortium.js";
import type { KeyDirectory } from "../../lib/crypto/key-directory.js";
import { verifyRequest } from "../../lib/http-signature/index.js";
import { ApiError } from "../../lib/protocol/errors.js";
import { MAX_BODY_BYTES } from "../../lib/protocol/limits.js";
import type { RouteKey } from "../../lib/protocol/routes.js";
import { MAX_ACCESS_BODY_BYTES, MAX_MATCH_BODY_BYTES } from "../../lib/protocol/sharing.js";
import { loadRequestKeys } from "../auth/request-keys.js";
import { type BlockEntriesStore, readBlockEntries } from "../ledger/block-entries.js";
import { type EvidenceStore, readEvidence } from "../ledger/evidence.js";
import { readKeyHistory } from "../ledger/key-history.js";
import {
  type BlockReadStore,
  type EntryStore,
  publishedState,
  readBlock,
  readCheckpoint,
  readConsistencyProof,
  readEntry,
  readInclusionProof,
  readPublishedCheckpoint,
  readTile,
} from "../ledger/reader.js";
import { type IntakeStore, submitEntries } from "../ledger/submit.js";
import type { ContractStore } from "../rules/contracts.js";
import { type AccessListStore, listAccesses } from "../sharing/access-list.js";
import { readAccessTrail, readAccessTrailOf, type TrailStore } from "../sharing/access-trail.js";
import { listContracts } from "../sharing/contract-list.js";
import { readContract } from "../sharing/contract-view.js";
import { type MatchStore, matchRecord } from "../sharing/match.js";
import type { TileStore } from "../store/tile-store.js";
import { binary, errorResponse, type HttpRequest, type HttpResponse, json, text } from "./http.js";
import { parseTarget, type RouteParams } from "./http-parse.js";

/**
 * The HTTP API (docs/API.md): routes → one service call each, on parameters parsed by
 * http-parse.ts. Every route but /v1/health needs an RFC 9421 signature by a consortium key.
 */
/**
 * What the routes' services ask of the store, together: intake, the entry, block and
 * checkpoint reads (the health route's latest block among them), evidence bundles, match,
 * the access trail and lists, and the contract view and list. Sealing's writes and its pending
 * list are not among them.
 */
export type ApiStore = IntakeStore &
  EntryStore &
  EvidenceStore &
  BlockReadStore &
  BlockEntriesStore &
  MatchStore &
  TrailStore &
  AccessListStore &
  ContractStore;

export interface ApiDeps {
  store: ApiStore;
  keys: KeyDirectory;
  consortium: Consortium;
  clock: Clock;
  /** The deployment's subject key (lib/chain subject.ts). */
  subjectKey: Uint8Array;
  /** Where the log is published as tiles; absent when this ledger does not publish them. */
  tiles?: Pick<TileStore, "get">;
}

type Run<K extends RouteKey> = (
  req: HttpRequest,
  params: RouteParams[K],
  deps: ApiDeps,
) => Promise<HttpResponse>;

const HANDLERS: { [K in RouteKey]: Run<K> } = {
  "GET /v1/health": async (_req, _p, deps) => {
    const latest = await deps.store.getLatestBlock();
    const logSize = latest?.header.logSize ?? 0;
    const published = deps.tiles && (await publishedState(deps.tiles, deps.consortium.log));
    return json(200, {
      status: "ok",
      log: deps.consortium.log,
      height: latest?.header.height ?? 0,
      logSize,
      // How far the published, witnessed checkpoint lags the log: entries not yet in it.
      ...(published ? { published: { ...published, behind: logSize - published.size } } : {}),
    });
  },
  "POST /v1/entries": async (req, _p, deps) => {
    // Refuse oversized bodies before hashing them for the digest check.
    if (req.body.length > MAX_BODY_BYTES) {
      throw new ApiError(
        "BODY_TOO_LARGE",
        `body is ${req.body.length} bytes; the limit is ${MAX_BODY_BYTES}`,
      );
    }
    const caller = await authenticate(req, deps, true);
    return json(202, await submitEntries(caller, req.body, deps));
  },
  "GET /v1/entries/{id}": async (req, { id }, deps) =>
    json(200, await readEntry(await authenticate(req, deps, false), id, deps.store, deps.consortium)),
  "GET /v1/entries/{id}/evidence": async (req, { id }, deps) => {
    const caller = await authenticate(req, deps, false);
    const bundle = await readEvidence(
      suiteOf(deps.consortium),
      caller,
      id,
      deps.store,
      deps.tiles,
      deps.consortium.log,
    );
    // The bundle's own bytes (canonical JSON and a newline, docs/formats/evidence.md §1).
    return { statusCode: 200, headers: { "content-type": "application/json; charset=utf-8" }, body: bundle };
  },
  "GET /v1/blocks/{height}": async (req, { height }, deps) => {
    await authenticate(req, deps, false);
    return json(200, await readBlock(height, deps.store));
  },
  "GET /v1/blocks/{height}/entries": async (req, { height, start }, deps) =>
    json(200, await readBlockEntries(await authenticate(req, deps, false), height, start, deps.store)),
  "POST /v1/match": async (req, _p, deps) => {
    if (req.body.length > MAX_MATCH_BODY_BYTES) {
      throw new ApiError(
        "BODY_TOO_LARGE",
        `body is ${req.body.length} bytes; the limit is ${MAX_MATCH_BODY_BYTES}`,
      );
    }
    return json(200, await matchRecord(await authenticate(req, deps, false), req.body, deps));
  },
  "GET /v1/access": async (req, { subject }, deps) =>
    json(200, await readAccessTrail(await authenticate(req, deps, false), subject, deps)),
  "POST /v1/access": async (req, _p, deps) => {
    if (req.body.length > MAX_ACCESS_BODY_BYTES) {
      throw new ApiError(
        "BODY_TOO_LARGE",
        `body is ${req.body.length} bytes; the limit is ${MAX_ACCESS_BODY_BYTES}`,
      );
    }
    return json(200, await readAccessTrailOf(await authenticate(req, deps, false), req.body, deps));
  },
  "GET /v1/accesses": async (req, _p, deps) =>
    json(200, await listAccesses(await authenticate(req, deps, false), deps)),
  "GET /v1/contracts": async (req, _p, deps) =>
    json(200, await listContracts(await authenticate(req, deps, false), deps)),
  "GET /v1/contracts/{id}": async (req, { id }, deps) => {
    await authenticate(req, deps, false);
    return json(200, await readContract(suiteOf(deps.consortium), id, deps.store, deps.clock));
  },
  "GET /v1/keys/{member}": async (req, { member }, deps) => {
    await authenticate(req, deps, false);
    return json(200, await readKeyHistory(deps.store, deps.consortium, member, deps.clock.now()));
  },
  "GET /v1/checkpoint": async (req, _p, deps) => {
    await authenticate(req, deps, false);
    return text(200, await readCheckpoint(deps.store));
  },
  "GET /v1/log/checkpoint": async (req, _p, deps) => {
    await authenticate(req, deps, false);
    return text(200, await readPublishedCheckpoint(deps.tiles));
  },
  "GET /v1/log/proof/inclusion": async (req, { index, size }, deps) => {
    await authenticate(req, deps, false);
    return json(
      200,
      await readInclusionProof(suiteOf(deps.consortium), deps.tiles, deps.consortium.log, index, size),
    );
  },
  "GET /v1/log/proof/consistency": async (req, { from, to }, deps) => {
    await authenticate(req, deps, false);
    return json(
      200,
      await readConsistencyProof(suiteOf(deps.consortium), deps.tiles, deps.consortium.log, from, to),
    );
  },
  "GET /v1/log/tile/{path+}": async (req, { path }, deps) => {
    await authenticate(req, deps, false);
    const tile = await readTile(deps.tiles, path);
    return binary(200, tile.bytes, {
      "content-type": "application/octet-stream",
      // c2sp.org/tlog-tiles: a full tile never changes once written; a partial one is
      // replaced by a wider one as the log grows.
      "cache-control": tile.full ? "private, max-age=31536000, immutable" : "private, no-cache",
    });
  },
};

export async function handleApiRequest(req: HttpRequest, deps: ApiDeps): Promise<HttpResponse> {
  let response: HttpResponse;
  try {
    response = await run(parseTarget(req.method, req.path, req.query), req, deps);
  } catch (e) {
    response = errorResponse(e);
  }
  // RFC 9110 §9.3.2: HEAD is answered as GET would be, without the content.
  return req.method === "HEAD" ? { ...response, body: "" } : response;
}

function run<K extends RouteKey>(
  target: { route: K; params: RouteParams[K] },
  req: HttpRequest,
  deps: ApiDeps,
): Promise<HttpResponse> {
  return HANDLERS[target.route](req, target.params, deps);
}

/**
 * A verified signature by a department or auditor key, with the keys the ledger records
 * for its department (functions/auth/request-keys.ts); the sealer's key signs blocks,
 * never requests.
 */
async function authenticate(req: HttpRequest, deps: ApiDeps, requireBatchRoot: boolean) {
  const now = deps.clock.now();
  const caller = verifyRequest(
    { method: req.method, path: req.path, query: req.query, headers: req.headers, body: req.body },
    {
      keys: await loadRequestKeys(
        suiteOf(deps.consortium),
        deps.store,
        deps.keys,
        req.headers,
        now,
        keyGovernanceOf(deps.consortium),
      ),
      now,
      requireBatchRoot,
      suite: suiteOf(deps.consortium),
    },
  );
  if (caller.role === "sealer")
    throw new ApiError("ROLE_FORBIDDEN", "the sealer's key may not sign API requests");
  return caller;
}
