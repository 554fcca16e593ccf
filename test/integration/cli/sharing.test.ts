import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INTL } from "../../../lib/chain/index.js";
import { contractVersion } from "../../../lib/protocol/contracts.js";
import { type CliConsortium, type CliRun, ROOT, startCliConsortium } from "../../support/cli.js";

// S1 through the `zhixin` CLI (node bin/zhixin.js, a child process) against a whole local
// consortium started in this process: Haikou proposes the contract, Sanya approves it,
// asks match questions with and without the citizen's authorisation, both read the
// citizen's access trail, and a revoke stops the answers.

const CONTRACT_FILE = join(ROOT, "examples", "contracts", "s1-housing-fund-certificate.json");
const DOCUMENT = JSON.parse(readFileSync(CONTRACT_FILE, "utf8"));
const CONTRACT_ID = "s1-hf-deposit-certificate";
const CITIZEN = "460100199001011234";
const DIGEST = "ab".repeat(32);
const ENTRY_ID = /^[0-9a-f]{32}$/;

/** A refused match: `zhixin: CODE: message`, then the API's error body as JSON. */
function refusal(run: CliRun): { code: string; message: string; details: { accessEntryId: string } } {
  const [line, ...rest] = run.stderr.split("\n");
  expect(line).toMatch(/^zhixin: [A-Z_]+: /);
  return JSON.parse(rest.join("\n")).error;
}

/** Sanya asks about the citizen under S1; --where and --authorisation-* are added per test. */
const ASK = ["match", "--as", "hf-sanya", "--contract", CONTRACT_ID, "--subject", CITIZEN];
const matchS1 = [...ASK, "--where", "months>=12", "--where", "status=active"];

let cli: CliConsortium;

beforeAll(async () => {
  cli = await startCliConsortium("sharing");
});

afterAll(async () => {
  await cli?.stop();
});

describe("zhixin contract, match and access (S1)", () => {
  let version = "";
  let answerEntry = "";
  let refusedEntry = "";
  let fileEntry = "";

  it("help lists the new commands, the contract subcommands and every option", async () => {
    const top = await cli.zhixin(["--help"]);
    expect(top.code).toBe(0);
    for (const command of ["contract propose", "contract approve", "contract revoke", "contract show"]) {
      expect(top.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
    expect(top.stdout).toMatch(/^ {2}match /m);
    expect(top.stdout).toMatch(/^ {2}access /m);

    const group = await cli.zhixin(["contract", "--help"]);
    expect(group.code).toBe(0);
    for (const sub of ["propose", "approve", "revoke", "show"]) {
      expect(group.stdout).toMatch(new RegExp(`^  ${sub} `, "m"));
    }

    const options: Array<[string[], string[]]> = [
      [
        ["contract", "propose"],
        ["--as", "--file", "--kms-key", "Example:"],
      ],
      [
        ["contract", "approve"],
        ["--as", "--version", "--kms-key", "Example:"],
      ],
      [
        ["contract", "revoke"],
        ["--as", "--reason", "--kms-key", "Example:"],
      ],
      [
        ["contract", "show"],
        ["--as", "--kms-key", "Example:"],
      ],
      [
        ["match"],
        [
          "--as",
          "--contract",
          "--subject",
          "--where",
          "--fields",
          "--authorisation-ref",
          "--authorisation-file",
          "--authorisation-digest",
          "--kms-key",
          "Example:",
        ],
      ],
      [["access"], ["--as", "--subject", "--kms-key", "Example:"]],
    ];
    const runs = await Promise.all(options.map(([command]) => cli.zhixin([...command, "--help"])));
    for (const [i, run] of runs.entries()) {
      const [command, flags] = options[i] as [string[], string[]];
      expect(run.code, command.join(" ")).toBe(0);
      expect(run.stdout).toContain(`Usage: zhixin ${command.join(" ")} `);
      for (const flag of flags) expect(run.stdout, `${command.join(" ")} ${flag}`).toContain(flag);
    }
    // `zhixin help contract approve` is the same text as `zhixin contract approve --help`.
    expect((await cli.zhixin(["help", "contract", "approve"])).stdout).toBe(runs[1]?.stdout);
  });

  it("refuses a bad contract file with every problem listed, exit 2, and sends nothing", async () => {
    const bad = await cli.writeWork(
      "bad-contract.json",
      JSON.stringify({ ...DOCUMENT, consumer: DOCUMENT.provider, purpose: undefined, colour: "red" }),
    );
    const notJson = await cli.writeWork("not-json.json", "{ id: s1");
    const [run, garbled] = await Promise.all([
      cli.zhixin(["contract", "propose", "--as", "hf-haikou", "--file", bad]),
      cli.zhixin(["contract", "propose", "--as", "hf-haikou", "--file", notJson]),
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`zhixin: ${bad} is not a valid contract document:`);
    expect(run.stderr).toMatch(/^ {2}purpose: required$/m);
    expect(run.stderr).toContain("colour");
    expect(garbled.code).toBe(2);
    expect(garbled.stderr).toContain(`zhixin: ${notJson}: not JSON`);

    const show = await cli.zhixin(["contract", "show", CONTRACT_ID]);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain("zhixin: CONTRACT_NOT_FOUND:");
    expect(JSON.parse((await cli.zhixin(["seal"])).stdout)).toMatchObject({
      sealed: false,
      reason: "nothing-pending",
    });
  });

  it("bad usage exits 2 with the command's usage", async () => {
    const cases = [
      ["contract"],
      ["contract", "frobnicate"],
      ["contract", "approve", "--as", "hf-sanya"],
      ["contract", "approve", "--as", "hf-sanya", CONTRACT_ID, "--version", "abc"],
      ["contract", "show", "Not_An_Id"],
      ["contract", "revoke", CONTRACT_ID],
      ["match", "--as", "hf-sanya", "--subject", CITIZEN],
      [...matchS1, "--where", "months"],
      [...matchS1, "--authorisation-ref", "r-1"],
      [...matchS1, "--authorisation-digest", DIGEST],
      [...matchS1, "--authorisation-ref", "r-1", "--authorisation-digest", "xyz"],
      [
        ...matchS1,
        "--authorisation-ref",
        "r-1",
        "--authorisation-digest",
        DIGEST,
        "--authorisation-file",
        "x",
      ],
      ["access", "--as", "hf-haikou"],
    ];
    const runs = await Promise.all(cases.map((args) => cli.zhixin(args)));
    for (const [i, run] of runs.entries()) {
      const args = (cases[i] ?? []).join(" ");
      expect(run.code, args).toBe(2);
      expect(run.stderr, args).toMatch(/^zhixin: /);
      expect(run.stderr, args).toMatch(/Usage: zhixin (contract|match|access)/);
      expect(run.stdout, args).toBe("");
    }
  });

  it("hf-haikou proposes the S1 contract: contractId, the version of its canonical JSON, the entry", async () => {
    const run = await cli.zhixin(["contract", "propose", "--as", "hf-haikou", "--file", CONTRACT_FILE]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toEqual({
      contractId: CONTRACT_ID,
      version: contractVersion(INTL, DOCUMENT),
      entryId: expect.stringMatching(ENTRY_ID),
    });
    version = out.version;

    const show = await cli.zhixin(["contract", "show", CONTRACT_ID, "--as", "hf-sanya"]);
    expect(show.code).toBe(0);
    const state = JSON.parse(show.stdout);
    expect(state.versions).toEqual([
      expect.objectContaining({
        version,
        status: "proposed",
        proposedBy: "hf-haikou",
        proposeEntry: out.entryId,
      }),
    ]);
    expect(state.effective).toEqual({ version: null, reason: expect.stringContaining("not approved") });
  });

  it("hf-sanya approves the newest proposed version without --version; then nothing is left to approve", async () => {
    const run = await cli.zhixin(["contract", "approve", "--as", "hf-sanya", CONTRACT_ID]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toEqual({ contractId: CONTRACT_ID, version, entryId: expect.stringMatching(ENTRY_ID) });

    const state = JSON.parse((await cli.zhixin(["contract", "show", CONTRACT_ID])).stdout);
    expect(state.versions[0]).toMatchObject({
      status: "approved",
      proposedBy: "hf-haikou",
      approvedBy: "hf-sanya",
      approveEntry: out.entryId,
    });
    expect(state.effective).toEqual({ version });

    const again = await cli.zhixin(["contract", "approve", "--as", "hf-sanya", CONTRACT_ID]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("zhixin: CONTRACT_STATE_CONFLICT:");
    expect(again.stderr).toContain("approved");
  });

  it("hf-sanya asks with the citizen's authorisation: match true, recorded as an access entry", async () => {
    const cert = await cli.writeWork(
      "cert.json",
      JSON.stringify({ citizen: CITIZEN, months: 30, status: "active" }),
    );
    const submit = await cli.zhixin([
      "submit",
      "--as",
      "hf-haikou",
      "--type",
      "housing-fund.deposit-certificate",
      "--file",
      cert,
    ]);
    expect(submit.code, submit.stderr).toBe(0);

    const run = await cli.zhixin([
      ...matchS1,
      "--authorisation-ref",
      "r-1",
      "--authorisation-digest",
      DIGEST,
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout);
    expect(answer).toEqual({
      match: true,
      contract: { id: CONTRACT_ID, version },
      accessEntryId: expect.stringMatching(ENTRY_ID),
    });
    answerEntry = answer.accessEntryId;
  });

  it("without the authorisation: exit 1, AUTHORISATION_REQUIRED and the access entry that recorded it", async () => {
    const run = await cli.zhixin(matchS1);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("zhixin: AUTHORISATION_REQUIRED:");
    const error = refusal(run);
    expect(error.code).toBe("AUTHORISATION_REQUIRED");
    expect(error.details.accessEntryId).toMatch(ENTRY_ID);
    refusedEntry = error.details.accessEntryId;
  });

  it("--authorisation-file sends the SHA-256 of the file's bytes", async () => {
    const consent = "signed consent of citizen 460100199001011234\n";
    const file = await cli.writeWork("consent.txt", consent);
    const run = await cli.zhixin([
      ...ASK,
      "--where",
      " months >= 36 ",
      "--authorisation-ref",
      "r-2",
      "--authorisation-file",
      file,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const answer = JSON.parse(run.stdout);
    expect(answer.match).toBe(false);
    fileEntry = answer.accessEntryId;

    const trail = JSON.parse((await cli.zhixin(["access", "--subject", CITIZEN])).stdout);
    const recorded = trail.accesses.find((a: { entry: { id: string } }) => a.entry.id === fileEntry);
    expect(recorded.access).toMatchObject({
      authorisation: { ref: "r-2", digest: createHash("sha256").update(consent).digest("hex") },
      fieldsTested: ["months"],
      result: "no-match",
    });
  });

  it("a quoted number is text: months as a string is SCHEMA_VIOLATION, exit 1, and not recorded", async () => {
    const run = await cli.zhixin([
      ...ASK,
      "--where",
      'months="12"',
      "--authorisation-ref",
      "r-3",
      "--authorisation-digest",
      DIGEST,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("zhixin: SCHEMA_VIOLATION:");
    expect(JSON.parse(run.stderr.slice(run.stderr.indexOf("\n") + 1)).error.details).toEqual([
      expect.objectContaining({ path: "where.0.value" }),
    ]);
  });

  it("the provider's trail of the citizen lists every question, in order, and never the citizen", async () => {
    const run = await cli.zhixin(["access", "--as", "hf-haikou", "--subject", CITIZEN]);
    expect(run.code, run.stderr).toBe(0);
    const trail = JSON.parse(run.stdout);
    expect(trail.truncated).toBe(false);
    expect(trail.subjectHmac).toMatch(/^[0-9a-f]{64}$/);
    expect(trail.accesses.map((a: { entry: { id: string } }) => a.entry.id)).toEqual([
      answerEntry,
      refusedEntry,
      fileEntry,
    ]);
    expect(trail.accesses.map((a: { access: { result: string } }) => a.access.result)).toEqual([
      "match",
      "refused",
      "no-match",
    ]);
    expect(trail.accesses[0]).toMatchObject({
      consumer: "hf-sanya",
      access: {
        contract: CONTRACT_ID,
        version,
        provider: "hf-haikou",
        fieldsTested: ["months", "status"],
        authorisation: { ref: "r-1", digest: DIGEST },
      },
    });
    expect(trail.accesses[1].access.refusal).toBe("AUTHORISATION_REQUIRED");
    expect(run.stdout).not.toContain(CITIZEN);

    // Neither consumer nor provider: nothing to see.
    const other = JSON.parse(
      (await cli.zhixin(["access", "--as", "market-regulation", "--subject", CITIZEN])).stdout,
    );
    expect(other.accesses).toEqual([]);
  });

  it("hf-haikou revokes (default reason); match is then refused with CONTRACT_NOT_EFFECTIVE", async () => {
    const run = await cli.zhixin(["contract", "revoke", "--as", "hf-haikou", CONTRACT_ID]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toEqual({ contractId: CONTRACT_ID, entryId: expect.stringMatching(ENTRY_ID) });
    const entry = JSON.parse((await cli.zhixin(["get", out.entryId, "--as", "hf-haikou"])).stdout);
    expect(entry.payload).toEqual({ contractId: CONTRACT_ID, reason: "revoked by hf-haikou" });

    const state = JSON.parse(
      (await cli.zhixin(["contract", "show", CONTRACT_ID, "--as", "hf-sanya"])).stdout,
    );
    expect(state.versions[0].status).toBe("revoked");
    expect(state.revokeEntry).toBe(out.entryId);
    expect(state.revokedAt).toEqual(expect.any(String));
    expect(state.effective).toEqual({ version: null, reason: expect.stringContaining("revoked") });

    const refused = await cli.zhixin([
      ...matchS1,
      "--authorisation-ref",
      "r-1",
      "--authorisation-digest",
      DIGEST,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("zhixin: CONTRACT_NOT_EFFECTIVE:");
    expect(refusal(refused).details.accessEntryId).toMatch(ENTRY_ID);

    // Nothing is left to revoke.
    const again = await cli.zhixin([
      "contract",
      "revoke",
      "--as",
      "hf-sanya",
      CONTRACT_ID,
      "--reason",
      "twice",
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("zhixin: CONTRACT_STATE_CONFLICT:");
  });

  it("contract records and access entries seal and verify", async () => {
    expect(JSON.parse((await cli.zhixin(["seal"])).stdout)).toMatchObject({ sealed: true });
    const run = await cli.zhixin(["verify"]);
    expect(run.code, run.stdout).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, findings: [] });
  });
});
