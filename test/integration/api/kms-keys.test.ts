import { createHmac } from "node:crypto";
import { KMSClient } from "@aws-sdk/client-kms";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { HttpRequest, HttpResponse } from "../../../functions/api/http.js";
import { consortiumMembers } from "../../../functions/auth/kms-key-directory.js";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import { INTL } from "../../../lib/chain/index.js";
import { LocalSigner } from "../../../lib/crypto/local-signer.js";
import { freshTable, type LocalDynamo, startDynalite } from "../../support/dynalite.js";
import { fakeKms, type KmsCall, type KmsReply, TestKmsKey } from "../../support/fake-aws.js";
import { type CapturedOutput, captureOutput } from "../../support/output.js";
import { signRequestNow } from "../../support/sign-request.js";

// The API container as AWS runs it (issue 15): getApiRuntime with ZHIXIN_KEYS_SOURCE=kms,
// the table on dynalite, and every KMS command the runtime's own KMSClient sends taken at
// the SDK boundary (test/support/fake-aws.ts: serialised, answered on the wire, decoded by
// the SDK), where keys answer as KMS does — GetPublicKey refuses a disabled key with
// DisabledException while DescribeKey says KeyState Disabled. A cold start costs the
// subject key's GenerateMac and the signing member's GetPublicKey and DescribeKey, no
// more; one member's key state touches only that member's requests.

const consortium = loadConsortium("consortium.example.json");
const SUBJECT_KEY = "arn:aws-cn:kms:cn-north-1:111122223333:key/99999999-0000-0000-0000-000000000000";
/** Each member's (and the sealer's) key, by the alias the directory reads it by. */
const kmsKeys = new Map(
  consortiumMembers(consortium).map((m, i) => [
    m.kmsKey,
    new TestKmsKey(
      m.alg,
      `arn:aws-cn:kms:cn-north-1:111122223333:key/0000000${i}-0000-0000-0000-000000000000`,
    ),
  ]),
);
const keyOf = (member: string) => kmsKeys.get(`alias/zhixin/demo/${member}`) as TestKmsKey;

let dynamo: LocalDynamo;
let table: string;
beforeAll(async () => {
  dynamo = await startDynalite();
  table = await freshTable(dynamo.client);
});
afterAll(async () => {
  await dynamo?.stop();
});

let output: CapturedOutput;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => {
  output.stop();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

/**
 * A fresh API container whose KMSClient sends to a fake KMS answering with `answer`
 * (the keys above unless it says otherwise); `calls` is every command it received.
 */
async function coldStart(
  refuse: (operation: string, kmsKey: string) => KmsReply | undefined = () => undefined,
) {
  const kms = fakeKms((operation, input) => {
    if (operation === "GenerateMac") {
      const mac = createHmac("sha256", "master")
        .update(Buffer.from(String(input.Message), "base64"))
        .digest();
      return { body: { KeyId: SUBJECT_KEY, MacAlgorithm: input.MacAlgorithm, Mac: mac.toString("base64") } };
    }
    const kmsKey = String(input.KeyId);
    return refuse(operation, kmsKey) ?? (kmsKeys.get(kmsKey) as TestKmsKey).answer(operation, input);
  });
  // The runtime's module-scope client sends through the fake endpoint's client.
  const send = KMSClient.prototype.send as (command: unknown) => Promise<unknown>;
  vi.spyOn(KMSClient.prototype, "send").mockImplementation(((command: unknown) =>
    send.call(kms.client, command)) as never);
  vi.resetModules();
  // One module graph for the container: its runtime and the API that runs on it.
  const { getApiRuntime } = await import("../../../functions/runtime/runtime.js");
  const { handleApiRequest } = await import("../../../functions/api/api.js");
  const env = {
    ZHIXIN_TABLE: table,
    ZHIXIN_DYNAMODB_ENDPOINT: dynamo.endpoint,
    ZHIXIN_CONSORTIUM_FILE: "consortium.example.json",
    ZHIXIN_KEYS_SOURCE: "kms",
    ZHIXIN_SUBJECT_KMS_KEY: SUBJECT_KEY,
    AWS_REGION: "cn-north-1",
  };
  const request = async (req: HttpRequest): Promise<HttpResponse> =>
    handleApiRequest(req, await getApiRuntime(env));
  return { calls: kms.calls, request };
}

/** GET /v1/keys/<member>, signed by `signer`'s member with its KMS key (or `as`'s). */
async function keysRead(signer: string, department = signer): Promise<HttpRequest> {
  const path = `/v1/keys/${signer}`;
  const headers = await signRequestNow({
    method: "GET",
    path,
    signer: LocalSigner.forOwner(INTL, signer, keyOf(signer).privateKey),
    department,
  });
  return { method: "GET", path, query: "", headers: { ...headers }, body: new Uint8Array() };
}

const asked = (calls: KmsCall[]) => calls.map((c) => [c.operation, c.input.KeyId]);
const codeOf = (res: HttpResponse) => (JSON.parse(res.body) as { error?: { code: string } }).error?.code;

describe("the API's trust bundle from KMS, an owner at a time", () => {
  it("a cold start makes 3 KMS calls: the subject key's GenerateMac, the signer's GetPublicKey and DescribeKey", async () => {
    const { calls, request } = await coldStart();
    const first = await request(await keysRead("hf-haikou"));
    expect(first.statusCode).toBe(200);
    expect(calls).toHaveLength(3);
    expect(asked(calls).sort()).toEqual([
      ["DescribeKey", "alias/zhixin/demo/hf-haikou"],
      ["GenerateMac", SUBJECT_KEY],
      ["GetPublicKey", "alias/zhixin/demo/hf-haikou"],
    ]);

    // Another member's first request reads that member's key alone; a known one, nothing.
    expect((await request(await keysRead("market-regulation"))).statusCode).toBe(200);
    expect(asked(calls.slice(3)).sort()).toEqual([
      ["DescribeKey", "alias/zhixin/demo/market-regulation"],
      ["GetPublicKey", "alias/zhixin/demo/market-regulation"],
    ]);
    expect((await request(await keysRead("hf-haikou"))).statusCode).toBe(200);
    expect((await request(await keysRead("market-regulation"))).statusCode).toBe(200);
    expect(calls).toHaveLength(5);

    // A key of another member than the header's is still KEY_NOT_OWNED (its owner is read).
    expect(codeOf(await request(await keysRead("hf-sanya", "hf-haikou")))).toBe("KEY_NOT_OWNED");
    expect(output.stderr).toBe("");
  });

  it("a member whose key is disabled is refused, one whose key KMS throttles is asked to retry and recovers; the others are served", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date() });
    const disabled = new TestKmsKey(
      "ed25519",
      keyOf("hf-sanya").arn,
      keyOf("hf-sanya").creationDate,
      "Disabled",
    );
    let throttling = true;
    const { calls, request } = await coldStart((operation, kmsKey) => {
      if (kmsKey === "alias/zhixin/demo/hf-sanya") return disabled.answer(operation, {});
      if (kmsKey === "alias/zhixin/demo/internet-court" && operation === "GetPublicKey" && throttling) {
        return { status: 400, body: { __type: "ThrottlingException", message: "Rate exceeded" } };
      }
      return undefined;
    });

    const sanya = await request(await keysRead("hf-sanya"));
    expect(sanya.statusCode).toBe(401);
    expect(JSON.parse(sanya.body).error).toMatchObject({
      code: "UNKNOWN_KEY",
      details: { owner: "hf-sanya", codes: ["KEY_DISABLED"] },
    });
    // As KMS does: GetPublicKey refused, DescribeKey answered.
    expect(asked(calls.filter((c) => c.input.KeyId === "alias/zhixin/demo/hf-sanya")).sort()).toEqual([
      ["DescribeKey", "alias/zhixin/demo/hf-sanya"],
      ["GetPublicKey", "alias/zhixin/demo/hf-sanya"],
    ]);

    const court = await request(await keysRead("internet-court"));
    expect(court.statusCode).toBe(503);
    expect(codeOf(court)).toBe("UNAVAILABLE");
    expect(court.headers["retry-after"]).toBe("2");

    expect((await request(await keysRead("hf-haikou"))).statusCode).toBe(200);
    expect((await request(await keysRead("market-regulation"))).statusCode).toBe(200);

    // Within the backoff KMS is not asked again for either.
    const before = calls.length;
    expect(codeOf(await request(await keysRead("internet-court")))).toBe("UNAVAILABLE");
    expect(codeOf(await request(await keysRead("hf-sanya")))).toBe("UNKNOWN_KEY");
    expect(calls).toHaveLength(before);

    // KMS answers again; after the backoff the throttled member's next request succeeds.
    throttling = false;
    vi.setSystemTime(Date.now() + 2_000);
    expect((await request(await keysRead("internet-court"))).statusCode).toBe(200);
    expect(calls).toHaveLength(before + 2);

    // One WARN line per failed read, naming the member and the code.
    const warnings = output.logLines().filter((l) => l.level === "WARN");
    expect(warnings.map((l) => [l.message, l.member, l.code])).toEqual([
      ["cannot read a member's keys from KMS", "hf-sanya", "KEY_DISABLED"],
      ["cannot read a member's keys from KMS", "internet-court", "KMS_UNAVAILABLE"],
    ]);
  });
});
