import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { App } from "aws-cdk-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { addZhixinApp, UnknownMemberError } from "../../cdk/lib/app.js";
import { loadStackConfig } from "../../cdk/lib/config.js";
import {
  allows,
  asList,
  buildMemberApp,
  type CfnResource,
  type CfnTemplate,
  EXAMPLE_FILE,
  getAtt,
  grantsOf,
  jsonOf,
  keysByAlias,
  readExample,
  refId,
  resourcesOf,
  type Statement,
  writeConsortium,
} from "./support.js";

// The member stack a department or auditor deploys in its own account
// (cdk/lib/member-stack.ts): a witnessing department's (hf-haikou: its keys, its witness)
// synthesised once with its bundle, a department that does not witness (market-regulation)
// and the auditor without. Resources are found by what they are, never by generated logical ids.

const run = promisify(execFile);

let haikou: { app: App; t: CfnTemplate };
let market: CfnTemplate;
let auditor: CfnTemplate;
beforeAll(() => {
  const h = buildMemberApp(EXAMPLE_FILE, "hf-haikou");
  haikou = { app: h.app, t: jsonOf(h.stack) };
  market = jsonOf(buildMemberApp(EXAMPLE_FILE, "market-regulation", { bundle: false }).stack);
  auditor = jsonOf(buildMemberApp(EXAMPLE_FILE, "auditor", { bundle: false }).stack);
});

const only = (t: CfnTemplate, type: string): [string, CfnResource] => {
  const found = resourcesOf(t, type);
  expect(found, type).toHaveLength(1);
  return found[0] as [string, CfnResource];
};
const propsOf = (r: CfnResource | undefined): Record<string, unknown> => r?.Properties ?? {};
const keyPolicy = (t: CfnTemplate, key: string) =>
  (propsOf(t.Resources[key]).KeyPolicy as { Statement: Statement[] }).Statement;
/** The witness function (the genesis custom resource's provider is the other function). */
const witness = (t: CfnTemplate): [string, CfnResource] => {
  const found = resourcesOf(t, "AWS::Lambda::Function").filter(
    ([, r]) =>
      (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
        ?.POWERTOOLS_SERVICE_NAME === "zhixin-witness",
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, CfnResource];
};
/** Who may sign with a key: the role its key policy allows, and that every other principal is denied. */
function soleSigner(t: CfnTemplate, key: string): string {
  const statements = keyPolicy(t, key);
  const allowed = statements.filter((s) => allows(s, "kms:Sign"));
  expect(allowed).toHaveLength(1);
  const role = refId(allowed[0]?.Condition?.ArnEquals?.["aws:PrincipalArn"]) as string;
  expect(statements).toContainEqual(
    expect.objectContaining({
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: "kms:Sign",
      Condition: { ArnNotEquals: { "aws:PrincipalArn": getAtt(role) } },
    }),
  );
  return role;
}
const grants = (t: CfnTemplate, role: string) =>
  Object.fromEntries([...grantsOf(t, role)].map(([a, r]) => [a, r.map((x) => refId(x) ?? x)]));

describe("a member stack: its request-signing key", () => {
  it("is its alg's key under its alias, kept, that only its signing role may sign with", () => {
    for (const [t, id, spec] of [
      [haikou.t, "hf-haikou", "ECC_NIST_EDWARDS25519"],
      [market, "market-regulation", "ECC_NIST_P256"],
      [auditor, "auditor", "ECC_NIST_EDWARDS25519"],
    ] as const) {
      const key = keysByAlias(t).get(`alias/zhixin/demo/${id}`) as string;
      expect(t.Resources[key]).toMatchObject({
        DeletionPolicy: "Retain",
        Properties: { KeySpec: spec, KeyUsage: "SIGN_VERIFY" },
      });
      const role = soleSigner(t, key);
      expect(grants(t, role)).toEqual({ "kms:Sign": [key], "kms:GetPublicKey": [key] });
      expect(t.Outputs?.SigningKeyArn?.Value).toEqual(getAtt(key));
      expect(t.Outputs?.SigningRoleArn?.Value).toEqual(getAtt(role));
    }
  });

  it("the signing role trusts the department's principal from the consortium file, and nobody else", () => {
    const c = loadStackConfig(EXAMPLE_FILE).consortium;
    const principal = c.departments.find((d) => d.id === "hf-haikou")?.principal;
    const role = soleSigner(haikou.t, keysByAlias(haikou.t).get("alias/zhixin/demo/hf-haikou") as string);
    const trust = haikou.t.Resources[role]?.Properties?.AssumeRolePolicyDocument as {
      Statement: Statement[];
    };
    expect(trust.Statement).toHaveLength(1);
    expect(JSON.stringify(trust.Statement[0]?.Principal)).toContain(`:iam::${principal}:root`);
  });
});

describe("a member stack: what the ledger account may do with its key", () => {
  const ledgerRoot = {
    "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":iam::", { Ref: "LedgerAccount" }, ":root"]],
  };
  const parameter = (t: CfnTemplate) =>
    (t as { Parameters?: Record<string, Record<string, string>> }).Parameters?.LedgerAccount;

  it("reads its public half — kms:GetPublicKey and kms:DescribeKey — and nothing else", () => {
    for (const [t, id] of [
      [haikou.t, "hf-haikou"],
      [market, "market-regulation"],
      [auditor, "auditor"],
    ] as const) {
      const statements = keyPolicy(t, keysByAlias(t).get(`alias/zhixin/demo/${id}`) as string);
      const forLedger = statements
        .filter((s) => JSON.stringify(s.Principal).includes('"LedgerAccount"'))
        .map((s) => ({ ...s, Action: asList(s.Action).sort() }));
      expect(forLedger, id).toEqual([
        {
          Sid: "LedgerAccountReadsPublicKey",
          Effect: "Allow",
          Principal: { AWS: ledgerRoot },
          Action: ["kms:DescribeKey", "kms:GetPublicKey"],
          Resource: "*",
        },
      ]);
      // And it is among the principals the Deny on kms:Sign covers: everyone but the signing role.
      expect(
        statements.filter((s) => allows(s, "kms:Sign")),
        id,
      ).toHaveLength(1);
    }
  });

  it("is the parameter LedgerAccount: 12 digits, saying what to put; no default when the file has no aws.ledgerAccount", () => {
    const p = parameter(market);
    expect(p).toMatchObject({ Type: "String", AllowedPattern: "^[0-9]{12}$" });
    // The demo file names no ledger account: the deployment must be given one.
    expect(p?.Default).toBeUndefined();
    expect(p?.ConstraintDescription).toMatch(/aws\.ledgerAccount/);
    expect(p?.Description).toMatch(/Zhixin-demo/);
    const pattern = new RegExp(p?.AllowedPattern as string);
    expect(pattern.test("123456789012")).toBe(true);
    for (const bad of ["", "12345678901", "1234567890123", "12345678901a", "arn:aws:iam::123456789012:root"])
      expect(pattern.test(bad), bad).toBe(false);
  });

  it("defaults to the file's aws.ledgerAccount", () => {
    const c = readExample() as { aws: Record<string, unknown> };
    c.aws = { ...c.aws, ledgerAccount: "900000000000" };
    const t = jsonOf(buildMemberApp(writeConsortium(c), "market-regulation", { bundle: false }).stack);
    expect(parameter(t)?.Default).toBe("900000000000");
  });

  it("the key's output says the order of a deployment: member stacks, the file's keyArn, the consortium stack", () => {
    for (const t of [haikou.t, market, auditor]) {
      const description = t.Outputs?.SigningKeyArn?.Description ?? "";
      expect(description).toMatch(/keyArn/);
      expect(description).toMatch(/Zhixin-demo/);
    }
    expect(haikou.t.Outputs?.WitnessUrl?.Description).toMatch(/Zhixin-demo/);
  });
});

describe("an auditor's member stack", () => {
  it("has its signing key and role, and never a witness", () => {
    expect(resourcesOf(auditor, "AWS::Lambda::Function")).toEqual([]);
    expect(resourcesOf(auditor, "AWS::DynamoDB::Table")).toEqual([]);
    expect(Object.keys(auditor.Outputs ?? {}).sort()).toEqual([
      "ChangeAlarmTopicArn",
      "SigningKeyArn",
      "SigningRoleArn",
    ]);
  });
});

describe("a witnessing department's member stack: its witness", () => {
  it("has an Ed25519 key of its own under alias/zhixin-witness/<consortium>/<id>, kept, that only the witness signs with", () => {
    const t = haikou.t;
    const key = keysByAlias(t).get("alias/zhixin-witness/demo/hf-haikou") as string;
    expect(t.Resources[key]).toMatchObject({
      DeletionPolicy: "Retain",
      Properties: { KeySpec: "ECC_NIST_EDWARDS25519", KeyUsage: "SIGN_VERIFY" },
    });
    expect(refId(witness(t)[1].Properties?.Role)).toBe(soleSigner(t, key));
    expect(t.Outputs?.WitnessKeyArn?.Value).toEqual(getAtt(key));
  });

  it("keeps its state in a table keyed by pk (string), on demand, recoverable, deletion-protected and kept", () => {
    const [, table] = only(haikou.t, "AWS::DynamoDB::Table");
    expect(table).toMatchObject({ DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it("runs the add-checkpoint handler on Node.js 22 ARM64, capped in concurrency, with exactly the witness's environment", () => {
    const t = haikou.t;
    const [, fn] = witness(t);
    const table = only(t, "AWS::DynamoDB::Table")[0];
    const key = keysByAlias(t).get("alias/zhixin-witness/demo/hf-haikou") as string;
    expect(fn.Properties).toMatchObject({
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      ReservedConcurrentExecutions: 5,
    });
    expect((propsOf(fn).Environment as { Variables: unknown }).Variables).toEqual({
      ZHIXIN_WITNESS_TABLE: { Ref: table },
      ZHIXIN_WITNESS_NAME: "zhixin-witness/demo/hf-haikou",
      ZHIXIN_WITNESS_KMS_KEY: getAtt(key),
      ZHIXIN_WITNESS_KEY_ALG: "ed25519",
      ZHIXIN_WITNESS_LOG_VKEYS: { Ref: "LogVkeys" },
      POWERTOOLS_SERVICE_NAME: "zhixin-witness",
      LOG_LEVEL: "INFO",
      NODE_OPTIONS: "--enable-source-maps",
    });
    expect(t.Outputs?.WitnessName?.Value).toBe("zhixin-witness/demo/hf-haikou");
  });

  it("is bundled from functions/add-checkpoint/handler.ts without the consortium file, and loads in Node.js", async () => {
    const dir = haikou.app.synth().directory;
    const code = witness(haikou.t)[1].Properties?.Code as { S3Key: string };
    const bundle = join(dir, `asset.${code.S3Key.replace(/\.zip$/, "")}`);
    expect(existsSync(join(bundle, "consortium.json"))).toBe(false);
    expect(readFileSync(join(bundle, "index.mjs"), "utf8")).toContain("functions/add-checkpoint/handler.ts");
    const load = `import(${JSON.stringify(`${bundle}/index.mjs`)}).then((m) => console.log(typeof m.handler))`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", load], {
      env: { ...process.env, AWS_REGION: "us-east-1", NODE_NO_WARNINGS: "1" },
    });
    expect(stdout.trim()).toBe("function");
  });

  it("takes the log's vkeys as the parameter LogVkeys: empty until the department fills it in, and only vkeys", () => {
    const p = (haikou.t as { Parameters?: Record<string, Record<string, string>> }).Parameters?.LogVkeys;
    expect(p?.Type).toBe("String");
    expect(p?.Default).toBe("");
    expect(p?.Description).toMatch(/SealerKeyArn/);
    const pattern = new RegExp(p?.AllowedPattern as string);
    const vector = JSON.parse(readFileSync("test/vectors/checkpoint/worked-example.json", "utf8"));
    for (const ok of ["", vector.verifierKey, `${vector.verifierKey},${vector.verifierKey}`])
      expect(pattern.test(ok), ok).toBe(true);
    for (const bad of [
      "zhixin.example/demo",
      `${vector.verifierKey},`,
      `${vector.verifierKey} `,
      "a b+1197537b+AQ",
    ])
      expect(pattern.test(bad), bad).toBe(false);
  });

  it("answers on a function URL without authentication (tlog-witness is public), and is invocable through it alone", () => {
    const t = haikou.t;
    const [fn] = witness(t);
    const [url, u] = only(t, "AWS::Lambda::Url");
    expect(u.Properties).toEqual({ AuthType: "NONE", TargetFunctionArn: getAtt(fn) });
    const permissions = resourcesOf(t, "AWS::Lambda::Permission").map(([, p]) => p.Properties);
    expect(permissions).toEqual(
      expect.arrayContaining([
        {
          Action: "lambda:InvokeFunctionUrl",
          FunctionName: getAtt(fn),
          FunctionUrlAuthType: "NONE",
          Principal: "*",
        },
        {
          Action: "lambda:InvokeFunction",
          FunctionName: getAtt(fn),
          InvokedViaFunctionUrl: true,
          Principal: "*",
        },
      ]),
    );
    expect(permissions).toHaveLength(2);
    expect(t.Outputs?.WitnessUrl?.Value).toEqual({ "Fn::GetAtt": [url, "FunctionUrl"] });
    expect(t.Outputs?.WitnessUrl?.Description).toMatch(/consortium file/);
  });

  it("its role may sign with its key, read its public key, get and put its table's items, and write its logs: nothing else", () => {
    const t = haikou.t;
    const [, fn] = witness(t);
    const role = refId(fn.Properties?.Role) as string;
    const table = only(t, "AWS::DynamoDB::Table")[0];
    const key = keysByAlias(t).get("alias/zhixin-witness/demo/hf-haikou") as string;
    const logs = refId((propsOf(fn).LoggingConfig as { LogGroup: unknown }).LogGroup) as string;
    expect(grants(t, role)).toEqual({
      "kms:Sign": [key],
      "kms:GetPublicKey": [key],
      "dynamodb:GetItem": [table],
      "dynamodb:PutItem": [table],
      "logs:CreateLogStream": [logs],
      "logs:PutLogEvents": [logs],
    });
  });

  it("writes the genesis item once, at creation, with a put that fails if one is there", () => {
    const t = haikou.t;
    const [genesis, cr] = only(t, "Custom::AWS");
    const table = only(t, "AWS::DynamoDB::Table")[0];
    expect(cr.Properties?.Update).toBeUndefined();
    expect(cr.Properties?.Delete).toBeUndefined();
    // The call, with the table's name and the stack's id in place of their tokens.
    const parts = (propsOf(cr).Create as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1];
    const create = JSON.parse(
      parts
        .map((p) =>
          typeof p === "string"
            ? p
            : JSON.stringify(p) === JSON.stringify({ Ref: table })
              ? "TABLE"
              : "STACK",
        )
        .join(""),
    );
    expect(create).toMatchObject({
      service: "DynamoDB",
      action: "PutItem",
      parameters: {
        TableName: "TABLE",
        Item: { pk: { S: "GENESIS" }, createdBy: { S: "STACK" } },
        ConditionExpression: "attribute_not_exists(pk)",
      },
    });
    // Its function's role: that put on that table, and its own logs.
    const provider = refId(cr.Properties?.ServiceToken) as string;
    const role = refId(t.Resources[provider]?.Properties?.Role) as string;
    const granted = grants(t, role);
    expect(granted["dynamodb:PutItem"]).toEqual([table]);
    expect(Object.keys(granted).sort()).toEqual([
      "dynamodb:PutItem",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]);
    // The witness is deployed after the item is there.
    expect(t.Resources[witness(t)[0]]?.DependsOn).toContain(genesis);
  });

  it("alarms on changes to both keys, their aliases and the witness table", () => {
    const t = haikou.t;
    const rules = resourcesOf(t, "AWS::Events::Rule").map(([, r]) =>
      JSON.stringify(r.Properties?.EventPattern),
    );
    const keys = [...keysByAlias(t)];
    expect(keys).toHaveLength(2);
    for (const [alias, key] of keys) {
      expect(
        rules.some((r) => r.includes(JSON.stringify(getAtt(key)))),
        key,
      ).toBe(true);
      expect(
        rules.some((r) => r.includes(`"${alias}"`)),
        alias,
      ).toBe(true);
    }
    const table = only(t, "AWS::DynamoDB::Table")[0];
    expect(
      rules.some((r) => r.includes(JSON.stringify(getAtt(table))) && r.includes("PutResourcePolicy")),
    ).toBe(true);
    expect(Object.keys(t.Outputs ?? {}).sort()).toEqual([
      "ChangeAlarmTopicArn",
      "SigningKeyArn",
      "SigningRoleArn",
      "WitnessKeyArn",
      "WitnessName",
      "WitnessTableName",
      "WitnessUrl",
    ]);
  });

  it("uses no AWS managed policies and no wildcard action", () => {
    for (const [id, r] of resourcesOf(haikou.t, "AWS::IAM::Role"))
      expect(r.Properties?.ManagedPolicyArns, id).toBeUndefined();
    for (const [, p] of resourcesOf(haikou.t, "AWS::IAM::Policy")) {
      for (const s of (propsOf(p).PolicyDocument as { Statement: Statement[] }).Statement) {
        for (const a of asList(s.Action)) expect(a).not.toMatch(/\*/);
      }
    }
  });
});

describe("a department that does not witness", () => {
  it("gets its signing key and role, and no witness", () => {
    expect(resourcesOf(market, "AWS::Lambda::Function")).toEqual([]);
    expect(resourcesOf(market, "AWS::DynamoDB::Table")).toEqual([]);
    expect((market as { Parameters?: Record<string, unknown> }).Parameters?.LogVkeys).toBeUndefined();
    expect(Object.keys(market.Outputs ?? {}).sort()).toEqual([
      "ChangeAlarmTopicArn",
      "SigningKeyArn",
      "SigningRoleArn",
    ]);
  });
});

describe("the app", () => {
  const config = () => loadStackConfig(EXAMPLE_FILE);
  const app = () => new App({ context: { "aws:cdk:bundling-stacks": [] } });

  it("builds the consortium's stack and one member stack per department and auditor by default", () => {
    const built = addZhixinApp(app(), config());
    expect(built.consortium?.stackName).toBe("Zhixin-demo");
    const { departments, auditors } = config().consortium;
    expect(built.members.map((m) => m.stackName)).toEqual(
      [...departments, ...auditors].map((m) => `ZhixinMember-demo-${m.id}`),
    );
  });

  it("builds one member's stack alone with -c member=<id>, and refuses a member the file lacks", () => {
    for (const id of ["hf-sanya", "auditor"]) {
      const built = addZhixinApp(app(), config(), { member: id });
      expect(built.consortium).toBeUndefined();
      expect(built.members.map((m) => m.stackName)).toEqual([`ZhixinMember-demo-${id}`]);
    }
    expect(() => addZhixinApp(app(), config(), { member: "sealer" })).toThrow(UnknownMemberError);
  });

  it("`cdk synth -c member=<id>` names the members when the id is not one of them", async () => {
    const out = mkdtempSync(join(tmpdir(), "zhixin-cdk-out-"));
    const failure = await run(
      resolve("node_modules/.bin/cdk"),
      ["synth", "--quiet", "-c", "member=nobody", "--output", out],
      { env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" } },
    ).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toContain("-c member=nobody: ");
    expect(failure?.stderr).toContain("hf-haikou, hf-sanya, market-regulation");
    expect(failure?.stderr).toContain("internet-court, auditor");
  });
});
