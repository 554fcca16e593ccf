import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deriveSubjectKey, INTL, SUBJECT_KEY_LABEL } from "#chain";
import { loadKmsSubjectKey } from "../../../../functions/sharing/kms-subject-key.js";
import { fakeKms, type KmsReply, kmsError } from "../../../support/fake-aws.js";

// The deployed subject key, tested at the KMSClient boundary (test/support/fake-aws.ts): the fake
// answers GenerateMac with node:crypto's HMAC-SHA-256 under a known master, which is what
// KMS computes with an HMAC_256 key, so the result must be deriveSubjectKey(INTL, master).

const KEY_ARN = "arn:aws-cn:kms:cn-north-1:111122223333:key/00000000-0000-0000-0000-000000000000";
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

/** A KMS with one HMAC_256 key holding `master`; `mac` overrides what GenerateMac returns. */
function hmacKms(master: Uint8Array, mac?: (message: Buffer) => Uint8Array | undefined) {
  return fakeKms((operation, input): KmsReply => {
    if (operation !== "GenerateMac") return kmsError("UnsupportedOperationException", operation);
    const message = Buffer.from(String(input.Message), "base64");
    const out = mac ? mac(message) : createHmac("sha256", master).update(message).digest();
    return {
      body: { KeyId: KEY_ARN, MacAlgorithm: input.MacAlgorithm, ...(out ? { Mac: b64(out) } : {}) },
    };
  });
}

describe("loadKmsSubjectKey", () => {
  it("sends one GenerateMac HMAC_SHA_256 over the label, with the given key", async () => {
    const { client, calls } = hmacKms(new Uint8Array(randomBytes(32)));
    await loadKmsSubjectKey(client, KEY_ARN);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.operation).toBe("GenerateMac");
    expect(calls[0]?.authorization).toMatch(/\/cn-north-1\/kms\/aws4_request/);
    const input = calls[0]?.input ?? {};
    expect(Object.keys(input).sort()).toEqual(["KeyId", "MacAlgorithm", "Message"]);
    expect(input.KeyId).toBe(KEY_ARN);
    expect(input.MacAlgorithm).toBe("HMAC_SHA_256");
    expect(Buffer.from(String(input.Message), "base64").toString("utf8")).toBe(SUBJECT_KEY_LABEL);
    expect(SUBJECT_KEY_LABEL).toBe("zhixin/subject-key/v1");
  });

  it("gives the key local mode derives from the same master", async () => {
    const master = new Uint8Array(randomBytes(32));
    const { client } = hmacKms(master);
    const key = await loadKmsSubjectKey(client, KEY_ARN);
    expect(key).toBeInstanceOf(Uint8Array);
    expect(key).toEqual(deriveSubjectKey(INTL, master));
  });

  it("refuses a Mac that is not 32 bytes, or none, naming the key", async () => {
    const master = new Uint8Array(32);
    for (const mac of [new Uint8Array(31), new Uint8Array(64)]) {
      const { client } = hmacKms(master, () => mac);
      await expect(loadKmsSubjectKey(client, KEY_ARN)).rejects.toThrow(
        new RegExp(`${KEY_ARN}.*${mac.length}-byte Mac, want 32 bytes`),
      );
    }
    const { client } = hmacKms(master, () => undefined);
    await expect(loadKmsSubjectKey(client, "alias/zhixin/demo/subject")).rejects.toThrow(
      /alias\/zhixin\/demo\/subject gave no Mac/,
    );
  });

  it("lets KMS errors through unchanged", async () => {
    const { client } = fakeKms(() => kmsError("AccessDeniedException", "not allowed to kms:GenerateMac"));
    await expect(loadKmsSubjectKey(client, KEY_ARN)).rejects.toMatchObject({
      name: "AccessDeniedException",
    });
  });
});
