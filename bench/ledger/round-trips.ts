import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { INTL } from "#chain";
import { type ApiDeps, handleApiRequest } from "../../functions/api/api.js";
import { StaticKeyDirectory } from "../../functions/auth/key-directory.js";
import { systemClock } from "../../functions/runtime/clock.js";
import { loadConsortium } from "../../functions/runtime/consortium-file.js";
import { loadLocalSubjectKey } from "../../functions/sharing/subject-key.js";
import { DynamoDbLedgerStore } from "../../functions/store/dynamodb-store.js";
import { createLedgerTable } from "../../functions/store/table.js";
import { trustFile } from "../../lib/local-home.js";
import { RoundTrips } from "../../test/support/round-trips.js";
import { signRequestNow } from "../../test/support/sign-request.js";
import { batchRootOf } from "../support/consortium-process.js";
import { makeRecord, type RunningNode, type Writer } from "./workload.js";

/**
 * What one single-record POST /v1/entries waits on the store: handleApiRequest in this
 * process, as the Lambda runs it (authentication included), on a table of its own beside
 * the consortium's, with the store's round trips counted as sequential depth
 * (test/support/round-trips.ts: calls in flight together count once).
 */
export async function submitRoundTrips(
  node: RunningNode,
  requests: number,
): Promise<{ perRequest: number; trips: string[] }> {
  const table = "bench-round-trips";
  await createLedgerTable(node.client, table);
  const counted = new RoundTrips(new DynamoDbLedgerStore(node.client, table));
  const deps: ApiDeps = {
    store: counted.store,
    keys: StaticKeyDirectory.fromFile(trustFile(node.ready.home)),
    consortium: loadConsortium(fileURLToPath(new URL("../../consortium.example.json", import.meta.url))),
    clock: systemClock,
    subjectKey: await loadLocalSubjectKey(INTL, join(node.ready.home, "keys", "subject.key")),
  };
  let total = 0;
  let trips: string[] = [];
  for (let i = 0; i < requests; i++) {
    const writer = node.writers[i % node.writers.length] as Writer;
    const records = [makeRecord(writer.type)];
    const body = new TextEncoder().encode(JSON.stringify({ records }));
    const headers = await signRequestNow({
      method: "POST",
      path: "/v1/entries",
      body,
      batchRoot: batchRootOf(records),
      signer: writer.signer,
      department: writer.dept,
    });
    counted.reset();
    const res = await handleApiRequest(
      { method: "POST", path: "/v1/entries", query: "", headers: { ...headers }, body },
      deps,
    );
    if (res.statusCode !== 202) throw new Error(`submit answered ${res.statusCode}: ${String(res.body)}`);
    total += counted.count;
    // A record type with a subject writes its S# index entry too: show one of those.
    if (i === 0) trips = counted.trips;
  }
  return { perRequest: total / requests, trips };
}
