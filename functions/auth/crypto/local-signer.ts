import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { SignatureAlgorithm } from "#chain";
import type { Signer } from "../../store/ports.js";
import { CryptoError } from "./errors.js";
import { asBuffer, asBytes, describeKey, keyAlgorithm } from "./keys.js";

/**
 * A Signer over a private key held in this process: local mode, the CLI and tests.
 * In AWS every key lives in KMS (KmsSigner); the two must be indistinguishable to a
 * verifier, so ECDSA signatures are r||s here too.
 */
export class LocalSigner implements Signer {
  readonly alg: SignatureAlgorithm;
  readonly #key: KeyObject;
  #spki: Uint8Array | undefined;

  /** `alg`, if given, must match the key; otherwise it is taken from the key. */
  constructor(
    readonly keyId: string,
    privateKey: KeyObject,
    alg?: SignatureAlgorithm,
  ) {
    if (privateKey.type !== "private")
      throw new CryptoError("INVALID_KEY", "LocalSigner needs a private key");
    const actual = keyAlgorithm(privateKey);
    if (actual === undefined || (alg !== undefined && alg !== actual)) {
      throw new CryptoError(
        "KEY_ALGORITHM_MISMATCH",
        `key ${keyId} is ${describeKey(privateKey)}, not ${alg ?? "ed25519 or ecdsa-p256-sha256"}`,
      );
    }
    this.alg = actual;
    this.#key = privateKey;
  }

  /** Loads a PKCS#8 PEM private key file (as written by generateKeyFile). */
  static async fromFile(path: string, keyId: string, alg?: SignatureAlgorithm): Promise<LocalSigner> {
    const pem = await readFile(path, "utf8");
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: "pem" });
    } catch (e) {
      throw new CryptoError("INVALID_KEY", `${path} is not a PEM private key: ${(e as Error).message}`);
    }
    return new LocalSigner(keyId, key, alg);
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const data = asBuffer(message);
    const signature =
      this.alg === "ed25519"
        ? sign(null, data, this.#key)
        : sign("sha256", data, { key: this.#key, dsaEncoding: "ieee-p1363" });
    return asBytes(signature);
  }

  async publicKey(): Promise<Uint8Array> {
    this.#spki ??= asBytes(createPublicKey(this.#key).export({ format: "der", type: "spki" }));
    return this.#spki.slice();
  }
}

/**
 * Creates a new key pair and writes the private key to `path` as PKCS#8 PEM, mode 0600,
 * creating missing parent directories with mode 0700. Never overwrites: an existing
 * file fails with EEXIST. Returns the DER SubjectPublicKeyInfo, to be registered in the
 * key directory under whatever key id the consortium file gives it.
 */
export async function generateKeyFile(path: string, alg: SignatureAlgorithm): Promise<Uint8Array> {
  const { privateKey, publicKey } =
    alg === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600, flag: "wx" });
  return asBytes(publicKey.export({ format: "der", type: "spki" }));
}
