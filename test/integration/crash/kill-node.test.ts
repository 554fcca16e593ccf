import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalJson, INTL } from "#chain";
import { readOwnerSignerFile } from "../../../functions/auth/signer-file.js";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import { loadKeyRecords } from "../../../functions/store/key-records.js";
import type { LocalSigner } from "../../../lib/crypto/local-signer.js";
import { keyFile } from "../../../lib/local-home.js";
import { localDynamoClient } from "../../../local/dynalite.js";
import { type NodeProcess, restartNodeProcess, startNodeProcess } from "../../support/node-process.js";
import { signRequestNow } from "../../support/sign-request.js";
import {
  type SignedSubmit,
  type SubmitRecord,
  SubmitWorkload,
  seededRandom,
} from "../../support/submit-workload.js";

// Issue 10's load-and-crash run as a regression test: the local consortium as its own
// process (npm start), a few hundred signed submits eight at a time — certificates in
// batches of 1 to 30, S8 invoice claims (a unique type, some numbers claimed twice), S4
// transfers and their cosigns — and the whole node SIGKILLed twice while requests are in
// flight, once at a seeded moment and once in the middle of a seal. Restarted on the same
// home, the client resends every request that got no answer with the very same bytes:
// the ledger answers 202 (the batch never committed) or NONCE_REPLAYED (it did). Once
// nothing is pending, every accepted entry reads back sealed with what was signed, the
// log holds each exactly once and nothing else, and a full audit is clean.
// ZHIXIN_CRASH_SEED replays a run's mix and kill points (the interleaving is the OS's).

const SEED = Number(process.env.ZHIXIN_CRASH_SEED ?? 20261203);
if (!Number.isSafeInteger(SEED) || SEED < 0) throw new Error("ZHIXIN_CRASH_SEED must be a whole number");
const REQUESTS = 240;
const CONCURRENCY = 8;
const TABLE = "zhixin-demo-ledger";

/** What the client got for one attempt: an answer, or `lost` (the connection died first). */
type Answer = { status: number; code?: string; body: unknown } | { lost: string };
interface Receipt {
  entries: Array<{ id: string }>;
}
interface EntryRead {
  status?: string;
  envelope?: { type?: string };
  payload?: unknown;
  signatures?: { signed?: Array<{ department: string }> };
}
interface Sent {
  request: SignedSubmit;
  answers: Answer[];
}

const homes: string[] = [];
const nodes: NodeProcess[] = [];
const clients: DynamoDBClient[] = [];
afterAll(async () => {
  for (const client of clients) client.destroy();
  for (const node of nodes) await node.kill();
  for (const home of homes) await rm(home, { recursive: true, force: true });
});

const final = (s: Sent) => s.answers.at(-1) as Answer;
const isAnswered = (a: Answer): a is Exclude<Answer, { lost: string }> => !("lost" in a);
const isAccepted = (s: Sent) => {
  const a = final(s);
  return isAnswered(a) && (a.status === 202 || a.code === "NONCE_REPLAYED");
};

async function post(url: string, request: SignedSubmit): Promise<Answer> {
  try {
    const res = await fetch(`${url}/v1/entries`, {
      method: "POST",
      headers: request.headers,
      body: request.body,
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: kept as text for the failure message.
    }
    const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
    return { status: res.status, ...(typeof code === "string" ? { code } : {}), body };
  } catch (e) {
    return { lost: String((e as Error).cause ?? e) };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `send` over what `take` hands out, `CONCURRENCY` at a time, until it hands out nothing. */
async function pump<T>(take: () => Promise<T | undefined>, send: (item: T) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let item = await take(); item !== undefined; item = await take()) await send(item);
    }),
  );
}

describe("a node killed mid-load loses and duplicates nothing", () => {
  it("every accepted entry is sealed exactly once and the audit is clean", async () => {
    const where = `seed ${SEED} (ZHIXIN_CRASH_SEED=${SEED} replays it)`;
    const random = seededRandom(SEED ^ 0x5eed);
    const home = await mkdtemp(join(tmpdir(), "zhixin-crash-"));
    homes.push(home);
    let node = await startNodeProcess({ home, sealInterval: "200ms" });
    nodes.push(node);
    // The test reads the node's table directly, through the store, to time the second kill
    // and to check the log.
    const openStore = (endpoint: string) => {
      const client = localDynamoClient(endpoint);
      clients.push(client);
      return new DynamoDbLedgerStore(client, TABLE);
    };
    let store = openStore(node.dynamoEndpoint);
    const workload = await SubmitWorkload.open(home, SEED);
    const sent: Sent[] = [];
    const outcome = (s: Sent, answer: Answer) => {
      s.answers.push(answer);
      if (isAnswered(answer) && (answer.status === 202 || answer.code === "NONCE_REPLAYED"))
        workload.accepted(s.request);
    };

    // Three lives of the node, two kills, each once a seeded number of requests has been
    // answered, with the load still running. The first comes a seeded few milliseconds
    // later. The second lands in a seal: the second life runs without the timer, so a
    // backlog builds up; then the test asks for a seal and kills the node as soon as the
    // block is committed — while its many batches are being marked sealed, which the
    // next sealer must finish, not seal again. After each restart (same home; same ports
    // unless another process took one) the requests that got no answer go first, resent
    // byte for byte; then the load goes on.
    const kills: Array<{ after: number; when: () => Promise<boolean> }> = [
      {
        after: Math.floor(REQUESTS * (0.2 + 0.2 * random())),
        when: async () => {
          await sleep(Math.floor(random() * 15));
          return true;
        },
      },
      {
        after: Math.floor(REQUESTS * (0.55 + 0.2 * random())),
        when: async () => {
          const before = (await store.getLatestBlock())?.header.height ?? 0;
          fetch(`${node.url}/local/seal`, { method: "POST" }).catch(() => undefined);
          for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(2)) {
            const latest = await store.getLatestBlock();
            if ((latest?.header.height ?? 0) > before) return true;
          }
          return false;
        },
      },
    ];
    const sealIntervals = ["200ms", "off", "200ms"];
    const inFlightAtKills: number[] = [];
    const missedKills: number[] = [];
    const lostUnkilled: string[] = [];
    const answered202: Sent[] = [];
    let answered = 0;
    for (let life = 0; life <= kills.length; life++) {
      if (life > 0) {
        const previous = node;
        node = await restartNodeProcess(previous, sealIntervals[life] as string);
        nodes.push(node);
        if (node.dynamoEndpoint !== previous.dynamoEndpoint) store = openStore(node.dynamoEndpoint);
      }
      if (life === kills.length)
        answered202.push(...sent.filter((s) => (s.answers[0] as { status?: number }).status === 202));
      const kill = kills[life];
      const url = node.url;
      const retries = sent.filter((s) => !isAnswered(final(s)));
      if (life > 0)
        expect(retries.length, `${where}: requests without an answer at kill ${life}`).toBeGreaterThan(0);
      let killing: Promise<void> | undefined;
      let killed = false;
      let inFlight = 0;
      await pump(
        async () => {
          if (killed) return undefined;
          const retry = retries.shift();
          if (retry) return retry;
          if (sent.length >= REQUESTS) return undefined;
          const s: Sent = { request: await workload.next(), answers: [] };
          sent.push(s);
          return s;
        },
        async (s) => {
          inFlight++;
          const answer = await post(url, s.request);
          inFlight--;
          if (!isAnswered(answer) && !killed) lostUnkilled.push(`#${s.request.n}: ${answer.lost}`);
          outcome(s, answer);
          if (kill && isAnswered(answer) && ++answered === kill.after) {
            const current = node;
            killing = kill.when().then((landed) => {
              if (!landed) missedKills.push(life + 1);
              inFlightAtKills.push(inFlight);
              killed = true;
              return current.kill();
            });
          }
        },
      );
      if (kill) {
        expect(killing, `${where}: the load ended before kill ${life + 1}`).toBeDefined();
        await killing;
      }
      expect(node.output(), `${where}: a seal failed in life ${life + 1}`).not.toContain("seal failed");
    }
    expect(lostUnkilled, `${where}: requests lost while the node was up`).toEqual([]);
    expect(
      inFlightAtKills.filter((n) => n === 0),
      `${where}: kills with no request in flight`,
    ).toEqual([]);
    expect(missedKills, `${where}: kills that missed their moment`).toEqual([]);

    // A 202 before a kill is a commit that outlives it: its bytes again are a replay.
    for (let i = 0; i < 3; i++) {
      const s = answered202.splice(Math.floor(random() * answered202.length), 1)[0] as Sent;
      const again = await post(node.url, s.request);
      expect(again, `${where}: #${s.request.n} resent after the restarts`).toMatchObject({
        status: 409,
        code: "NONCE_REPLAYED",
      });
    }

    // Every request has its final answer, and each answer is one this client may get:
    // NONCE_REPLAYED only for a resend after a lost answer, DUPLICATE_RECORD only for a
    // request in an S8 pair that claims one invoice number twice.
    const pairs = new Set(
      sent.flatMap((s) => (s.request.duplicateOf === undefined ? [] : [s.request.n, s.request.duplicateOf])),
    );
    const unexpected = sent.flatMap((s) =>
      s.answers.flatMap((a, i) => {
        if (!isAnswered(a)) return i === s.answers.length - 1 ? [`#${s.request.n}: no answer`] : [];
        if (a.status === 202) return [];
        if (a.code === "NONCE_REPLAYED" && i > 0 && !isAnswered(s.answers[i - 1] as Answer)) return [];
        if (a.code === "DUPLICATE_RECORD" && pairs.has(s.request.n)) return [];
        return [
          `#${s.request.n} (${s.request.kind}, attempt ${i + 1}): ${a.status} ${JSON.stringify(a.body)}`,
        ];
      }),
    );
    expect(unexpected, `${where}: unexpected answers`).toEqual([]);
    for (const s of sent) {
      const a = final(s);
      if (isAnswered(a) && a.status === 202)
        expect(
          (a.body as Receipt).entries.map((e) => e.id),
          `${where}: receipt of #${s.request.n}`,
        ).toEqual(s.request.ids);
    }
    // Of a pair claiming one invoice number, exactly one request is accepted; every
    // request outside a pair is accepted.
    for (const s of sent) {
      if (s.request.duplicateOf === undefined) {
        if (!pairs.has(s.request.n))
          expect(isAccepted(s), `${where}: #${s.request.n} (${s.request.kind}) was refused`).toBe(true);
        continue;
      }
      const original = sent[s.request.duplicateOf] as Sent;
      expect(
        [isAccepted(original), isAccepted(s)].filter(Boolean),
        `${where}: invoice pair #${original.request.n}/#${s.request.n}`,
      ).toHaveLength(1);
    }

    // Seal until nothing is pending.
    for (let round = 0; ; round++) {
      expect(round, `${where}: still pending after 50 seals`).toBeLessThan(50);
      const res = await fetch(`${node.url}/local/seal`, { method: "POST" });
      expect(res.status, `${where}: seal`).toBe(200);
      const result = (await res.json()) as { sealed: boolean; reason?: string };
      if (!result.sealed && result.reason === "nothing-pending") break;
    }
    // Every accepted batch is sealed; no other request left a batch. The pending index
    // may still list a sealed batch (the store's contract: a possibly stale index), and
    // after a kill it can for good: dynalite writes a put's index entry and its item as
    // two LevelDB writes, so a kill between them during commitBatch leaves an index entry
    // of a batch that did not commit — and whose retry then committed under another
    // receive time. That is local mode only (DynamoDB maintains its indexes itself) and
    // harmless (the sealer re-reads every listed batch); each must be such a batch.
    const batchKey = (s: Sent) => s.request.batchKey;
    const batches = await store.getBatches(sent.map(batchKey));
    expect(
      batches.filter((b) => b.sealed === undefined).map((b) => b.key),
      `${where}: batches still pending`,
    ).toEqual([]);
    expect(batches.map((b) => b.key).sort(), `${where}: batches stored, against requests accepted`).toEqual(
      sent.filter(isAccepted).map(batchKey).sort(),
    );
    const lostAtKill = new Set(sent.filter((s) => !s.answers.every(isAnswered)).map(batchKey));
    expect(
      (await store.listPendingBatches(1000)).filter((ref) => !lostAtKill.has(ref.key)),
      `${where}: listed as pending after the last seal`,
    ).toEqual([]);

    // The log: every leaf once, exactly the accepted entries — the clients', and the key
    // record each department's key got when npm start first ran (local/genesis.ts): one
    // each, however often it was killed before and after writing them.
    const consortium = loadConsortium("consortium.example.json");
    const genesis = await Promise.all(consortium.departments.map((d) => loadKeyRecords(store, d.id)));
    expect(
      genesis.map((records) => records.length),
      `${where}: key records per department`,
    ).toEqual(consortium.departments.map(() => 1));
    const acceptedIds = [
      ...sent.filter(isAccepted).flatMap((s) => s.request.ids),
      ...genesis.flat().map((r) => r.entryId),
    ];
    const latest = await store.getLatestBlock();
    const height = latest?.header.height ?? 0;
    const leaves: string[] = [];
    for (const block of await store.listBlocks(1, height)) {
      const pages = await store.getBlockPages(block.hash, block.pageCount);
      const ids = pages.flatMap((p) => p.entryIds);
      expect(ids, `${where}: leaves of block ${block.header.height}`).toHaveLength(block.header.count);
      leaves.push(...ids);
    }
    const counts = new Map<string, number>();
    for (const id of leaves) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(
      [...counts].filter(([, c]) => c > 1),
      `${where}: entries sealed more than once`,
    ).toEqual([]);
    const accepted = new Set(acceptedIds);
    expect(accepted.size, `${where}: accepted ids are distinct`).toBe(acceptedIds.length);
    expect(
      leaves.filter((id) => !accepted.has(id)),
      `${where}: sealed entries no client was told were accepted`,
    ).toEqual([]);
    expect(
      acceptedIds.filter((id) => !counts.has(id)),
      `${where}: accepted entries missing from the log`,
    ).toEqual([]);
    expect(leaves.length).toBe(accepted.size);

    // Read back through the API, as the writer: sealed, with exactly what was signed; a
    // transfer carries the signatures of its writer and of each accepted cosign.
    const cosigners = new Map<string, string[]>();
    for (const s of sent.filter(isAccepted)) {
      if (s.request.cosignOf === undefined) continue;
      cosigners.set(s.request.cosignOf, [...(cosigners.get(s.request.cosignOf) ?? []), s.request.dept]);
    }
    const readers = new Map<string, LocalSigner>();
    const reader = async (dept: string) => {
      let signer = readers.get(dept);
      if (!signer) {
        signer = await readOwnerSignerFile(INTL, keyFile(home, dept), dept);
        readers.set(dept, signer);
      }
      return signer;
    };
    const reads = sent.filter(isAccepted).flatMap((s) => s.request.ids.map((id, i) => ({ s, id, i })));
    const misread: string[] = [];
    await pump(
      async () => reads.shift(),
      async ({ s, id, i }) => {
        const path = `/v1/entries/${id}`;
        const headers = await signRequestNow({
          method: "GET",
          path,
          signer: await reader(s.request.dept),
          department: s.request.dept,
        });
        const res = await fetch(`${node.url}${path}`, { headers: { ...headers } });
        const view = (await res.json()) as EntryRead;
        const record = s.request.records[i] as SubmitRecord;
        const problems = [
          res.status === 200 ? "" : `status ${res.status} ${JSON.stringify(view)}`,
          view.status === "sealed" ? "" : `not sealed (${view.status})`,
          view.envelope?.type === record.type ? "" : "another type",
          view.payload !== undefined &&
          canonicalJson(view.payload as never) === canonicalJson(record.data as never)
            ? ""
            : "another payload",
        ];
        if (s.request.kind === "transfers") {
          const want = ["hf-haikou", ...(cosigners.get(id) ?? [])].sort();
          const got = (view.signatures?.signed ?? []).map((x) => x.department).sort();
          if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`signed by ${got}, want ${want}`);
        }
        const found = problems.filter(Boolean);
        if (found.length > 0) misread.push(`${id} (#${s.request.n}): ${found.join("; ")}`);
      },
    );
    expect(misread, `${where}: entries read back wrong`).toEqual([]);

    // A full audit, as `zhixin verify` runs it.
    const audit = await fetch(`${node.url}/local/verify`, { method: "POST", body: "{}" }).then((r) =>
      r.json(),
    );
    expect(audit, where).toMatchObject({
      ok: true,
      findings: [],
      blocksChecked: height,
      entriesChecked: accepted.size,
    });
    expect(node.output(), `${where}: a seal failed in the last life`).not.toContain("seal failed");
    await node.stop();
  });
});
