import { createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";
import { type CryptoSuite, deriveKeyId, type SignatureAlgorithm } from "#chain";
import { CryptoError } from "./errors.js";
import { asBuffer, asBytes, describeKey, keyAlgorithm } from "./keys.js";
import type { Signer } from "./signer.js";

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

  /**
   * A PKCS#8 PEM private key (as generateKeyFile writes it). `source` names where the PEM
   * came from in the error, e.g. its file path; reading the file is the caller's (lib/ does
   * no I/O).
   */
  static fromPem(pem: string, keyId: string, alg?: SignatureAlgorithm, source = "the key"): LocalSigner {
    return new LocalSigner(keyId, privateKeyFromPem(pem, source), alg);
  }

  /**
   * A member's key, named by the id derived from it, `<owner>/<16 hex of H(spki)>`
   * (docs/design/key-history.md §1): never a chosen name. `owner` must be a member id
   * (ChainError INVALID_FORMAT otherwise). H is the ledger suite's hash.
   */
  static forOwner(
    suite: CryptoSuite,
    owner: string,
    privateKey: KeyObject,
    alg?: SignatureAlgorithm,
  ): LocalSigner {
    if (privateKey.type !== "private")
      throw new CryptoError("INVALID_KEY", "LocalSigner needs a private key");
    const spki = asBytes(createPublicKey(privateKey).export({ format: "der", type: "spki" }));
    return new LocalSigner(deriveKeyId(suite, owner, spki), privateKey, alg);
  }

  /** fromPem, named by the key's derived id as forOwner. */
  static fromPemForOwner(
    suite: CryptoSuite,
    pem: string,
    owner: string,
    alg?: SignatureAlgorithm,
    source = "the key",
  ): LocalSigner {
    return LocalSigner.forOwner(suite, owner, privateKeyFromPem(pem, source), alg);
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

function privateKeyFromPem(pem: string, source: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: "pem" });
  } catch (e) {
    throw new CryptoError("INVALID_KEY", `${source} is not a PEM private key: ${(e as Error).message}`);
  }
}
