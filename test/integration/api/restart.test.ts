import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readOwnerSignerFile } from "../../../functions/auth/signer-file.js";
import { DynamoDbLedgerStore } from "../../../functions/store/dynamodb-store.js";
import { keyFile } from "../../../lib/local-home.js";
import { startLocalConsortium } from "../../../local/consortium-node.js";
import { batchRootOf } from "../../support/local-node.js";
import { signRequestNow } from "../../support/sign-request.js";
import { makeMembers, seal, submit, TickClock } from "../ledger/harness.js";

// `npm start` as a user runs it (a child process, the real entry point), twice on the
// same ZHIXIN_HOME: the second start finds the entries, blocks and keys of the first.

const children: ChildProcess[] = [];
const homes: string[] = [];
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  for (const h of homes) await rm(h, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function start(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const { child, output } = spawnStart(env);
  const deadline = Date.now() + 30_000;
  while (!output().includes("Ctrl-C stops")) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`npm start did not come up:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output };
}

function spawnStart(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  return { child, output: () => out };
}

async function ports(home: string): Promise<Record<string, string>> {
  const [port, dynamoPort, s3Port] = [await freePort(), await freePort(), await freePort()];
  return {
    ZHIXIN_HOME: home,
    ZHIXIN_PORT: String(port),
    ZHIXIN_DYNAMODB_PORT: String(dynamoPort),
    ZHIXIN_S3_PORT: String(s3Port),
    ZHIXIN_SEAL_INTERVAL: "200ms",
  };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGINT");
  await exited;
}

describe("npm start keeps its data across restarts", () => {
  it("entries, blocks and keys survive a restart", async () => {
    const home = await mkdtemp(join(tmpdir(), "zhixin-restart-"));
    homes.push(home);
    const env = await ports(home);
    const url = `http://127.0.0.1:${env.ZHIXIN_PORT}`;

    const first = await start(env);
    expect(first.output()).toContain("generated keys: hf-haikou");
    const trustBefore = await readFile(join(home, "keys", "trust.json"), "utf8");

    const records = [
      {
        type: "housing-fund.deposit-certificate",
        data: { citizen: "460100199001011234", months: 36, status: "active" },
      },
    ];
    const body = new TextEncoder().encode(JSON.stringify({ records }));
    const signer = await readOwnerSignerFile(keyFile(home, "hf-haikou"), "hf-haikou");
    const headers = await signRequestNow({
      method: "POST",
      path: "/v1/entries",
      body,
      signer,
      department: "hf-haikou",
      batchRoot: batchRootOf(records),
    });
    const receipt = (await fetch(`${url}/v1/entries`, { method: "POST", headers: { ...headers }, body }).then(
      (r) => r.json(),
    )) as { entries: Array<{ id: string }> };
    const id = receipt.entries[0]?.id as string;

    // The timer seals within a few intervals.
    const auditor = await readOwnerSignerFile(keyFile(home, "auditor"), "auditor");
    const get = async () => {
      const h = await signRequestNow({
        method: "GET",
        path: `/v1/entries/${id}`,
        signer: auditor,
        department: "auditor",
      });
      return (await fetch(`${url}/v1/entries/${id}`, { headers: { ...h } }).then((r) => r.json())) as {
        status: string;
      };
    };
    const deadline = Date.now() + 10_000;
    while ((await get()).status !== "sealed" && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect((await get()).status).toBe("sealed");
    await stop(first.child);

    const second = await start(env);
    expect(second.output()).not.toContain("generated keys");
    expect(await readFile(join(home, "keys", "trust.json"), "utf8")).toBe(trustBefore);
    expect(await get()).toMatchObject({ id, status: "sealed", sealed: { height: 1 } });
    const audit = await fetch(`${url}/local/verify`, { method: "POST", body: "{}" }).then((r) => r.json());
    // The entry, and the six departments' key records npm start wrote on the first start only.
    expect(audit).toMatchObject({ ok: true, blocksChecked: 1, entriesChecked: 7 });
    await stop(second.child);
  });
});

describe("npm start refuses a home whose ledger predates derived key ids", () => {
  it("a block sealed by sealer/key-1 and a request signed as hf-haikou/key-1: exit 2 before serving, telling to start a new home; its trust bundle kept", async () => {
    const home = await mkdtemp(join(tmpdir(), "zhixin-old-home-"));
    homes.push(home);
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

    const { child, output } = spawnStart(await ports(home));
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code, output()).toBe(2);
    expect(output()).not.toContain("Ctrl-C stops");
    // What to do is the refusal's point: a new home, or this one removed.
    expect(output()).toContain("ZHIXIN_HOME");
    expect(output()).toContain(home);
    expect(await readFile(join(home, "keys", "trust.json"), "utf8")).toBe(trust);
  });
});

describe("ZHIXIN_ROTATE_KEYS=sealer,auditor npm start replaces the sealer's and the auditor's keys", () => {
  it("blocks sealed under the old sealer key and the new one audit clean together; trust.json keeps both sealer keys; the auditor's old key is refused", async () => {
    const home = await mkdtemp(join(tmpdir(), "zhixin-sealer-rotation-"));
    homes.push(home);
    const env = await ports(home);
    const url = `http://127.0.0.1:${env.ZHIXIN_PORT}`;
    const auditor = async () => readOwnerSignerFile(keyFile(home, "auditor"), "auditor");
    const submitAndWait = async (months: number): Promise<number> => {
      const records = [
        {
          type: "housing-fund.deposit-certificate",
          data: { citizen: "460100199001011234", months, status: "active" },
        },
      ];
      const body = new TextEncoder().encode(JSON.stringify({ records }));
      const headers = await signRequestNow({
        method: "POST",
        path: "/v1/entries",
        body,
        signer: await readOwnerSignerFile(keyFile(home, "hf-haikou"), "hf-haikou"),
        department: "hf-haikou",
        batchRoot: batchRootOf(records),
      });
      const receipt = (await fetch(`${url}/v1/entries`, {
        method: "POST",
        headers: { ...headers },
        body,
      }).then((r) => r.json())) as { entries: Array<{ id: string }> };
      const id = receipt.entries[0]?.id as string;
      const deadline = Date.now() + 10_000;
      for (;;) {
        const h = await signRequestNow({
          method: "GET",
          path: `/v1/entries/${id}`,
          signer: await auditor(),
          department: "auditor",
        });
        const entry = (await fetch(`${url}/v1/entries/${id}`, { headers: { ...h } }).then((r) =>
          r.json(),
        )) as {
          status: string;
          sealed?: { height: number };
        };
        if (entry.status === "sealed") return entry.sealed?.height as number;
        if (Date.now() > deadline) throw new Error(`entry ${id} not sealed`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const sealerOf = async (height: number) => {
      const h = await signRequestNow({
        method: "GET",
        path: `/v1/blocks/${height}`,
        signer: await auditor(),
        department: "auditor",
      });
      return (
        (await fetch(`${url}/v1/blocks/${height}`, { headers: { ...h } }).then((r) => r.json())) as {
          header: { sealer: string };
        }
      ).header.sealer;
    };

    const first = await start(env);
    expect(await submitAndWait(1)).toBe(1);
    const oldSealer = await sealerOf(1);
    await stop(first.child);

    const oldAuditor = await auditor();
    const second = await start({ ...env, ZHIXIN_ROTATE_KEYS: "sealer,auditor" });
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
    const refused = await fetch(`${url}/v1/blocks/1`, { headers: { ...byOld } });
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([
      401,
      "UNKNOWN_KEY",
    ]);
    expect(await submitAndWait(2)).toBe(2);
    const newSealer = await sealerOf(2);
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
    const audit = await fetch(`${url}/local/verify`, { method: "POST", body: "{}" }).then((r) => r.json());
    expect(audit).toMatchObject({ ok: true, blocksChecked: 2, findings: [] });
    await stop(second.child);
  });
});

describe("ZHIXIN_ROTATE_KEYS refuses what npm start does not rotate", () => {
  it("a department (rotated on the ledger) and an unknown name: exit 2 before serving, saying what to do", async () => {
    const home = await mkdtemp(join(tmpdir(), "zhixin-rotate-refused-"));
    homes.push(home);
    for (const [name, says] of [
      ["hf-haikou", "zhixin keys rotate --as hf-haikou"],
      ["nobody", 'give "sealer", an auditor'],
    ] as const) {
      const { child, output } = spawnStart({ ...(await ports(home)), ZHIXIN_ROTATE_KEYS: name });
      const code = await new Promise<number | null>((r) => child.once("exit", r));
      expect(code, output()).toBe(2);
      expect(output()).toContain(says);
      expect(output()).not.toContain("Ctrl-C stops");
    }
  });
});
