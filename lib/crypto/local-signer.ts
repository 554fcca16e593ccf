import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign } from "node:crypto";
import {
  type CryptoSuite,
  deriveKeyId,
  SIGNATURE_ALGORITHMS,
  type SignatureAlgorithm,
  SM2_DEFAULT_ID,
} from "#chain";
import { Sm2Error, sm2PrivateKeyFromPkcs8, sm2Signer } from "../sm2/index.js";
import { CryptoError } from "./errors.js";
import { asBuffer, asBytes, describeKey, keyAlgorithm } from "./keys.js";
import type { Signer } from "./signer.js";

/**
 * A Signer over a private key held in this process: local mode, the CLI and tests.
 * In AWS every key lives in KMS (KmsSigner); the two must be indistinguishable to a
 * verifier, so ECDSA and SM2 signatures are r||s here too.
 */

type SignWith = (message: Uint8Array) => Uint8Array;

/**
 * How each algorithm signs with a Node private key (verify.ts says what each signature is).
 * SM2 is lib/sm2's, with the scalar of the key's PKCS#8 and the ledger's identifier:
 * node:crypto's SM2 signature binds no identifier the standard's way (docs/formats/sm2.md).
 * Its RFC 6979 nonce is hedged with 32 fresh random bytes, as KMS's is random.
 */
const SIGN: { readonly [A in SignatureAlgorithm]: (key: KeyObject, sm2Id: string) => SignWith } = {
  ed25519: (key) => (message) => asBytes(sign(null, asBuffer(message), key)),
  "ecdsa-p256-sha256": (key) => (message) =>
    asBytes(sign("sha256", asBuffer(message), { key, dsaEncoding: "ieee-p1363" })),
  "sm2-sm3": (key, sm2Id) => {
    let signer: ReturnType<typeof sm2Signer>;
    try {
      signer = sm2Signer(
        sm2PrivateKeyFromPkcs8(asBytes(key.export({ format: "der", type: "pkcs8" }))),
        sm2Id,
      );
    } catch (e) {
      if (e instanceof Sm2Error) throw new CryptoError("INVALID_KEY", e.message);
      throw e;
    }
    return (message) => signer(message, { random: randomBytes(32) });
  },
};
export class LocalSigner implements Signer {
  readonly alg: SignatureAlgorithm;
  readonly #key: KeyObject;
  readonly #sign: SignWith;
  #spki: Uint8Array | undefined;

  /**
   * `alg`, if given, must match the key; otherwise it is taken from the key. `sm2Id`: the
   * identifier an SM2 key's signatures bind, the ledger suite's (CryptoSuite.sm2Id).
   */
  constructor(
    readonly keyId: string,
    privateKey: KeyObject,
    alg?: SignatureAlgorithm,
    sm2Id: string = SM2_DEFAULT_ID,
  ) {
    if (privateKey.type !== "private")
      throw new CryptoError("INVALID_KEY", "LocalSigner needs a private key");
    const actual = keyAlgorithm(privateKey);
    if (actual === undefined || (alg !== undefined && alg !== actual)) {
      throw new CryptoError(
        "KEY_ALGORITHM_MISMATCH",
        `key ${keyId} is ${describeKey(privateKey)}, not ${alg ?? SIGNATURE_ALGORITHMS.join(" or ")}`,
      );
    }
    this.alg = actual;
    this.#key = privateKey;
    this.#sign = SIGN[actual](privateKey, sm2Id);
  }

  /**
   * A PKCS#8 PEM private key (as generateKeyFile writes it). `source` names where the PEM
   * came from in the error, e.g. its file path; reading the file is the caller's (lib/ does
   * no I/O).
   */
  static fromPem(
    pem: string,
    keyId: string,
    alg?: SignatureAlgorithm,
    source = "the key",
    sm2Id: string = SM2_DEFAULT_ID,
  ): LocalSigner {
    return new LocalSigner(keyId, privateKeyFromPem(pem, source), alg, sm2Id);
  }

  /**
   * A member's key, named by the id derived from it, `<owner>/<16 hex of H(spki)>`
   * (docs/design/key-history.md §1): never a chosen name. `owner` must be a member id
   * (ChainError INVALID_FORMAT otherwise). H is the ledger suite's hash, and an SM2 key
   * signs with the suite's identifier.
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
    return new LocalSigner(deriveKeyId(suite, owner, spki), privateKey, alg, suite.sm2Id);
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
    return this.#sign(message);
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
