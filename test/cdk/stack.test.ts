import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { Capture, Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackConfig, type ZhixinConsortium } from "../../cdk/lib/config.js";
import { LEDGER_TABLE, TTL_ATTRIBUTE } from "../../lib/store-layout.js";
import {
  actionCovers,
  allows,
  asList,
  type CfnTemplate,
  CONSOLE_DEPLOY,
  EXAMPLE_FILE,
  functionByService,
  getAtt,
  grantsOf,
  identityStatements,
  keysByAlias,
  memberResources,
  refId,
  resourcesOf,
  type Statement,
  type Synthesized,
  synthesize,
} from "./support.js";

// The demo consortium's stack, synthesised once (three esbuild bundles) and asserted
// resource by resource. Resources are found by what they are — tags, aliases, the
// function's service name — never by generated logical ids.
//
// Past 400 lines: the stack is synthesised once (slow: three esbuild bundles) and every
// resource family is asserted against that one template.

const run = promisify(execFile);
let s: Synthesized;
let t: CfnTemplate;
let c: ZhixinConsortium;
const members = () => [
  ...c.departments.map((d) => ({ ...d, kind: "department" as const })),
  ...c.auditors.map((a) => ({ ...a, kind: "auditor" as const })),
];
const alias = (owner: string) => `alias/zhixin/${c.consortium}/${owner}`;
/** The bucket the log is published to: the one with Object Lock (the other keeps its access logs). */
const tileBucket = (): string => {
  const locked = resourcesOf(t, "AWS::S3::Bucket").filter(
    ([, r]) => r.Properties?.ObjectLockEnabled === true,
  );
  expect(locked).toHaveLength(1);
  return locked[0]?.[0] as string;
};
/** `<tile bucket ARN>/*`: every object of the published log. */
const tileObjects = () => ({ "Fn::Join": ["", [getAtt(tileBucket()), "/*"]] });

beforeAll(() => {
  c = loadStackConfig(EXAMPLE_FILE).consortium;
  s = synthesize(EXAMPLE_FILE);
  t = s.json;
});

describe("ledger table", () => {
  it("has the layout of LEDGER_TABLE, on demand, PITR, deletion protection, a CMK, and is retained", () => {
    const key = new Capture();
    const gsi = LEDGER_TABLE.pendingIndex;
    s.template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: Match.objectLike({
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: LEDGER_TABLE.partitionKey.name, KeyType: "HASH" },
          { AttributeName: LEDGER_TABLE.sortKey.name, KeyType: "RANGE" },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: gsi.indexName,
            KeySchema: [
              { AttributeName: gsi.partitionKey.name, KeyType: "HASH" },
              { AttributeName: gsi.sortKey.name, KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: gsi.projectionType },
          },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: {
          SSEEnabled: true,
          SSEType: "KMS",
          KMSMasterKeyId: { "Fn::GetAtt": [key, "Arn"] },
        },
      }),
    });
    const tableKey = t.Resources[key.asString()];
    expect(tableKey?.Type).toBe("AWS::KMS::Key");
    expect(tableKey?.DeletionPolicy).toBe("Retain");
    expect(tableKey?.Properties?.EnableKeyRotation).toBe(true);
    expect(tableKey?.Properties?.KeySpec ?? "SYMMETRIC_DEFAULT").toBe("SYMMETRIC_DEFAULT");
  });
});

describe("signing keys", () => {
  it("gives every department and auditor an asymmetric key for its alg, under its alias, retained", () => {
    const byAlias = keysByAlias(t);
    const spec = { ed25519: "ECC_NIST_EDWARDS25519", "ecdsa-p256-sha256": "ECC_NIST_P256", "sm2-sm3": "SM2" };
    expect(c.departments.some((d) => d.alg === "ecdsa-p256-sha256")).toBe(true);
    for (const m of members()) {
      const keyId = byAlias.get(alias(m.id));
      expect(keyId, m.id).toBe(memberResources(t, m.id).key);
      const key = t.Resources[keyId as string];
      expect(key?.Properties).toMatchObject({ KeySpec: spec[m.alg], KeyUsage: "SIGN_VERIFY" });
      expect(key?.DeletionPolicy).toBe("Retain");
    }
    const sealer = t.Resources[byAlias.get(alias("sealer")) as string];
    expect(sealer?.Properties).toMatchObject({ KeySpec: "ECC_NIST_EDWARDS25519", KeyUsage: "SIGN_VERIFY" });
    expect(sealer?.DeletionPolicy).toBe("Retain");
    // One per member and the sealer's; besides them only the table's, the subject key and the
    // topics' (one key for the change alarms' and the alert topic: test/cdk/change-alarms.test.ts,
    // test/cdk/operations.test.ts). The backup vault uses AWS Backup's key (cdk/lib/backup.ts).
    const keys = resourcesOf(t, "AWS::KMS::Key");
    expect(keys.filter(([, r]) => r.Properties?.KeyUsage === "SIGN_VERIFY")).toHaveLength(
      members().length + 1,
    );
    expect(keys).toHaveLength(members().length + 4);
  });

  it("key policies: only the owner's role may kms:Sign; every other principal is denied it", () => {
    const seal = functionByService(t, "zhixin-seal");
    const owners = [
      ...members().map((m) => ({ signer: m.id, role: memberResources(t, m.id).role })),
      { signer: "sealer", role: seal.role },
    ];
    for (const owner of owners) {
      const policy = new Capture();
      s.template.hasResourceProperties("AWS::KMS::Key", {
        KeyUsage: "SIGN_VERIFY",
        KeyPolicy: policy,
        Tags: Match.arrayWith([{ Key: "zhixin:signer", Value: owner.signer }]),
      });
      const statements = (policy.asObject() as { Statement: Statement[] }).Statement;
      expect(statements).toHaveLength(3);
      // Allowed to the owner's role only (through the account, so IAM must agree too) ...
      const signers = statements.filter((st) => allows(st, "kms:Sign"));
      expect(signers, owner.signer).toEqual([
        expect.objectContaining({
          Action: "kms:Sign",
          Condition: { ArnEquals: { "aws:PrincipalArn": getAtt(owner.role) } },
        }),
      ]);
      // ... and denied to everyone else, whatever IAM policies or grants say.
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: "kms:Sign",
          Condition: { ArnNotEquals: { "aws:PrincipalArn": getAtt(owner.role) } },
        }),
      );
      // The account administers the key, and may read its public key, but nothing cryptographic.
      const admin = statements.find((st) => st.Sid === "AccountAdministersNotSigns") as Statement;
      expect(JSON.stringify(admin.Principal)).toMatch(/:iam::",{"Ref":"AWS::AccountId"},":root"/);
      expect(allows(admin, "kms:GetPublicKey") && allows(admin, "kms:DescribeKey")).toBe(true);
      for (const op of ["kms:Sign", "kms:Verify", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]) {
        expect(allows(admin, op), op).toBe(false);
      }
      for (const st of statements) expect(JSON.stringify(st.Principal)).toMatch(/:root"|^\{"AWS":"\*"\}$/);
    }
  });

  it("submit and verify may read every signing key's public key; the sealer only its own, and signs", () => {
    const signingKeys = resourcesOf(t, "AWS::KMS::Key")
      .filter(([, r]) => r.Properties?.KeyUsage === "SIGN_VERIFY")
      .map(([id]) => id)
      .sort();
    const sealerKey = keysByAlias(t).get(alias("sealer"));
    /** kms: action → the signing keys it is granted on (the table key's grants are asserted with the table). */
    const kmsGrants = (service: string) =>
      Object.fromEntries(
        [...grantsOf(t, functionByService(t, service).role)]
          .filter(([action]) => action.startsWith("kms:"))
          .map(([action, resources]) => {
            const keys = resources.map(refId).filter((k) => signingKeys.includes(k as string));
            return [action, [...new Set(keys)].sort()] as const;
          })
          .filter(([, keys]) => keys.length > 0),
      );
    expect(kmsGrants("zhixin-submit")).toEqual({
      "kms:GetPublicKey": signingKeys,
      "kms:DescribeKey": signingKeys,
    });
    expect(kmsGrants("zhixin-verify")).toEqual({
      "kms:GetPublicKey": signingKeys,
      "kms:DescribeKey": signingKeys,
    });
    expect(kmsGrants("zhixin-seal")).toEqual({
      "kms:GetPublicKey": [sealerKey],
      "kms:DescribeKey": [sealerKey],
      "kms:Sign": [sealerKey],
    });
  });

  it("no identity policy lets any role sign with a key that is not its own", () => {
    const byAlias = keysByAlias(t);
    const ownKey = new Map<string, string>([
      ...members().map((m) => {
        const { role, key } = memberResources(t, m.id);
        return [role, key] as [string, string];
      }),
      [functionByService(t, "zhixin-seal").role, byAlias.get(alias("sealer")) as string],
    ]);
    let signing = 0;
    for (const { roles, statement, where } of identityStatements(t)) {
      if (!allows(statement, "kms:Sign")) continue;
      signing++;
      for (const role of roles) {
        expect(ownKey.has(role), `${where}: ${role} may sign`).toBe(true);
        expect(asList(statement.Resource).map(refId), where).toEqual([ownKey.get(role)]);
      }
    }
    expect(signing).toBe(members().length + 1);
  });
});

describe("subject key", () => {
  const subjectKey = () => keysByAlias(t).get(alias("subject")) as string;
  const MAC_ACTIONS = ["kms:GenerateMac", "kms:VerifyMac"];

  it("is one HMAC_256 key for GenerateMac, under alias/zhixin/<consortium>/subject, retained", () => {
    const key = t.Resources[subjectKey()];
    expect(key?.Type).toBe("AWS::KMS::Key");
    expect(key?.Properties).toMatchObject({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
    // KMS cannot rotate HMAC keys, and a new master would orphan every subject index.
    expect(key?.Properties?.EnableKeyRotation ?? false).toBe(false);
    expect(key?.DeletionPolicy).toBe("Retain");
    expect(key?.UpdateReplacePolicy).toBe("Retain");
    // The only key GenerateMac can be called on at all.
    const macKeys = resourcesOf(t, "AWS::KMS::Key").filter(
      ([, r]) => r.Properties?.KeyUsage === "GENERATE_VERIFY_MAC",
    );
    expect(macKeys.map(([id]) => id)).toEqual([subjectKey()]);
  });

  it("key policy: only the submit role may kms:GenerateMac; every other principal is denied it", () => {
    const submit = functionByService(t, "zhixin-submit").role;
    const policy = t.Resources[subjectKey()]?.Properties?.KeyPolicy as { Statement: Statement[] };
    const statements = policy.Statement;
    expect(statements).toHaveLength(3);
    expect(statements.filter((st) => allows(st, "kms:GenerateMac"))).toEqual([
      expect.objectContaining({
        Action: "kms:GenerateMac",
        Condition: { ArnEquals: { "aws:PrincipalArn": getAtt(submit) } },
      }),
    ]);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "kms:GenerateMac",
        Condition: { ArnNotEquals: { "aws:PrincipalArn": getAtt(submit) } },
      }),
    );
    // Nobody may VerifyMac: the derived key is only ever generated.
    expect(statements.filter((st) => allows(st, "kms:VerifyMac"))).toEqual([]);
    const admin = statements.find((st) => st.Sid === "AccountAdministersNotMacs") as Statement;
    expect(JSON.stringify(admin.Principal)).toMatch(/:iam::",{"Ref":"AWS::AccountId"},":root"/);
    for (const op of [...MAC_ACTIONS, "kms:Decrypt", "kms:Encrypt", "kms:Sign"]) {
      expect(allows(admin, op), op).toBe(false);
    }
    for (const st of statements) expect(JSON.stringify(st.Principal)).toMatch(/:root"|^\{"AWS":"\*"\}$/);
  });

  it("no identity policy gives a MAC operation to any role but submit, and submit only GenerateMac on it", () => {
    const submit = functionByService(t, "zhixin-submit").role;
    let macs = 0;
    for (const { roles, statement, where } of identityStatements(t)) {
      expect(allows(statement, "kms:VerifyMac"), where).toBe(false);
      if (!allows(statement, "kms:GenerateMac")) continue;
      macs++;
      expect(roles, where).toEqual([submit]);
      expect(statement.Action, where).toBe("kms:GenerateMac");
      expect(asList(statement.Resource), where).toEqual([getAtt(subjectKey())]);
    }
    expect(macs).toBe(1);
    // Spelled out for the roles that must never HMAC a subject.
    const others = [
      functionByService(t, "zhixin-seal").role,
      functionByService(t, "zhixin-verify").role,
      ...members().map((m) => memberResources(t, m.id).role),
    ];
    for (const role of others) {
      for (const action of grantsOf(t, role).keys()) {
        for (const mac of MAC_ACTIONS) expect(actionCovers(action, mac), `${role}: ${action}`).toBe(false);
      }
    }
    // And submit may do nothing else with the subject key.
    const onSubjectKey = [...grantsOf(t, submit)]
      .filter(([, resources]) => resources.some((r) => refId(r) === subjectKey()))
      .map(([action]) => action);
    expect(onSubjectKey).toEqual(["kms:GenerateMac"]);
  });
});

describe("roles", () => {
  /** execute-api ARNs → "<METHOD> <path>" on the $default stage of this stack's HTTP API. */
  const routesOf = (resources: unknown): string[] => {
    const api = resourcesOf(t, "AWS::ApiGatewayV2::Api")[0]?.[0];
    return asList(resources)
      .map((r) => {
        const parts = (r as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1];
        expect(parts).toContainEqual({ Ref: api });
        const m = /^\/\$default\/(GET|POST)(\/.*)$/.exec(parts[parts.length - 1] as string);
        return `${m?.[1]} ${m?.[2]}`;
      })
      .sort();
  };
  const reads = [
    "GET /v1/access",
    "GET /v1/accesses",
    "GET /v1/blocks/*",
    "GET /v1/blocks/*/entries",
    "GET /v1/checkpoint",
    "GET /v1/contracts",
    "GET /v1/contracts/*",
    "GET /v1/entries/*",
    "GET /v1/entries/*/evidence",
    "GET /v1/health",
    "GET /v1/keys/*",
    "GET /v1/log/checkpoint",
    "GET /v1/log/proof/consistency",
    "GET /v1/log/proof/inclusion",
    "GET /v1/log/tile/*",
    // The subject's trail with the subject in the body (a read, though a POST).
    "POST /v1/access",
  ];

  it("a department's role trusts its principal, may invoke its routes and sign with its key, nothing else", () => {
    for (const d of c.departments) {
      const { role, key } = memberResources(t, d.id);
      const trust = t.Resources[role]?.Properties?.AssumeRolePolicyDocument as { Statement: Statement[] };
      expect(trust.Statement).toHaveLength(1);
      expect(JSON.stringify(trust.Statement[0]?.Principal)).toContain(`:iam::${d.principal}:root`);
      const grants = grantsOf(t, role);
      expect([...grants.keys()].sort()).toEqual([
        "execute-api:Invoke",
        "kms:GetPublicKey",
        "kms:Sign",
        "s3:GetObject",
      ]);
      expect(grants.get("s3:GetObject")).toEqual([tileObjects()]);
      expect(grants.get("kms:Sign")).toEqual([getAtt(key)]);
      expect(grants.get("kms:GetPublicKey")).toEqual([getAtt(key)]);
      expect(routesOf(grants.get("execute-api:Invoke"))).toEqual(
        [...reads, "POST /v1/entries", "POST /v1/match"].sort(),
      );
    }
  });

  it("an auditor's role may read, run the verify function and sign with its key, nothing else", () => {
    const verify = functionByService(t, "zhixin-verify");
    for (const a of c.auditors) {
      const { role, key } = memberResources(t, a.id);
      const grants = grantsOf(t, role);
      expect([...grants.keys()].sort()).toEqual([
        "execute-api:Invoke",
        "kms:GetPublicKey",
        "kms:Sign",
        "lambda:InvokeFunction",
        "s3:GetObject",
      ]);
      expect(grants.get("s3:GetObject")).toEqual([tileObjects()]);
      expect(grants.get("kms:Sign")).toEqual([getAtt(key)]);
      expect(grants.get("kms:GetPublicKey")).toEqual([getAtt(key)]);
      expect(grants.get("lambda:InvokeFunction")).toEqual([getAtt(verify.fn)]);
      expect(routesOf(grants.get("execute-api:Invoke"))).toEqual(reads);
    }
  });

  it("uses no AWS managed policies anywhere but CDK's console deployment handler, which logs with the basic one", () => {
    for (const [id, r] of resourcesOf(t, "AWS::IAM::Role")) {
      if (CONSOLE_DEPLOY.test(id))
        expect(JSON.stringify(r.Properties?.ManagedPolicyArns), id).toMatch(
          /^\[\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole"\]\]\}\]$/,
        );
      else expect(r.Properties?.ManagedPolicyArns, id).toBeUndefined();
    }
  });
});

describe("tile bucket", () => {
  // cdk/lib/log-tiles.ts: what is published stays published — versioned, Object Lock in
  // governance mode for the consortium's tileRetentionDays, nobody public, TLS only.
  it("is versioned, locked in governance mode for tileRetentionDays, private, encrypted and kept", () => {
    const bucket = t.Resources[tileBucket()];
    expect(bucket?.DeletionPolicy).toBe("Retain");
    expect(bucket?.Properties).toMatchObject({
      VersioningConfiguration: { Status: "Enabled" },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: "Enabled",
        Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: c.aws.tileRetentionDays } },
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
      LoggingConfiguration: { LogFilePrefix: "tiles/" },
    });
    const policies = resourcesOf(t, "AWS::S3::BucketPolicy").filter(
      ([, p]) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: tileBucket() }),
    );
    expect(JSON.stringify(policies.map(([, p]) => p.Properties?.PolicyDocument))).toContain(
      '"aws:SecureTransport":"false"',
    );
  });

  it("only the sealer writes to it, and no role may delete, change retention or bypass the lock anywhere", () => {
    const seal = functionByService(t, "zhixin-seal");
    const s3Grants = (role: string) =>
      Object.fromEntries([...grantsOf(t, role)].filter(([action]) => action.startsWith("s3:")));
    expect(s3Grants(seal.role)).toEqual({ "s3:GetObject": [tileObjects()], "s3:PutObject": [tileObjects()] });
    // The API serves the published checkpoint; the audit checks it, and keeps its own state in
    // a bucket of its own (test/cdk/audit.test.ts).
    expect(s3Grants(functionByService(t, "zhixin-submit").role)).toEqual({ "s3:GetObject": [tileObjects()] });
    const auditState = {
      "Fn::Join": [
        "",
        [
          { "Fn::GetAtt": [s.stack.resolve(s.stack.audit.stateBucket.bucketArn)["Fn::GetAtt"][0], "Arn"] },
          "/*",
        ],
      ],
    };
    const verifyS3 = s3Grants(functionByService(t, "zhixin-verify").role);
    expect(verifyS3["s3:PutObject"]).toEqual([auditState]);
    expect(verifyS3["s3:GetObject"]).toEqual(expect.arrayContaining([tileObjects(), auditState]));
    expect(verifyS3["s3:GetObject"]).toHaveLength(2);
    const writers: string[] = [];
    for (const [id] of resourcesOf(t, "AWS::IAM::Role")) {
      // CDK's console deployment handler writes (and may delete) in the console's bucket
      // alone: test/cdk/console.test.ts.
      if (CONSOLE_DEPLOY.test(id)) continue;
      const actions = [...grantsOf(t, id).keys()];
      if (actions.some((a) => /^s3:(Put|\*)/.test(a))) writers.push(id);
      for (const a of actions) {
        expect(a, id).not.toMatch(
          /^s3:(Delete|PutObjectRetention|PutObjectLegalHold|BypassGovernance|PutBucket|\*)/,
        );
      }
    }
    // The sealer publishes the log; verify writes only its own state (audit state bucket, above).
    expect(writers.sort()).toEqual([seal.role, functionByService(t, "zhixin-verify").role].sort());
  });
});

describe("HTTP API", () => {
  it("authorises every route with IAM, and has exactly the handler's routes", () => {
    const routes = resourcesOf(t, "AWS::ApiGatewayV2::Route");
    for (const [id, r] of routes) expect(r.Properties?.AuthorizationType, id).toBe("AWS_IAM");
    expect(routes.map(([, r]) => r.Properties?.RouteKey).sort()).toEqual(
      [
        "GET /v1/access",
        "GET /v1/accesses",
        "GET /v1/blocks/{height}",
        "GET /v1/blocks/{height}/entries",
        "GET /v1/checkpoint",
        "GET /v1/contracts",
        "GET /v1/contracts/{id}",
        "GET /v1/entries/{id}",
        "GET /v1/entries/{id}/evidence",
        "GET /v1/health",
        "GET /v1/keys/{member}",
        "GET /v1/log/checkpoint",
        "GET /v1/log/proof/consistency",
        "GET /v1/log/proof/inclusion",
        "GET /v1/log/tile/{path+}",
        "POST /v1/access",
        "POST /v1/entries",
        "POST /v1/match",
      ].sort(),
    );
    const integration = new Capture();
    s.template.hasResourceProperties("AWS::ApiGatewayV2::Integration", {
      IntegrationType: "AWS_PROXY",
      PayloadFormatVersion: "2.0",
      IntegrationUri: { "Fn::GetAtt": [integration, "Arn"] },
    });
    expect(integration.asString()).toBe(functionByService(t, "zhixin-submit").fn);
  });

  it("has a $default stage with the configured throttling and JSON access logs to a retained log group", () => {
    const logs = new Capture();
    const format = new Capture();
    s.template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: c.aws.throttle.rateLimit,
        ThrottlingBurstLimit: c.aws.throttle.burstLimit,
      },
      AccessLogSettings: { DestinationArn: { "Fn::GetAtt": [logs, "Arn"] }, Format: format },
    });
    const fields = JSON.parse(format.asString());
    expect(fields).toMatchObject({ requestId: "$context.requestId", caller: "$context.identity.userArn" });
    const group = t.Resources[logs.asString()];
    expect(group?.Properties?.RetentionInDays).toBe(c.aws.logRetentionDays);
    expect(group?.DeletionPolicy).toBe("Retain");
  });
});

describe("functions", () => {
  const services = { submit: "zhixin-submit", seal: "zhixin-seal", verify: "zhixin-verify" };

  it("run Node.js 22 on ARM64, with log groups of the configured retention", () => {
    const all = resourcesOf(t, "AWS::Lambda::Function");
    // Besides the ledger's three, CDK's console deployment handler, whose runtime CDK picks.
    expect(all.filter(([id]) => CONSOLE_DEPLOY.test(id))).toHaveLength(1);
    const fns = all.filter(([id]) => !CONSOLE_DEPLOY.test(id));
    expect(fns).toHaveLength(3);
    for (const [id, r] of fns) {
      expect(r.Properties, id).toMatchObject({
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
      });
      const group = refId(
        (r.Properties?.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup,
      ) as string;
      expect(t.Resources[group]?.Properties?.RetentionInDays).toBe(c.aws.logRetentionDays);
    }
  });

  it("get exactly the runtime contract's environment", () => {
    const sealerKey = keysByAlias(t).get(alias("sealer")) as string;
    const tableId = resourcesOf(t, "AWS::DynamoDB::Table")[0]?.[0] as string;
    const common = (service: string) => ({
      ZHIXIN_TABLE: { Ref: tableId },
      ZHIXIN_CONSORTIUM_FILE: "/var/task/consortium.json",
      ZHIXIN_KEYS_SOURCE: "kms",
      POWERTOOLS_SERVICE_NAME: service,
      POWERTOOLS_METRICS_NAMESPACE: "Zhixin",
      LOG_LEVEL: "INFO",
      NODE_OPTIONS: "--enable-source-maps",
    });
    const env = (service: string) =>
      (functionByService(t, service).props.Environment as { Variables: Record<string, unknown> }).Variables;
    // Every function reads the published log: the sealer writes it, the API serves its
    // checkpoint, the audit checks it. The demo file's witnesses are all local mode's (true):
    // none is deployed, so there is no ZHIXIN_WITNESSES (test/cdk/members.test.ts has some).
    expect(env(services.submit)).toEqual({
      ...common(services.submit),
      ZHIXIN_SUBJECT_KMS_KEY: getAtt(keysByAlias(t).get(alias("subject")) as string),
      ZHIXIN_TILES_BUCKET: { Ref: tileBucket() },
    });
    expect(env(services.verify)).toEqual({
      ...common(services.verify),
      ZHIXIN_TILES_BUCKET: { Ref: tileBucket() },
      ZHIXIN_AUDIT_STATE_BUCKET: s.stack.resolve(s.stack.audit.stateBucket.bucketName),
    });
    expect(env(services.seal)).toEqual({
      ...common(services.seal),
      ZHIXIN_SEALER_KMS_KEY: getAtt(sealerKey),
      ZHIXIN_SEAL_LOOP_SECONDS: String(c.aws.sealLoopSeconds),
      ZHIXIN_TILES_BUCKET: { Ref: tileBucket() },
    });
  });

  it("are bundled as ESM with the consortium file beside them, and load in Node.js", async () => {
    const dir = s.app.synth().directory;
    const bundles = resourcesOf(t, "AWS::Lambda::Function")
      .filter(([id]) => !CONSOLE_DEPLOY.test(id))
      .map(([, r]) =>
        join(dir, `asset.${((r.Properties ?? {}).Code as { S3Key: string }).S3Key.replace(/\.zip$/, "")}`),
      );
    for (const bundle of bundles) {
      expect(readFileSync(join(bundle, "consortium.json"), "utf8")).toBe(readFileSync(EXAMPLE_FILE, "utf8"));
      expect(readFileSync(join(bundle, "index.mjs"), "utf8")).toMatch(/^import \{ createRequire/);
    }
    // Loading a bundle runs its module scope (SDK clients, zod schemas) without calling AWS.
    const load = `Promise.all(${JSON.stringify(bundles)}.map((b) => import(b + "/index.mjs")))
      .then((ms) => console.log(ms.map((m) => typeof m.handler).join(",")))`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", load], {
      env: { ...process.env, AWS_REGION: "us-east-1", NODE_NO_WARNINGS: "1" },
    });
    expect(stdout.trim()).toBe("function,function,function");
  });

  it("the sealer: reserved concurrency 1, and a timeout that outlasts its sealing loop", () => {
    const seal = functionByService(t, services.seal).props;
    expect(seal.ReservedConcurrentExecutions).toBe(1);
    expect(seal.Timeout as number).toBeGreaterThanOrEqual(60);
    expect(seal.Timeout as number).toBeGreaterThan(c.aws.sealLoopSeconds + 50);
  });

  it("have least-privilege table grants: verify reads only; the sealer and verify read the pending index", () => {
    const tableId = resourcesOf(t, "AWS::DynamoDB::Table")[0]?.[0] as string;
    const dynamo = (service: string) => {
      const role = functionByService(t, service).role;
      const out: Record<string, string[]> = {};
      // What is allowed; the Deny statements on committed items: test/cdk/committed-items.test.ts.
      const allowing = identityStatements(t).filter(
        (x) => x.roles.includes(role) && x.statement.Effect === "Allow",
      );
      for (const { statement } of allowing) {
        for (const a of asList(statement.Action).filter((a) => a.startsWith("dynamodb:"))) {
          for (const r of asList(statement.Resource)) {
            const where = JSON.stringify(r).includes(`"${tableId}","StreamArn"`)
              ? "stream"
              : refId(r) === tableId
                ? "table"
                : JSON.stringify(r).includes("/index/gsi1")
                  ? "index"
                  : r === "*"
                    ? "*"
                    : "?";
            out[where] = [...(out[where] ?? []), a];
          }
        }
      }
      for (const k of Object.keys(out)) out[k]?.sort();
      return out;
    };
    const read = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"];
    expect(dynamo(services.verify)).toEqual({ table: read, index: ["dynamodb:Query"] });
    expect(dynamo(services.submit)).toEqual({
      // UpdateItem: a contract's rate counter (POST /v1/match).
      table: [
        ...read,
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
      ].sort(),
    });
    expect(dynamo(services.seal)).toEqual({
      table: [...read, "dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"].sort(),
      index: ["dynamodb:Query"],
      // The seal trigger's event source mapping reads the table's stream (cdk/lib/seal-trigger.ts);
      // ListStreams names no resource.
      stream: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
      "*": ["dynamodb:ListStreams"],
    });
    for (const { statement, where } of identityStatements(t)) {
      // CDK's console deployment handler writes its grants with CDK's wildcards (s3:GetObject*…):
      // scoped to the console's bucket and the asset, test/cdk/console.test.ts.
      if (CONSOLE_DEPLOY.test(where)) continue;
      for (const a of asList(statement.Action)) expect(a, where).not.toMatch(/\*/);
      // What IAM cannot scope: the sealer trigger's ListStreams; the audit's state machines'
      // log delivery and tracing (test/cdk/audit.test.ts, acknowledged in test/cdk/nag.test.ts).
      const unscopable = (a: string) =>
        a === "dynamodb:ListStreams" || a.startsWith("logs:") || a.startsWith("xray:");
      if (!asList(statement.Action).every(unscopable))
        expect(asList(statement.Resource), where).not.toContain("*");
    }
    // The table's key, only through DynamoDB; writers may encrypt, verify only decrypt.
    const tableKey = refId(
      (
        (resourcesOf(t, "AWS::DynamoDB::Table")[0]?.[1].Properties ?? {}).SSESpecification as {
          KMSMasterKeyId: unknown;
        }
      ).KMSMasterKeyId,
    );
    const viaDynamo = {
      StringEquals: {
        "kms:ViaService": { "Fn::Join": ["", ["dynamodb.", { Ref: "AWS::Region" }, ".amazonaws.com"]] },
      },
    };
    for (const [service, encrypts] of [
      [services.submit, true],
      [services.seal, true],
      [services.verify, false],
    ] as const) {
      const role = functionByService(t, service).role;
      const onKey = identityStatements(t).filter(
        (x) => x.roles.includes(role) && asList(x.statement.Resource).some((r) => refId(r) === tableKey),
      );
      expect(onKey, service).toHaveLength(1);
      expect(onKey[0]?.statement.Condition, service).toEqual(viaDynamo);
      expect(allows(onKey[0]?.statement as Statement, "kms:Decrypt"), service).toBe(true);
      expect(allows(onKey[0]?.statement as Statement, "kms:GenerateDataKey"), service).toBe(encrypts);
    }
  });

  // Each function is granted the KMS actions of the modules its runtime builds, on the keys
  // they call: test/cdk/grants-drift.test.ts.
});

describe("schedules", () => {
  it("seal at the configured rate, targeting the seal function", () => {
    const target = new Capture();
    s.template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression:
        c.aws.sealEveryMinutes === 1 ? "rate(1 minute)" : `rate(${c.aws.sealEveryMinutes} minutes)`,
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [target, "Arn"] } })],
    });
    expect(target.asString()).toBe(functionByService(t, "zhixin-seal").fn);
  });

  it("audit incrementally every auditEveryHours, through the audit's state machine (test/cdk/audit.test.ts)", () => {
    const target = new Capture();
    s.template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression:
        c.aws.auditEveryHours === 24 ? "rate(1 day)" : `rate(${c.aws.auditEveryHours} hours)`,
      Targets: [Match.objectLike({ Arn: { Ref: target } })],
    });
    expect(target.asString()).toBe(s.stack.resolve(s.stack.audit.incremental.stateMachineArn).Ref);
  });
});

describe("monitoring", () => {
  it("alarms on the oldest pending entry, sealer errors and audit findings", () => {
    const seal = functionByService(t, "zhixin-seal").fn;
    s.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "Zhixin",
      MetricName: "OldestPendingAgeSeconds",
      Dimensions: Match.arrayWith([
        { Name: "Consortium", Value: c.consortium },
        { Name: "service", Value: "zhixin-seal" },
      ]),
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: c.aws.maxPendingAgeSeconds,
    });
    s.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: [{ Name: "FunctionName", Value: { Ref: seal } }],
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
    });
    s.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "Zhixin",
      MetricName: "AuditFindings",
      Dimensions: Match.arrayWith([
        { Name: "Consortium", Value: c.consortium },
        { Name: "service", Value: "zhixin-verify" },
      ]),
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
    });
    // And the change alarm (test/cdk/change-alarms.test.ts), WitnessLag (test/cdk/members.test.ts:
    // the demo's quorum is 2), issue 15's five (test/cdk/operations.test.ts) and the audit's two
    // (test/cdk/audit.test.ts).
    s.template.resourceCountIs("AWS::CloudWatch::Alarm", 12);
    s.template.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
  });
});

describe("outputs", () => {
  it("give the API URL, the function and table names, and each member's role and key ARN", () => {
    for (const name of [
      "ApiUrl",
      "SubmitFunctionName",
      "SealFunctionName",
      "VerifyFunctionName",
      "TableName",
    ]) {
      s.template.hasOutput(name, {});
    }
    s.template.hasOutput("SubjectKeyArn", { Value: getAtt(keysByAlias(t).get(alias("subject")) as string) });
    s.template.hasOutput("VerifyFunctionName", { Value: { Ref: functionByService(t, "zhixin-verify").fn } });
    for (const m of members()) {
      const { role, key } = memberResources(t, m.id);
      const prefix = m.id
        .split("-")
        .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
        .join("");
      s.template.hasOutput(`${prefix}RoleArn`, { Value: getAtt(role) });
      s.template.hasOutput(`${prefix}KeyArn`, { Value: getAtt(key) });
    }
  });
});
