import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readOwnerSignerFile } from "../../../functions/auth/signer-file.js";
import { keyFile } from "../../../lib/local-home.js";
import { batchRootOf } from "../../support/local-node.js";
import { signRequestNow } from "../../support/sign-request.js";

// `npm start` as a user runs it (a child process, the real entry point), twice on the
// same ZHIXIN_HOME: the second start finds the entries, blocks and keys of the first.

const children: ChildProcess[] = [];
let home = "";
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  if (home) await rm(home, { recursive: true, force: true });
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
  const deadline = Date.now() + 30_000;
  while (!out.includes("Ctrl-C stops")) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGINT");
  await exited;
}

describe("npm start keeps its data across restarts", () => {
  it("entries, blocks and keys survive a restart", async () => {
    home = await mkdtemp(join(tmpdir(), "zhixin-restart-"));
    const [port, dynamoPort, s3Port] = [await freePort(), await freePort(), await freePort()];
    const env = {
      ZHIXIN_HOME: home,
      ZHIXIN_PORT: String(port),
      ZHIXIN_DYNAMODB_PORT: String(dynamoPort),
      ZHIXIN_S3_PORT: String(s3Port),
      ZHIXIN_SEAL_INTERVAL: "200ms",
    };
    const url = `http://127.0.0.1:${port}`;

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
    expect(audit).toMatchObject({ ok: true, blocksChecked: 1, entriesChecked: 1 });
    await stop(second.child);
  });
});
