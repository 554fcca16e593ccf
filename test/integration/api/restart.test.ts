import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readOwnerSignerFile } from "../../../functions/auth/signer-file.js";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import { INTL } from "../../../lib/chain/index.js";
import { keyFile } from "../../../lib/local-home.js";
import { startLocalConsortium } from "../../../local/consortium-node.js";
import {
  type NodeProcess,
  restartNodeProcess,
  runNodeToExit,
  startNodeProcess,
} from "../../support/node-process.js";
import { memberGet, submitDeposit, waitSealed } from "../../support/node-requests.js";
import { signRequestNow } from "../../support/sign-request.js";
import { makeMembers, seal, submit, TickClock } from "../ledger/harness.js";

// `npm start` as a user runs it (a child process, the real entry point), twice on the
// same ZHIXIN_HOME: the second start finds the entries, blocks and keys of the first.

const nodes: NodeProcess[] = [];
const homes: string[] = [];
afterAll(async () => {
  for (const n of nodes) await n.kill();
  for (const h of homes) await rm(h, { recursive: true, force: true });
});

async function newHome(prefix: string): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), prefix));
  homes.push(home);
  return home;
}

async function started(node: Promise<NodeProcess>): Promise<NodeProcess> {
  nodes.push(await node);
  return nodes[nodes.length - 1] as NodeProcess;
}

const entryOf = async (node: NodeProcess, id: string) =>
  JSON.parse((await memberGet(node, `/v1/entries/${id}`, "auditor")).text) as unknown;
const verify = async (node: NodeProcess) =>
  fetch(`${node.url}/local/verify`, { method: "POST", body: "{}" }).then((r) => r.json());

describe("npm start keeps its data across restarts", () => {
  it("entries, blocks and keys survive a restart", async () => {
    const home = await newHome("zhixin-restart-");
    const first = await started(startNodeProcess({ home, sealInterval: "200ms" }));
    expect(first.output()).toContain("generated keys: hf-haikou");
    const trustBefore = await readFile(join(home, "keys", "trust.json"), "utf8");

    const id = await submitDeposit(first, 36);
    // The timer seals within a few intervals.
    expect(await waitSealed(first, id, 10_000)).toBe(1);
    await first.stop();

    const second = await started(restartNodeProcess(first, "200ms"));
    expect(second.output()).not.toContain("generated keys");
    expect(await readFile(join(home, "keys", "trust.json"), "utf8")).toBe(trustBefore);
    expect(await entryOf(second, id)).toMatchObject({ id, status: "sealed", sealed: { height: 1 } });
    // The entry, and the six departments' key records npm start wrote on the first start only.
    expect(await verify(second)).toMatchObject({ ok: true, blocksChecked: 1, entriesChecked: 7 });
    await second.stop();
  });
});

describe("npm start refuses a home whose ledger predates derived key ids", () => {
  it("a block sealed by sealer/key-1 and a request signed as hf-haikou/key-1: exit 2 before serving, telling to start a new home; its trust bundle kept", async () => {
    const home = await newHome("zhixin-old-home-");
    // The home as an older version left it: a block and a pending request signed under the
    // key ids that version gave (docs/design/key-history.md §1), as the ledger harness's
    // keys still are, written through the real submit and seal.
    const node = await startLocalConsortium({
      home,
      consortiumFile: "consortium.example.json",
      port: 0,
      dynamoPort: 0,
      sealIntervalMs: 0,
    });
    const members = await makeMembers();
    expect([members.sealer.keyId, members.depts.get("hf-haikou")?.keyId]).toEqual([
      "sealer/key-1",
      "hf-haikou/key-1",
    ]);
    const client = node.dynamo.client;
    const old = {
      members,
      client,
      table: node.table,
      store: new DynamoDbLedgerStore(client, node.table),
      clock: new TickClock(Date.now()),
      submitted: [],
    };
    await submit(old, "hf-haikou", 1, "old-home-request-0001");
    expect(await seal(old)).toMatchObject({ sealed: true, height: 1 });
    await submit(old, "hf-haikou", 1, "old-home-request-0002");
    await node.stop();
    const trust = await readFile(join(home, "keys", "trust.json"), "utf8");

    const { code, output } = await runNodeToExit({ home, sealInterval: "200ms" });
    expect(code, output).toBe(2);
    // What to do is the refusal's point: a new home, or this one removed.
    expect(output).toContain("ZHIXIN_HOME");
    expect(output).toContain(home);
    expect(await readFile(join(home, "keys", "trust.json"), "utf8")).toBe(trust);
  });
});

describe("npm start refuses a consortium file whose suite is not the one the ledger was sealed under", () => {
  it("an intl ledger started again with its file made gm: exit 2 before serving, saying the suite cannot change; its keys kept", async () => {
    const home = await newHome("zhixin-suite-home-");
    const first = await started(startNodeProcess({ home, sealInterval: "200ms" }));
    expect(await waitSealed(first, await submitDeposit(first, 12), 10_000)).toBe(1);
    await first.stop();
    const trust = await readFile(join(home, "keys", "trust.json"), "utf8");

    const example = JSON.parse(await readFile("consortium.example.json", "utf8")) as Record<string, unknown>;
    const members = (list: unknown) =>
      ((list ?? []) as Array<Record<string, unknown>>).map(({ alg: _alg, ...m }) => m);
    const gmFile = join(await newHome("zhixin-suite-file-"), "consortium.gm.json");
    await writeFile(
      gmFile,
      JSON.stringify({
        ...example,
        suite: "gm",
        sealer: {},
        departments: members(example.departments),
        auditors: members(example.auditors),
      }),
    );
    const { code, output } = await runNodeToExit({
      home,
      sealInterval: "off",
      env: { ZHIXIN_CONSORTIUM: gmFile },
    });
    expect(code, output).toBe(2);
    expect(output).toContain(
      "the ledger's genesis block records the intl suite, but the consortium file gives gm: a ledger's suite and SM2 identifier cannot change",
    );
    // Refused before the keys: none made for the gm file.
    expect(await readFile(join(home, "keys", "trust.json"), "utf8")).toBe(trust);
  });
});

describe("ZHIXIN_ROTATE_KEYS=sealer,auditor npm start replaces the sealer's and the auditor's keys", () => {
  it("blocks sealed under the old sealer key and the new one audit clean together; trust.json keeps both sealer keys; the auditor's old key is refused", async () => {
    const home = await newHome("zhixin-sealer-rotation-");
    const auditor = async () => readOwnerSignerFile(INTL, keyFile(home, "auditor"), "auditor");
    const submitAndWait = async (node: NodeProcess, months: number) =>
      waitSealed(node, await submitDeposit(node, months), 10_000);
    const sealerOf = async (node: NodeProcess, height: number) =>
      (
        JSON.parse((await memberGet(node, `/v1/blocks/${height}`, "auditor")).text) as {
          header: { sealer: string };
        }
      ).header.sealer;

    const first = await started(startNodeProcess({ home, sealInterval: "200ms" }));
    expect(await submitAndWait(first, 1)).toBe(1);
    const oldSealer = await sealerOf(first, 1);
    await first.stop();

    const oldAuditor = await auditor();
    const second = await started(
      restartNodeProcess(first, "200ms", { ZHIXIN_ROTATE_KEYS: "sealer,auditor" }),
    );
    expect(second.output()).toContain(`sealer key rotated: ${oldSealer} → sealer/`);
    expect(second.output()).toContain(`auditor key rotated: ${oldAuditor.keyId} → auditor/`);
    // The auditor's old key signs no request from this start on; its new one does.
    expect((await auditor()).keyId).not.toBe(oldAuditor.keyId);
    const byOld = await signRequestNow({
      method: "GET",
      path: "/v1/blocks/1",
      signer: oldAuditor,
      department: "auditor",
    });
    const refused = await fetch(`${second.url}/v1/blocks/1`, { headers: { ...byOld } });
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([
      401,
      "UNKNOWN_KEY",
    ]);
    expect(await submitAndWait(second, 2)).toBe(2);
    const newSealer = await sealerOf(second, 2);
    expect(newSealer).not.toBe(oldSealer);
    const trust = JSON.parse(await readFile(join(home, "keys", "trust.json"), "utf8")) as {
      keys: Array<{ keyId: string; role: string; validUntil?: string }>;
    };
    expect(
      trust.keys.filter((k) => k.role === "sealer").map((k) => [k.keyId, k.validUntil !== undefined]),
    ).toEqual([
      [oldSealer, true],
      [newSealer, false],
    ]);
    expect(await verify(second)).toMatchObject({ ok: true, blocksChecked: 2, findings: [] });
    await second.stop();
  });
});

describe("ZHIXIN_ROTATE_KEYS refuses what npm start does not rotate", () => {
  it("a department (rotated on the ledger) and an unknown name: exit 2 before serving, saying what to do", async () => {
    const home = await newHome("zhixin-rotate-refused-");
    for (const [name, says] of [
      ["hf-haikou", "zhixin keys rotate --as hf-haikou"],
      ["nobody", 'give "sealer", an auditor'],
    ] as const) {
      const { code, output } = await runNodeToExit({
        home,
        sealInterval: "200ms",
        env: { ZHIXIN_ROTATE_KEYS: name },
      });
      expect(code, output).toBe(2);
      expect(output).toContain(says);
    }
  });
});
