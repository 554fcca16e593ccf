import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveKeyId, INTL, type SignatureAlgorithm, toHex } from "#chain";
import {
  generateKeyFile,
  readOwnerSignerFile,
  readSignerFile,
} from "../../../../functions/auth/signer-file.js";
import { CryptoError } from "../../../../lib/crypto/errors.js";
import { LocalSigner } from "../../../../lib/crypto/local-signer.js";
import { verifySignature } from "../../../../lib/crypto/verify.js";
import { sm2PublicKeyFromSpki, sm2Verify } from "../../../../lib/sm2/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zhixin-keys-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const message = new TextEncoder().encode("zhixin/block-header/v1\n{}");

describe.each<SignatureAlgorithm>(["ed25519", "ecdsa-p256-sha256", "sm2-sm3"])("LocalSigner %s", (alg) => {
  it("generates a key file (0600, parent 0700) whose signatures verify against the returned SPKI", async () => {
    const path = join(dir, alg, "nested", "sealer.pem");
    const spki = await generateKeyFile(path, alg);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, alg, "nested"))).mode & 0o777).toBe(0o700);

    const signer = await readSignerFile(path, "sealer-1", alg);
    expect(signer.keyId).toBe("sealer-1");
    expect(signer.alg).toBe(alg);
    expect(await signer.publicKey()).toEqual(spki);
    const signature = await signer.sign(message);
    expect(signature).toBeInstanceOf(Uint8Array);
    expect(signature.length).toBe(64);
    expect(verifySignature({ keyId: "sealer-1", alg, spki }, message, signature, INTL)).toBe(true);
  });

  it("reads an owner's key file under the id derived from its key (docs/design/key-history.md §1)", async () => {
    const path = join(dir, `${alg}-owned.pem`);
    const spki = await generateKeyFile(path, alg);
    const signer = await readOwnerSignerFile(INTL, path, "hf-haikou", alg);
    expect(signer.keyId).toBe(deriveKeyId(INTL, "hf-haikou", spki));
    expect(signer.keyId).toMatch(/^hf-haikou\/[0-9a-f]{16}$/);
    expect(await signer.publicKey()).toEqual(spki);
    await expect(readOwnerSignerFile(INTL, path, "Not A Member")).rejects.toMatchObject({
      code: "INVALID_FORMAT",
    });
  });

  it("never overwrites an existing key file", async () => {
    const path = join(dir, `${alg}-once.pem`);
    await generateKeyFile(path, alg);
    await expect(generateKeyFile(path, alg)).rejects.toMatchObject({ code: "EEXIST" });
  });

  it("takes the algorithm from the key when none is given", async () => {
    const path = join(dir, `${alg}-implicit.pem`);
    await generateKeyFile(path, alg);
    expect((await readSignerFile(path, "k")).alg).toBe(alg);
  });
});

describe("LocalSigner SM2", () => {
  it("signs by lib/sm2 with the default identifier, hedged: two signatures differ, both verify", async () => {
    const path = join(dir, "sm2-hedged.pem");
    const spki = await generateKeyFile(path, "sm2-sm3");
    const signer = await readSignerFile(path, "k", "sm2-sm3");
    const [a, b] = [await signer.sign(message), await signer.sign(message)];
    expect(toHex(a as Uint8Array)).not.toBe(toHex(b as Uint8Array));
    const point = sm2PublicKeyFromSpki(spki);
    for (const signature of [a, b]) {
      expect(sm2Verify(point, message, signature as Uint8Array, "1234567812345678")).toBe(true);
      expect(sm2Verify(point, message, signature as Uint8Array, "ALICE123@YAHOO.COM")).toBe(false);
    }
  });

  it("refuses an SM2 key declared as another algorithm, and another key declared as SM2", async () => {
    const path = join(dir, "sm2-declared.pem");
    await generateKeyFile(path, "sm2-sm3");
    await expect(readSignerFile(path, "k", "ecdsa-p256-sha256")).rejects.toMatchObject({
      code: "KEY_ALGORITHM_MISMATCH",
    });
    const p256 = join(dir, "p256-declared.pem");
    await generateKeyFile(p256, "ecdsa-p256-sha256");
    await expect(readSignerFile(p256, "k", "sm2-sm3")).rejects.toMatchObject({
      code: "KEY_ALGORITHM_MISMATCH",
    });
  });
});

describe("LocalSigner refusals", () => {
  it("refuses a key of another algorithm than declared", async () => {
    const path = join(dir, "ed.pem");
    await generateKeyFile(path, "ed25519");
    await expect(readSignerFile(path, "k", "ecdsa-p256-sha256")).rejects.toMatchObject({
      code: "KEY_ALGORITHM_MISMATCH",
    });
  });

  it("refuses keys we do not sign with (P-384, RSA)", () => {
    for (const { privateKey } of [
      generateKeyPairSync("ec", { namedCurve: "P-384" }),
      generateKeyPairSync("rsa", { modulusLength: 1024 }),
    ]) {
      expect(() => new LocalSigner("k", privateKey)).toThrow(CryptoError);
    }
  });

  it("refuses a public key and a file that is not a PEM private key", async () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    expect(() => new LocalSigner("k", publicKey)).toThrowError(
      expect.objectContaining({ code: "INVALID_KEY" }),
    );
    expect(() => LocalSigner.forOwner(INTL, "hf-haikou", publicKey)).toThrowError(
      expect.objectContaining({ code: "INVALID_KEY" }),
    );
    const path = join(dir, "junk.pem");
    await writeFile(path, "not a key");
    await expect(readSignerFile(path, "k")).rejects.toMatchObject({ code: "INVALID_KEY" });
    await expect(readOwnerSignerFile(INTL, path, "hf-haikou")).rejects.toMatchObject({ code: "INVALID_KEY" });
  });

  it("accepts a PKCS#8 key made elsewhere", async () => {
    const pem = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" });
    const signer = new LocalSigner("k", createPrivateKey(pem));
    expect(signer.alg).toBe("ed25519");
  });
});
