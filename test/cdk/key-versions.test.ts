import type { App, Stack } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import type { ZhixinApp } from "../../cdk/lib/app.js";
import { loadStackConfig, type ZhixinConsortium } from "../../cdk/lib/config.js";
import { captureOutput } from "../support/output.js";
import {
  aliasDependencies,
  allows,
  asList,
  buildApp,
  buildZhixinApp,
  type CfnTemplate,
  functionByService,
  getAtt,
  grantedOn,
  grantsOf,
  jsonOf,
  keyPolicyOf,
  keysByAlias,
  ROTATION_FILE,
  readExample,
  refId,
  resourcesOf,
  tagsOf,
  warningsOf,
  writeConsortium,
} from "./support.js";

// Several versions of a key while it is rotated (docs/DEPLOY.md, "Rotating a member's key",
// "Rotating the sealer's key"). examples/consortium.key-rotation.json is the production layout
// halfway through two rotations: hf-haikou's member stack has created a second key
// (keyVersions 2) and the file lists both (keyArns), and the consortium's stack holds two
// sealer keys (sealer.keyVersions 2). Then the single-account layout, where the consortium's
// stack creates a member's second key. Resources are found by aliases, tags and services.

let built: { app: App; stack: ZhixinApp };
let synthesis: { stdout: string; stderr: string };
let c: ZhixinConsortium;
let t: CfnTemplate;

beforeAll(() => {
  c = loadStackConfig(ROTATION_FILE).consortium;
  built = buildZhixinApp(ROTATION_FILE, { bundle: false });
  const output = captureOutput();
  try {
    built.app.synth();
  } finally {
    output.stop();
  }
  synthesis = { stdout: output.stdout, stderr: output.stderr };
  t = jsonOf(built.stack.consortium as Stack);
});

describe("the key rotation example", () => {
  it("lists two versions of hf-haikou's key and of the sealer's", () => {
    const haikou = c.departments.find((d) => d.id === "hf-haikou");
    expect(haikou?.keyArns).toHaveLength(2);
    expect(haikou?.keyVersions).toBe(2);
    expect(c.sealer.keyVersions).toBe(2);
  });

  it("synthesises through the app as `npm run synth` does: every stack cdk-nag clean, nothing to warn about", () => {
    expect(synthesis).toEqual({ stdout: "", stderr: "" });
    for (const stack of [built.stack.consortium as Stack, ...built.stack.members]) {
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(
        report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`),
        stack.stackName,
      ).toEqual([]);
      expect(warningsOf(stack), stack.stackName).toEqual([]);
    }
  });
});

describe("two sealer keys in the consortium's stack", () => {
  const sealerKeys = () => {
    const byAlias = keysByAlias(t);
    return {
      old: byAlias.get("alias/zhixin/hainan/sealer") as string,
      newest: byAlias.get("alias/zhixin/hainan/sealer/v2") as string,
    };
  };

  it("creates both, Ed25519 signing keys tagged for the sealer and retained", () => {
    const { old, newest } = sealerKeys();
    expect(old).toBeDefined();
    expect(newest).toBeDefined();
    expect(old).not.toBe(newest);
    for (const key of [old, newest]) {
      const r = t.Resources[key];
      expect(r?.Properties).toMatchObject({ KeySpec: "ECC_NIST_EDWARDS25519", KeyUsage: "SIGN_VERIFY" });
      expect(r?.DeletionPolicy).toBe("Retain");
      expect(tagsOf(r as NonNullable<typeof r>)["zhixin:signer"]).toBe("sealer");
    }
  });

  it("signs with the newest alone: the seal function's key, its one kms:Sign grant, and the old key's policy lets nobody sign", () => {
    const { old, newest } = sealerKeys();
    const seal = functionByService(t, "zhixin-seal");
    const env = (seal.props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.ZHIXIN_SEALER_KMS_KEY).toEqual(getAtt(newest));
    expect(grantedOn(t, seal.role, "kms:Sign")).toEqual([newest]);
    expect(grantedOn(t, seal.role, "kms:GetPublicKey")).toEqual([newest]);
    expect(keyPolicyOf(t, newest).map((s) => s.Sid)).toEqual(
      expect.arrayContaining(["OnlyTheOwnerSigns", "NobodyElseSigns"]),
    );
    expect(keyPolicyOf(t, old).map((s) => s.Sid)).toEqual(["AccountAdministersNotSigns"]);
    for (const s of keyPolicyOf(t, old)) expect(allows(s, "kms:Sign"), s.Sid).toBe(false);
    expect(t.Outputs?.SealerKeyArn?.Value).toEqual(getAtt(newest));
  });

  it("lets submit and verify read both, so that blocks and checkpoints the old one signed stay checkable", () => {
    const { old, newest } = sealerKeys();
    for (const service of ["zhixin-submit", "zhixin-verify"]) {
      const { role } = functionByService(t, service);
      for (const action of ["kms:GetPublicKey", "kms:DescribeKey"])
        expect(grantedOn(t, role, action), `${service} ${action}`).toEqual(
          expect.arrayContaining([old, newest]),
        );
      expect(aliasDependencies(t, service), service).toEqual([
        "alias/zhixin/hainan/sealer",
        "alias/zhixin/hainan/sealer/v2",
      ]);
    }
    expect(aliasDependencies(t, "zhixin-seal")).toEqual(["alias/zhixin/hainan/sealer/v2"]);
  });

  it("watches both for changes", () => {
    const { old, newest } = sealerKeys();
    const patterns = resourcesOf(t, "AWS::Events::Rule")
      .map(([, r]) => JSON.stringify(r.Properties?.EventPattern ?? {}))
      .join("");
    for (const key of [old, newest]) expect(patterns, key).toContain(JSON.stringify(getAtt(key)));
  });
});

describe("two versions of a member's key in its own account", () => {
  const [v1, v2] = ["111111111111", "111111111112"].map(
    (suffix) => `arn:aws:kms:ap-east-1:111111111111:key/00000000-0000-4000-8000-${suffix}`,
  ) as [string, string];

  it("lets submit and verify read both ARNs, and outputs the newest as the key hf-haikou signs with", () => {
    for (const service of ["zhixin-submit", "zhixin-verify"]) {
      const { role } = functionByService(t, service);
      for (const action of ["kms:GetPublicKey", "kms:DescribeKey"])
        expect(grantedOn(t, role, action), `${service} ${action}`).toEqual(expect.arrayContaining([v1, v2]));
    }
    expect(t.Outputs?.HfHaikouKeyArn?.Value).toBe(v2);
    expect(t.Outputs?.HfHaikouKeyArn?.Description).toContain("newest of its 2 versions");
  });

  it("creates both in the member stack, each readable by the ledger account and signable by the signing role alone", () => {
    const stack = built.stack.members.find((s) => s.stackName === "ZhixinMember-hainan-hf-haikou") as Stack;
    const m = jsonOf(stack);
    const byAlias = keysByAlias(m);
    const keys = ["alias/zhixin/hainan/hf-haikou", "alias/zhixin/hainan/hf-haikou/v2"].map(
      (a) => byAlias.get(a) as string,
    );
    expect(keys.every((k) => k !== undefined)).toBe(true);
    const role = resourcesOf(m, "AWS::IAM::Role").find(([, r]) =>
      JSON.stringify(r.Properties?.Description ?? "").includes("signs its requests"),
    )?.[0] as string;
    expect(grantedOn(m, role, "kms:Sign")).toEqual([...keys].sort());
    expect(grantedOn(m, role, "kms:GetPublicKey")).toEqual([...keys].sort());
    for (const key of keys) {
      const sids = keyPolicyOf(m, key).map((s) => s.Sid);
      expect(sids, key).toEqual(
        expect.arrayContaining(["LedgerAccountReadsPublicKey", "OnlyTheOwnerSigns", "NobodyElseSigns"]),
      );
    }
    expect(m.Outputs?.SigningKeyArn?.Value).toEqual(getAtt(keys[1] as string));
    expect(m.Outputs?.SigningKeyArns?.Value).toEqual({ "Fn::Join": [",", keys.map(getAtt)] });
    const watched = resourcesOf(m, "AWS::Events::Rule")
      .map(([, r]) => JSON.stringify(r.Properties?.EventPattern ?? {}))
      .join("");
    for (const alias of ["alias/zhixin/hainan/hf-haikou", "alias/zhixin/hainan/hf-haikou/v2"])
      expect(watched, alias).toContain(alias);
  });

  it("keeps one key and no SigningKeyArns output in a member stack of one version", () => {
    const stack = built.stack.members.find((s) => s.stackName === "ZhixinMember-hainan-hf-sanya") as Stack;
    const m = jsonOf(stack);
    expect([...keysByAlias(m).keys()].filter((a) => a.startsWith("alias/zhixin/hainan/"))).toEqual([
      "alias/zhixin/hainan/hf-sanya",
    ]);
    expect(m.Outputs?.SigningKeyArns).toBeUndefined();
  });
});

describe("two versions of a member's key in the ledger account (single-account layout)", () => {
  let one: CfnTemplate;
  let two: CfnTemplate;
  beforeAll(() => {
    one = jsonOf(buildApp(writeConsortium(readExample()), { bundle: false }).stack);
    const file = readExample() as { departments: Record<string, unknown>[] };
    (file.departments[0] as Record<string, unknown>).keyVersions = 2;
    two = jsonOf(buildApp(writeConsortium(file), { bundle: false }).stack);
  });

  it("adds a key under …/v2 and keeps version 1 as it was: the same resource, so deploying it replaces no key", () => {
    const before = keysByAlias(one).get("alias/zhixin/demo/hf-haikou");
    const after = keysByAlias(two);
    expect(after.get("alias/zhixin/demo/hf-haikou")).toBe(before);
    expect(two.Resources[before as string]).toEqual(one.Resources[before as string]);
    const added = after.get("alias/zhixin/demo/hf-haikou/v2") as string;
    expect(added).toBeDefined();
    expect(one.Resources[added]).toBeUndefined();
    expect(tagsOf(two.Resources[added] as NonNullable<(typeof two.Resources)[string]>)).toMatchObject({
      "zhixin:signer": "hf-haikou",
      "zhixin:member": "hf-haikou",
    });
  });

  it("lets hf-haikou's role alone sign with both, the readers read both, and outputs the newest", () => {
    const keys = ["alias/zhixin/demo/hf-haikou", "alias/zhixin/demo/hf-haikou/v2"].map(
      (a) => keysByAlias(two).get(a) as string,
    );
    const role = resourcesOf(two, "AWS::IAM::Role").filter(
      ([, r]) => tagsOf(r)["zhixin:member"] === "hf-haikou",
    )[0]?.[0] as string;
    expect(grantedOn(two, role, "kms:Sign")).toEqual([...keys].sort());
    for (const key of keys) {
      const onlyOwner = keyPolicyOf(two, key).find((s) => s.Sid === "OnlyTheOwnerSigns");
      expect(JSON.stringify(onlyOwner?.Condition), key).toContain(role);
    }
    for (const service of ["zhixin-submit", "zhixin-verify"]) {
      const reader = functionByService(two, service).role;
      expect(grantedOn(two, reader, "kms:GetPublicKey"), service).toEqual(expect.arrayContaining(keys));
      expect(aliasDependencies(two, service), service).toEqual(
        expect.arrayContaining(["alias/zhixin/demo/hf-haikou", "alias/zhixin/demo/hf-haikou/v2"]),
      );
    }
    expect(two.Outputs?.HfHaikouKeyArn?.Value).toEqual(getAtt(keys[1] as string));
    expect(two.Outputs?.HfHaikouKeyArn?.Description).toContain("alias/zhixin/demo/hf-haikou/v2");
    // No other role may sign with either.
    for (const [id] of resourcesOf(two, "AWS::IAM::Role")) {
      if (id === role) continue;
      const signs = asList(grantsOf(two, id).get("kms:Sign")).map((r) => refId(r));
      for (const key of keys) expect(signs, id).not.toContain(key);
    }
  });
});
