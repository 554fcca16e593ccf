import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { deriveKeyId, deriveSubjectKey, INTL } from "#chain";
import { consortiumMembers } from "../../../../functions/auth/kms-key-directory.js";
import { generateKeyFile } from "../../../../functions/auth/signer-file.js";
import { loadConsortium } from "../../../../functions/runtime/consortium-file.js";
import { fakeKms, TestKmsKey } from "../../../support/fake-aws.js";
import { captured } from "../../../support/output.js";

// Wiring from the environment: which key source, which sealer, the seal loop setting.
// Nothing here talks to a server (building a DynamoDB client does not connect).

let dir: string;
let trustFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zhixin-runtime-"));
  trustFile = join(dir, "trust.json");
  await writeFile(trustFile, JSON.stringify({ keys: [] }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A fresh runtime module: it keeps what it built for the life of the process. */
async function freshRuntime() {
  vi.resetModules();
  return import("../../../../functions/runtime/runtime.js");
}

const base = {
  ZHIXIN_TABLE: "t",
  ZHIXIN_CONSORTIUM_FILE: "consortium.example.json",
  AWS_REGION: "cn-north-1",
};

describe("runtime", () => {
  it("the API and sealer handlers' runtime: the genesis block's suite checked once, again after a refusal", async () => {
    const { withLedgerSuiteChecked } = await freshRuntime();
    const consortium = loadConsortium("consortium.example.json");
    let recorded = "gm";
    const reads: number[] = [];
    const store = {
      getBlock: async (height: number) => {
        reads.push(height);
        return { header: { height: 1, suite: recorded } };
      },
    };
    const runtime = { store, consortium } as unknown as Parameters<typeof withLedgerSuiteChecked>[0];
    await expect(withLedgerSuiteChecked(runtime)).rejects.toMatchObject({ code: "LEDGER_SUITE_MISMATCH" });
    recorded = "intl";
    expect(await withLedgerSuiteChecked(runtime)).toBe(runtime);
    expect(await withLedgerSuiteChecked(runtime)).toBe(runtime);
    expect(reads).toEqual([1, 1]);
  });

  it("reads the trust bundle from ZHIXIN_KEYS_FILE by default", async () => {
    const { getRuntime } = await freshRuntime();
    const rt = await getRuntime({ ...base, ZHIXIN_KEYS_FILE: trustFile });
    expect(rt.keys.listKeys()).toEqual([]);
    expect(rt.sealer).toBeUndefined();
  });

  it("refuses an unknown ZHIXIN_KEYS_SOURCE, and builds again on the next call", async () => {
    const { getRuntime } = await freshRuntime();
    await expect(getRuntime({ ...base, ZHIXIN_KEYS_SOURCE: "vault" })).rejects.toThrow(/"file" or "kms"/);
    const rt = await getRuntime({ ...base, ZHIXIN_KEYS_SOURCE: "file", ZHIXIN_KEYS_FILE: trustFile });
    expect(rt.keys.listKeys()).toEqual([]);
  });

  it("wires a KMS sealer named by its key's derived id: one GetPublicKey, by ZHIXIN_SEALER_KMS_KEY", async () => {
    const arn = "arn:aws-cn:kms:cn-north-1:111122223333:key/1234";
    const key = new TestKmsKey("ed25519", arn);
    const kms = fakeKms((operation, input) => key.answer(operation, input));
    const { sealerSigner } = await freshRuntime();
    const consortium = loadConsortium("consortium.example.json");
    const sealer = await sealerSigner({ ...base, ZHIXIN_SEALER_KMS_KEY: arn }, consortium, kms.client);
    expect(sealer).toMatchObject({
      keyId: deriveKeyId(INTL, "sealer", key.spki),
      alg: "ed25519",
      kmsKeyId: arn,
    });
    expect(await sealer?.publicKey()).toEqual(key.spki);
    expect(kms.calls.map((c) => [c.operation, c.input.KeyId])).toEqual([["GetPublicKey", arn]]);
    expect(await sealerSigner(base, consortium, kms.client)).toBeUndefined();
  });

  it("wires a local sealer key file under the key id derived from it, sealer/<16 hex>", async () => {
    const keyPath = join(dir, "sealer.pem");
    const spki = await generateKeyFile(keyPath, "ed25519");
    const { getSealerRuntime } = await freshRuntime();
    const rt = await getSealerRuntime({ ...base, ZHIXIN_SEALER_KEY_FILE: keyPath });
    expect(rt.sealer.constructor.name).toBe("LocalSigner");
    expect(rt.sealer.keyId).toBe(deriveKeyId(INTL, "sealer", spki));
    expect(rt.sealer.keyId).toMatch(/^sealer\/[0-9a-f]{16}$/);
    expect(rt.sealLoopMs).toBe(0);
  });

  it("seal-block without a sealer key says which variables to set", async () => {
    const { getSealerRuntime } = await freshRuntime();
    await expect(getSealerRuntime(base)).rejects.toThrow(/ZHIXIN_SEALER_KEY_FILE or ZHIXIN_SEALER_KMS_KEY/);
  });

  it("the API derives its subject key from ZHIXIN_SUBJECT_KEY_FILE, as lib/chain deriveSubjectKey", async () => {
    const path = join(dir, "subject.key");
    const master = new Uint8Array(32).map((_, i) => i);
    await writeFile(path, master);
    const { getApiRuntime } = await freshRuntime();
    const rt = await getApiRuntime({ ...base, ZHIXIN_KEYS_FILE: trustFile, ZHIXIN_SUBJECT_KEY_FILE: path });
    expect(rt.subjectKey).toEqual(deriveSubjectKey(INTL, master));
  });

  it("the API without a subject key says which variables to set, and builds again on the next call", async () => {
    const { getApiRuntime } = await freshRuntime();
    await expect(getApiRuntime({ ...base, ZHIXIN_KEYS_FILE: trustFile })).rejects.toThrow(
      /ZHIXIN_SUBJECT_KEY_FILE or ZHIXIN_SUBJECT_KMS_KEY/,
    );
    const path = join(dir, "short.key");
    await writeFile(path, new Uint8Array(16));
    await expect(
      getApiRuntime({ ...base, ZHIXIN_KEYS_FILE: trustFile, ZHIXIN_SUBJECT_KEY_FILE: path }),
    ).rejects.toThrow(/must hold 32 bytes, holds 16/);
  });

  it.each(["-1", "51", "2.5", "ten"])("refuses ZHIXIN_SEAL_LOOP_SECONDS=%s", async (value) => {
    const { sealLoopMs } = await freshRuntime();
    expect(() => sealLoopMs({ ZHIXIN_SEAL_LOOP_SECONDS: value })).toThrow(/0 to 50/);
  });

  it.each([
    ["", 0],
    ["0", 0],
    ["50", 50_000],
  ])("ZHIXIN_SEAL_LOOP_SECONDS=%j is %i ms", async (value, ms) => {
    const { sealLoopMs } = await freshRuntime();
    expect(sealLoopMs({ ZHIXIN_SEAL_LOOP_SECONDS: value })).toBe(ms);
  });
});

describe("the verify function's trust bundle from KMS (ZHIXIN_KEYS_SOURCE=kms)", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("reads every owner on its own: a member's disabled key is left out; KMS throttling refuses, and the next call reads again", async () => {
    const consortium = loadConsortium("consortium.example.json");
    const keys = new Map(
      consortiumMembers(consortium).map((m, i) => [
        m.kmsKey,
        new TestKmsKey(
          m.alg,
          `arn:aws-cn:kms:cn-north-1:111122223333:key/${i}`,
          undefined,
          m.owner === "hf-sanya" ? "Disabled" : "Enabled",
        ),
      ]),
    );
    let throttling = true;
    const kms = fakeKms((operation, input) =>
      throttling && input.KeyId === "alias/zhixin/demo/auditor"
        ? { status: 400, body: { __type: "ThrottlingException", message: "Rate exceeded" } }
        : (keys.get(String(input.KeyId)) as TestKmsKey).answer(operation, input),
    );
    // The runtime's module-scope KMSClient sends through the fake endpoint's client.
    const send = KMSClient.prototype.send as (command: unknown) => Promise<unknown>;
    vi.spyOn(KMSClient.prototype, "send").mockImplementation(((command: unknown) =>
      send.call(kms.client, command)) as never);
    const { getRuntime } = await freshRuntime();
    const env = { ...base, ZHIXIN_KEYS_SOURCE: "kms" };

    const refused = await captured(() => getRuntime(env).catch((e: unknown) => e));
    expect(refused.result).toMatchObject({
      name: "KmsKeyDirectoryError",
      problems: [{ owner: "auditor", code: "KMS_UNAVAILABLE" }],
    });
    expect(
      refused.output
        .logLines()
        .map((l) => [l.level, l.member, l.code])
        .sort(),
    ).toEqual([
      ["WARN", "auditor", "KMS_UNAVAILABLE"],
      ["WARN", "hf-sanya", "KEY_DISABLED"],
    ]);

    throttling = false;
    const built = await captured(() => getRuntime(env));
    const owners = new Set(built.result.keys.listKeys().map((k) => k.owner));
    expect(owners).toEqual(
      new Set([...consortiumMembers(consortium).map((m) => m.owner)].filter((o) => o !== "hf-sanya")),
    );
    expect(built.output.logLines().map((l) => [l.member, l.code])).toEqual([["hf-sanya", "KEY_DISABLED"]]);
  });
});
