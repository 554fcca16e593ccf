import { describe, expect, it } from "vitest";
import { executeApiRegion, regionOfArn } from "../../../cli/aws.js";
import { aliasName, memberOfAlias } from "../../../cli/kms-identity.js";

// What the CLI reads out of the names a deployed stack gives: API URLs, key and function ARNs, aliases.

describe("executeApiRegion", () => {
  it.each([
    ["https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn", "cn-north-1"],
    ["https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/v1/entries", "eu-central-1"],
    ["https://A1B2C3D4E5.execute-api.us-east-1.amazonaws.com/", "us-east-1"],
  ])("%s → %s", (url, region) => {
    expect(executeApiRegion(url)).toBe(region);
  });

  it.each([
    "http://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", // not https
    "https://ledger.example.gov.cn", // a custom domain: --sigv4 --region
    "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com.evil.example",
    "http://127.0.0.1:8787",
    "not a url",
  ])("%s → none", (url) => {
    expect(executeApiRegion(url)).toBeUndefined();
  });
});

describe("regionOfArn", () => {
  it.each([
    ["arn:aws-cn:kms:cn-north-1:111122223333:key/1234", "cn-north-1"],
    ["arn:aws:lambda:eu-west-1:111122223333:function:zhixin-verify", "eu-west-1"],
    ["arn:aws:iam::111122223333:role/x", undefined],
    ["alias/zhixin/demo/hf-haikou", undefined],
    ["zhixin-verify", undefined],
  ])("%s → %s", (arn, region) => {
    expect(regionOfArn(arn)).toBe(region);
  });
});

describe("aliasName and memberOfAlias", () => {
  it.each([
    ["alias/zhixin/demo/hf-haikou", "alias/zhixin/demo/hf-haikou", "hf-haikou"],
    [
      "arn:aws-cn:kms:cn-north-1:111122223333:alias/zhixin/demo/auditor",
      "alias/zhixin/demo/auditor",
      "auditor",
    ],
    ["alias/team-key", "alias/team-key", undefined],
    ["arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd", undefined, undefined],
    ["1234abcd-12ab-34cd-56ef-1234567890ab", undefined, undefined],
  ])("%s → key id %s, member %s", (kmsKey, alias, member) => {
    expect(aliasName(kmsKey)).toBe(alias);
    expect(alias === undefined ? undefined : memberOfAlias(alias)).toBe(member);
  });
});
