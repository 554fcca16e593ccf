import { describe, expect, it } from "vitest";
import {
  formatCosignatureVerifierKey,
  formatVerifierKey,
  INTL,
  NOTE_SIGNATURE_TYPE_ED25519,
  noteKeyOf,
  recordedSpki,
  SM2_DEFAULT_ID,
  toHex,
} from "#chain";
import { loadConsortium } from "../../../../functions/runtime/consortium-file.js";
import { auditWitnessPolicy, witnessingFrom } from "../../../../functions/runtime/runtime.js";
import { buildWitnessRuntime, witnessedLogs } from "../../../../functions/runtime/witness.js";
import { witnessQuorumOf } from "../../../../lib/consortium/consortium.js";
import { generateKeyPair } from "../../../../lib/crypto/key-pairs.js";
import type { KmsSigner } from "../../../../lib/crypto/kms-signer.js";
import { LocalSigner } from "../../../../lib/crypto/local-signer.js";
import { CONSORTIUM } from "../../../support/cli.js";
import { ed25519For } from "../../../support/witness-keys.js";

// The witnesses' wiring from the environment: the sealer's ZHIXIN_WITNESSES and a
// witness's ZHIXIN_WITNESS_LOG_VKEYS. A malformed value stops the function at start with
// the variable's name, rather than sealing with no witnesses or witnessing no log.

const witnessVkey = (name: string) =>
  formatCosignatureVerifierKey({ name: name, alg: "ed25519", publicKey: ed25519For(name).publicKey });
const oldVkey = (name: string) =>
  formatCosignatureVerifierKey({
    name: name,
    alg: "ed25519",
    publicKey: ed25519For(`${name}/old`).publicKey,
  });
const logVkey = (origin: string, label = origin) =>
  formatVerifierKey(origin, NOTE_SIGNATURE_TYPE_ED25519, ed25519For(label).publicKey);

describe("ZHIXIN_WITNESSES (the sealer)", () => {
  it("is none when unset or empty", () => {
    expect(witnessingFrom({}, INTL)).toBeUndefined();
    expect(witnessingFrom({ ZHIXIN_WITNESSES: "[]" }, INTL)).toBeUndefined();
  });

  it("reads each witness's URL and cosigner key, and the timeout", () => {
    const w = witnessingFrom(
      {
        ZHIXIN_WITNESSES: JSON.stringify([{ url: "https://w1.example", vkey: witnessVkey("w1") }]),
        ZHIXIN_WITNESS_TIMEOUT_MS: "2500",
      },
      INTL,
    );
    expect(w?.witnesses.map((x) => [x.url, x.key.name])).toEqual([["https://w1.example", "w1"]]);
    expect(w?.timeoutMs).toBe(2500);
    const key = ed25519For("w1");
    const message = new Uint8Array([1, 2, 3]);
    const spki = recordedSpki("ed25519", key.publicKey);
    expect(w?.verify("ed25519", spki, message, key.sign(message))).toBe(true);
    expect(w?.verify("ed25519", spki, message, new Uint8Array(64))).toBe(false);
  });

  it("reads a witness's retired keys, which the audit's policy counts for it and the sealer never asks", () => {
    const consortium = loadConsortium(CONSORTIUM);
    const w = witnessingFrom(
      {
        ZHIXIN_WITNESSES: JSON.stringify([
          { url: "https://w1.example", vkey: witnessVkey("w1"), retiredVkeys: [oldVkey("w1")] },
          { url: "https://w2.example", vkey: witnessVkey("w2") },
        ]),
      },
      INTL,
    );
    expect(w?.witnesses.map((x) => [x.url, x.retired?.length ?? 0])).toEqual([
      ["https://w1.example", 1],
      ["https://w2.example", 0],
    ]);
    const policy = auditWitnessPolicy(w as NonNullable<typeof w>, consortium);
    expect(policy.witnesses.map((k) => [k.name, toHex(k.publicKey)])).toEqual([
      ["w1", toHex(ed25519For("w1/old").publicKey)],
      ["w1", toHex(ed25519For("w1").publicKey)],
      ["w2", toHex(ed25519For("w2").publicKey)],
    ]);
    expect(policy.threshold).toBe(witnessQuorumOf(consortium));
    expect(() =>
      witnessingFrom(
        {
          ZHIXIN_WITNESSES: JSON.stringify([
            { url: "https://w", vkey: witnessVkey("w1"), retiredVkeys: "x" },
          ]),
        },
        INTL,
      ),
    ).toThrow(/ZHIXIN_WITNESSES\[0\].*retiredVkeys/);
  });

  it("refuses what is not a list of { url, vkey }, a key that is not a cosigner's, and a bad timeout", () => {
    expect(() => witnessingFrom({ ZHIXIN_WITNESSES: "{" }, INTL)).toThrow(/ZHIXIN_WITNESSES/);
    expect(() => witnessingFrom({ ZHIXIN_WITNESSES: "{}" }, INTL)).toThrow(/ZHIXIN_WITNESSES/);
    expect(() => witnessingFrom({ ZHIXIN_WITNESSES: '[{"url":1}]' }, INTL)).toThrow(/ZHIXIN_WITNESSES\[0\]/);
    expect(() =>
      witnessingFrom(
        { ZHIXIN_WITNESSES: JSON.stringify([{ url: "https://w", vkey: logVkey("log") }]) },
        INTL,
      ),
    ).toThrow();
    const one = JSON.stringify([{ url: "https://w", vkey: witnessVkey("w1") }]);
    for (const t of ["0", "-1", "1e3", "9999999"]) {
      expect(() => witnessingFrom({ ZHIXIN_WITNESSES: one, ZHIXIN_WITNESS_TIMEOUT_MS: t }, INTL)).toThrow(
        /ZHIXIN_WITNESS_TIMEOUT_MS/,
      );
    }
  });
});

describe("ZHIXIN_WITNESS_LOG_VKEYS (a witness)", () => {
  it("groups keys by log origin, and follows no log when empty", () => {
    expect(witnessedLogs("")).toEqual([]);
    const logs = witnessedLogs(`${logVkey("a/log")}, ${logVkey("a/log", "rotated")},${logVkey("b/log")}`);
    expect(logs.map((l) => [l.origin, l.verifiers.length])).toEqual([
      ["a/log", 2],
      ["b/log", 1],
    ]);
    const key = ed25519For("a/log");
    const message = new Uint8Array([9]);
    expect(logs[0]?.verifiers[0]?.verify(message, key.sign(message))).toBe(true);
  });

  it("takes a log's suite from its key: Ed25519 is an intl ledger's sealer, SM2 a gm ledger's; never both", async () => {
    const sm2 = new LocalSigner("sealer", generateKeyPair("sm2-sm3").privateKey, "sm2-sm3");
    const key = noteKeyOf("sm2-sm3", await sm2.publicKey());
    const gmVkey = formatVerifierKey("gm/log", key.type, key.publicKey);
    const logs = witnessedLogs(`${logVkey("a/log")},${gmVkey}`);
    expect(logs.map((l) => [l.origin, l.suite.name])).toEqual([
      ["a/log", "intl"],
      ["gm/log", "gm"],
    ]);
    const message = new Uint8Array([9]);
    expect(logs[1]?.verifiers[0]?.verify(message, await sm2.sign(message))).toBe(true);
    expect(logs[1]?.verifiers[0]?.verify(new Uint8Array([8]), await sm2.sign(message))).toBe(false);
    const mixed = `${logVkey("gm/log")},${gmVkey}`;
    expect(() => witnessedLogs(mixed)).toThrow(/two suites \(intl, gm\)/);
  });

  it("refuses a cosigner key where a log's key belongs", () => {
    expect(() => witnessedLogs(witnessVkey("w1"))).toThrow();
  });

  it("needs a table, a name and a key", async () => {
    await expect(buildWitnessRuntime({})).rejects.toThrow(/ZHIXIN_WITNESS_TABLE/);
    await expect(buildWitnessRuntime({ ZHIXIN_WITNESS_TABLE: "t" })).rejects.toThrow(/ZHIXIN_WITNESS_NAME/);
    await expect(
      buildWitnessRuntime({ ZHIXIN_WITNESS_TABLE: "t", ZHIXIN_WITNESS_NAME: "w" }),
    ).rejects.toThrow(/ZHIXIN_WITNESS_KEY_FILE or ZHIXIN_WITNESS_KMS_KEY/);
  });

  it("cosigns with ZHIXIN_WITNESS_KEY_ALG's algorithm, and refuses one its logs' verifiers would not count", async () => {
    const base = { ZHIXIN_WITNESS_TABLE: "t", ZHIXIN_WITNESS_NAME: "w", ZHIXIN_WITNESS_KMS_KEY: "alias/w" };
    await expect(buildWitnessRuntime({ ...base, ZHIXIN_WITNESS_KEY_ALG: "rsa" })).rejects.toThrow(
      /ZHIXIN_WITNESS_KEY_ALG must be ed25519 or sm2-sm3, got "rsa"/,
    );
    const sm2 = new LocalSigner("sealer", generateKeyPair("sm2-sm3").privateKey, "sm2-sm3");
    const key = noteKeyOf("sm2-sm3", await sm2.publicKey());
    const gmVkey = formatVerifierKey("gm/log", key.type, key.publicKey);
    // Unset, the key is Ed25519: a gm log counts SM2 cosignatures only.
    await expect(buildWitnessRuntime({ ...base, ZHIXIN_WITNESS_LOG_VKEYS: gmVkey })).rejects.toThrow(
      /gm\/log is a log of the gm suite, whose verifiers count sm2-sm3 cosignatures only: set ZHIXIN_WITNESS_KEY_ALG=sm2-sm3/,
    );
    await expect(
      buildWitnessRuntime({
        ...base,
        ZHIXIN_WITNESS_KEY_ALG: "sm2-sm3",
        ZHIXIN_WITNESS_LOG_VKEYS: logVkey("a/log"),
      }),
    ).rejects.toThrow(/a\/log is a log of the intl suite, whose verifiers count ed25519 cosignatures only/);
    const runtime = await buildWitnessRuntime({
      ...base,
      ZHIXIN_WITNESS_KEY_ALG: "sm2-sm3",
      ZHIXIN_WITNESS_LOG_VKEYS: gmVkey,
    });
    expect([runtime.key.signer.alg, runtime.logs.map((l) => l.suite.name)]).toEqual(["sm2-sm3", ["gm"]]);
  });

  it("checks a gm log's checkpoints and cosigns with ZHIXIN_WITNESS_SM2_ID, the consortium's identifier", async () => {
    const own = "zhixin@ningxia.gov.cn";
    const privateKey = generateKeyPair("sm2-sm3").privateKey;
    const sealer = new LocalSigner("sealer", privateKey, "sm2-sm3", own);
    const byDefault = new LocalSigner("sealer", privateKey, "sm2-sm3");
    const key = noteKeyOf("sm2-sm3", await sealer.publicKey());
    const gmVkey = formatVerifierKey("gm/log", key.type, key.publicKey);
    const message = new Uint8Array([9]);
    const [log] = witnessedLogs(gmVkey, own);
    expect(log?.suite.sm2Id).toBe(own);
    expect(log?.verifiers[0]?.verify(message, await sealer.sign(message))).toBe(true);
    expect(log?.verifiers[0]?.verify(message, await byDefault.sign(message))).toBe(false);
    const base = {
      ZHIXIN_WITNESS_TABLE: "t",
      ZHIXIN_WITNESS_NAME: "w",
      ZHIXIN_WITNESS_KMS_KEY: "alias/w",
      ZHIXIN_WITNESS_KEY_ALG: "sm2-sm3",
      ZHIXIN_WITNESS_LOG_VKEYS: gmVkey,
    };
    const runtime = await buildWitnessRuntime({ ...base, ZHIXIN_WITNESS_SM2_ID: own });
    expect((runtime.key.signer as KmsSigner).sm2Id).toBe(own);
    expect(runtime.logs[0]?.suite.sm2Id).toBe(own);
    const unset = await buildWitnessRuntime(base);
    expect((unset.key.signer as KmsSigner).sm2Id).toBe(SM2_DEFAULT_ID);
    for (const bad of ["海南", "x".repeat(129)]) {
      await expect(buildWitnessRuntime({ ...base, ZHIXIN_WITNESS_SM2_ID: bad })).rejects.toThrow(
        /ZHIXIN_WITNESS_SM2_ID must be 1 to 128 printable ASCII characters/,
      );
    }
  });
});
