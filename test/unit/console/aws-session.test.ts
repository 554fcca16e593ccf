import { describe, expect, it } from "vitest";
import { type AwsConsoleConfig, parseConsoleConfig } from "../../../console/src/aws/config.js";
import { type AwsCredentials, parseCredentials } from "../../../console/src/aws/credentials.js";
import type { SignInError } from "../../../console/src/aws/errors.js";
import { SIGN_IN_REFUSALS } from "../../../console/src/aws/refusals.js";

// session.ts and api.ts are typed for the DOM, which this Node-typed project lacks:
// imported by paths TypeScript does not follow, as the page uses them.
type Transport = (r: {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
}) => Promise<Record<string, string>>;
const SESSION = "../../../console/src/aws/session.js";
const API = "../../../console/src/api.js";
const { apiTransport, signIn } = (await import(SESSION)) as {
  apiTransport(
    config: AwsConsoleConfig,
    credentials: AwsCredentials,
    now: () => Date,
    explain: (e: SignInError) => string,
  ): Transport;
  signIn(
    config: AwsConsoleConfig,
    session: { member: string; credentials: AwsCredentials },
    deps: { fetch?: typeof fetch; now?: () => Date; explain: (e: SignInError) => string },
  ): Promise<unknown>;
};
const { ApiError } = (await import(API)) as { ApiError: new (...a: never[]) => Error };

const now = new Date("2026-05-01T08:30:00Z");
/** What `aws configure export-credentials --format process` prints. */
const exported = (expiration: string) =>
  JSON.stringify({
    Version: 1,
    AccessKeyId: "ASIATESTCONSOLE00003",
    SecretAccessKey: "c2VjcmV0",
    SessionToken: "token",
    Expiration: expiration,
  });

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as SignInError).code;
  }
  return "no error";
};

const config: AwsConsoleConfig = {
  mode: "aws",
  region: "cn-north-1",
  apiHost: "abc123.execute-api.cn-north-1.amazonaws.com.cn",
  kmsEndpoint: "https://kms.cn-north-1.amazonaws.com.cn",
  consortium: "demo",
  log: "zhixin.example/demo",
  members: [
    {
      id: "hf-haikou",
      name: "Haikou",
      role: "department",
      alg: "ed25519",
      kmsKey: "alias/zhixin/demo/hf-haikou",
      ownAccount: false,
    },
  ],
};

describe("the pasted credentials (console/src/aws/credentials.ts)", () => {
  it("reads the AWS CLI's process-credentials JSON", () => {
    expect(parseCredentials(exported("2026-05-01T09:30:00+00:00"), now)).toEqual({
      accessKeyId: "ASIATESTCONSOLE00003",
      secretAccessKey: "c2VjcmV0",
      sessionToken: "token",
      expiration: new Date("2026-05-01T09:30:00Z"),
    });
    expect(parseCredentials('{"AccessKeyId":"AKIA1","SecretAccessKey":"s"}', now).expiration).toBeUndefined();
  });

  it("refuses expired credentials, text that is not the JSON, and a missing field", () => {
    expect(codeOf(() => parseCredentials(exported("2026-05-01T08:29:59Z"), now))).toBe("CREDENTIALS_EXPIRED");
    expect(codeOf(() => parseCredentials(exported("2026-05-01T08:30:00Z"), now))).toBe("CREDENTIALS_EXPIRED");
    expect(codeOf(() => parseCredentials("export AWS_ACCESS_KEY_ID=ASIA…", now))).toBe(
      "CREDENTIALS_NOT_JSON",
    );
    expect(codeOf(() => parseCredentials("[1]", now))).toBe("CREDENTIALS_NOT_JSON");
    expect(codeOf(() => parseCredentials('{"AccessKeyId":"A"}', now))).toBe("CREDENTIALS_INCOMPLETE");
    expect(codeOf(() => parseCredentials(exported("tomorrow"), now))).toBe("CREDENTIALS_INCOMPLETE");
  });

  it("are refused once expired: no KMS call at sign-in, no request from a signed-in page", async () => {
    const credentials = parseCredentials(exported("2026-05-01T09:30:00Z"), now);
    let calls = 0;
    const fetch = (async () => {
      calls++;
      return new Response("{}");
    }) as typeof globalThis.fetch;
    const later = () => new Date("2026-05-01T09:30:01Z");
    const e = await signIn(
      config,
      { member: "hf-haikou", credentials },
      { fetch, now: later, explain: (x) => x.code },
    ).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: "CREDENTIALS_EXPIRED" });
    expect(calls).toBe(0);
    const transport = apiTransport(config, credentials, later, (x) => `sentence for ${x.code}`);
    const refused = await transport({ method: "GET", path: "/v1/health", query: "", headers: {} }).catch(
      (x: unknown) => x,
    );
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({
      code: "CREDENTIALS_EXPIRED",
      message: "sentence for CREDENTIALS_EXPIRED",
    });
    const fresh = apiTransport(
      config,
      credentials,
      () => now,
      (x) => x.code,
    );
    expect(
      Object.keys(await fresh({ method: "GET", path: "/v1/health", query: "", headers: {} })).sort(),
    ).toEqual(["authorization", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"]);
  });
});

describe("config.json (console/src/aws/config.ts)", () => {
  it("reads the stack's, defaults the KMS endpoint to the region's, and knows the bundle's local one", () => {
    const { kmsEndpoint: _, ...without } = config;
    expect(parseConsoleConfig(JSON.parse(JSON.stringify(without)))).toEqual(config);
    expect(parseConsoleConfig({ mode: "local" })).toEqual({ mode: "local" });
  });

  it("refuses what the stack would not write", () => {
    const bad = (o: unknown) => codeOf(() => parseConsoleConfig(o));
    expect(bad({ mode: "cloud" })).toBe("CONFIG_INVALID");
    expect(bad({ ...config, members: [] })).toBe("CONFIG_INVALID");
    expect(bad({ ...config, members: [{ ...config.members[0], alg: "rsa" }] })).toBe("CONFIG_INVALID");
    expect(bad({ ...config, apiHost: "" })).toBe("CONFIG_INVALID");
    expect(bad({ ...config, kmsEndpoint: "not a url" })).toBe("CONFIG_INVALID");
  });
});

describe("the sign-in's sentences (console/src/i18n/signin.ts)", () => {
  it("say what to do for every refusal, in Chinese and English", () => {
    const HAN = /\p{Script=Han}/u;
    for (const [code, { en, zh }] of Object.entries(SIGN_IN_REFUSALS)) {
      expect(en.length, code).toBeGreaterThan(40);
      expect(en, code).not.toMatch(HAN);
      expect(zh, code).toMatch(HAN);
      // The same placeholders in both, so neither language loses a value.
      expect(zh.match(/\{\w+\}/g), code).toEqual(en.match(/\{\w+\}/g));
    }
  });
});
