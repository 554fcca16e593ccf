import { readFileSync } from "node:fs";
import type { App, Stack } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCosignatureVerifierKey } from "#chain";
import type { ZhixinApp } from "../../cdk/lib/app.js";
import { loadStackConfig, type ZhixinConsortium } from "../../cdk/lib/config.js";
import { outputName } from "../../cdk/lib/defaults.js";
import { SYNTH_WARNINGS } from "../../cdk/lib/zhixin-stack.js";
import { accountOfKeyArn, witnessName } from "../../lib/consortium/consortium.js";
import { captureOutput } from "../support/output.js";
import {
  aliasDependencies,
  allows,
  asList,
  buildApp,
  buildZhixinApp,
  type CfnTemplate,
  functionByService,
  grantsOf,
  identityStatements,
  jsonOf,
  keysByAlias,
  memberResources,
  OWN_KEYS_FILE,
  refId,
  resourcesOf,
  type Statement,
  tagsOf,
  warningsOf,
  writeConsortium,
} from "./support.js";

// examples/consortium.own-keys.json, the production layout (docs/DEPLOY.md, "Members' keys"):
// every department's and auditor's request-signing key in its own account, named in the file
// by its keyArn. Built as `npm run synth -- -c consortium=examples/consortium.own-keys.json`
// builds it (cdk/lib/app.ts: the consortium's stack and every member's stack, cdk-nag as a
// validation plugin) and synthesised once; then the mixed layout, where some keys stay in the
// ledger account. Resources are found by tags, aliases and services, never by logical ids.

let built: { app: App; stack: ZhixinApp };
let synthesis: { stdout: string; stderr: string };
let c: ZhixinConsortium;
let t: CfnTemplate;

const members = () => [...c.departments, ...c.auditors];
const keyArnOf = (id: string): string => {
  const arn = members().find((m) => m.id === id)?.keyArn;
  if (arn === undefined) throw new Error(`${id} has no keyArn`);
  return arn;
};
/** The consortium stack's role for a member, found by its zhixin:member tag. */
const memberRole = (template: CfnTemplate, id: string): string => {
  const found = resourcesOf(template, "AWS::IAM::Role").filter(([, r]) => tagsOf(r)["zhixin:member"] === id);
  expect(found, id).toHaveLength(1);
  return found[0]?.[0] as string;
};
const readers = (template: CfnTemplate) =>
  ["zhixin-submit", "zhixin-verify"].map((s) => functionByService(template, s).role);
beforeAll(() => {
  c = loadStackConfig(OWN_KEYS_FILE).consortium;
  built = buildZhixinApp(OWN_KEYS_FILE, { bundle: false });
  // The app's synthesis, validation plugins and all: whatever it prints is asserted below.
  const output = captureOutput();
  try {
    built.app.synth();
  } finally {
    output.stop();
  }
  synthesis = { stdout: output.stdout, stderr: output.stderr };
  t = jsonOf(built.stack.consortium as Stack);
});

describe("the production layout's example", () => {
  it("names every member's key in its own account, the ledger account, and each witness as its member stack names it", () => {
    expect(c.aws.ledgerAccount).toMatch(/^\d{12}$/);
    expect(c.auditors.length).toBeGreaterThan(0);
    expect(c.departments.some((d) => d.witness === false)).toBe(true);
    expect(c.recordTypes.length).toBeGreaterThanOrEqual(2);
    for (const m of members()) {
      expect(accountOfKeyArn(keyArnOf(m.id)), m.id).toBe(m.principal);
      expect(accountOfKeyArn(keyArnOf(m.id)), m.id).not.toBe(c.aws.ledgerAccount);
    }
    const witnesses = c.departments.flatMap((d) =>
      typeof d.witness === "object" ? [[d.id, d.witness]] : [],
    );
    expect(witnesses.length).toBeGreaterThanOrEqual(2);
    for (const [id, w] of witnesses as [string, { vkey: string }][])
      expect(parseCosignatureVerifierKey(w.vkey).name, id).toBe(witnessName(c.consortium, id));
  });

  it("synthesises through the app as `npm run synth` does: every stack cdk-nag clean, nothing to warn about", () => {
    expect(synthesis).toEqual({ stdout: "", stderr: "" });
    const consortium = built.stack.consortium as Stack;
    expect(consortium.stackName).toBe("Zhixin-hainan");
    expect(built.stack.members.map((s) => s.stackName)).toEqual(
      members().map((m) => `ZhixinMember-hainan-${m.id}`),
    );
    for (const stack of [consortium, ...built.stack.members]) {
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(
        report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`),
        stack.stackName,
      ).toEqual([]);
      expect(warningsOf(stack), stack.stackName).toEqual([]);
    }
  });
});

describe("the consortium stack, every member's key in its own account", () => {
  it("creates no member key: its only signing key is the sealer's, its aliases the sealer's and the subject key's", () => {
    const signing = resourcesOf(t, "AWS::KMS::Key").filter(
      ([, r]) => r.Properties?.KeyUsage === "SIGN_VERIFY",
    );
    expect(signing.map(([id]) => id)).toEqual([keysByAlias(t).get("alias/zhixin/hainan/sealer")]);
    expect(
      resourcesOf(t, "AWS::KMS::Key").filter(([, r]) => tagsOf(r)["zhixin:member"] !== undefined),
    ).toEqual([]);
    expect([...keysByAlias(t).keys()].sort()).toEqual([
      "alias/zhixin/hainan/sealer",
      "alias/zhixin/hainan/subject",
    ]);
  });

  it("keeps each member's role in the ledger account, trusting its principal, with no KMS permission", () => {
    for (const m of members()) {
      const role = memberRole(t, m.id);
      expect(JSON.stringify(t.Resources[role]?.Properties?.AssumeRolePolicyDocument), m.id).toContain(
        `:iam::${m.principal}:root`,
      );
      const actions = [...grantsOf(t, role).keys()];
      expect(actions, m.id).toContain("execute-api:Invoke");
      expect(
        actions.filter((a) => a.startsWith("kms:")),
        m.id,
      ).toEqual([]);
    }
  });

  it("lets submit and verify read each member's key by its ARN — GetPublicKey and DescribeKey, nothing else — and no other role", () => {
    for (const role of readers(t)) {
      const grants = grantsOf(t, role);
      for (const m of members()) {
        expect(grants.get("kms:GetPublicKey"), m.id).toContain(m.keyArn);
        expect(grants.get("kms:DescribeKey"), m.id).toContain(m.keyArn);
      }
    }
    const arns = members().map((m) => m.keyArn);
    for (const { roles, statement, where } of identityStatements(t)) {
      if (!asList(statement.Resource).some((r) => arns.includes(r as string))) continue;
      for (const role of roles) expect(readers(t), where).toContain(role);
      expect(asList(statement.Action).sort(), where).toEqual(["kms:DescribeKey", "kms:GetPublicKey"]);
    }
  });

  it("starts the functions without waiting on any member's alias: only the sealer's", () => {
    for (const service of ["zhixin-submit", "zhixin-verify", "zhixin-seal"])
      expect(aliasDependencies(t, service), service).toEqual(["alias/zhixin/hainan/sealer"]);
  });

  it("outputs each member's key as the file's ARN, held in the member's account, and MemberKeyCustody member-accounts", () => {
    for (const m of members()) {
      const output = t.Outputs?.[`${outputName(m.id)}KeyArn`];
      expect(output?.Value, m.id).toBe(m.keyArn);
      expect(output?.Description, m.id).toContain(`own account ${m.principal}`);
    }
    expect(t.Outputs?.MemberKeyCustody?.Value).toBe("member-accounts");
  });

  it("watches only the keys of the ledger account for changes: a member's own stack watches its key", () => {
    const keyRules = resourcesOf(t, "AWS::Events::Rule").filter(([, r]) =>
      JSON.stringify(r.Properties?.EventPattern ?? {}).includes('"aws.kms"'),
    );
    expect(keyRules.length).toBeGreaterThan(0);
    const watched = keyRules.flatMap(
      ([, r]) => JSON.stringify(r.Properties?.EventPattern).match(/arn:aws:kms:[^"]*/g) ?? [],
    );
    expect(watched).toEqual([]);
    const topicKey = refId(resourcesOf(t, "AWS::SNS::Topic")[0]?.[1].Properties?.KmsMasterKeyId);
    const ledgerKeys = resourcesOf(t, "AWS::KMS::Key")
      .map(([id]) => id)
      .filter((id) => id !== topicKey);
    const patterns = keyRules.map(([, r]) => JSON.stringify(r.Properties?.EventPattern)).join("");
    for (const key of ledgerKeys)
      expect(patterns, key).toContain(JSON.stringify({ "Fn::GetAtt": [key, "Arn"] }));
  });

  it("asks every witness the file names, and alarms when the checkpoints fall short of the quorum", () => {
    const env = (service: string) =>
      (functionByService(t, service).props.Environment as { Variables: Record<string, string> }).Variables;
    const deployed = c.departments.flatMap((d) => (typeof d.witness === "object" ? [d.witness] : []));
    expect(JSON.parse(env("zhixin-seal").ZHIXIN_WITNESSES as string)).toEqual(deployed);
    const lag = resourcesOf(t, "AWS::CloudWatch::Alarm").filter(
      ([, r]) => r.Properties?.MetricName === "CheckpointWitnesses",
    );
    expect(lag.map(([, r]) => r.Properties)).toEqual([
      expect.objectContaining({ Threshold: 2, TreatMissingData: "notBreaching" }),
    ]);
  });
});

describe("each member's stack, in its own account", () => {
  it("lets the ledger account — the file's aws.ledgerAccount by default — read its key's public half, nothing cryptographic", () => {
    expect(built.stack.members).toHaveLength(members().length);
    for (const stack of built.stack.members) {
      const m = jsonOf(stack);
      const id = stack.stackName.replace("ZhixinMember-hainan-", "");
      const parameters = (m as { Parameters?: Record<string, Record<string, string>> }).Parameters;
      expect(parameters?.LedgerAccount?.Default, stack.stackName).toBe(c.aws.ledgerAccount);
      const key = keysByAlias(m).get(`alias/zhixin/hainan/${id}`) as string;
      const statements = (m.Resources[key]?.Properties?.KeyPolicy as { Statement: Statement[] } | undefined)
        ?.Statement;
      expect(statements, id).toBeDefined();
      const forLedger = (statements ?? []).filter((s) =>
        JSON.stringify(s.Principal).includes('"LedgerAccount"'),
      );
      expect(
        forLedger.map((s) => ({ ...s, Action: asList(s.Action).sort() })),
        stack.stackName,
      ).toEqual([
        {
          Sid: "LedgerAccountReadsPublicKey",
          Effect: "Allow",
          Principal: {
            AWS: {
              "Fn::Join": [
                "",
                ["arn:", { Ref: "AWS::Partition" }, ":iam::", { Ref: "LedgerAccount" }, ":root"],
              ],
            },
          },
          Action: ["kms:DescribeKey", "kms:GetPublicKey"],
          Resource: "*",
        },
      ]);
      for (const s of forLedger) expect(allows(s, "kms:Sign"), stack.stackName).toBe(false);
    }
  });
});

describe("the mixed layout", () => {
  it("says MemberKeyCustody mixed and names the members whose keys the ledger account holds, in the outputs and at synth", () => {
    const file = JSON.parse(readFileSync(OWN_KEYS_FILE, "utf8")) as {
      departments: Record<string, unknown>[];
      auditors: Record<string, unknown>[];
    };
    const inLedger = ["market-regulation", "audit-office"];
    for (const m of [...file.departments, ...file.auditors])
      if (inLedger.includes(m.id as string)) delete m.keyArn;
    const { stack } = buildApp(writeConsortium(file), { bundle: false });
    const mixed = jsonOf(stack);

    expect(mixed.Outputs?.MemberKeyCustody?.Value).toBe("mixed");
    const description = mixed.Outputs?.MemberKeyCustody?.Description ?? "";
    for (const id of inLedger) expect(description).toContain(id);
    expect(description).not.toContain("hf-haikou");
    expect(description).toMatch(/operator is trusted with those members' keys/);
    const warned = warningsOf(stack);
    expect(warned.map((w) => w.id)).toEqual([SYNTH_WARNINGS.memberKeysInLedgerAccount]);
    for (const id of inLedger) expect(warned[0]?.message).toContain(id);
    expect(warned[0]?.message).not.toContain("hf-haikou");

    // A key, alias and signing grant for those two only; the readers read both kinds.
    const ownKey = keyArnOf("hf-haikou");
    expect(
      resourcesOf(mixed, "AWS::KMS::Key").filter(([, r]) => tagsOf(r)["zhixin:member"] === "hf-haikou"),
    ).toEqual([]);
    for (const id of inLedger) {
      const { role, key } = memberResources(mixed, id);
      expect(grantsOf(mixed, role).get("kms:Sign")?.map(refId), id).toEqual([key]);
      for (const reader of readers(mixed))
        expect(
          grantsOf(mixed, reader)
            .get("kms:GetPublicKey")
            ?.map((r) => refId(r) ?? r),
          id,
        ).toEqual(expect.arrayContaining([key, ownKey]));
    }
    expect(aliasDependencies(mixed, "zhixin-submit")).toEqual(
      ["alias/zhixin/hainan/sealer", ...inLedger.map((id) => `alias/zhixin/hainan/${id}`)].sort(),
    );
    expect(mixed.Outputs?.HfHaikouKeyArn?.Value).toBe(ownKey);
  });
});
