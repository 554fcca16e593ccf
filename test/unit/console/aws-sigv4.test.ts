import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { sigv4Signer } from "../../../cli/sigv4.js";
import { NobleSha256, sigv4Headers } from "../../../console/src/aws/sigv4.js";
import { sigv4Problem } from "../../support/sigv4-check.js";

const credentials = {
  accessKeyId: "ASIATESTCONSOLE00001",
  secretAccessKey: "c2VjcmV0LWtleS1mb3ItdGhlLWNvbnNvbGUtdGVzdHM",
  sessionToken: "session-token/with+base64=",
};
const date = new Date("2026-05-01T08:30:00Z");

describe("SigV4 in the browser (console/src/aws/sigv4.ts)", () => {
  it("gives AWS's published get-vanilla signature with @noble/hashes (aws-sig-v4-test-suite)", async () => {
    const signer = new SignatureV4({
      service: "service",
      region: "us-east-1",
      credentials: {
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      },
      sha256: NobleSha256,
      applyChecksum: false,
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: "GET",
        protocol: "https:",
        hostname: "example.amazonaws.com",
        path: "/",
        headers: { host: "example.amazonaws.com" },
      }),
      { signingDate: new Date("2015-08-30T12:36:00Z") },
    );
    expect(signed.headers.authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
  });

  it("adds exactly the headers the CLI's SigV4 (node:crypto) adds for the same API request", async () => {
    const body = new TextEncoder().encode('{"records":[{"type":"t","data":{"a":"ü"}}]}');
    const headers = {
      "content-digest": "sha-256=:abc=:",
      signature: "sig1=:AAAA:",
      "signature-input": 'sig1=("@method" "@path");created=1;keyid="hf-haikou/0123456789abcdef"',
      "zhixin-department": "hf-haikou",
      "content-type": "application/json",
    };
    const host = "abc123.execute-api.cn-north-1.amazonaws.com.cn";
    const query = "page=2&type=a+b&type=c%2Fd";
    const browser = await sigv4Headers(
      { method: "POST", host, path: "/v1/entries", query, headers, body },
      { service: "execute-api", region: "cn-north-1", credentials },
      date,
    );
    const cli = await sigv4Signer({ region: "cn-north-1", credentials, now: () => date })({
      method: "POST",
      url: new URL(`https://${host}/v1/entries?${query}`),
      headers,
      body,
    });
    expect(browser).toEqual(cli);
    expect(Object.keys(browser).sort()).toEqual([
      "authorization",
      "x-amz-content-sha256",
      "x-amz-date",
      "x-amz-security-token",
    ]);
    const received = {
      method: "POST",
      host,
      path: "/v1/entries",
      query,
      headers: { ...headers, ...browser },
      body,
    };
    const expected = { service: "execute-api", region: "cn-north-1", ...credentials, now: date };
    expect(await sigv4Problem(received, expected)).toBeUndefined();
    // The checker the browser test relies on refuses what it must.
    expect(await sigv4Problem({ ...received, body: new Uint8Array([1]) }, expected)).toMatch(
      /x-amz-content-sha256/,
    );
    expect(await sigv4Problem({ ...received, host: "other.example" }, expected)).toMatch(/does not hold/);
    expect(
      await sigv4Problem(
        { ...received, headers: { ...received.headers, "zhixin-department": "hf-sanya" } },
        expected,
      ),
    ).toMatch(/does not hold/);
    expect(await sigv4Problem(received, { ...expected, secretAccessKey: "other" })).toMatch(/does not hold/);
    expect(await sigv4Problem(received, { ...expected, service: "kms" })).toMatch(/scope/);
    expect(await sigv4Problem(received, { ...expected, now: new Date(date.getTime() + 6 * 60_000) })).toMatch(
      /5 minutes/,
    );
  });

  it("hashes strings, views and buffers alike, and HMACs with a secret", async () => {
    const h = new NobleSha256();
    h.update("ab");
    h.update(new Uint8Array([0x63]));
    expect(Buffer.from(await h.digest()).toString("hex")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    // RFC 4231 test case 2.
    const mac = new NobleSha256("Jefe");
    mac.update(new TextEncoder().encode("what do ya want for nothing?").buffer);
    expect(Buffer.from(await mac.digest()).toString("hex")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
    mac.reset();
    mac.update("what do ya want for nothing?");
    expect(Buffer.from(await mac.digest()).toString("hex")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });
});
