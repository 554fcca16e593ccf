import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  cosignerKeyOf,
  NOTE_SIGNATURE_TYPE_SM2,
  parseCosignatureVerifierKey,
  parseVerifierKey,
  recordedSpki,
  toHex,
} from "#chain";
import { vkeyFromKmsPublicKey } from "../../cdk/lib/vkey.js";
import { generateKeyPair } from "../../lib/crypto/key-pairs.js";

// cdk/bin/vkey.ts turns what `aws kms get-public-key --query PublicKey --output text` prints
// (base64 DER SubjectPublicKeyInfo) into the vkeys the deployment moves between stacks: held
// to the worked examples of docs/formats/checkpoint.md and docs/formats/witness.md.

const vector = (name: string) => JSON.parse(readFileSync(`test/vectors/${name}/worked-example.json`, "utf8"));
/** What KMS returns for an Ed25519 public key, base64 as the AWS CLI prints it. */
const kmsPublicKey = (hex: string) =>
  Buffer.from(recordedSpki("ed25519", Buffer.from(hex, "hex"))).toString("base64");

describe("vkeys from KMS public keys", () => {
  it("gives the log's checkpoint vkey (note type 0x01) and a witness's (cosignature type 0x04)", () => {
    const log = vector("checkpoint");
    expect(vkeyFromKmsPublicKey("log", log.keyName, kmsPublicKey(log.ed25519PublicKey))).toBe(
      log.verifierKey,
    );
    const witness = vector("cosignature");
    expect(
      vkeyFromKmsPublicKey("witness", witness.keyName, `${kmsPublicKey(witness.ed25519PublicKey)}\n`),
    ).toBe(witness.verifierKey);
  });

  it("gives an SM2 key's (China Regions, gm suite) vkeys: note type 0xff and the SM2 cosignature's", () => {
    const spki = new Uint8Array(
      generateKeyPair("sm2-sm3").publicKey.export({ format: "der", type: "spki" }) as Buffer,
    );
    const base64 = Buffer.from(spki).toString("base64");
    const log = parseVerifierKey(vkeyFromKmsPublicKey("log", "zhixin.example/gm", base64));
    expect([log.type, toHex(log.publicKey)]).toEqual([NOTE_SIGNATURE_TYPE_SM2, toHex(spki)]);
    const witness = parseCosignatureVerifierKey(vkeyFromKmsPublicKey("witness", "w", base64));
    expect(witness).toEqual(cosignerKeyOf("w", "sm2-sm3", spki));
  });

  it("refuses a key that is neither Ed25519 nor SM2", () => {
    const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({
      format: "der",
      type: "spki",
    });
    expect(() => vkeyFromKmsPublicKey("witness", "w", p256.toString("base64"))).toThrow(
      /not an Ed25519 or SM2 public key/,
    );
  });

  it("cdk/bin/vkey.ts reads the public key on stdin, and says how to call it", async () => {
    const run = promisify(execFile);
    const witness = vector("cosignature");
    const tsx = resolve("node_modules/.bin/tsx");
    const child = run(tsx, ["cdk/bin/vkey.ts", "witness", witness.keyName]);
    child.child.stdin?.end(kmsPublicKey(witness.ed25519PublicKey));
    expect((await child).stdout).toBe(`${witness.verifierKey}\n`);
    const usage = await run(tsx, ["cdk/bin/vkey.ts", "note"]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(usage?.code).toBe(2);
    expect(usage?.stderr).toMatch(/^usage: aws kms get-public-key/);
  });
});
