import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deriveKeyId, INTL, type SignatureAlgorithm } from "#chain";
import {
  consortiumMembers,
  KmsKeyDirectory,
  kmsAlias,
  kmsKeysOf,
  loadKmsKeyDirectory,
  reportKeyFailure,
  retryDelayMs,
  sealerSigningKmsKey,
} from "../../../../functions/auth/kms-key-directory.js";
import { KmsKeyDirectoryError, type KmsKeyProblemCode } from "../../../../functions/auth/kms-owner-keys.js";
import { loadConsortium } from "../../../../functions/runtime/consortium-file.js";
import { type Consortium, parseConsortium } from "../../../../lib/consortium/consortium.js";
import { keyValidAt } from "../../../../lib/crypto/key-directory.js";
import { exampleConsortium, type Json } from "../../../support/consortium-file.js";
import { fakeKms, type KmsReply, kmsError, TestKmsKey } from "../../../support/fake-aws.js";
import { captured } from "../../../support/output.js";

// The deployed trust bundle: each owner's keys (every member's, and the sealer's) read
// from KMS by alias or keyArn when first needed, named by the id derived from each key
// (docs/design/key-history.md §1); one owner's failure is its own. Tested at the KMSClient
// boundary (test/support/fake-aws.ts), whose keys answer as KMS does: GetPublicKey refuses
// a disabled key (DisabledException) or one pending deletion (KMSInvalidStateException),
// while DescribeKey still answers with its KeyState.

const consortium = loadConsortium("consortium.example.json");
const NOW = new Date("2026-11-21T08:00:00.000Z");

/** The clock the directories read: tests move it to pass a backoff. */
let now: Date;
const clock = { now: () => now };
/** What the directories reported, one per failed read of an owner. */
let reported: KmsKeyDirectoryError[];
beforeEach(() => {
  now = NOW;
  reported = [];
});
const options = () => ({ clock, report: (f: KmsKeyDirectoryError) => reported.push(f) });

/** One TestKmsKey per member's KMS key id (an alias, or its keyArn), of the member's algorithm. */
function keysFor(
  overrides: Record<string, { alg?: SignatureAlgorithm; state?: string }> = {},
  c: Consortium = consortium,
) {
  const keys = new Map<string, TestKmsKey>();
  consortiumMembers(c).forEach((m, i) => {
    const o = overrides[m.kmsKey] ?? overrides[m.owner] ?? {};
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
  return deriveKeyId(INTL, owner, (keys.get(kmsKey) as TestKmsKey).spki);
}

/** A KMS holding `keys`; `refuse` answers instead for the calls it returns a reply for. */
function kmsWith(
  keys: Map<string, TestKmsKey>,
  refuse: (operation: string, kmsKey: string) => KmsReply | undefined = () => undefined,
) {
  return fakeKms((operation, input): KmsReply => {
    const kmsKey = String(input.KeyId);
    const refusal = refuse(operation, kmsKey);
    if (refusal) return refusal;
    const key = keys.get(kmsKey);
    if (!key) {
      return kmsError(
        "NotFoundException",
        `Alias arn:aws-cn:kms:cn-north-1:111122223333:${kmsKey} is not found.`,
      );
    }
    return key.answer(operation, input);
  });
}

const throttled = (): KmsReply => ({
  status: 400,
  body: { __type: "ThrottlingException", message: "Rate exceeded" },
});

const HAIKOU = kmsAlias("demo", "hf-haikou");

describe("KmsKeyDirectory: an owner's keys when first needed", () => {
  it("reads nothing when built; then an owner's keys alone, GetPublicKey and DescribeKey each, once", async () => {
    const keys = keysFor();
    const { client, calls } = kmsWith(keys);
    const directory = new KmsKeyDirectory(client, consortium, options());
    expect(calls).toEqual([]);

    await directory.loadOwner("hf-haikou");
    expect(calls.map((c) => [c.operation, c.input.KeyId]).sort()).toEqual([
      ["DescribeKey", HAIKOU],
      ["GetPublicKey", HAIKOU],
    ]);
    for (const call of calls) expect(call.input).toEqual({ KeyId: call.input.KeyId });
    expect(calls[0]?.authorization).toMatch(/\/cn-north-1\/kms\/aws4_request/);
    const haikouId = idOf(keys, HAIKOU, "hf-haikou");
    expect(haikouId).toMatch(/^hf-haikou\/[0-9a-f]{16}$/);
    const haikou = directory.getKey(haikouId);
    expect(haikou).toMatchObject({
      keyId: haikouId,
      owner: "hf-haikou",
      role: "department",
      alg: "ed25519",
      validFrom: (keys.get(HAIKOU) as TestKmsKey).creationDate.toISOString(),
    });
    expect(haikou?.validUntil).toBeUndefined();
    expect(haikou?.spki).toEqual((keys.get(HAIKOU) as TestKmsKey).spki);
    expect(directory.listKeys()).toEqual([haikou]);
    expect(directory.getKey(idOf(keys, kmsAlias("demo", "hf-sanya"), "hf-sanya"))).toBeUndefined();

    // Read once: again, and concurrently, it asks KMS nothing more for that owner.
    await directory.loadOwner("hf-haikou");
    await Promise.all([directory.loadOwner("market-regulation"), directory.loadOwner("market-regulation")]);
    expect(calls).toHaveLength(4);
    expect(
      directory.getKey(idOf(keys, kmsAlias("demo", "market-regulation"), "market-regulation")),
    ).toMatchObject({
      alg: "ecdsa-p256-sha256",
      role: "department",
    });
    // An owner the file does not name has nothing to read.
    await directory.loadOwner("nobody");
    expect(calls).toHaveLength(4);
    expect(reported).toEqual([]);
  });

  it("loadAll reads every owner's keys, the sealer's too, each under its derived id", async () => {
    const keys = keysFor();
    const { client, calls } = kmsWith(keys);
    const directory = new KmsKeyDirectory(client, consortium, options());
    expect(await directory.loadAll()).toEqual([]);

    const aliases = [...keys.keys()];
    expect(aliases).toContain("alias/zhixin/demo/auditor");
    expect(aliases).toContain("alias/zhixin/demo/sealer");
    expect(calls).toHaveLength(2 * aliases.length);
    expect(directory.listKeys()).toHaveLength(aliases.length);
    for (const key of directory.listKeys()) expect(key.keyId).toBe(deriveKeyId(INTL, key.owner, key.spki));
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

  const otherKey = new TestKmsKey("ecdsa-p256-sha256", "arn:x");
  it.each<[string, (operation: string, reply: KmsReply) => KmsReply, KmsKeyProblemCode, boolean]>([
    ["its key missing", () => kmsError("NotFoundException", "Alias is not found."), "KEY_MISSING", false],
    [
      "its key disabled",
      (op, reply) => (op === "GetPublicKey" ? kmsError("DisabledException", "disabled") : reply),
      "KEY_DISABLED",
      false,
    ],
    [
      "its key pending deletion",
      (op, reply) =>
        op === "GetPublicKey" ? kmsError("KMSInvalidStateException", "pending deletion") : reply,
      "KEY_DISABLED",
      false,
    ],
    [
      "KMS refusing access",
      () => kmsError("AccessDeniedException", "not authorized to perform: kms:DescribeKey"),
      "KMS_ERROR",
      false,
    ],
    ["KMS throttling (after the SDK's retries)", () => throttled(), "KMS_UNAVAILABLE", true],
    [
      "KMS failing",
      () => ({ status: 500, body: { __type: "KMSInternalException", message: "internal" } }),
      "KMS_UNAVAILABLE",
      true,
    ],
    [
      "a key of another algorithm",
      (op, reply) => (op === "GetPublicKey" ? { body: { ...reply.body, KeySpec: "ECC_NIST_P256" } } : reply),
      "KEY_SPEC_MISMATCH",
      false,
    ],
    [
      "a key not for signing",
      (op, reply) =>
        op === "GetPublicKey" ? { body: { ...reply.body, KeyUsage: "ENCRYPT_DECRYPT" } } : reply,
      "KEY_USAGE_MISMATCH",
      false,
    ],
    [
      "an SPKI not of the key spec",
      (op, reply) =>
        op === "GetPublicKey"
          ? { body: { ...reply.body, PublicKey: Buffer.from(otherKey.spki).toString("base64") } }
          : reply,
      "UNEXPECTED_RESPONSE",
      false,
    ],
  ])("one owner's failure is its own: %s", async (_, answer, code, transient) => {
    const keys = keysFor();
    const { client } = fakeKms((operation, input) => {
      const reply = (keys.get(String(input.KeyId)) as TestKmsKey).answer(operation, input);
      return input.KeyId === HAIKOU ? answer(operation, reply) : reply;
    });
    const directory = new KmsKeyDirectory(client, consortium, options());
    const error = await directory.loadOwner("hf-haikou").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsKeyDirectoryError);
    expect((error as KmsKeyDirectoryError).problems).toEqual([
      expect.objectContaining({ owner: "hf-haikou", key: HAIKOU, code }),
    ]);
    expect((error as KmsKeyDirectoryError).transient).toBe(transient);
    expect((error as KmsKeyDirectoryError).retryAt).toEqual(new Date(NOW.getTime() + 2_000));
    expect(reported).toEqual([error]);
    expect(directory.getKey(idOf(keys, HAIKOU, "hf-haikou"))).toBeUndefined();

    // Every other owner is read as if nothing happened.
    await directory.loadOwner("hf-sanya");
    await directory.loadOwner("sealer");
    expect(directory.listKeys().map((k) => k.owner)).toEqual(["hf-sanya", "sealer"]);
    expect(reported).toHaveLength(1);
  });

  it("reads a failed owner again only after a backoff that doubles, 2 s to 60 s, and keeps it once read", async () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelayMs)).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
    const keys = keysFor();
    let kmsThrottles = true;
    const { client, calls } = kmsWith(keys, () => (kmsThrottles ? throttled() : undefined));
    const directory = new KmsKeyDirectory(client, consortium, options());
    const first = await directory.loadOwner("hf-haikou").catch((e: unknown) => e);
    expect(first).toMatchObject({ transient: true, retryAt: new Date(NOW.getTime() + 2_000) });
    expect(calls).toHaveLength(2);

    // Within the backoff: the same failure, KMS not asked, nothing reported again.
    now = new Date(NOW.getTime() + 1_999);
    await expect(directory.loadOwner("hf-haikou")).rejects.toBe(first);
    expect(calls).toHaveLength(2);
    expect(reported).toHaveLength(1);

    // After it: read again; failing again doubles the wait.
    now = new Date(NOW.getTime() + 2_000);
    const second = await directory.loadOwner("hf-haikou").catch((e: unknown) => e);
    expect(second).toMatchObject({ retryAt: new Date(NOW.getTime() + 6_000) });
    expect(calls).toHaveLength(4);
    expect(reported).toEqual([first, second]);

    kmsThrottles = false;
    now = new Date(NOW.getTime() + 6_000);
    await directory.loadOwner("hf-haikou");
    expect(directory.getKey(idOf(keys, HAIKOU, "hf-haikou"))).toMatchObject({ owner: "hf-haikou" });
    expect(calls).toHaveLength(6);
    await directory.loadOwner("hf-haikou");
    expect(calls).toHaveLength(6);
  });

  it("keeps a key disabled between GetPublicKey and DescribeKey, valid only before now", async () => {
    // KMS gave the public half, then DescribeKey says the key is no longer Enabled.
    const keys = keysFor();
    const { client } = fakeKms((operation, input) => {
      const key = keys.get(String(input.KeyId)) as TestKmsKey;
      if (operation !== "DescribeKey" || input.KeyId !== HAIKOU) return key.answer(operation, input);
      const reply = key.answer(operation, input);
      const metadata = reply.body.KeyMetadata as Record<string, unknown>;
      return { body: { KeyMetadata: { ...metadata, Enabled: false, KeyState: "Disabled" } } };
    });
    const directory = new KmsKeyDirectory(client, consortium, options());
    await directory.loadOwner("hf-haikou");
    const key = directory.getKey(idOf(keys, HAIKOU, "hf-haikou"));
    expect(key?.validUntil).toBe(NOW.toISOString());
    expect(keyValidAt(key as NonNullable<typeof key>, "2026-06-01T00:00:00.000Z")).toBe(true);
    expect(keyValidAt(key as NonNullable<typeof key>, NOW.toISOString())).toBe(false);
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
    const directory = new KmsKeyDirectory(client, own, options());
    expect(await directory.loadAll()).toEqual([]);

    const asked = new Set(calls.map((c) => c.input.KeyId));
    expect(asked).toContain(haikouArn);
    expect(asked).toContain(auditorArn);
    expect(asked).not.toContain(HAIKOU);
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
    expect(directory.getKey(HAIKOU)).toBeUndefined();
  });

  it("names a cross-account key KMS does not let the ledger read by its ARN", async () => {
    const haikouArn = "arn:aws:kms:ap-east-1:111111111111:key/0b7c2f0e-1f7a-4c1e-9d2a-5e8f6a7b8c9d";
    const file = exampleConsortium();
    ((file.departments as Json[])[0] as Json).keyArn = haikouArn;
    const own = parseConsortium(file);
    const { client } = kmsWith(keysFor({}, own), (_, kmsKey) =>
      kmsKey === haikouArn
        ? kmsError("AccessDeniedException", "not authorized to perform: kms:GetPublicKey")
        : undefined,
    );
    await expect(new KmsKeyDirectory(client, own, options()).loadOwner("hf-haikou")).rejects.toMatchObject({
      transient: false,
      problems: [
        {
          owner: "hf-haikou",
          key: haikouArn,
          code: "KMS_ERROR",
          message: expect.stringContaining("AccessDenied"),
        },
      ],
    });
  });
});

describe("loadKmsKeyDirectory: every owner, for the audit", () => {
  it("leaves out, and reports, a member whose keys cannot be read for good; the rest are read", async () => {
    const keys = keysFor({ "hf-sanya": { state: "Disabled" } });
    const { client } = kmsWith(keys, (_, kmsKey) =>
      kmsKey === "alias/zhixin/demo/internet-court" ? kmsError("NotFoundException", "not found") : undefined,
    );
    const directory = await loadKmsKeyDirectory(client, consortium, options());
    const owners = new Set(directory.listKeys().map((k) => k.owner));
    expect(owners).not.toContain("hf-sanya");
    expect(owners).not.toContain("internet-court");
    expect(owners).toContain("hf-haikou");
    expect(owners).toContain("sealer");
    expect(
      reported
        .flatMap((f) => f.problems)
        .map((p) => [p.owner, p.code])
        .sort(),
    ).toEqual([
      ["hf-sanya", "KEY_DISABLED"],
      ["internet-court", "KEY_MISSING"],
    ]);
  });

  it("refuses, naming each problem, when KMS throttles or a sealer key cannot be read", async () => {
    const keys = keysFor({ "alias/zhixin/demo/sealer": { state: "PendingDeletion" } });
    const { client } = kmsWith(keys, (_, kmsKey) =>
      kmsKey === "alias/zhixin/demo/auditor" ? throttled() : undefined,
    );
    const error = await loadKmsKeyDirectory(client, consortium, options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsKeyDirectoryError);
    expect((error as KmsKeyDirectoryError).problems.map((p) => [p.owner, p.code]).sort()).toEqual([
      ["auditor", "KMS_UNAVAILABLE"],
      ["sealer", "KEY_DISABLED"],
    ]);
    expect((error as Error).message).toContain("enable the key again");
    expect((error as Error).message).toContain("alias/zhixin/demo/auditor");
  });
});

describe("reportKeyFailure", () => {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  afterEach(() => {
    if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved;
  });

  it("logs a WARN line with the member and the code, and emits KeyDirectoryFailures 1 without a Member dimension", async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = "false";
    const failure = new KmsKeyDirectoryError(
      [{ owner: "hf-sanya", key: "alias/zhixin/demo/hf-sanya", code: "KEY_DISABLED", message: "disabled" }],
      new Date(NOW.getTime() + 2_000),
    );
    const { output } = await captured(() => reportKeyFailure("demo")(failure));
    const lines = output.logLines();
    expect(lines.find((l) => l.level === "WARN")).toMatchObject({
      message: "cannot read a member's keys from KMS",
      member: "hf-sanya",
      code: "KEY_DISABLED",
      retryAt: "2026-11-21T08:00:02.000Z",
    });
    const emf = lines.find((l) => "_aws" in l) as { _aws: { CloudWatchMetrics: unknown[] } } & Json;
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: "Zhixin",
        Dimensions: [["service", "Consortium"]],
        Metrics: [{ Name: "KeyDirectoryFailures", Unit: "Count" }],
      },
    ]);
    expect(emf).toMatchObject({ Consortium: "demo", KeyDirectoryFailures: 1 });
    expect(lines).toHaveLength(2);
  });
});

// Rotation (docs/DEPLOY.md, "Rotating a member's key", "Rotating the sealer's key"): every
// version of a key the file lists is read, so a request signed by any of them is its owner's.
describe("several versions of a key", () => {
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
    const directory = new KmsKeyDirectory(client, c, options());
    await directory.loadOwner("hf-haikou");
    expect(new Set(calls.map((call) => call.input.KeyId))).toEqual(new Set([HAIKOU_V1, HAIKOU_V2]));
    expect(await directory.loadAll()).toEqual([]);
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

  it("leaves out a member's key KMS will not read for its state while another of its keys is read", async () => {
    const c = rotated();
    const keys = keysFor(
      { [HAIKOU_V1]: { state: "Disabled" }, "alias/zhixin/demo/hf-sanya": { state: "PendingDeletion" } },
      c,
    );
    const { client } = kmsWith(keys);
    const directory = new KmsKeyDirectory(client, c, options());
    expect(await directory.loadAll()).toEqual([]);
    expect(directory.getKey(idOf(keys, HAIKOU_V1, "hf-haikou"))).toBeUndefined();
    expect(directory.getKey(idOf(keys, "alias/zhixin/demo/hf-sanya", "hf-sanya"))).toBeUndefined();
    expect(directory.getKey(idOf(keys, HAIKOU_V2, "hf-haikou"))).toMatchObject({ owner: "hf-haikou" });
    expect(directory.getKey(idOf(keys, "alias/zhixin/demo/hf-sanya/v2", "hf-sanya"))).toMatchObject({
      owner: "hf-sanya",
    });
    expect(reported).toEqual([]);
  });

  it("refuses a sealer key KMS will not read, saying to enable it again", async () => {
    const c = rotated();
    const keys = keysFor({ "alias/zhixin/demo/sealer": { state: "Disabled" } }, c);
    const { client } = kmsWith(keys);
    await expect(new KmsKeyDirectory(client, c, options()).loadOwner("sealer")).rejects.toMatchObject({
      problems: [
        {
          owner: "sealer",
          key: "alias/zhixin/demo/sealer",
          code: "KEY_DISABLED",
          message: expect.stringContaining("enable the key again"),
        },
      ],
    });
  });

  it("refuses two versions that are one key", async () => {
    const c = rotated();
    const keys = keysFor({}, c);
    keys.set(HAIKOU_V2, keys.get(HAIKOU_V1) as TestKmsKey);
    const { client } = kmsWith(keys);
    await expect(new KmsKeyDirectory(client, c, options()).loadOwner("hf-haikou")).rejects.toMatchObject({
      problems: [{ owner: "hf-haikou", key: HAIKOU_V2, code: "UNEXPECTED_RESPONSE" }],
    });
  });
});
