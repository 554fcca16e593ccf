import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiDeps, handleApiRequest } from "../../../functions/api/api.js";
import type { HttpRequest } from "../../../functions/api/http.js";
import { StaticKeyDirectory } from "../../../functions/auth/key-directory.js";
import { readOwnerSignerFile } from "../../../functions/auth/signer-file.js";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import type { IndexEntry } from "../../../functions/store/ports.js";
import { INTL } from "../../../lib/chain/index.js";
import { keyFile, trustFile } from "../../../lib/local-home.js";
import { keyIndex } from "../../../lib/store-layout.js";
import { batchRootOf, startTestNode, type TestNode } from "../../support/local-node.js";
import { RoundTrips } from "../../support/round-trips.js";
import { signRequestNow } from "../../support/sign-request.js";

// Issue 14: what one request waits on the store, through handleApiRequest as the Lambda
// runs it, on a consortium whose departments' keys are on the ledger (as under npm start).
// Authentication queries the department's K# index on every request, and reads the
// batches only of key records not yet seen committed (functions/auth/request-keys.ts).
// A single-record submit then writes its items in one request and commits.

let t: TestNode;
let trips: RoundTrips;
let deps: ApiDeps;
beforeAll(async () => {
  t = await startTestNode({ introduceKeys: true });
  await t.seal();
  trips = new RoundTrips(new DynamoDbLedgerStore(t.client, t.table));
  deps = {
    store: trips.store,
    keys: StaticKeyDirectory.fromFile(trustFile(t.node.home)),
    consortium: t.node.consortium,
    clock: { now: () => new Date() },
    subjectKey: t.subjectKey,
  };
});
afterAll(async () => {
  await t?.stop();
});

let serial = 0;

/** A freshly signed single-record POST /v1/entries by `dept`, of a type with a subject (an S# entry too). */
async function singleRecord(dept = "hf-haikou"): Promise<HttpRequest> {
  const records = [
    {
      type: "housing-fund.deposit-certificate",
      data: { citizen: "460100199001011234", months: 12, status: "active", serial: serial++ },
    },
  ];
  const body = new TextEncoder().encode(JSON.stringify({ records }));
  const headers = await signRequestNow({
    method: "POST",
    path: "/v1/entries",
    body,
    signer: await readOwnerSignerFile(INTL, keyFile(t.node.home, dept), dept),
    department: dept,
    batchRoot: batchRootOf(INTL, records),
  });
  return { method: "POST", path: "/v1/entries", query: "", headers: { ...headers }, body };
}

async function submitCounted(request: HttpRequest): Promise<string[]> {
  trips.reset();
  const res = await handleApiRequest(request, deps);
  expect(res.statusCode, String(res.body)).toBe(202);
  return trips.trips;
}

describe("store round trips of a single-record submit, authentication included", () => {
  it("3 once the department's key records were seen committed: the K# query, the items, the commit", async () => {
    // The first request of the department in this process also reads its key records' batch.
    expect(await submitCounted(await singleRecord("hf-sanya"))).toEqual([
      "listIndexEntries",
      "getBatchHeads",
      "putEntryItems",
      "commitBatch",
    ]);
    for (let i = 0; i < 3; i++) {
      expect(await submitCounted(await singleRecord("hf-sanya"))).toEqual([
        "listIndexEntries",
        "putEntryItems",
        "commitBatch",
      ]);
    }
  });

  it("a key record not yet committed has its batch read on every request, until it commits or is gone", async () => {
    const first = await submitCounted(await singleRecord());
    expect(first.slice(-2)).toEqual(["putEntryItems", "commitBatch"]);
    // An index entry with no batch: a key record in flight, or one that crashed before its commit.
    const [indexed] = await deps.store.listIndexEntries(keyIndex("hf-haikou"));
    const inFlight: IndexEntry = {
      ...(indexed as IndexEntry),
      entryId: "f".repeat(32),
      batchKey: `${indexed?.batchKey}-in-flight`,
    };
    await deps.store.putEntryItems({ index: [inFlight] });
    for (let i = 0; i < 2; i++) {
      expect(await submitCounted(await singleRecord())).toEqual([
        "listIndexEntries",
        "getBatchHeads",
        "putEntryItems",
        "commitBatch",
      ]);
    }
    await deps.store.deleteIndexEntries([inFlight]);
    expect(await submitCounted(await singleRecord())).toEqual([
      "listIndexEntries",
      "putEntryItems",
      "commitBatch",
    ]);
  });
});
