import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formatCosignatureVerifierKey,
  formatVerifierKey,
  fromBase64,
  INTL,
  NOTE_SIGNATURE_TYPE_ED25519,
  noteKeyOf,
} from "#chain";
import { generateKeyFile } from "../../../functions/auth/signer-file.js";
import { loadConsortium } from "../../../functions/runtime/consortium-file.js";
import {
  keyGovernanceOf,
  witnessesOf,
  witnessName,
  witnessQuorumOf,
} from "../../../lib/consortium/consortium.js";
import { formatTrustRoot, parseTrustRoot } from "../../../lib/evidence/index.js";
import { witnessKeyFile } from "../../../lib/local-home.js";
import { ensureLocalKeys, rotateLocalSealerKey } from "../../../local/keys.js";
import { fakeKms, kmsError, TEST_CREDENTIALS, TestKmsKey } from "../../support/fake-aws.js";
import { zhixinInProcess } from "../../support/zhixin-in-process.js";

// `zhixin trust export` writes the trust root (docs/formats/trust-root.md) from where each
// of its values lives: locally the home's trust bundle and witness key files; on AWS the
// sealer's KMS key (at the SDK boundary) and the consortium file's witness vkeys. The
// expected roots are built here from those parts with lib/evidence's formatTrustRoot.

const EXAMPLE = "consortium.example.json";
const OWN_KEYS = "examples/consortium.own-keys.json";
const SEALER_ARN = "arn:aws:kms:ap-east-1:111111111111:key/sealer";

let home: string;
let empty: string;
/** The local root's parts: the sealer's and each witness's public key. */
const local = { sealer: "", witnesses: [] as string[] };

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "zhixin-trust-home-"));
  empty = await mkdtemp(join(tmpdir(), "zhixin-trust-empty-"));
  const c = loadConsortium(EXAMPLE);
  const keys = await ensureLocalKeys(home, c, new Date());
  const sealer = keys.directory.listKeys().find((k) => k.role === "sealer");
  local.sealer = formatVerifierKey(
    c.log,
    NOTE_SIGNATURE_TYPE_ED25519,
    noteKeyOf("ed25519", sealer?.spki as Uint8Array).publicKey,
  );
  for (const { id } of witnessesOf(c)) {
    const spki = await generateKeyFile(witnessKeyFile(home, id), "ed25519");
    local.witnesses.push(
      formatCosignatureVerifierKey({
        name: witnessName(c.consortium, id),
        alg: "ed25519",
        publicKey: noteKeyOf("ed25519", spki).publicKey,
      }),
    );
  }
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
  await rm(empty, { recursive: true, force: true });
});

const generateKeyPairSpki = (): Uint8Array =>
  new Uint8Array(generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }));

const zhixin = zhixinInProcess;

describe("zhixin trust export, locally", () => {
  it("writes the log, the sealer's key from keys/trust.json, each witness's from its key file, the quorum", async () => {
    const c = loadConsortium(EXAMPLE);
    const expected = formatTrustRoot({
      suite: INTL,
      log: c.log,
      sealers: [local.sealer],
      witnesses: local.witnesses,
      quorum: witnessQuorumOf(c),
      keyGovernance: keyGovernanceOf(c),
    });
    const printed = await zhixin(["trust", "export"], { ZHIXIN_HOME: home, ZHIXIN_CONSORTIUM: EXAMPLE });
    expect([printed.code, printed.stdout]).toEqual([0, expected]);
    expect(printed.stderr).toContain(`quorum 2 of 3 witnesses`);
    expect(parseTrustRoot(printed.stdout).keyGovernance).toEqual({
      departments: c.departments.map((d) => d.id),
      ownerCosigns: 0,
    });
    expect(printed.stderr).toContain(`key governance: 6 departments, 0 cosign(s)`);
    expect(printed.stderr).toContain(join(home, "keys", "trust.json"));
    const out = join(home, "trust-root.json");
    const written = await zhixin(["trust", "export", "--out", out], {
      ZHIXIN_HOME: home,
      ZHIXIN_CONSORTIUM: EXAMPLE,
    });
    expect([written.code, written.stdout, await readFile(out, "utf8")]).toEqual([0, "", expected]);
  });

  it("lists every sealer key of keys/trust.json, oldest first, once the sealer's key is rotated", async () => {
    const c = loadConsortium(EXAMPLE);
    const rotated = await mkdtemp(join(tmpdir(), "zhixin-trust-rotated-"));
    try {
      await ensureLocalKeys(rotated, c, new Date("2026-11-21T08:00:00.000Z"));
      await rotateLocalSealerKey(rotated, c, new Date("2026-11-22T08:00:00.000Z"));
      for (const { id } of witnessesOf(c)) await generateKeyFile(witnessKeyFile(rotated, id), "ed25519");
      const run = await zhixin(["trust", "export"], { ZHIXIN_HOME: rotated, ZHIXIN_CONSORTIUM: EXAMPLE });
      expect(run.code).toBe(0);
      const sealers = (
        JSON.parse(await readFile(join(rotated, "keys", "trust.json"), "utf8")) as {
          keys: { role: string; spki: string }[];
        }
      ).keys
        .filter((k) => k.role === "sealer")
        .map((k) =>
          formatVerifierKey(
            c.log,
            NOTE_SIGNATURE_TYPE_ED25519,
            noteKeyOf("ed25519", fromBase64(k.spki)).publicKey,
          ),
        );
      expect(sealers).toHaveLength(2);
      expect(parseTrustRoot(run.stdout).sealers.map((k) => k.name)).toEqual([c.log, c.log]);
      expect(JSON.parse(run.stdout).sealers).toEqual(sealers);
      expect(run.stderr.split("\n").filter((l) => l.includes("sealer key"))).toHaveLength(2);
    } finally {
      await rm(rotated, { recursive: true, force: true });
    }
  });

  it("exits 2, saying npm start makes them, when the home has no keys", async () => {
    const run = await zhixin(["trust", "export"], { ZHIXIN_HOME: empty, ZHIXIN_CONSORTIUM: EXAMPLE });
    expect([run.code, run.stdout]).toEqual([2, ""]);
    expect(run.stderr).toContain("`npm start` writes it");
  });

  it("takes --region only with --sealer-key", async () => {
    const run = await zhixin(["trust", "export", "--region", "ap-east-1"], { ZHIXIN_HOME: home });
    expect([run.code, run.stderr]).toEqual([2, expect.stringContaining("--region goes with --sealer-key")]);
  });
});

describe("zhixin trust export --sealer-key, on AWS", () => {
  const deps = (answer: Parameters<typeof fakeKms>[0], regions: Array<string | undefined> = []) => {
    const kms = fakeKms(answer);
    return {
      kms,
      deps: {
        credentials: async () => TEST_CREDENTIALS,
        kmsClient: (region: string | undefined) => {
          regions.push(region);
          return kms.client;
        },
      },
    };
  };

  it("reads the sealer's public key from KMS, the witnesses' from the consortium file", async () => {
    const sealer = new TestKmsKey("ed25519", SEALER_ARN);
    const regions: Array<string | undefined> = [];
    const { kms, deps: d } = deps((op, input) => sealer.answer(op, input), regions);
    const run = await zhixin(
      ["trust", "export", "--sealer-key", SEALER_ARN],
      { ZHIXIN_HOME: empty, ZHIXIN_CONSORTIUM: OWN_KEYS },
      d,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(kms.calls.map((call) => [call.operation, call.input])).toEqual([
      ["GetPublicKey", { KeyId: SEALER_ARN }],
    ]);
    expect(regions).toEqual(["ap-east-1"]);
    const c = loadConsortium(OWN_KEYS);
    const root = parseTrustRoot(run.stdout);
    expect(run.stdout).toBe(
      formatTrustRoot({
        suite: INTL,
        log: c.log,
        sealers: [
          formatVerifierKey(c.log, NOTE_SIGNATURE_TYPE_ED25519, noteKeyOf("ed25519", sealer.spki).publicKey),
        ],
        witnesses: witnessesOf(c).map((w) =>
          formatCosignatureVerifierKey({
            name: w.endpoint?.key.name as string,
            alg: "ed25519",
            publicKey: w.endpoint?.key.publicKey as Uint8Array,
          }),
        ),
        quorum: witnessQuorumOf(c),
        keyGovernance: keyGovernanceOf(c),
      }),
    );
    expect(root.witnesses.map((w) => w.name)).toEqual(
      witnessesOf(c).map((w) => witnessName(c.consortium, w.id)),
    );
    expect(run.stderr).toContain(`KMS ${SEALER_ARN}`);
  });

  it("reads every version of the sealer's key given comma-separated, oldest first, while it is rotated", async () => {
    const NEW_ARN = `${SEALER_ARN}-v2`;
    const keys = new Map([SEALER_ARN, NEW_ARN].map((arn) => [arn, new TestKmsKey("ed25519", arn)]));
    const { kms, deps: d } = deps((op, input) =>
      (keys.get(String(input.KeyId)) as TestKmsKey).answer(op, input),
    );
    const run = await zhixin(
      ["trust", "export", "--sealer-key", `${SEALER_ARN},${NEW_ARN}`],
      { ZHIXIN_HOME: empty, ZHIXIN_CONSORTIUM: OWN_KEYS },
      d,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(kms.calls.map((call) => call.input.KeyId).sort()).toEqual([SEALER_ARN, NEW_ARN].sort());
    const log = loadConsortium(OWN_KEYS).log;
    expect(JSON.parse(run.stdout).sealers).toEqual(
      [SEALER_ARN, NEW_ARN].map((arn) =>
        formatVerifierKey(
          log,
          NOTE_SIGNATURE_TYPE_ED25519,
          noteKeyOf("ed25519", (keys.get(arn) as TestKmsKey).spki).publicKey,
        ),
      ),
    );
    expect(run.stderr).toContain(`KMS ${NEW_ARN}`);
  });

  it("exits 2 for a sealer key that is not Ed25519, one it may not read, and witnesses with no vkey in the file", async () => {
    const p256 = new TestKmsKey("ecdsa-p256-sha256", SEALER_ARN);
    const notEd = await zhixin(
      ["trust", "export", "--sealer-key", SEALER_ARN],
      { ZHIXIN_HOME: empty, ZHIXIN_CONSORTIUM: OWN_KEYS },
      deps((op, input) => p256.answer(op, input)).deps,
    );
    expect([notEd.code, notEd.stdout, notEd.stderr]).toEqual([
      2,
      "",
      expect.stringContaining("not ECC_NIST_EDWARDS25519"),
    ]);
    const denied = await zhixin(
      ["trust", "export", "--sealer-key", SEALER_ARN],
      { ZHIXIN_HOME: empty, ZHIXIN_CONSORTIUM: OWN_KEYS },
      deps(() => kmsError("AccessDeniedException", "not allowed")).deps,
    );
    expect([denied.code, denied.stderr]).toEqual([2, expect.stringContaining("kms:GetPublicKey")]);
    const sealer = new TestKmsKey("ed25519", SEALER_ARN);
    const undeployed = await zhixin(
      ["trust", "export", "--sealer-key", SEALER_ARN],
      { ZHIXIN_HOME: empty, ZHIXIN_CONSORTIUM: EXAMPLE },
      deps((op, input) => sealer.answer(op, input)).deps,
    );
    expect([undeployed.code, undeployed.stderr]).toEqual([2, expect.stringContaining("WitnessVkey")]);
  });

  it("lists a rotated witness's retiredVkeys before its vkey, under its one name; the quorum counts witnesses", async () => {
    const file = JSON.parse(await readFile(OWN_KEYS, "utf8")) as {
      departments: Array<Record<string, unknown>>;
    };
    const haikou = file.departments[0] as { id: string; witness: { vkey: string; retiredVkeys?: string[] } };
    const name = haikou.witness.vkey.slice(0, haikou.witness.vkey.indexOf("+"));
    const retired = [1, 2].map(() =>
      formatCosignatureVerifierKey({
        name: name,
        alg: "ed25519",
        publicKey: noteKeyOf("ed25519", generateKeyPairSpki()).publicKey,
      }),
    );
    haikou.witness.retiredVkeys = retired;
    const path = join(empty, "rotated-witness.json");
    await writeFile(path, JSON.stringify(file));
    const sealer = new TestKmsKey("ed25519", SEALER_ARN);
    const run = await zhixin(
      ["trust", "export", "--sealer-key", SEALER_ARN],
      { ZHIXIN_HOME: empty, ZHIXIN_CONSORTIUM: path },
      deps((op, input) => sealer.answer(op, input)).deps,
    );
    expect(run.code, run.stderr).toBe(0);
    const vkeys = JSON.parse(run.stdout).witnesses as string[];
    expect(vkeys.filter((v) => v.startsWith(`${name}+`))).toEqual([...retired, haikou.witness.vkey]);
    const n = witnessesOf(loadConsortium(OWN_KEYS)).length;
    expect(vkeys).toHaveLength(n + 2);
    expect(run.stderr).toContain(`of ${n} witnesses`);
    expect(run.stderr).toContain("retiredVkeys");
    await rm(path);
  });
});
