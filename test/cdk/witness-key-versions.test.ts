import { beforeAll, describe, expect, it } from "vitest";
import {
  buildMemberApp,
  type CfnTemplate,
  functionByService,
  grantedOn,
  jsonOf,
  keyPolicyOf,
  keysByAlias,
  readExample,
  refId,
  resourcesOf,
  tagsOf,
  writeConsortium,
} from "./support.js";

// A witness's key rotated on AWS (docs/DEPLOY.md §8, "Rotating a witness's key"): the file's
// witnessKeyVersions 2 gives hf-haikou's member stack a second witness key under …/v2. Version
// 1 stays the same resource (deploying replaces no key, and its public key stays readable for
// the trust root) but loses its signer; the witness function cosigns with v2 only.

const V1 = "alias/zhixin-witness/demo/hf-haikou";
const V2 = `${V1}/v2`;
let one: CfnTemplate;
let two: CfnTemplate;
beforeAll(() => {
  one = jsonOf(buildMemberApp(writeConsortium(readExample()), "hf-haikou", { bundle: false }).stack);
  const file = readExample() as { departments: Record<string, unknown>[] };
  (file.departments[0] as Record<string, unknown>).witnessKeyVersions = 2;
  two = jsonOf(buildMemberApp(writeConsortium(file), "hf-haikou", { bundle: false }).stack);
});

describe("witnessKeyVersions 2 in hf-haikou's member stack", () => {
  it("adds a witness key under …/v2 and keeps version 1 as it was", () => {
    const before = keysByAlias(one).get(V1) as string;
    expect(before).toBeDefined();
    expect(keysByAlias(one).get(V2)).toBeUndefined();
    expect(keysByAlias(two).get(V1)).toBe(before);
    // The same resource with the same spec (an update in place, no replacement); only its key
    // policy changes: it loses its signer (the next test).
    const withoutPolicy = (t: CfnTemplate) => {
      const r = t.Resources[before] as { Properties: Record<string, unknown> };
      return { ...r, Properties: { ...r.Properties, KeyPolicy: undefined } };
    };
    expect(withoutPolicy(two)).toEqual(withoutPolicy(one));
    const added = keysByAlias(two).get(V2) as string;
    expect(one.Resources[added]).toBeUndefined();
    expect(two.Resources[added]?.DeletionPolicy).toBe("Retain");
    expect(tagsOf(two.Resources[added] as NonNullable<(typeof two.Resources)[string]>)).toMatchObject({
      "zhixin:signer": "zhixin-witness/demo/hf-haikou",
    });
  });

  it("cosigns with v2 only: the witness function's key, the one its role may sign with and read", () => {
    const [v1, v2] = [V1, V2].map((a) => keysByAlias(two).get(a) as string) as [string, string];
    const { role, props } = functionByService(two, "zhixin-witness");
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(refId(env.ZHIXIN_WITNESS_KMS_KEY)).toBe(v2);
    expect(grantedOn(two, role, "kms:Sign")).toEqual([v2]);
    expect(grantedOn(two, role, "kms:GetPublicKey")).toEqual([v2]);
    expect(keyPolicyOf(two, v2).some((s) => s.Sid === "OnlyTheOwnerSigns")).toBe(true);
    // Version 1 has no signer any more: its key policy allows signing to nobody.
    expect(keyPolicyOf(two, v1).some((s) => s.Sid === "OnlyTheOwnerSigns")).toBe(false);
    expect(JSON.stringify(keyPolicyOf(two, v1))).not.toContain("kms:Sign");
    for (const [id] of resourcesOf(two, "AWS::IAM::Role"))
      expect(grantedOn(two, id, "kms:Sign"), id).not.toContain(v1);
  });

  it("outputs v2 as WitnessKeyArn and both, oldest first, as WitnessKeyArns; the change alarms watch both", () => {
    const [v1, v2] = [V1, V2].map((a) => keysByAlias(two).get(a) as string) as [string, string];
    expect(refId(two.Outputs?.WitnessKeyArn?.Value)).toBe(v2);
    expect(JSON.stringify(two.Outputs?.WitnessKeyArns?.Value)).toBe(
      JSON.stringify({ "Fn::Join": [",", [{ "Fn::GetAtt": [v1, "Arn"] }, { "Fn::GetAtt": [v2, "Arn"] }]] }),
    );
    expect(two.Outputs?.WitnessKeyArns?.Description).toContain("retiredVkeys");
    expect(one.Outputs?.WitnessKeyArns).toBeUndefined();
    const rules = JSON.stringify(resourcesOf(two, "AWS::Events::Rule"));
    for (const key of [v1, v2]) expect(rules, key).toContain(key);
    for (const alias of [V1, V2]) expect(rules, alias).toContain(alias);
  });
});
