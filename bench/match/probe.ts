import { join } from "node:path";
import { INTL } from "#chain";
import { StaticKeyDirectory } from "../../functions/auth/key-directory.js";
import { loadRequestKeys } from "../../functions/auth/request-keys.js";
import { systemClock } from "../../functions/runtime/clock.js";
import { type MatchDeps, matchRecord } from "../../functions/sharing/match.js";
import { loadLocalSubjectKey } from "../../functions/sharing/subject-key.js";
import { DynamoDbLedgerStore } from "../../functions/store/dynamodb-store.js";
import type { LedgerStore } from "../../functions/store/ports.js";
import { keyGovernanceOf } from "../../lib/consortium/consortium.js";
import type { Signer } from "../../lib/crypto/signer.js";
import { verifyRequest } from "../../lib/http-signature/index.js";
import { trustFile } from "../../lib/local-home.js";
import { localDynamoClient } from "../../local/dynalite.js";
import { RoundTrips } from "../../test/support/round-trips.js";
import { signRequestNow } from "../../test/support/sign-request.js";
import { aroundStoreCalls } from "../support/store-calls.js";
import type { RunningNode } from "./node.js";
import { expected, matchBody } from "./over-http.js";
import { type Certificate, CONSUMER } from "./settings.js";

/** What one match asks of the store: matchRecord in this process, its DynamoDB requests counted. */

export interface Probe {
  matches: number;
  /** Store round trips (sequential depth, test/support/round-trips.ts), summed: matchRecord's, and authentication's. */
  roundTrips: { match: number; auth: number };
  /** One match's round trips, each the calls made together. */
  trips: string[];
  /** DynamoDB requests sent, by command. */
  commands: Map<string, number>;
  /** Store calls and the time spent in them, by method. */
  methods: Map<string, { calls: number; ms: number }>;
  matchMs: number;
  storeMs: number;
}

/**
 * matchRecord in this process, one call at a time, on a store over its own client whose
 * requests are counted by an SDK middleware at the deserialize step (so once per HTTP
 * attempt, retries included), and whose methods are timed. Each request is signed by
 * the consumer and verified with verifyRequest, as the API's authenticate does.
 */
export async function probeMatches(
  node: RunningNode,
  certificates: readonly Certificate[],
  contract: string,
  count: number,
): Promise<Probe> {
  const client = localDynamoClient(node.ready.dynamoEndpoint);
  const commands = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? "unknown";
      commands.set(name, (commands.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "deserialize", name: "benchCountRequests" },
  );
  const methods = new Map<string, { calls: number; ms: number }>();
  const counted = new RoundTrips(timedStore(new DynamoDbLedgerStore(client, node.ready.table), methods));
  const store = counted.store;
  // Authentication's reads, as the API makes them (functions/api/api.ts authenticate),
  // counted apart and on the uninstrumented store: the rows above are matchRecord's own.
  const authenticating = new RoundTrips(node.store);
  const keys = StaticKeyDirectory.fromFile(trustFile(node.ready.home));
  const roundTrips = { match: 0, auth: 0 };
  let trips: string[] = [];
  const deps: MatchDeps = {
    store,
    consortium: node.consortium,
    clock: systemClock,
    subjectKey: await loadLocalSubjectKey(INTL, join(node.ready.home, "keys", "subject.key")),
  };
  const signer = node.signers.get(CONSUMER) as Signer;
  let matchMs = 0;
  try {
    for (let i = 0; i < count; i++) {
      const c = certificates[(0x5eed + i * 7919) % certificates.length] as Certificate;
      const body = matchBody(contract, c.citizen);
      const headers = await signRequestNow({
        method: "POST",
        path: "/v1/match",
        body,
        signer,
        department: CONSUMER,
      });
      const now = new Date();
      authenticating.reset();
      const requestKeys = await loadRequestKeys(
        INTL,
        authenticating.store,
        keys,
        { ...headers },
        now,
        keyGovernanceOf(node.consortium),
      );
      roundTrips.auth += authenticating.count;
      const caller = verifyRequest(
        {
          method: "POST",
          path: "/v1/match",
          headers: { "content-type": "application/json", ...headers },
          body,
        },
        { keys: requestKeys, now, requireBatchRoot: false, suite: INTL },
      );
      counted.reset();
      const start = performance.now();
      const answer = await matchRecord(caller, body, deps);
      matchMs += performance.now() - start;
      roundTrips.match += counted.count;
      trips = counted.trips;
      if (answer.match !== expected(c)) throw new Error(`in-process match for ${c.citizen} answered wrongly`);
    }
  } finally {
    client.destroy();
  }
  const storeMs = [...methods.values()].reduce((a, s) => a + s.ms, 0);
  return { matches: count, roundTrips, trips, commands, methods, matchMs, storeMs };
}

/** The store with each method's calls counted and timed (a call's time includes waiting beside those in flight with it). */
function timedStore(inner: LedgerStore, methods: Map<string, { calls: number; ms: number }>): LedgerStore {
  return aroundStoreCalls(inner, async (name, call) => {
    const start = performance.now();
    try {
      return await call();
    } finally {
      const s = methods.get(name) ?? { calls: 0, ms: 0 };
      s.calls++;
      s.ms += performance.now() - start;
      methods.set(name, s);
    }
  });
}
