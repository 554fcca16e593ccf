import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { formatCosignatureVerifierKey } from "#chain";
import { SYNTH_WARNINGS } from "../../cdk/lib/zhixin-stack.js";
import { API_ROUTES } from "../../lib/protocol/routes.js";
import { ed25519For } from "../support/witness-keys.js";
import {
  allows,
  asList,
  buildApp,
  type CfnTemplate,
  EXAMPLE_FILE,
  functionByService,
  grantsOf,
  identityStatements,
  jsonOf,
  keysByAlias,
  memberResources,
  readExample,
  refId,
  resourcesOf,
  type Statement,
  type Synthesized,
  synthesize,
  warningsOf,
  writeConsortium,
} from "./support.js";

// Two consortium files that differ by one department, and one with every aws setting
// changed: each synthesised once.

const NEW = {
  id: "tax-bureau",
  name: "Tax Bureau (税务局)",
  alg: "ecdsa-p256-sha256",
  principal: "arn:aws:iam::888888888888:role/zhixin-tax",
};
let base: Synthesized;
let plus: Synthesized;
let tuned: Synthesized;

beforeAll(() => {
  base = synthesize(EXAMPLE_FILE);
  const c = readExample() as { departments: unknown[] };
  c.departments.push(NEW);
  plus = synthesize(writeConsortium(c));
  const t = readExample() as { aws: unknown };
  t.aws = {
    sealEveryMinutes: 5,
    sealLoopSeconds: 0,
    throttle: { rateLimit: 20, burstLimit: 40 },
    logRetentionDays: 30,
    maxPendingAgeSeconds: 900,
    auditEveryHours: 0,
    tileRetentionDays: 30,
  };
  tuned = synthesize(writeConsortium(t));
});

const countByType = (t: CfnTemplate) => {
  const out: Record<string, number> = {};
  for (const r of Object.values(t.Resources)) out[r.Type] = (out[r.Type] ?? 0) + 1;
  return out;
};

describe("adding a department to the consortium file", () => {
  it("adds exactly one key, alias, role and role policy, and its two outputs", () => {
    const before = countByType(base.json);
    const after = countByType(plus.json);
    const added = Object.fromEntries(
      Object.keys(after)
        .map((type) => [type, (after[type] ?? 0) - (before[type] ?? 0)] as const)
        .filter(([, n]) => n !== 0),
    );
    expect(added).toEqual({
      "AWS::KMS::Key": 1,
      "AWS::KMS::Alias": 1,
      "AWS::IAM::Role": 1,
      "AWS::IAM::Policy": 1,
    });
    const newOutputs = Object.keys(plus.json.Outputs ?? {}).filter((o) => !(o in (base.json.Outputs ?? {})));
    expect(newOutputs.sort()).toEqual(["TaxBureauKeyArn", "TaxBureauRoleArn"]);
  });

  it("gives it a P-256 signing key under its alias, that only its role may use to sign", () => {
    const { role, key } = memberResources(plus.json, NEW.id);
    expect(keysByAlias(plus.json).get("alias/zhixin/demo/tax-bureau")).toBe(key);
    plus.template.hasResource("AWS::KMS::Key", {
      DeletionPolicy: "Retain",
      Properties: Match.objectLike({
        KeySpec: "ECC_NIST_P256",
        KeyUsage: "SIGN_VERIFY",
        Tags: Match.arrayWith([{ Key: "zhixin:member", Value: NEW.id }]),
        KeyPolicy: {
          Version: "2012-10-17",
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: "Allow",
              Action: "kms:Sign",
              Condition: { ArnEquals: { "aws:PrincipalArn": { "Fn::GetAtt": [role, "Arn"] } } },
            }),
            Match.objectLike({
              Effect: "Deny",
              Action: "kms:Sign",
              Condition: { ArnNotEquals: { "aws:PrincipalArn": { "Fn::GetAtt": [role, "Arn"] } } },
            }),
          ]),
        },
      }),
    });
  });

  it("gives it a role trusting its configured principal, allowed its routes and its own key", () => {
    const { role, key } = memberResources(plus.json, NEW.id);
    expect(plus.json.Resources[role]?.Properties?.AssumeRolePolicyDocument).toEqual({
      Version: "2012-10-17",
      Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Principal: { AWS: NEW.principal } }],
    });
    const grants = grantsOf(plus.json, role);
    expect([...grants.keys()].sort()).toEqual([
      "execute-api:Invoke",
      "kms:GetPublicKey",
      "kms:Sign",
      "s3:GetObject",
    ]);
    expect(grants.get("kms:Sign")?.map(refId)).toEqual([key]);
    expect(grants.get("kms:GetPublicKey")?.map(refId)).toEqual([key]);
    // A department may call every route (routes.ts): one grant each.
    expect(grants.get("execute-api:Invoke")).toHaveLength(API_ROUTES.length);
  });

  it("lets submit and verify read its public key, and changes nothing else but their grants and the bundles", () => {
    const { key } = memberResources(plus.json, NEW.id);
    const fns = ["zhixin-submit", "zhixin-seal", "zhixin-verify"].map((f) => functionByService(plus.json, f));
    const [submit, seal, verify] = fns as [(typeof fns)[number], (typeof fns)[number], (typeof fns)[number]];
    for (const { role } of [submit, verify]) {
      expect(grantsOf(plus.json, role).get("kms:GetPublicKey")?.map(refId)).toContain(key);
      expect(grantsOf(plus.json, role).get("kms:DescribeKey")?.map(refId)).toContain(key);
    }
    expect(grantsOf(plus.json, seal.role).get("kms:GetPublicKey")?.map(refId)).not.toContain(key);
    // Every resource of the smaller stack is still there, and unchanged unless it is a
    // function (its bundle carries the new consortium.json; submit and verify wait for
    // the new alias) or the policy of submit's or verify's role (the new key's grant).
    const policyOf = (role: string) =>
      resourcesOf(plus.json, "AWS::IAM::Policy").find(([, r]) =>
        asList(r.Properties?.Roles as unknown[]).some((x) => refId(x) === role),
      )?.[0];
    // And the rule that watches every key for changes (cdk/lib/change-alarms.ts), which now names the new key.
    const keyWatch = resourcesOf(plus.json, "AWS::Events::Rule").find(([, r]) =>
      JSON.stringify(r.Properties?.EventPattern ?? {}).includes('"aws.kms"'),
    )?.[0];
    // And the console's deployment, whose config.json lists the members the sign-in offers (cdk/lib/console.ts).
    const consoleDeploy = resourcesOf(plus.json, "Custom::CDKBucketDeployment")[0]?.[0];
    const mayChange = new Set([
      ...fns.map((f) => f.fn),
      policyOf(submit.role),
      policyOf(verify.role),
      keyWatch,
      consoleDeploy,
    ]);
    for (const [id, r] of Object.entries(base.json.Resources)) {
      expect(plus.json.Resources[id], id).toBeDefined();
      if (mayChange.has(id)) continue;
      expect(plus.json.Resources[id], id).toEqual(r);
    }
    const newAlias = resourcesOf(plus.json, "AWS::KMS::Alias").find(
      ([, r]) => r.Properties?.AliasName === "alias/zhixin/demo/tax-bureau",
    )?.[0];
    for (const { fn } of fns) {
      const { Code: _a, ...was } = base.json.Resources[fn]?.Properties ?? {};
      const { Code: _b, ...now } = plus.json.Resources[fn]?.Properties ?? {};
      expect(now, fn).toEqual(was);
      const added = (plus.json.Resources[fn]?.DependsOn ?? []).filter(
        (d) => !(base.json.Resources[fn]?.DependsOn ?? []).includes(d),
      );
      expect(added, fn).toEqual(fn === seal.fn ? [] : [newAlias]);
    }
  });

  it("still lets no role sign with another member's key", () => {
    const owner = new Map<string, string>();
    for (const [keyId, r] of resourcesOf(plus.json, "AWS::KMS::Key")) {
      const props = r.Properties ?? {};
      if (props.KeyUsage !== "SIGN_VERIFY") continue;
      for (const st of (props.KeyPolicy as { Statement: Statement[] }).Statement) {
        if (allows(st, "kms:Sign"))
          owner.set(keyId, refId(st.Condition?.ArnEquals?.["aws:PrincipalArn"]) as string);
      }
    }
    expect(owner.size).toBe(9); // seven members, the new department, the sealer
    for (const { roles, statement, where } of identityStatements(plus.json)) {
      if (!allows(statement, "kms:Sign")) continue;
      for (const keyRef of asList(statement.Resource)) {
        expect(roles, where).toEqual([owner.get(refId(keyRef) as string)]);
      }
    }
  });
});

describe("the aws settings of the consortium file", () => {
  it("set the seal rate, throttling, log retention, alarm threshold, loop and tile retention; auditEveryHours 0 means no audit rule", () => {
    tuned.template.resourcePropertiesCountIs(
      "AWS::Events::Rule",
      { ScheduleExpression: "rate(5 minutes)" },
      1,
    );
    // The seal schedule and the weekly full re-audit, no incremental audit (the others watch
    // CloudTrail: test/cdk/change-alarms.test.ts; the audit's: test/cdk/audit.test.ts).
    const schedules = resourcesOf(tuned.json, "AWS::Events::Rule")
      .map(([, r]) => r.Properties?.ScheduleExpression)
      .filter((e) => e !== undefined);
    expect(schedules.sort()).toEqual(["rate(5 minutes)", "rate(7 days)"]);
    tuned.template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
    for (const [id, r] of resourcesOf(tuned.json, "AWS::Logs::LogGroup")) {
      expect(r.Properties?.RetentionInDays, id).toBe(30);
    }
    tuned.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "OldestPendingAgeSeconds",
      Threshold: 900,
      Period: 300,
    });
    const seal = functionByService(tuned.json, "zhixin-seal").props;
    expect(
      (seal.Environment as { Variables: Record<string, string> }).Variables.ZHIXIN_SEAL_LOOP_SECONDS,
    ).toBe("0");
    tuned.template.hasResourceProperties("AWS::S3::Bucket", {
      ObjectLockConfiguration: {
        ObjectLockEnabled: "Enabled",
        Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 30 } },
      },
    });
  });
});

describe("the consortium file's witnesses", () => {
  const lagAlarms = (t: CfnTemplate) =>
    Object.values(t.Resources)
      .filter(
        (r) => r.Type === "AWS::CloudWatch::Alarm" && r.Properties?.MetricName === "CheckpointWitnesses",
      )
      .map((r) => r.Properties);
  const lagAlarm = (threshold: number, missing: "notBreaching" | "breaching") =>
    // The last checkpoint of 5 seal periods in a row short of the quorum.
    expect.objectContaining({
      Namespace: "Zhixin",
      Statistic: "Minimum",
      ComparisonOperator: "LessThanThreshold",
      Threshold: threshold,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      TreatMissingData: missing,
    });

  it("reach the sealer and the audit as ZHIXIN_WITNESSES: the deployed ones ({ url, vkey, retiredVkeys }), in file order", () => {
    const c = readExample() as { departments: Record<string, unknown>[] };
    const deployed: Array<{ url: string; vkey: string; retiredVkeys?: string[] }> = [
      "hf-sanya",
      "internet-court",
    ].map((id) => {
      const name = `zhixin-witness/demo/${id}`;
      return {
        url: `https://${id}.lambda-url.ap-east-1.on.aws/`,
        vkey: formatCosignatureVerifierKey({
          name: name,
          alg: "ed25519",
          publicKey: ed25519For(name).publicKey,
        }),
      };
    });
    // hf-sanya's witness has rotated its key: the old one is passed on, for the audit.
    const sanya = "zhixin-witness/demo/hf-sanya";
    (deployed[0] as { retiredVkeys?: string[] }).retiredVkeys = [
      formatCosignatureVerifierKey({
        name: sanya,
        alg: "ed25519",
        publicKey: ed25519For(`${sanya}/old`).publicKey,
      }),
    ];
    for (const d of c.departments) {
      if (d.id === "hf-sanya") d.witness = deployed[0];
      if (d.id === "internet-court") d.witness = deployed[1];
    }
    // hf-haikou stays `true`: local mode's witness, which nobody on AWS can ask.
    expect(c.departments.find((d) => d.id === "hf-haikou")?.witness).toBe(true);
    const { stack } = buildApp(writeConsortium(c), { bundle: false });
    const t = jsonOf(stack);
    const env = (service: string) =>
      (functionByService(t, service).props.Environment as { Variables: Record<string, string> }).Variables;
    for (const service of ["zhixin-seal", "zhixin-verify"])
      expect(JSON.parse(env(service).ZHIXIN_WITNESSES as string), service).toEqual(deployed);
    expect(env("zhixin-submit").ZHIXIN_WITNESSES).toBeUndefined();
    // The quorum is a majority of the file's three witnessing departments, 2; both deployed
    // witnesses are asked after each seal, so a seal without a quorum is a datum below it.
    expect(lagAlarms(t)).toEqual([lagAlarm(2, "notBreaching")]);
    // hf-haikou counts towards the quorum and is never asked: said at synth.
    const warned = warningsOf(stack).filter((w) => w.id === SYNTH_WARNINGS.witnessesNotDeployed);
    expect(warned).toHaveLength(1);
    expect(warned[0]?.message).toContain("hf-haikou");
    expect(warned[0]?.message).not.toContain("hf-sanya");
  });

  it("with a quorum and none deployed (the demo file): nobody is asked, the WitnessLag alarm fires on no data, and synth says whom to deploy", () => {
    for (const service of ["zhixin-seal", "zhixin-verify", "zhixin-submit"])
      expect(
        (functionByService(base.json, service).props.Environment as { Variables: Record<string, unknown> })
          .Variables.ZHIXIN_WITNESSES,
      ).toBeUndefined();
    // The sealer reports CheckpointWitnesses only when it asks a witness: with none to ask
    // there is never a datum, and that is the breach (nothing will be witnessed).
    expect(lagAlarms(base.json)).toEqual([lagAlarm(2, "breaching")]);
    const warned = warningsOf(base.stack).filter((w) => w.id === SYNTH_WARNINGS.witnessesNotDeployed);
    expect(warned).toHaveLength(1);
    for (const id of ["hf-haikou", "hf-sanya", "internet-court"]) expect(warned[0]?.message).toContain(id);
    expect(warned[0]?.message).toContain("at most 0 of the quorum of 2");
  });

  it("with a quorum of 0 (no witnessing department): no WitnessLag alarm and no witness warning", () => {
    const c = readExample() as { departments: Record<string, unknown>[] };
    for (const d of c.departments) d.witness = false;
    const { stack } = buildApp(writeConsortium(c), { bundle: false });
    expect(lagAlarms(jsonOf(stack))).toEqual([]);
    expect(warningsOf(stack).map((w) => w.id)).toEqual([SYNTH_WARNINGS.memberKeysInLedgerAccount]);
  });
});

describe("the single-account layout", () => {
  it("says in the outputs that the ledger account holds every member's key", () => {
    expect(base.json.Outputs?.MemberKeyCustody?.Value).toBe("ledger-account");
    expect(base.json.Outputs?.MemberKeyCustody?.Description).toMatch(/trusted with members' keys/);
    for (const [name, o] of Object.entries(base.json.Outputs ?? {}).filter(([n]) => n.endsWith("KeyArn"))) {
      if (["SealerKeyArn", "SubjectKeyArn"].includes(name)) continue;
      expect(o.Description, name).toMatch(/administrators are trusted with it/);
    }
  });

  it("says at synth that the operator is trusted with every member's key, naming them", () => {
    const warned = warningsOf(base.stack).filter((w) => w.id === SYNTH_WARNINGS.memberKeysInLedgerAccount);
    expect(warned).toHaveLength(1);
    const c = readExample() as { departments: { id: string }[]; auditors: { id: string }[] };
    for (const { id } of [...c.departments, ...c.auditors]) expect(warned[0]?.message).toContain(id);
  });
});
