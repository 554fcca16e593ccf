import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type App, Token } from "aws-cdk-lib";
import { Annotations, Match } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import type { ZhixinApp } from "../../cdk/lib/app.js";
import { parseStackFile } from "../../cdk/lib/config.js";
import { BUNDLED_CONSORTIUM_FILE } from "../../cdk/lib/defaults.js";
import { SYNTH_WARNINGS } from "../../cdk/lib/zhixin-stack.js";
import { parseConsortium } from "../../lib/consortium/consortium.js";
import { consortiumProblems } from "../support/consortium-file.js";
import {
  buildApp,
  buildMemberApp,
  buildZhixinApp,
  type CfnTemplate,
  EXAMPLE_FILE,
  GM_FILE,
  jsonOf,
  resourcesOf,
  tagsOf,
  warningsOf,
  writeConsortium,
} from "./support.js";

// The national suite on AWS (issue 17): examples/consortium.gm.json, as `npm run synth -- -c
// consortium=examples/consortium.gm.json` builds it, for the China partition (cn-northwest-1),
// with SM2 keys, its witnesses behind an HTTP API; and what the China Regions cannot run,
// refused when the file is read.

type Json = Record<string, unknown>;
const gmFile = (): Json & { departments: Json[]; auditors: Json[]; aws: Json } =>
  JSON.parse(readFileSync(GM_FILE, "utf8"));

/** Every string of a template with the path of keys that leads to it. */
function stringsOf(value: unknown, path: string[] = []): { path: string[]; text: string }[] {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsOf(v, [...path, String(i)]));
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([k, v]) => stringsOf(v, [...path, k]));
  return [];
}

/** The KMS keys of a template that sign: their spec and their zhixin:signer tag. */
const signingKeys = (t: CfnTemplate) =>
  resourcesOf(t, "AWS::KMS::Key")
    .filter(([, r]) => r.Properties?.KeyUsage === "SIGN_VERIFY")
    .map(([, r]) => ({ spec: r.Properties?.KeySpec, signer: tagsOf(r)["zhixin:signer"] }));

describe("examples/consortium.gm.json", () => {
  it("is a gm consortium: the sealer and every member sign with sm2-sm3, nobody witnesses, every ARN is in aws-cn", () => {
    const c = parseConsortium(gmFile(), GM_FILE);
    expect(c.suite).toBe("gm");
    expect(c.sealer.alg).toBe("sm2-sm3");
    const members = [...c.departments, ...c.auditors];
    expect(new Set(members.map((m) => m.alg))).toEqual(new Set(["sm2-sm3"]));
    expect(c.departments.filter((d) => d.witness !== false)).toEqual([]);
    for (const m of members) {
      expect(m.keyArn).toMatch(/^arn:aws-cn:kms:cn-northwest-1:\d{12}:key\//);
      expect(m.principal).toMatch(/^(\d{12}|arn:aws-cn:iam::\d{12}:role\/.+)$/);
    }
  });
});

describe("its stacks, as npm run synth builds them", () => {
  let built: { app: App; stack: ZhixinApp };
  let templates: Map<string, CfnTemplate>;
  beforeAll(() => {
    built = buildZhixinApp(GM_FILE);
    const stacks = [built.stack.consortium, ...built.stack.members].filter((s) => s !== undefined);
    templates = new Map(stacks.map((s) => [s.stackName, jsonOf(s)]));
  });
  const consortium = () => built.stack.consortium as NonNullable<ZhixinApp["consortium"]>;
  const stacks = () => [consortium(), ...built.stack.members];

  it("are the consortium's and one per member, each built for cn-northwest-1 in the China partition, for any account", () => {
    expect([...templates.keys()]).toEqual([
      "Zhixin-ningxia",
      ...[...gmFile().departments, ...gmFile().auditors].map((m) => `ZhixinMember-ningxia-${m.id}`),
    ]);
    for (const s of stacks()) {
      expect([s.region, s.partition], s.stackName).toEqual(["cn-northwest-1", "aws-cn"]);
      expect(Token.isUnresolved(s.account), s.stackName).toBe(true);
    }
  });

  it("write every ARN in aws-cn: none of the commercial partition", () => {
    for (const [name, t] of templates) {
      const texts = stringsOf(t).map((s) => s.text);
      expect(
        texts.filter((x) => x.includes("arn:aws:")),
        name,
      ).toEqual([]);
      // What would have been arn:<AWS::Partition> is the literal now: the role trusts, at least.
      expect(
        texts.some((x) => x.includes("arn:aws-cn:")),
        name,
      ).toBe(true);
    }
  });

  it("name AWS's hosts only as service principals, CloudTrail event sources and kms:ViaService values: no endpoint", () => {
    // A policy's Principal.Service, or a Lambda permission's Principal.
    const where = (path: string[]) =>
      path.includes("Principal") && (path.includes("Service") || path.at(-1) === "Principal")
        ? "principal"
        : path.includes("EventPattern") && path.includes("eventSource")
          ? "eventSource"
          : path.includes("kms:ViaService")
            ? "viaService"
            : path.join(".");
    const found = new Map<string, Set<string>>();
    for (const t of templates.values()) {
      for (const { path, text } of stringsOf(t).filter((s) => s.text.includes("amazonaws.com"))) {
        const kind = where(path);
        found.set(kind, new Set([...(found.get(kind) ?? []), text]));
      }
    }
    expect([...found.keys()].sort()).toEqual(["eventSource", "principal", "viaService"]);
    expect([...(found.get("eventSource") ?? [])].sort()).toEqual([
      "dynamodb.amazonaws.com",
      "kms.amazonaws.com",
    ]);
    // DynamoDB's calls to KMS in the stack's region, in both forms (cdk/lib/partition.ts kmsViaService).
    expect([...(found.get("viaService") ?? [])].sort()).toEqual([
      "dynamodb.cn-northwest-1.amazonaws.com",
      "dynamodb.cn-northwest-1.amazonaws.com.cn",
    ]);
    for (const p of found.get("principal") ?? []) expect(p).toMatch(/^[a-z0-9.-]+\.amazonaws\.com$/);
  });

  it("sign with SM2 keys only: the sealer's in the consortium's stack, each member's in its own stack", () => {
    const keys = [...templates].map(([name, t]) => [name, signingKeys(t)] as const);
    expect(keys).toEqual([
      ["Zhixin-ningxia", [{ spec: "SM2", signer: "sealer" }]],
      ...[...gmFile().departments, ...gmFile().auditors].map(
        (m) => [`ZhixinMember-ningxia-${m.id}`, [{ spec: "SM2", signer: m.id }]] as const,
      ),
    ]);
  });

  it("bundle the gm consortium file beside every function, which is where the functions read the suite", () => {
    const t = templates.get("Zhixin-ningxia") as CfnTemplate;
    const dir = built.app.synth().directory;
    const functions = resourcesOf(t, "AWS::Lambda::Function");
    expect(functions).toHaveLength(3);
    for (const [id, r] of functions) {
      const p = r.Properties ?? {};
      expect((p.Environment as { Variables: Json }).Variables.ZHIXIN_CONSORTIUM_FILE, id).toBe(
        BUNDLED_CONSORTIUM_FILE,
      );
      const bundle = join(dir, `asset.${(p.Code as { S3Key: string }).S3Key.replace(/\.zip$/, "")}`);
      const bundled = readFileSync(join(bundle, "consortium.json"), "utf8");
      expect(bundled).toBe(readFileSync(GM_FILE, "utf8"));
      expect(parseConsortium(JSON.parse(bundled)).suite).toBe("gm");
    }
  });

  it("leave the console out (the file's aws.console: false): no distribution, no ConsoleUrl", () => {
    const t = templates.get("Zhixin-ningxia") as CfnTemplate;
    expect(resourcesOf(t, "AWS::CloudFront::Distribution")).toEqual([]);
    expect(t.Outputs?.ConsoleUrl).toBeUndefined();
  });

  it("pass cdk-nag's AwsSolutions with nothing unacknowledged, and synthesise without errors or warnings", () => {
    for (const s of stacks()) {
      const report = new AwsSolutionsChecks().validateScope(s);
      expect(
        report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`),
        s.stackName,
      ).toEqual([]);
      expect(Annotations.fromStack(s).findError("*", Match.anyValue()), s.stackName).toEqual([]);
    }
    // Members' keys in their own accounts, no witness to deploy, an alert address, the console off.
    expect(warningsOf(consortium())).toEqual([]);
  });
});

describe("a gm file without members' keys (the single-account layout, for trials)", () => {
  const withoutKeys = () => {
    const c = gmFile();
    for (const m of [...c.departments, ...c.auditors]) delete m.keyArn;
    delete c.aws.console;
    return writeConsortium(c);
  };

  it("needs the China Region from the CLI: none, or the CLI's default us-east-1, is refused", () => {
    const file = withoutKeys();
    for (const cliRegion of [undefined, "us-east-1"]) {
      const problems = consortiumProblems(() => buildApp(file, { bundle: false, cliRegion }));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^\(root\): the stacks must be built for a China Region, as the suite is gm/,
      );
      expect(problems[0]).toContain("AWS_REGION=cn-northwest-1 npm run synth");
    }
  });

  it("with AWS_REGION=cn-north-1: SM2 keys for the sealer and each member in the ledger account, and no console, said at synth", () => {
    const { stack } = buildApp(withoutKeys(), { bundle: false, cliRegion: "cn-north-1" });
    expect([stack.region, stack.partition]).toEqual(["cn-north-1", "aws-cn"]);
    const c = gmFile();
    expect(signingKeys(jsonOf(stack))).toEqual([
      { spec: "SM2", signer: "sealer" },
      ...[...c.departments, ...c.auditors].map((m) => ({ spec: "SM2", signer: m.id })),
    ]);
    expect(stack.console).toBeUndefined();
    const warnings = warningsOf(stack);
    expect(warnings.map((w) => w.id)).toEqual([
      SYNTH_WARNINGS.consoleNotInChina,
      SYNTH_WARNINGS.memberKeysInLedgerAccount,
    ]);
    expect(warnings[0]?.message).toContain("ICP");
    expect(warnings[0]?.message).toContain("dist/console");
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe("a gm department's witness in the China partition", () => {
  const file = () => {
    const c = gmFile();
    (c.departments[1] as Json).witness = true;
    return writeConsortium(c);
  };
  let member: ReturnType<typeof buildMemberApp>["stack"];
  let t: CfnTemplate;
  beforeAll(() => {
    member = buildMemberApp(file(), "hf-wuzhong", { bundle: false }).stack;
    t = jsonOf(member);
  });

  it("answers through an HTTP API's POST /add-checkpoint (no function URLs there), throttled and access-logged", () => {
    expect([member.region, member.partition]).toEqual(["cn-northwest-1", "aws-cn"]);
    expect(resourcesOf(t, "AWS::Lambda::Url")).toEqual([]);
    const routes = resourcesOf(t, "AWS::ApiGatewayV2::Route").map(([, r]) => r.Properties?.RouteKey);
    expect(routes).toEqual(["POST /add-checkpoint"]);
    const stages = resourcesOf(t, "AWS::ApiGatewayV2::Stage").map(([, r]) => r.Properties ?? {});
    expect(stages.map((p) => [p.StageName, p.DefaultRouteSettings])).toEqual([
      ["$default", { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }],
    ]);
    expect(stages[0]?.AccessLogSettings).toMatchObject({
      Format: expect.stringContaining("$context.requestId"),
    });
    const api = resourcesOf(t, "AWS::ApiGatewayV2::Api")[0]?.[0];
    expect(t.Outputs?.WitnessUrl?.Value).toEqual({
      "Fn::GetAtt": [api, "ApiEndpoint"],
    });
  });

  it("cosigns with an SM2 key (ZHIXIN_WITNESS_KEY_ALG sm2-sm3), and passes cdk-nag with its one acknowledgment", () => {
    expect(signingKeys(t)).toEqual([
      { spec: "SM2", signer: "hf-wuzhong" },
      { spec: "SM2", signer: "zhixin-witness/ningxia/hf-wuzhong" },
    ]);
    const fn = resourcesOf(t, "AWS::Lambda::Function").find(([, r]) =>
      JSON.stringify(r.Properties?.Environment ?? {}).includes("ZHIXIN_WITNESS_TABLE"),
    );
    const env = fn?.[1].Properties?.Environment as { Variables: Json } | undefined;
    expect(env?.Variables.ZHIXIN_WITNESS_KEY_ALG).toBe("sm2-sm3");
    // The file sets no SM2 identifier: the witness takes the default.
    expect(env?.Variables.ZHIXIN_WITNESS_SM2_ID).toBeUndefined();
    const report = new AwsSolutionsChecks().validateScope(member);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`)).toEqual(
      [],
    );
    expect(Annotations.fromStack(member).findError("*", Match.anyValue())).toEqual([]);
  });
});

describe("a gm consortium with its own SM2 identifier (docs/formats/sm2.md §2)", () => {
  it("hands it to each witness (ZHIXIN_WITNESS_SM2_ID); the other functions read it from the bundled file", () => {
    const c = gmFile();
    (c.departments[1] as Json).witness = true;
    const member = buildMemberApp(writeConsortium({ ...c, sm2Id: "zhixin@ningxia.gov.cn" }), "hf-wuzhong", {
      bundle: false,
    }).stack;
    const fn = resourcesOf(jsonOf(member), "AWS::Lambda::Function").find(([, r]) =>
      JSON.stringify(r.Properties?.Environment ?? {}).includes("ZHIXIN_WITNESS_TABLE"),
    );
    const env = fn?.[1].Properties?.Environment as { Variables: Json } | undefined;
    expect(env?.Variables.ZHIXIN_WITNESS_SM2_ID).toBe("zhixin@ningxia.gov.cn");
  });
});

describe("what the China partition cannot run, refused when the file is read", () => {
  const problemsOf = (edit: (c: ReturnType<typeof gmFile>) => void) => {
    const c = gmFile();
    edit(c);
    return consortiumProblems(() => parseStackFile(c, "gm.json"));
  };

  it("a key or a principal of the commercial partition: IAM and KMS policies do not cross partitions", () => {
    const problems = problemsOf((c) => {
      (c.departments[0] as Json).keyArn =
        "arn:aws:kms:cn-northwest-1:311111111111:key/00000000-0000-4000-8000-311111111111";
      (c.departments[2] as Json).principal = "arn:aws:iam::333333333333:role/zhixin-market-regulation";
    });
    expect(problems.map((p) => p.slice(0, p.indexOf(":")))).toEqual([
      "departments.0.keyArn",
      "departments.2.principal",
    ]);
    for (const p of problems) expect(p).toContain("is in partition aws, but the suite is gm");
  });

  it("keys outside the China Regions", () => {
    const problems = problemsOf((c) => {
      for (const m of [...c.departments, ...c.auditors])
        m.keyArn = String(m.keyArn).replace(":cn-northwest-1:", ":us-east-1:");
    });
    expect(problems).toEqual([
      expect.stringMatching(/^\(root\): the members' keys are in us-east-1, which is not a China Region/),
    ]);
  });

  it("aws.console: true: CloudFront there serves only an ICP-recorded domain of your own", () => {
    const problems = problemsOf((c) => {
      c.aws.console = true;
    });
    expect(problems).toEqual([expect.stringMatching(/^aws\.console: .*ICP/)]);
  });

  it("while a file of the commercial partition stays environment-agnostic, its console on", () => {
    const { consortium, target } = parseStackFile(JSON.parse(readFileSync(EXAMPLE_FILE, "utf8")));
    expect(target).toEqual({});
    expect(consortium.aws.console).toBe(true);
  });

  it("and an intl file with keys in aws-cn is built for their China Region too", () => {
    const c = gmFile();
    delete c.suite;
    c.sealer = {};
    for (const m of [...c.departments, ...c.auditors]) m.alg = "ecdsa-p256-sha256";
    expect(parseStackFile(c).target).toEqual({ partition: "aws-cn", region: "cn-northwest-1" });
  });
});
