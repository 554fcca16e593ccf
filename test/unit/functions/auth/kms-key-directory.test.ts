import { describe, expect, it } from "vitest";
import { deriveKeyId, type SignatureAlgorithm } from "#chain";
import {
  consortiumMembers,
  KmsKeyDirectoryError,
  kmsAlias,
  kmsKeysOf,
  loadKmsKeyDirectory,
  sealerSigningKmsKey,
} from "../../../../functions/auth/kms-key-directory.js";
import { loadConsortium } from "../../../../functions/runtime/consortium-file.js";
import { type Consortium, parseConsortium } from "../../../../lib/consortium/consortium.js";
import { keyValidAt } from "../../../../lib/crypto/key-directory.js";
import { exampleConsortium, type Json } from "../../../support/consortium-file.js";
import { fakeKms, type KmsReply, kmsError, TestKmsKey } from "../../../support/fake-aws.js";

// The deployed trust bundle: every member's key (and the sealer's) read from KMS by
// alias or keyArn at cold start, and named by the id derived from it (docs/design/
// key-history.md §1), tested at the KMSClient boundary (test/support/fake-aws.ts).

const consortium = loadConsortium("consortium.example.json");
const NOW = new Date("2026-11-21T08:00:00.000Z");

/** One TestKmsKey per member's KMS key id (an alias, or its keyArn), of the member's algorithm. */
function keysFor(
  overrides: Record<string, { alg?: SignatureAlgorithm; state?: string }> = {},
  c: Consortium = consortium,
) {
  const keys = new Map<string, TestKmsKey>();
  consortiumMembers(c).forEach((m, i) => {
    const o = overrides[m.owner] ?? {};
    const arn = m.kmsKey.startsWith("arn:")
      ? m.kmsKey
      : `arn:aws-cn:kms:cn-north-1:111122223333:key/0000000${i}-0000-0000-0000-000000000000`;
    const created = new Date(Date.UTC(2026, 0, 1 + i));
    keys.set(m.kmsKey, new TestKmsKey(o.alg ?? m.alg, arn, created, o.state));
  });
  return keys;
}

/** The key id the directory must give the key KMS holds under `kmsKey` (an alias or key ARN). */
function idOf(keys: Map<string, TestKmsKey>, kmsKey: string, owner: string): string {
  return deriveKeyId(owner, (keys.get(kmsKey) as TestKmsKey).spki);
}

function kmsWith(keys: Map<string, TestKmsKey>, missing: string[] = []) {
  return fakeKms((operation, input): KmsReply => {
    const alias = String(input.KeyId);
    const key = keys.get(alias);
    if (!key || missing.includes(alias)) {
      return kmsError(
        "NotFoundException",
        `Alias arn:aws-cn:kms:cn-north-1:111122223333:${alias} is not found.`,
      );
    }
    return key.answer(operation, input);
  });
}

describe("loadKmsKeyDirectory", () => {
  it("reads every member's and the sealer's key by alias, GetPublicKey and DescribeKey each, in parallel", async () => {
    const keys = keysFor();
    const { client, calls } = kmsWith(keys);
    const directory = await loadKmsKeyDirectory(client, consortium, NOW);

    const aliases = [...keys.keys()];
    expect(aliases).toContain("alias/zhixin/demo/hf-haikou");
    expect(aliases).toContain("alias/zhixin/demo/auditor");
    expect(aliases).toContain("alias/zhixin/demo/sealer");
    expect(calls).toHaveLength(2 * aliases.length);
    for (const alias of aliases) {
      const ops = calls.filter((c) => c.input.KeyId === alias).map((c) => c.operation);
      expect(ops.sort()).toEqual(["DescribeKey", "GetPublicKey"]);
    }
    for (const call of calls) expect(call.input).toEqual({ KeyId: call.input.KeyId });
    expect(calls[0]?.authorization).toMatch(/\/cn-north-1\/kms\/aws4_request/);

    expect(directory.listKeys()).toHaveLength(aliases.length);
    for (const key of directory.listKeys()) expect(key.keyId).toBe(deriveKeyId(key.owner, key.spki));
    const haikouId = idOf(keys, "alias/zhixin/demo/hf-haikou", "hf-haikou");
    expect(haikouId).toMatch(/^hf-haikou\/[0-9a-f]{16}$/);
    const haikou = directory.getKey(haikouId);
    expect(haikou).toMatchObject({
      keyId: haikouId,
      owner: "hf-haikou",
      role: "department",
      alg: "ed25519",
      validFrom: (keys.get("alias/zhixin/demo/hf-haikou") as TestKmsKey).creationDate.toISOString(),
    });
    expect(haikou?.validUntil).toBeUndefined();
    expect(haikou?.spki).toEqual((keys.get("alias/zhixin/demo/hf-haikou") as TestKmsKey).spki);
    expect(
      directory.getKey(idOf(keys, "alias/zhixin/demo/market-regulation", "market-regulation")),
    ).toMatchObject({
      alg: "ecdsa-p256-sha256",
      role: "department",
    });
    expect(directory.getKey(idOf(keys, "alias/zhixin/demo/auditor", "auditor"))).toMatchObject({
      owner: "auditor",
      role: "auditor",
    });
    expect(directory.getKey(idOf(keys, "alias/zhixin/demo/sealer", "sealer"))).toMatchObject({
      owner: "sealer",
      role: "sealer",
    });
    // An alias locates a key; it names none.
    for (const alias of aliases) expect(directory.getKey(alias)).toBeUndefined();
  });

  it("keeps a disabled or pending-deletion key, valid only before now", async () => {
    const keys = keysFor({
      "hf-sanya": { state: "Disabled" },
      "civil-affairs": { state: "PendingDeletion" },
    });
    const { client } = kmsWith(keys);
    const directory = await loadKmsKeyDirectory(client, consortium, NOW);
    for (const member of ["hf-sanya", "civil-affairs"]) {
      const key = directory.getKey(idOf(keys, kmsAlias("demo", member), member));
      expect(key?.validUntil).toBe(NOW.toISOString());
      expect(keyValidAt(key as NonNullable<typeof key>, "2026-06-01T00:00:00.000Z")).toBe(true);
      expect(keyValidAt(key as NonNullable<typeof key>, NOW.toISOString())).toBe(false);
    }
    expect(
      directory.getKey(idOf(keys, kmsAlias("demo", "hf-haikou"), "hf-haikou"))?.validUntil,
    ).toBeUndefined();
  });

  it("refuses a key whose KeySpec is not the member's algorithm", async () => {
    const keys = keysFor({
      "market-regulation": { alg: "ed25519" },
      "hf-haikou": { alg: "ecdsa-p256-sha256" },
    });
    const { client } = kmsWith(keys);
    const error = await loadKmsKeyDirectory(client, consortium, NOW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsKeyDirectoryError);
    expect((error as KmsKeyDirectoryError).problems).toEqual([
      expect.objectContaining({ key: "alias/zhixin/demo/hf-haikou", code: "KEY_SPEC_MISMATCH" }),
      expect.objectContaining({ key: "alias/zhixin/demo/market-regulation", code: "KEY_SPEC_MISMATCH" }),
    ]);
  });

  it("refuses a key that is not for signing", async () => {
    const keys = keysFor();
    const { client } = fakeKms((operation, input) => {
      const key = keys.get(String(input.KeyId)) as TestKmsKey;
      const reply = key.answer(operation, input);
      if (operation === "GetPublicKey" && input.KeyId === "alias/zhixin/demo/sealer") {
        return { body: { ...reply.body, KeyUsage: "ENCRYPT_DECRYPT" } };
      }
      return reply;
    });
    await expect(loadKmsKeyDirectory(client, consortium, NOW)).rejects.toMatchObject({
      problems: [{ key: "alias/zhixin/demo/sealer", code: "KEY_USAGE_MISMATCH" }],
    });
  });

  it("names every missing alias in one error", async () => {
    const { client } = kmsWith(keysFor(), ["alias/zhixin/demo/internet-court", "alias/zhixin/demo/sealer"]);
    const error = (await loadKmsKeyDirectory(client, consortium, NOW).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({
      problems: [
        { key: "alias/zhixin/demo/internet-court", code: "KEY_MISSING" },
        { key: "alias/zhixin/demo/sealer", code: "KEY_MISSING" },
      ],
    });
    expect(error.message).toContain("alias/zhixin/demo/internet-court");
    expect(error.message).toContain("alias/zhixin/demo/sealer");
  });

  it("reports other KMS failures with the key", async () => {
    const keys = keysFor();
    const { client } = fakeKms((operation, input) =>
      input.KeyId === "alias/zhixin/demo/auditor" && operation === "DescribeKey"
        ? kmsError("AccessDeniedException", "not authorized to perform: kms:DescribeKey")
        : (keys.get(String(input.KeyId)) as TestKmsKey).answer(operation, input),
    );
    await expect(loadKmsKeyDirectory(client, consortium, NOW)).rejects.toMatchObject({
      problems: [
        {
          key: "alias/zhixin/demo/auditor",
          code: "KMS_ERROR",
          message: expect.stringContaining("AccessDeniedException"),
        },
      ],
    });
  });

  it("refuses an SPKI that is not a key of the declared spec", async () => {
    const keys = keysFor();
    const p256 = new TestKmsKey("ecdsa-p256-sha256", "arn:x");
    const { client } = fakeKms((operation, input) => {
      const reply = (keys.get(String(input.KeyId)) as TestKmsKey).answer(operation, input);
      if (operation === "GetPublicKey" && input.KeyId === "alias/zhixin/demo/hf-haikou") {
        return { body: { ...reply.body, PublicKey: Buffer.from(p256.spki).toString("base64") } };
      }
      return reply;
    });
    await expect(loadKmsKeyDirectory(client, consortium, NOW)).rejects.toMatchObject({
      problems: [{ key: "alias/zhixin/demo/hf-haikou", code: "UNEXPECTED_RESPONSE" }],
    });
  });

  it("reads a member whose key is in its own account by its keyArn, and names it by the id derived from it", async () => {
    const haikouArn = "arn:aws-cn:kms:cn-northwest-1:111111111111:key/0b7c2f0e-1f7a-4c1e-9d2a-5e8f6a7b8c9d";
    const auditorArn = "arn:aws-cn:kms:cn-northwest-1:777777777777:key/mrk-0123456789abcdef0123456789abcdef";
    const file = exampleConsortium();
    ((file.departments as Json[])[0] as Json).keyArn = haikouArn;
    ((file.auditors as Json[])[0] as Json).keyArn = auditorArn;
    const own = parseConsortium(file);
    const keys = keysFor({}, own);
    const { client, calls } = kmsWith(keys);
    const directory = await loadKmsKeyDirectory(client, own, NOW);

    const asked = new Set(calls.map((c) => c.input.KeyId));
    expect(asked).toContain(haikouArn);
    expect(asked).toContain(auditorArn);
    expect(asked).not.toContain(kmsAlias("demo", "hf-haikou"));
    expect(asked).not.toContain(kmsAlias("demo", "auditor"));
    expect(asked).toContain(kmsAlias("demo", "hf-sanya"));
    expect(asked).toContain(kmsAlias("demo", "sealer"));
    const haikouId = idOf(keys, haikouArn, "hf-haikou");
    expect(directory.getKey(haikouId)).toMatchObject({
      keyId: haikouId,
      owner: "hf-haikou",
      role: "department",
    });
    const auditorId = idOf(keys, auditorArn, "auditor");
    expect(directory.getKey(auditorId)).toMatchObject({
      keyId: auditorId,
      owner: "auditor",
      role: "auditor",
    });
    // Neither the ARN nor the alias names a key: a request signed keyid=<ARN> is nobody's.
    expect(directory.getKey(haikouArn)).toBeUndefined();
    expect(directory.getKey(kmsAlias("demo", "hf-haikou"))).toBeUndefined();
  });

  it("names a cross-account key KMS does not let the ledger read by its ARN", async () => {
    const haikouArn = "arn:aws:kms:ap-east-1:111111111111:key/0b7c2f0e-1f7a-4c1e-9d2a-5e8f6a7b8c9d";
    const file = exampleConsortium();
    ((file.departments as Json[])[0] as Json).keyArn = haikouArn;
    const own = parseConsortium(file);
    const keys = keysFor({}, own);
    const { client } = fakeKms((operation, input) =>
      input.KeyId === haikouArn
        ? kmsError("AccessDeniedException", "not authorized to perform: kms:GetPublicKey")
        : (keys.get(String(input.KeyId)) as TestKmsKey).answer(operation, input),
    );
    await expect(loadKmsKeyDirectory(client, own, NOW)).rejects.toMatchObject({
      problems: [{ key: haikouArn, code: "KMS_ERROR", message: expect.stringContaining("AccessDenied") }],
    });
  });
});

// Rotation (docs/DEPLOY.md, "Rotating a member's key", "Rotating the sealer's key"): every
// version of a key the file lists is read, so a request signed by any of them is its owner's.
describe("loadKmsKeyDirectory with several versions of a key", () => {
  const HAIKOU_V1 = "arn:aws-cn:kms:cn-northwest-1:111111111111:key/0b7c2f0e-1f7a-4c1e-9d2a-5e8f6a7b8c9d";
  const HAIKOU_V2 = "arn:aws-cn:kms:cn-northwest-1:111111111111:key/1c8d3f1f-2a8b-4d2f-8e3b-6f9a7b8c9d0e";

  function rotated(): Consortium {
    const file = exampleConsortium();
    ((file.departments as Json[])[0] as Json).keyArns = [HAIKOU_V1, HAIKOU_V2];
    ((file.departments as Json[])[1] as Json).keyVersions = 2;
    file.sealer = { keyVersions: 2 };
    return parseConsortium(file);
  }

  it("reads every listed key ARN and every stack-created version, oldest first, each under its derived id", async () => {
    const c = rotated();
    expect(kmsKeysOf(c, c.departments[0] as Consortium["departments"][number])).toEqual([
      HAIKOU_V1,
      HAIKOU_V2,
    ]);
    expect(kmsKeysOf(c, c.departments[1] as Consortium["departments"][number])).toEqual([
      "alias/zhixin/demo/hf-sanya",
      "alias/zhixin/demo/hf-sanya/v2",
    ]);
    const keys = keysFor({}, c);
    const { client, calls } = kmsWith(keys);
    const directory = await loadKmsKeyDirectory(client, c, NOW);

    const asked = new Set(calls.map((call) => call.input.KeyId));
    for (const kmsKey of [
      HAIKOU_V1,
      HAIKOU_V2,
      "alias/zhixin/demo/hf-sanya/v2",
      "alias/zhixin/demo/sealer/v2",
    ])
      expect(asked).toContain(kmsKey);
    expect(asked).not.toContain(kmsAlias("demo", "hf-haikou"));
    for (const [kmsKey, owner, role] of [
      [HAIKOU_V1, "hf-haikou", "department"],
      [HAIKOU_V2, "hf-haikou", "department"],
      ["alias/zhixin/demo/hf-sanya", "hf-sanya", "department"],
      ["alias/zhixin/demo/hf-sanya/v2", "hf-sanya", "department"],
      ["alias/zhixin/demo/sealer", "sealer", "sealer"],
      ["alias/zhixin/demo/sealer/v2", "sealer", "sealer"],
    ] as const) {
      const keyId = idOf(keys, kmsKey, owner);
      expect(directory.getKey(keyId), kmsKey).toMatchObject({ keyId, owner, role });
    }
    expect(directory.listKeys().filter((k) => k.owner === "hf-haikou")).toHaveLength(2);
    expect(directory.listKeys().filter((k) => k.role === "sealer")).toHaveLength(2);
  });

  it("signs blocks with the sealer's newest version", () => {
    expect(sealerSigningKmsKey(consortium)).toBe("alias/zhixin/demo/sealer");
    expect(sealerSigningKmsKey(rotated())).toBe("alias/zhixin/demo/sealer/v2");
  });

  it("leaves out a member's key KMS will not read for its state, and keeps the rest", async () => {
    const c = rotated();
    const keys = keysFor({}, c);
    const { client } = fakeKms((operation, input) =>
      input.KeyId === HAIKOU_V1 && operation === "GetPublicKey"
        ? kmsError("DisabledException", `${HAIKOU_V1} is disabled.`)
        : input.KeyId === "alias/zhixin/demo/hf-sanya" && operation === "GetPublicKey"
          ? kmsError("KMSInvalidStateException", "the key is pending deletion.")
          : (keys.get(String(input.KeyId)) as TestKmsKey).answer(operation, input),
    );
    const directory = await loadKmsKeyDirectory(client, c, NOW);
    expect(directory.getKey(idOf(keys, HAIKOU_V1, "hf-haikou"))).toBeUndefined();
    expect(directory.getKey(idOf(keys, "alias/zhixin/demo/hf-sanya", "hf-sanya"))).toBeUndefined();
    expect(directory.getKey(idOf(keys, HAIKOU_V2, "hf-haikou"))).toMatchObject({ owner: "hf-haikou" });
    expect(directory.getKey(idOf(keys, "alias/zhixin/demo/hf-sanya/v2", "hf-sanya"))).toMatchObject({
      owner: "hf-sanya",
    });
  });

  it("refuses a sealer key KMS will not read, saying to enable it again", async () => {
    const c = rotated();
    const keys = keysFor({}, c);
    const { client } = fakeKms((operation, input) =>
      input.KeyId === "alias/zhixin/demo/sealer" && operation === "GetPublicKey"
        ? kmsError("DisabledException", "the key is disabled.")
        : (keys.get(String(input.KeyId)) as TestKmsKey).answer(operation, input),
    );
    await expect(loadKmsKeyDirectory(client, c, NOW)).rejects.toMatchObject({
      problems: [
        {
          key: "alias/zhixin/demo/sealer",
          code: "KMS_ERROR",
          message: expect.stringContaining("enable the key again"),
        },
      ],
    });
  });
});
