import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNode, type TestNode } from "../../support/local-node.js";
import { evidenceCli, freePort, type Run } from "./node.js";

// zhixin export end to end: on a ledger started as `npm start` starts it (its genesis key
// records in block 1), a department exports the whole log; records are added and sealed,
// and the same command continues the export from its last block; an export whose last
// block the ledger no longer has is refused (EXPORT_FORKED). Then the ledger is stopped
// and its home deleted, and a separate process with ZHIXIN_URL aimed at a port nothing
// listens on audits the export with `zhixin verify --export` against the trust root: clean,
// and a changed payload, a removed block and a tampered header each refused with its code.

let t: TestNode;
let work: string;
let closedUrl: string;
// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON summaries, read by member
const first: { summary?: any; second?: any; forked?: Run } = {};

const { member, offline } = evidenceCli(() => ({ work, t, closedUrl }));

const ok = (run: Run, what: string) => expect(run.code, `${what}\n${run.stderr}`).toBe(0);

async function certificate(citizen: string, months: number) {
  const res = await t.submit("hf-haikou", [
    { type: "housing-fund.deposit-certificate", data: { citizen, months, status: "active" } },
  ]);
  expect(res.status, res.text).toBe(202);
}

// biome-ignore lint/suspicious/noExplicitAny: a block line's JSON, edited by member
type Line = any;

/** A copy of the export with one block line edited (or removed, when `edit` returns undefined). */
async function tampered(name: string, height: number, edit: (block: Line) => Line): Promise<string> {
  const dir = join(work, name);
  await cp(join(work, "exp"), dir, { recursive: true });
  const file = join(dir, "blocks", "000000.ndjson");
  const lines = (await readFile(file, "utf8")).split("\n").filter(Boolean);
  const changed = lines.flatMap((line) => {
    const block = JSON.parse(line);
    if (block.height !== height) return [line];
    const out = edit(block);
    return out === undefined ? [] : [JSON.stringify(out)];
  });
  await writeFile(file, changed.map((l) => `${l}\n`).join(""));
  return name;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "zhixin-export-"));
  closedUrl = `http://127.0.0.1:${await freePort()}`;
  t = await startTestNode({ introduceKeys: true });
  await certificate("460100199001011234", 36);
  ok(await member(["seal"]), "zhixin seal");
  ok(await member(["trust", "export", "--out", "trust-root.json"]), "zhixin trust export");

  const exported = await member(["export", "--out", "exp", "--as", "hf-haikou"]);
  ok(exported, "zhixin export");
  first.summary = JSON.parse(exported.stdout);
  await cp(join(work, "exp"), join(work, "exp-fork"), { recursive: true });

  await certificate("460100199001015678", 12);
  ok(await member(["seal"]), "zhixin seal (2)");
  await certificate("460100199001019999", 3);
  ok(await member(["seal"]), "zhixin seal (3)");
  const continued = await member(["export", "--out", "exp", "--as", "hf-haikou"]);
  ok(continued, "zhixin export (continued)");
  first.second = JSON.parse(continued.stdout);

  // The same export, but its last block is not the ledger's: a fork or a rewrite.
  const manifestFile = join(work, "exp-fork", "manifest.json");
  const manifest = JSON.parse(await readFile(manifestFile, "utf8"));
  manifest.last.hash = "f".repeat(64);
  await writeFile(manifestFile, JSON.stringify(manifest));
  first.forked = await member(["export", "--out", "exp-fork", "--as", "hf-haikou"]);

  await t.stop();
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("zhixin export", () => {
  it("writes every block, the key records' ids and what the exporter may read", () => {
    expect(first.summary).toMatchObject({
      exportedAs: "hf-haikou",
      added: { from: 1 },
      payloads: { withheld: 0, missing: 0 },
    });
    // npm start's genesis: one key record per department, before the certificate.
    expect(first.summary.keyRecords).toBeGreaterThanOrEqual(6);
  });

  it("continues from its last block, and refuses to extend an export the ledger forked from", () => {
    expect(first.second.added).toMatchObject({ from: first.summary.last.height + 1, blocks: 2, entries: 2 });
    expect(first.second.last.logSize).toBe(first.summary.last.logSize + 2);
    expect(first.forked?.code).toBe(1);
    expect(JSON.parse(first.forked?.stdout ?? "{}").error.code).toBe("EXPORT_FORKED");
  });
});

describe("zhixin verify --export, offline", () => {
  it("audits the whole export against the trust root: clean", async () => {
    const run = await offline(["--export", "exp", "--trust-root", "trust-root.json"]);
    ok(run, "zhixin verify --export");
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      ok: true,
      findings: [],
      entriesChecked: first.second.last.logSize,
      payloads: { checked: first.second.last.logSize, withheld: 0, missing: 0 },
      checkpoint: { size: first.second.last.logSize, minWitnesses: 2 },
    });
    expect(report.checkpoint.witnesses).toHaveLength(3);
    expect(run.stderr).toContain("ok: ");
  });

  it("with the export's own trust root, says whose it is", async () => {
    const run = await offline(["--export", "exp"]);
    ok(run, "zhixin verify --export (own root)");
    expect(run.stderr).toContain("the export's own trust root");
  });

  it.each([
    [
      "a changed payload",
      "PAYLOAD_DIGEST_MISMATCH",
      () =>
        tampered("payload", 2, (b) => {
          b.entries[0].payload = b.entries[0].payload.replace('"months":12', '"months":120');
          return b;
        }),
    ],
    ["a removed block", "HEIGHT_MISMATCH", () => tampered("removed", 2, () => undefined)],
    ["the newest block removed", "LOG_TRUNCATED", () => tampered("truncated", 3, () => undefined)],
    [
      "a tampered header",
      "BLOCK_HASH_MISMATCH",
      () =>
        tampered("header", 1, (b) => {
          b.header.sealedAt = "2020-01-01T00:00:00.000Z";
          return b;
        }),
    ],
  ])("refuses %s: %s, exit 1", async (_what, code, make) => {
    const dir = await make();
    const run = await offline(["--export", dir, "--trust-root", "trust-root.json"]);
    expect(run.code, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout).findings.map((f: { code: string }) => f.code)).toContain(code);
  });

  it("refuses a directory that is no export: EXPORT_INVALID, exit 1", async () => {
    const run = await offline(["--export", "nowhere", "--trust-root", "trust-root.json"]);
    expect([run.code, JSON.parse(run.stdout).error.code]).toEqual([1, "EXPORT_INVALID"]);
  });
});
