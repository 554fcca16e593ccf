import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { consortiumFileFrom, loadStackConfig } from "../../cdk/lib/config.js";
import { consortiumProblems } from "../support/consortium-file.js";
import { EXAMPLE_FILE, readExample, writeConsortium } from "./support.js";

const run = promisify(execFile);

/** The demo file with several problems at once: some the shared schema finds, some only AWS needs. */
function badConsortium(): Record<string, unknown> {
  const c = readExample() as {
    departments: Record<string, unknown>[];
    auditors: Record<string, unknown>[];
    recordTypes: { writers: string[] }[];
    aws: Record<string, unknown>;
  };
  delete c.departments[0]?.principal; // AWS only: nobody could assume hf-haikou's role
  (c.departments[1] as Record<string, unknown>).principal = "arn:aws:iam::12345:role/x"; // not an account id
  (c.departments[2] as Record<string, unknown>).alg = "rsa"; // unknown alg
  delete c.auditors[0]?.principal; // AWS only
  c.aws.sealEveryMinutes = 0; // EventBridge's finest rate is one minute
  c.aws.logRetentionDays = 100; // AWS only: not a CloudWatch Logs retention
  return c;
}

describe("consortium file → stack config", () => {
  it("accepts the demo file, with a principal for every member and the aws defaults", () => {
    const { file, consortium } = loadStackConfig(EXAMPLE_FILE);
    expect(file).toBe(EXAMPLE_FILE);
    for (const m of [...consortium.departments, ...consortium.auditors])
      expect(m.principal).toMatch(/^\d{12}$/);
    expect(consortium.aws.sealEveryMinutes).toBe(1);
  });

  it("applies the aws block's defaults when the file has none", () => {
    const c = readExample();
    delete c.aws;
    const { consortium } = loadStackConfig(writeConsortium(c));
    expect(consortium.aws).toEqual({
      sealEveryMinutes: 1,
      sealLoopSeconds: 10,
      throttle: { rateLimit: 200, burstLimit: 400 },
      logRetentionDays: 365,
      maxPendingAgeSeconds: 300,
      auditEveryHours: 24,
      tileRetentionDays: 3653,
      alerts: { emails: [], https: [], monthlyBudgetUsd: 100 },
      backup: { dailyDays: 7, monthlyDays: 3653, lockDays: 7 },
      console: true,
    });
  });

  it("refuses alerts and backups AWS would refuse: a non-https endpoint, a vault lock longer than a retention", () => {
    const c = readExample();
    c.aws = {
      alerts: { emails: ["not an address"], https: ["http://pager.example/hook"] },
      backup: { dailyDays: 7, monthlyDays: 365, lockDays: 30 },
    };
    const problems = consortiumProblems(() => loadStackConfig(writeConsortium(c)));
    expect(problems.map((p) => p.slice(0, p.indexOf(":"))).sort()).toEqual(
      ["aws.alerts.emails.0", "aws.alerts.https.0", "aws.backup"].sort(),
    );
    expect(problems.find((p) => p.startsWith("aws.backup"))).toMatch(/lockDays cannot exceed dailyDays/);
  });

  it("reports every problem of a bad file at once, each with its path", () => {
    const file = writeConsortium(badConsortium());
    const problems = consortiumProblems(() => loadStackConfig(file));
    const paths = problems.map((p) => p.slice(0, p.indexOf(":")));
    expect(paths.sort()).toEqual(
      [
        "departments.0.principal",
        "departments.1.principal",
        "departments.2.alg",
        "auditors.0.principal",
        "aws.sealEveryMinutes",
        "aws.logRetentionDays",
      ].sort(),
    );
    expect(problems.find((p) => p.startsWith("departments.0.principal"))).toMatch(
      /required on AWS.*hf-haikou/,
    );
    expect(problems.find((p) => p.startsWith("aws.logRetentionDays"))).toMatch(/100 is not one of them/);
  });

  it("still reports the AWS-only problems when the schema rejects the file's shape", () => {
    const c = readExample() as { departments: Record<string, unknown>[]; log: unknown };
    c.log = 42;
    delete c.departments[3]?.principal;
    const problems = consortiumProblems(() => loadStackConfig(writeConsortium(c)));
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual(["departments.3.principal", "log"]);
  });

  it("rejects member ids that would give two members the same stack output names", () => {
    const c = readExample() as { departments: Record<string, unknown>[] };
    c.departments.push({ ...c.departments[0], id: "hfhaikou" }, { ...c.departments[0], id: "hf-haikou2" });
    c.departments.push({ ...c.departments[0], id: "hf-haikou-2" });
    const problems = consortiumProblems(() => loadStackConfig(writeConsortium(c)));
    expect(problems).toEqual([
      expect.stringMatching(/^departments\.8\.id: hf-haikou-2 and hf-haikou2 .*HfHaikou2RoleArn/),
    ]);
  });

  it("rejects members' keys in more than one region: the ledger's functions read them all in its own", () => {
    const c = readExample() as {
      departments: Record<string, unknown>[];
      auditors: Record<string, unknown>[];
    };
    const key = (region: string, account: string) =>
      `arn:aws:kms:${region}:${account}:key/00000000-0000-4000-8000-${account}`;
    (c.departments[0] as Record<string, unknown>).keyArn = key("ap-east-1", "111111111111");
    (c.departments[1] as Record<string, unknown>).keyArn = key("ap-east-1", "222222222222");
    (c.auditors[0] as Record<string, unknown>).keyArn = key("ap-southeast-1", "777777777777");
    expect(consortiumProblems(() => loadStackConfig(writeConsortium(c)))).toEqual([
      expect.stringMatching(/^auditors\.0\.keyArn: .*ap-southeast-1.*ap-east-1/),
    ]);
    (c.auditors[0] as Record<string, unknown>).keyArn = key("ap-east-1", "777777777777");
    expect(loadStackConfig(writeConsortium(c)).consortium.auditors[0]?.keyArn).toMatch(/:ap-east-1:/);
  });

  it("says so when the file cannot be read or is not JSON", () => {
    expect(consortiumProblems(() => loadStackConfig("/nonexistent/consortium.json"))).toEqual([
      expect.stringMatching(/^cannot read:/),
    ]);
    expect(consortiumProblems(() => loadStackConfig(writeConsortium("{ nope")))).toEqual([
      expect.stringMatching(/^not JSON:/),
    ]);
  });

  it("takes the file from -c consortium=, else ZHIXIN_CONSORTIUM, else the demo file", () => {
    expect(consortiumFileFrom("a.json", { ZHIXIN_CONSORTIUM: "b.json" })).toBe(resolve("a.json"));
    expect(consortiumFileFrom(undefined, { ZHIXIN_CONSORTIUM: "b.json" })).toBe(resolve("b.json"));
    expect(consortiumFileFrom(undefined, {})).toBe(EXAMPLE_FILE);
  });

  it("`cdk synth` with a bad file fails, listing all of its problems", async () => {
    const file = writeConsortium(badConsortium());
    const out = mkdtempSync(join(tmpdir(), "zhixin-cdk-out-"));
    const failure = await run(
      resolve("node_modules/.bin/cdk"),
      ["synth", "--quiet", "-c", `consortium=${file}`, "--output", out],
      { env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" } },
    ).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toContain(`${file} has 6 problem(s):`);
    for (const path of ["departments.0.principal", "departments.1.principal", "departments.2.alg"]) {
      expect(failure?.stderr).toContain(`  - ${path}: `);
    }
    for (const path of ["auditors.0.principal", "aws.sealEveryMinutes", "aws.logRetentionDays"]) {
      expect(failure?.stderr).toContain(`  - ${path}: `);
    }
  });
});
