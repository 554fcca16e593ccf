import { generateKeyPairSync } from "node:crypto";
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyFile } from "../../../lib/local-home.js";
import { type CliConsortium, startCliConsortium, submitDeposit, tableSnapshot } from "../../support/cli.js";
import { captured } from "../../support/output.js";

// A department's stolen key recovered by the other departments with `zhixin keys`, as
// users run it (node bin/zhixin.js) against a local consortium of six departments
// (docs/design/key-history.md §3 rule 4): hf-sanya revokes hf-haikou's key back to when it
// was stolen and adds the key hf-haikou made anew (whose record hf-haikou printed), each
// counting once two more departments cosign it (3 of the 5 others); hf-haikou then signs
// with its new key, and the audit names exactly what the stolen key signed after it was stolen.

let cli: CliConsortium;
beforeAll(async () => {
  cli = await startCliConsortium("keys-recovery");
});
afterAll(async () => {
  await cli?.stop();
});

const VICTIM = "hf-haikou";
const WRITER = "hf-sanya";

const submitCert = () => submitDeposit(cli, VICTIM);

async function json(args: string[]) {
  const run = await cli.zhixin(args);
  expect(run.code, `${args.join(" ")}\n${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout);
}

const snapshot = () => tableSnapshot(cli);

describe("zhixin keys: recovery of a stolen key by the other departments", () => {
  let stolen = "";
  /** What the stolen key signed at or after compromisedSince: the thief's record, and one while the revoke awaited cosigns. */
  const afterCompromise: string[] = [];
  let compromisedSince = "";

  it("the victim's key is on the ledger and signs; a thief signs with it too", async () => {
    stolen = (await json(["keys", "introduce", "--as", VICTIM])).introduced;
    expect((await submitCert()).code).toBe(0);
    compromisedSince = new Date(Date.now() + 5).toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const thief = await submitCert();
    expect(thief.code, thief.stderr).toBe(0);
    afterCompromise.push(JSON.parse(thief.stdout).entries[0].id);
  });

  it("revoke --as another department: pending until two more cosign, the key signing meanwhile; then refused", async () => {
    // Another member's key is revoked only when named: --for.
    const before = await snapshot();
    const unnamed = await cli.zhixin([
      "keys",
      "revoke",
      stolen,
      "--compromised-since",
      compromisedSince,
      "--as",
      WRITER,
    ]);
    expect([unnamed.code, unnamed.stderr.includes(`add --for ${VICTIM}`)]).toEqual([2, true]);
    expect(await snapshot()).toEqual(before);
    const revoke = await json([
      "keys",
      "revoke",
      stolen,
      "--compromised-since",
      compromisedSince,
      "--for",
      VICTIM,
      "--as",
      WRITER,
    ]);
    expect(revoke).toMatchObject({
      member: VICTIM,
      revoked: stolen,
      pending: {
        kind: "recovery",
        cosignsNeeded: 2,
        cosign: `zhixin keys cosign ${revoke.entryId} --for ${VICTIM} --as <department>`,
      },
    });
    const first = await json(["keys", "cosign", revoke.entryId, "--for", VICTIM, "--as", "civil-affairs"]);
    expect(first).toMatchObject({
      member: VICTIM,
      cosigned: {
        entryId: revoke.entryId,
        type: "zhixin.key.revoke",
        writer: WRITER,
        data: { keyId: stolen },
      },
      by: "civil-affairs",
      tookEffect: false,
      cosigners: ["civil-affairs"],
      cosignsNeeded: 1,
    });
    // Still the victim's key until the revoke counts — and, signed after compromisedSince, revoked then.
    const meanwhile = await submitCert();
    expect(meanwhile.code, meanwhile.stderr).toBe(0);
    afterCompromise.push(JSON.parse(meanwhile.stdout).entries[0].id);
    const last = await json(["keys", "cosign", revoke.entryId, "--for", VICTIM, "--as", "internet-court"]);
    expect(last).toMatchObject({ tookEffect: true, by: "internet-court" });
    const refused = await submitCert();
    expect([refused.code, refused.stderr.includes("KEY_NOT_VALID")]).toEqual([1, true]);
    // And a further cosign of a record that counts already is refused, writing nothing.
    const stable = await snapshot();
    const late = await cli.zhixin([
      "keys",
      "cosign",
      revoke.entryId,
      "--for",
      VICTIM,
      "--as",
      "service-centre",
    ]);
    expect(late.code).toBe(2);
    expect(late.stderr).toContain("not a key record of hf-haikou awaiting cosigns");
    expect(await snapshot()).toEqual(stable);
  });

  it("add --for: the victim prints the record of its new key, another department submits it, two cosign it; the new key signs", async () => {
    const pem = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }) as string;
    const newKey = join(cli.work, "hf-haikou.new.pem");
    await writeFile(newKey, pem, { mode: 0o600 });
    const print = await cli.zhixin([
      "keys",
      "add",
      "--print-record",
      "--for",
      VICTIM,
      "--new-key-file",
      newKey,
    ]);
    expect(print.code, print.stderr).toBe(0);
    const record = JSON.parse(print.stdout);
    expect(record).toMatchObject({ type: "zhixin.key.add", data: { owner: VICTIM, role: "department" } });
    const recordFile = await cli.writeWork("add.json", print.stdout);

    // A record of another member's key is refused before anything is sent.
    const wrong = await cli.zhixin([
      "keys",
      "add",
      "--for",
      "market-regulation",
      "--record",
      recordFile,
      "--as",
      WRITER,
    ]);
    expect([wrong.code, wrong.stderr.includes("adds a key of hf-haikou, not of market-regulation")]).toEqual([
      2,
      true,
    ]);

    const add = await json(["keys", "add", "--for", VICTIM, "--record", recordFile, "--as", WRITER]);
    expect(add).toMatchObject({
      member: VICTIM,
      added: record.data.keyId,
      pending: { kind: "recovery", cosignsNeeded: 2 },
    });
    // Its writer may not cosign it: the ledger refuses, and the CLI says who may not.
    const before = await snapshot();
    const byWriter = await cli.zhixin(["keys", "cosign", add.entryId, "--for", VICTIM, "--as", WRITER]);
    expect(byWriter.code).toBe(1);
    expect(byWriter.stderr).toContain("KEY_COSIGN_REFUSED");
    expect(byWriter.stderr).toContain("the record's writer");
    expect(await snapshot()).toEqual(before);
    await json(["keys", "cosign", add.entryId, "--for", VICTIM, "--as", "market-regulation"]);
    expect(
      await json(["keys", "cosign", add.entryId, "--for", VICTIM, "--as", "service-centre"]),
    ).toMatchObject({
      tookEffect: true,
    });
    const shown = await json(["keys", "show", VICTIM, "--as", WRITER]);
    expect(shown.keys.map((k: { keyId: string; status: string }) => [k.keyId, k.status])).toEqual([
      [stolen, "revoked"],
      [record.data.keyId, "active"],
    ]);
    expect(shown.pending).toEqual([]);

    await copyFile(keyFile(cli.home, VICTIM), join(cli.work, "hf-haikou.stolen.pem"));
    await copyFile(newKey, keyFile(cli.home, VICTIM));
    const signed = await submitCert();
    expect(signed.code, signed.stderr).toBe(0);
  });

  it("the audit names exactly what the stolen key signed at or after compromisedSince", async () => {
    expect((await cli.zhixin(["seal"])).code).toBe(0);
    // The node logs an audit with findings; this one is expected to have some.
    const { result, output } = await captured(() => cli.zhixin(["verify", "--forget"]));
    const report = JSON.parse(result.stdout);
    expect(output.logLines().filter((l) => l.message === "audit findings")).toHaveLength(1);
    expect(
      report.findings.map((f: { code: string; entryId?: string }) => [f.code, f.entryId]).sort(),
    ).toEqual(afterCompromise.map((id) => ["KEY_REVOKED", id]).sort());
  });

  it("rotate with the revoked key says how the other departments recover the member", async () => {
    await copyFile(keyFile(cli.home, VICTIM), join(cli.work, "hf-haikou.recovered.pem"));
    await copyFile(join(cli.work, "hf-haikou.stolen.pem"), keyFile(cli.home, VICTIM));
    const run = await cli.zhixin(["keys", "rotate", "--as", VICTIM]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is retired or revoked and cannot add a key");
    expect(run.stderr).toContain("zhixin keys add --print-record --for hf-haikou");
    await copyFile(join(cli.work, "hf-haikou.recovered.pem"), keyFile(cli.home, VICTIM));
  });
});
