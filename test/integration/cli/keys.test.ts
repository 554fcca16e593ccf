import { generateKeyPairSync } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliConsortium, startCliConsortium, submitDeposit, tableSnapshot } from "../../support/cli.js";

// `zhixin keys` as a user runs it (node bin/zhixin.js) against a local consortium whose
// departments have no key on the ledger yet (the CLI harness starts no genesis): a first
// key introduced by itself, a rotation of the local key file (and one finished after it
// was cut short), refusals with their codes and nothing written, and an audit that is
// clean after all of it.

let cli: CliConsortium;
beforeAll(async () => {
  cli = await startCliConsortium("keys");
});
afterAll(async () => {
  await cli?.stop();
});

const OWNER = "hf-haikou";

const submitCert = () => submitDeposit(cli, OWNER);

async function show(member = OWNER) {
  const run = await cli.zhixin(["keys", "show", member, "--as", "hf-sanya"]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { keys: Array<{ keyId: string; status: string }>; records: unknown[] };
}

const snapshot = () => tableSnapshot(cli);

describe("zhixin keys", () => {
  let first = "";

  it("introduce: a department's first key, once; show lists it", async () => {
    expect((await show()).keys).toEqual([]);
    const run = await cli.zhixin(["keys", "introduce", "--as", OWNER]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toEqual({
      member: OWNER,
      introduced: expect.stringMatching(/^hf-haikou\/[0-9a-f]{16}$/),
      entryId: expect.any(String),
    });
    first = out.introduced;
    expect((await show()).keys.map((k) => [k.keyId, k.status])).toEqual([[first, "active"]]);

    const before = await snapshot();
    const again = await cli.zhixin(["keys", "introduce", "--as", OWNER]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("KEY_ID_TAKEN");
    expect(await snapshot()).toEqual(before);
    expect((await submitCert()).code).toBe(0);
  });

  let second = "";

  it("rotate: a new key file, added by the old key, which the new one retires; the CLI signs with the new one", async () => {
    const run = await cli.zhixin(["keys", "rotate", "--as", OWNER]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({
      member: OWNER,
      retired: first,
      addEntry: expect.any(String),
      retireEntry: expect.any(String),
    });
    second = out.active;
    expect((await show()).keys.map((k) => [k.keyId, k.status])).toEqual([
      [first, "retired"],
      [second, "active"],
    ]);
    const files = readdirSync(join(cli.home, "keys"));
    expect(files).toContain(`${OWNER}.pem`);
    expect(files).toContain(`${OWNER}.${first.slice(OWNER.length + 1)}.retired.pem`);
    expect(files).not.toContain(`${OWNER}.next.pem`);
    expect((await submitCert()).code).toBe(0);
  });

  it("rotate finishes a rotation cut short after the add", async () => {
    // As if a run had written the next key and recorded its add, then stopped.
    const next = join(cli.home, "keys", `${OWNER}.next.pem`);
    const pem = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }) as string;
    await writeFile(next, pem, { mode: 0o600 });
    const added = await cli.zhixin(["keys", "add", "--as", OWNER, "--new-key-file", next]);
    expect(added.code, added.stderr).toBe(0);
    const third = JSON.parse(added.stdout).added as string;

    const run = await cli.zhixin(["keys", "rotate", "--as", OWNER]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ retired: second, active: third, retireEntry: expect.any(String) });
    expect(out.addEntry).toBeUndefined(); // the add was on the ledger already
    expect(existsSync(next)).toBe(false);
    expect((await show()).keys.map((k) => k.status)).toEqual(["retired", "retired", "active"]);
    expect((await submitCert()).code).toBe(0);
  });

  it("refuses with its code, and writes nothing: a retired key retired again, a malformed key id or time", async () => {
    const before = await snapshot();
    const retired = await cli.zhixin(["keys", "retire", first, "--as", OWNER]);
    expect([retired.code, retired.stderr.includes("KEY_STATE_CONFLICT")]).toEqual([1, true]);
    const badId = await cli.zhixin(["keys", "retire", "key-1", "--as", OWNER]);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain("<member>/<16 hex digits>");
    const badTime = await cli.zhixin([
      "keys",
      "revoke",
      first,
      "--compromised-since",
      "yesterday",
      "--as",
      OWNER,
    ]);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toContain("RFC 3339");
    expect(await snapshot()).toEqual(before);
  });

  it("the audit is clean after the introduction and both rotations", async () => {
    expect((await cli.zhixin(["seal"])).code).toBe(0);
    const result = await cli.zhixin(["verify", "--forget"]);
    expect(result.code, result.stdout).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, findings: [] });
  });

  it("--help of each keys command has an example", async () => {
    for (const command of ["show", "rotate", "introduce", "add", "retire", "revoke", "cosign"]) {
      const run = await cli.zhixin(["keys", command, "--help"]);
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toContain(`zhixin keys ${command}`);
    }
    const group = await cli.zhixin(["keys", "--help"]);
    expect(group.stdout).toMatch(
      /^Usage: zhixin keys <show \| rotate \| introduce \| add \| retire \| revoke \| cosign>/,
    );
  });
});
