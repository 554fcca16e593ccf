import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { consoleConfig } from "../../cdk/lib/console.js";
import { parseConsortium } from "../../lib/consortium/consortium.js";
import { CONSOLE_CSP } from "../../local/console.js";
import {
  buildApp,
  type CfnTemplate,
  CONSOLE_DEPLOY,
  EXAMPLE_FILE,
  grantsOf,
  jsonOf,
  readExample,
  resourcesOf,
  type Synthesized,
  synthesize,
  writeConsortium,
} from "./support.js";

// Issue 16: the web console on AWS — a private bucket only CloudFront reads (origin access
// control), one distribution that serves it and forwards /v1/ to the API, unchanged.

let s: Synthesized;
beforeAll(() => {
  s = synthesize(EXAMPLE_FILE);
}, 120_000);

const props = (t: CfnTemplate, type: string) => resourcesOf(t, type).map(([, r]) => r.Properties ?? {});
/** The value at `path` in a template fragment, or undefined. */
function at(value: unknown, ...path: Array<string | number>): unknown {
  let v = value;
  for (const p of path)
    v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

describe("the console's hosting", () => {
  it("keeps the bundle in a bucket that blocks all public access and grants CloudFront alone, through OAC", () => {
    const [bucketId] =
      resourcesOf(s.json, "AWS::S3::Bucket").find(([id]) => id.startsWith("ConsoleBucket")) ?? [];
    expect(bucketId).toBeDefined();
    const bucket = s.json.Resources[bucketId as string]?.Properties;
    expect(at(bucket, "PublicAccessBlockConfiguration")).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const [oac] = props(s.json, "AWS::CloudFront::OriginAccessControl");
    expect(at(oac, "OriginAccessControlConfig", "SigningBehavior")).toBe("always");
    const policy = props(s.json, "AWS::S3::BucketPolicy").find(
      (p) => JSON.stringify(p.Bucket) === JSON.stringify({ Ref: bucketId }),
    );
    const statements = at(policy, "PolicyDocument", "Statement") as Array<Record<string, unknown>>;
    const reads = statements.filter((st) => st.Effect === "Allow");
    // One grant: cloudfront.amazonaws.com may read objects, for this distribution only.
    expect(reads).toHaveLength(1);
    expect(reads[0]?.Principal).toEqual({ Service: "cloudfront.amazonaws.com" });
    expect(reads[0]?.Action).toBe("s3:GetObject");
    expect(JSON.stringify(reads[0]?.Condition)).toContain("AWS:SourceArn");
  });

  it("serves the page with the local node's CSP plus the KMS endpoint, and forwards /v1/* to the API uncached, Host excepted", () => {
    const [dist] = props(s.json, "AWS::CloudFront::Distribution");
    const config = at(dist, "DistributionConfig");
    expect(at(config, "DefaultRootObject")).toBe("index.html");
    expect(at(config, "DefaultCacheBehavior", "ViewerProtocolPolicy")).toBe("redirect-to-https");
    const behaviors = at(config, "CacheBehaviors") as Array<Record<string, unknown>>;
    const [api] = behaviors;
    expect(behaviors).toHaveLength(1);
    expect(api?.PathPattern).toBe("/v1/*");
    expect(api?.AllowedMethods).toEqual(["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]);
    expect(api?.CachePolicyId).toBe("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"); // Managed-CachingDisabled
    expect(api?.OriginRequestPolicyId).toBe("b689b0a8-53d0-40ab-baf2-68738e2966ac"); // AllViewerExceptHostHeader
    // The API origin is the API's own host, taken from its endpoint.
    const origins = at(config, "Origins") as Array<Record<string, unknown>>;
    const origin = origins.find((o) => o.Id === api?.TargetOriginId);
    expect(JSON.stringify(origin?.DomainName)).toContain("ApiEndpoint");
    const [headers] = props(s.json, "AWS::CloudFront::ResponseHeadersPolicy");
    const security = at(headers, "ResponseHeadersPolicyConfig", "SecurityHeadersConfig");
    const csp = JSON.stringify(at(security, "ContentSecurityPolicy", "ContentSecurityPolicy"));
    // The same policy as locally, with connect-src widened to KMS alone.
    for (const directive of CONSOLE_CSP.split("; ").filter((d) => !d.startsWith("connect-src")))
      expect(csp).toContain(directive);
    expect(csp).toContain("connect-src 'self' https://kms.");
    expect(at(security, "FrameOptions", "FrameOption")).toBe("DENY");
  });

  it("copies dist/console into the bucket at deploy, and names the console's URL as an output", () => {
    expect(resourcesOf(s.json, "Custom::CDKBucketDeployment")).toHaveLength(1);
    expect(Object.keys(s.json.Outputs ?? {})).toContain("ConsoleUrl");
  });

  it("publishes the stack's config.json for the AWS sign-in in place of the bundle's local one", () => {
    const [deploy] = props(s.json, "Custom::CDKBucketDeployment");
    const keys = deploy?.SourceObjectKeys as string[];
    const markers = deploy?.SourceMarkers as Array<Record<string, unknown>>;
    expect(keys).toHaveLength(2);
    // Each source is staged in the assembly as asset.<hash>; the bundle's keeps no config.json.
    const staged = keys.map((k) => join(s.app.outdir, `asset.${k.replace(/\.zip$/, "")}`));
    expect(existsSync(join(staged[0] as string, "index.html"))).toBe(true);
    expect(existsSync(join(staged[0] as string, "config.json"))).toBe(false);
    // The deploy-time values (region, the API's host) are markers the handler replaces.
    let text = readFileSync(join(staged[1] as string, "config.json"), "utf8");
    for (const [marker, value] of Object.entries(markers[1] ?? {})) {
      text = text.replaceAll(marker, `<${JSON.stringify(value).replaceAll('"', "'")}>`);
    }
    const config = JSON.parse(text) as Record<string, unknown>;
    const example = readExample() as {
      departments: Array<{ id: string; alg: string }>;
      auditors: Array<{ id: string }>;
    };
    expect(config).toMatchObject({ mode: "aws", consortium: "demo", log: "zhixin.example/demo" });
    expect(String(config.region)).toContain("AWS::Region");
    expect(String(config.apiHost)).toContain("ApiEndpoint");
    expect(String(config.kmsEndpoint)).toMatch(/^https:\/\/kms\.<.*AWS::Region.*>\.<.*AWS::URLSuffix.*>$/);
    const members = config.members as Array<Record<string, unknown>>;
    expect(members.map((m) => m.id)).toEqual([...example.departments, ...example.auditors].map((m) => m.id));
    expect(members.find((m) => m.id === "market-regulation")).toEqual({
      id: "market-regulation",
      name: "Market Regulation Bureau (市场监督管理局)",
      role: "department",
      alg: "ecdsa-p256-sha256",
      kmsKey: "alias/zhixin/demo/market-regulation",
      ownAccount: false,
    });
    expect(members.find((m) => m.id === "auditor")).toMatchObject({
      role: "auditor",
      kmsKey: "alias/zhixin/demo/auditor",
    });
    // Pages already open read the new file, not a cached one.
    expect(deploy?.DistributionPaths).toEqual(["/index.html", "/config.json"]);
  });

  it("names a member's newest key: its own account's key ARN, or the alias of the newest version", () => {
    const c = readExample() as { departments: Array<Record<string, unknown>> };
    const arn = (n: number) =>
      `arn:aws:kms:cn-north-1:111111111111:key/0000000${n}-1111-2222-3333-444444444444`;
    (c.departments[0] as Record<string, unknown>).keyArns = [arn(1), arn(2)];
    (c.departments[1] as Record<string, unknown>).keyVersions = 2;
    const config = consoleConfig(parseConsortium(c), { region: "r", apiHost: "h", kmsEndpoint: "k" });
    const [haikou, sanya] = config.members as Array<Record<string, unknown>>;
    expect(haikou).toMatchObject({ id: "hf-haikou", kmsKey: arn(2), ownAccount: true });
    expect(sanya).toMatchObject({
      id: "hf-sanya",
      kmsKey: "alias/zhixin/demo/hf-sanya/v2",
      ownAccount: false,
    });
  });

  it("lets CDK's deployment handler write the console's bucket alone, and read the CDK asset", () => {
    const [role] = resourcesOf(s.json, "AWS::IAM::Role").find(([id]) => CONSOLE_DEPLOY.test(id)) ?? [];
    const grants = grantsOf(s.json, role as string);
    const consoleBucket = s.stack.resolve(s.stack.console?.bucket.bucketArn) as unknown;
    for (const [action, resources] of grants) {
      if (!action.startsWith("s3:")) continue;
      for (const r of resources) {
        const text = JSON.stringify(r);
        // The console's bucket, or (reads only) the bootstrap asset bucket the zip is in.
        const ok =
          text.includes(JSON.stringify(consoleBucket).slice(1, -1)) ||
          (text.includes("cdk-hnb659fds-assets") && /^s3:(Get|List)/.test(action));
        expect(ok, `${action} on ${text}`).toBe(true);
      }
    }
    expect([...grants.keys()].filter((a) => !a.startsWith("s3:") && !a.startsWith("cloudfront:"))).toEqual(
      [],
    );
  });

  it('is left out with "console": false', () => {
    const c = readExample();
    (c.aws as Record<string, unknown>).console = false;
    const t = jsonOf(buildApp(writeConsortium(c), { bundle: false }).stack);
    expect(resourcesOf(t, "AWS::CloudFront::Distribution")).toEqual([]);
    expect(resourcesOf(t, "Custom::CDKBucketDeployment")).toEqual([]);
    expect(Object.keys(t.Outputs ?? {})).not.toContain("ConsoleUrl");
  });
});
