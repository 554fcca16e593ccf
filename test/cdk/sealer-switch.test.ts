import { readFileSync } from "node:fs";
import type { Stack } from "aws-cdk-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { ConsortiumSchema } from "../../lib/consortium/consortium.js";
import {
  allows,
  buildZhixinApp,
  type CfnTemplate,
  functionByService,
  getAtt,
  grantsOf,
  jsonOf,
  keyPolicyOf,
  keysByAlias,
  ROTATION_FILE,
  refId,
  writeConsortium,
} from "./support.js";

// The sealer's key rotation in two deployments (docs/DEPLOY.md, "Rotating the sealer's
// key"): sealer.signingVersion keeps the old key signing while the stack creates the new
// one, so that the witnesses can be given its vkey before any checkpoint is signed with it.

const rotation = (): Record<string, unknown> & { sealer: Record<string, unknown> } =>
  JSON.parse(readFileSync(ROTATION_FILE, "utf8"));
describe("sealer.signingVersion 1 of keyVersions 2: the new key is created, the old one still signs", () => {
  let t: CfnTemplate;
  beforeAll(() => {
    const file = writeConsortium({ ...rotation(), sealer: { keyVersions: 2, signingVersion: 1 } });
    t = jsonOf(buildZhixinApp(file, { bundle: false }).stack.consortium as Stack);
  });

  it("the seal function's key, its one kms:Sign grant and the SealerKeyArn output are version 1's", () => {
    const byAlias = keysByAlias(t);
    const old = byAlias.get("alias/zhixin/hainan/sealer") as string;
    const created = byAlias.get("alias/zhixin/hainan/sealer/v2") as string;
    expect([old, created].every((k) => typeof k === "string")).toBe(true);
    const seal = functionByService(t, "zhixin-seal");
    const env = (seal.props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.ZHIXIN_SEALER_KMS_KEY).toEqual(getAtt(old));
    const signOn = [...new Set((grantsOf(t, seal.role).get("kms:Sign") ?? []).map((r) => refId(r)))];
    expect(signOn).toEqual([old]);
    expect(t.Outputs?.SealerKeyArn?.Value).toEqual(getAtt(old));
    // The new key lets nobody sign yet; the old one lets the seal function alone.
    for (const s of keyPolicyOf(t, created)) expect(allows(s, "kms:Sign"), s.Sid).toBe(false);
    expect(keyPolicyOf(t, old).map((s) => s.Sid)).toEqual(
      expect.arrayContaining(["OnlyTheOwnerSigns", "NobodyElseSigns"]),
    );
  });

  it("submit and verify read both, so the new key's vkey is in the trust bundle before it signs", () => {
    const byAlias = keysByAlias(t);
    for (const service of ["zhixin-submit", "zhixin-verify"]) {
      const { role } = functionByService(t, service);
      const read = (grantsOf(t, role).get("kms:GetPublicKey") ?? []).map((r) => refId(r));
      expect(read, service).toEqual(
        expect.arrayContaining([
          byAlias.get("alias/zhixin/hainan/sealer"),
          byAlias.get("alias/zhixin/hainan/sealer/v2"),
        ]),
      );
    }
  });
});

describe("sealer.signingVersion in the consortium file", () => {
  const parse = (sealer: unknown) => ConsortiumSchema.safeParse({ ...rotation(), sealer });

  it("defaults to the newest version", () => {
    const parsed = parse({ keyVersions: 2 });
    expect(parsed.success && parsed.data.sealer.signingVersion).toBeUndefined();
  });

  it("is refused when it names a version the stack does not create, saying what to change", () => {
    const parsed = parse({ keyVersions: 2, signingVersion: 3 });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      [
        "sealer.signingVersion",
        "sealer.signingVersion names a key version the stack does not create: raise sealer.keyVersions to at least it, or lower it",
      ],
    ]);
    expect(parse({ signingVersion: 2 }).success).toBe(false);
    expect(parse({ signingVersion: 0, keyVersions: 2 }).success).toBe(false);
  });
});
