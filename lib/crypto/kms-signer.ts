import {
  type CryptoSuite,
  concatBytes,
  deriveKeyId,
  ownSm2Id,
  type SignatureAlgorithm,
  SM2_DEFAULT_ID,
  sm3,
} from "#chain";
import { sm2Z } from "../sm2/index.js";
import { ecdsaSignatureFromDer, P256_ORDER, SM2_ORDER } from "./ecdsa-der.js";
import { CryptoError } from "./errors.js";
import { importPublicKey, SIGNATURE_SIZE, sm2PointOfSpki } from "./keys.js";
import type { Signer } from "./signer.js";

/**
 * A Signer backed by an asymmetric KMS key (ARCHITECTURE.md §4). The message is sent
 * as is (MessageType RAW, so KMS hashes it itself) and the result converted to our
 * encoding:
 *
 *   alg                 KMS key spec            SigningAlgorithm   KMS returns
 *   ed25519             ECC_NIST_EDWARDS25519   ED25519_SHA_512    64 raw bytes
 *   ecdsa-p256-sha256   ECC_NIST_P256           ECDSA_SHA_256      DER, possibly high-S → r||s
 *   sm2-sm3             SM2                     SM2DSA             DER → r||s
 *
 * With SM2DSA and MessageType RAW, KMS computes e = SM3(Z_A || message) itself, Z_A with
 * the default identifier 1234567812345678, and offers no other. A consortium that sets
 * its own (docs/formats/sm2.md §2) has its SM2 keys sign e computed here, Z_A from the
 * key's public point and that identifier, as MessageType DIGEST (sm2.md §6).
 *
 * KMS refuses RAW messages over 4096 bytes; signature bases are a few hundred bytes and
 * block headers less, so a longer message is a bug and is refused before any call.
 * SDK errors (throttling, disabled key, access denied) propagate unchanged.
 *
 * The two KMS calls come in through KmsSigningPort, in the SDK's own field names, so this
 * file needs no AWS SDK (lib/ stays pure) and the adapter is one line per call:
 *
 *   { sign: (input) => client.send(new SignCommand(input)),
 *     getPublicKey: (input) => client.send(new GetPublicKeyCommand(input)) }
 */

export const KMS_RAW_MESSAGE_LIMIT = 4096;

/** The KMS key specs and signing algorithms Zhixin uses (KMS's names). */
export type KmsKeySpec = "ECC_NIST_EDWARDS25519" | "ECC_NIST_P256" | "SM2";
export type KmsSigningAlgorithm = "ED25519_SHA_512" | "ECDSA_SHA_256" | "SM2DSA";

/**
 * What KmsSigner needs of KMS: Sign and GetPublicKey, with the request and response fields
 * it reads named as the SDK names them (SignCommandInput/Output, GetPublicKeyCommandOutput).
 */
export interface KmsSigningPort {
  sign(input: {
    KeyId: string;
    Message: Uint8Array;
    MessageType: "RAW" | "DIGEST";
    SigningAlgorithm: KmsSigningAlgorithm;
  }): Promise<{ Signature?: Uint8Array | undefined; SigningAlgorithm?: string | undefined }>;
  getPublicKey(input: { KeyId: string }): Promise<{
    KeySpec?: string | undefined;
    KeyUsage?: string | undefined;
    SigningAlgorithms?: string[] | undefined;
    PublicKey?: Uint8Array | undefined;
  }>;
}

/** Per algorithm: KMS's key spec and signing algorithm, and its signature → our 64 bytes. */
const KMS_ALGORITHM: Record<
  SignatureAlgorithm,
  { spec: KmsKeySpec; signing: KmsSigningAlgorithm; fromKms: (signature: Uint8Array) => Uint8Array }
> = {
  ed25519: { spec: "ECC_NIST_EDWARDS25519", signing: "ED25519_SHA_512", fromKms: rawEd25519 },
  "ecdsa-p256-sha256": {
    spec: "ECC_NIST_P256",
    signing: "ECDSA_SHA_256",
    fromKms: (der) => ecdsaSignatureFromDer(der, P256_ORDER),
  },
  "sm2-sm3": { spec: "SM2", signing: "SM2DSA", fromKms: (der) => ecdsaSignatureFromDer(der, SM2_ORDER) },
};

function rawEd25519(signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_SIZE) {
    throw new CryptoError(
      "MALFORMED_SIGNATURE",
      `KMS Ed25519 signature is ${signature.length} bytes, not ${SIGNATURE_SIZE}`,
    );
  }
  return Uint8Array.from(signature);
}

/** The signature algorithm of each KMS key spec Zhixin signs with (the inverse of the table above). */
export const KEY_SPEC_ALGORITHM: Readonly<Record<string, SignatureAlgorithm>> = Object.fromEntries(
  Object.entries(KMS_ALGORITHM).map(([alg, { spec }]) => [spec, alg as SignatureAlgorithm]),
);

export interface KmsSignerOptions {
  /** The key's id in the Zhixin key directory (what goes in `keyid=`). */
  keyId: string;
  alg: SignatureAlgorithm;
  /** KMS KeyId: key id, ARN or alias. Defaults to `keyId`. */
  kmsKeyId?: string;
  /** An SM2 key's identifier, the ledger suite's (CryptoSuite.sm2Id); default SM2_DEFAULT_ID. */
  sm2Id?: string | undefined;
}

export interface KmsOwnerSignerOptions {
  /** The ledger's suite: its hash names the key (deriveKeyId). */
  suite: CryptoSuite;
  /** The member (or "sealer") whose key it is: the prefix of its derived key id. */
  owner: string;
  /** KMS KeyId: key id, ARN or alias. It only locates the key; it names nothing. */
  kmsKeyId: string;
  /** Default: the key's KeySpec. Given, the key must be of it. */
  alg?: SignatureAlgorithm | undefined;
  /** Default: the id derived from the key, deriveKeyId(owner, spki). */
  keyId?: string | undefined;
}

export class KmsSigner implements Signer {
  readonly keyId: string;
  readonly alg: SignatureAlgorithm;
  readonly kmsKeyId: string;
  readonly sm2Id: string;
  readonly #kms: KmsSigningPort;
  #publicKey: Promise<Uint8Array> | undefined;
  /** Z_A of this key and identifier: one SM3 per key, not per signature. */
  #z: Promise<Uint8Array> | undefined;

  /** `kms` wraps a KMS client the caller created once at module scope and shares. */
  constructor(kms: KmsSigningPort, options: KmsSignerOptions) {
    this.#kms = kms;
    this.keyId = options.keyId;
    this.alg = options.alg;
    this.kmsKeyId = options.kmsKeyId ?? options.keyId;
    this.sm2Id = options.sm2Id ?? SM2_DEFAULT_ID;
  }

  /**
   * The signer of `owner`'s KMS key under the key id derived from it, `<owner>/<16 hex of
   * H(spki)>` (docs/design/key-history.md §1): one GetPublicKey gives the SPKI, hence the
   * id, and the algorithm (the KeySpec), checked as publicKey() checks them; the SPKI is
   * kept, so publicKey() asks no more. CryptoError KEY_ALGORITHM_MISMATCH for a key spec
   * Zhixin does not sign with, or not `alg`; ChainError INVALID_FORMAT for an owner that
   * is no member id.
   */
  static async forOwner(kms: KmsSigningPort, options: KmsOwnerSignerOptions): Promise<KmsSigner> {
    const { owner, kmsKeyId } = options;
    const out = await kms.getPublicKey({ KeyId: kmsKeyId });
    const alg = options.alg ?? (out.KeySpec === undefined ? undefined : KEY_SPEC_ALGORITHM[out.KeySpec]);
    if (alg === undefined) {
      throw new CryptoError(
        "KEY_ALGORITHM_MISMATCH",
        `KMS key ${kmsKeyId} is ${out.KeySpec ?? "of no key spec"}, not ${Object.keys(KEY_SPEC_ALGORITHM).join(" or ")}`,
      );
    }
    const spki = publicKeyOf(out, kmsKeyId, alg);
    const signer = new KmsSigner(kms, {
      keyId: options.keyId ?? deriveKeyId(options.suite, owner, spki),
      alg,
      kmsKeyId,
      sm2Id: options.suite.sm2Id,
    });
    signer.#publicKey = Promise.resolve(spki);
    return signer;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const { signing, fromKms } = KMS_ALGORITHM[this.alg];
    // KMS's 4096-byte limit is RAW's; a DIGEST is 32 bytes whatever the message.
    const digest = this.alg === "sm2-sm3" && ownSm2Id(this) !== undefined;
    if (!digest && message.length > KMS_RAW_MESSAGE_LIMIT) {
      throw new CryptoError(
        "MESSAGE_TOO_LONG",
        `KMS signs RAW messages of at most ${KMS_RAW_MESSAGE_LIMIT} bytes; this one is ${message.length}`,
      );
    }
    const out = await this.#kms.sign({
      KeyId: this.kmsKeyId,
      Message: digest ? await this.#sm2Digest(message) : message,
      MessageType: digest ? "DIGEST" : "RAW",
      SigningAlgorithm: signing,
    });
    if (out.SigningAlgorithm !== undefined && out.SigningAlgorithm !== signing) {
      throw new CryptoError("UNEXPECTED_RESPONSE", `KMS signed with ${out.SigningAlgorithm}, not ${signing}`);
    }
    const signature = out.Signature;
    if (signature === undefined)
      throw new CryptoError("UNEXPECTED_RESPONSE", "KMS Sign returned no Signature");
    return fromKms(signature);
  }

  /** The key's DER SPKI from GetPublicKey, checked against `alg`; fetched once, retried after a failure. */
  publicKey(): Promise<Uint8Array> {
    this.#publicKey ??= this.#fetchPublicKey().catch((e: unknown) => {
      this.#publicKey = undefined;
      throw e;
    });
    return this.#publicKey.then((spki) => spki.slice());
  }

  /** e = SM3(Z_A || message), Z_A of the key's point and this signer's identifier (GB/T 32918.2 §6.1 A1-A2). */
  async #sm2Digest(message: Uint8Array): Promise<Uint8Array> {
    this.#z ??= this.publicKey()
      .then((spki) => sm2Z(sm2PointOfSpki(spki), this.sm2Id))
      .catch((e: unknown) => {
        this.#z = undefined;
        throw e;
      });
    return sm3(concatBytes(await this.#z, message));
  }

  async #fetchPublicKey(): Promise<Uint8Array> {
    return publicKeyOf(await this.#kms.getPublicKey({ KeyId: this.kmsKeyId }), this.kmsKeyId, this.alg);
  }
}

/** The DER SPKI of a GetPublicKey answer for `kmsKeyId`, checked to be a SIGN_VERIFY key of `alg`. */
function publicKeyOf(
  out: Awaited<ReturnType<KmsSigningPort["getPublicKey"]>>,
  kmsKeyId: string,
  alg: SignatureAlgorithm,
): Uint8Array {
  const { spec, signing } = KMS_ALGORITHM[alg];
  if (out.KeySpec !== spec) {
    throw new CryptoError("KEY_ALGORITHM_MISMATCH", `KMS key ${kmsKeyId} is ${out.KeySpec}, not ${spec}`);
  }
  if (out.KeyUsage !== "SIGN_VERIFY") {
    throw new CryptoError("UNEXPECTED_RESPONSE", `KMS key ${kmsKeyId} has usage ${out.KeyUsage}`);
  }
  if (out.SigningAlgorithms !== undefined && !out.SigningAlgorithms.includes(signing)) {
    throw new CryptoError("UNEXPECTED_RESPONSE", `KMS key ${kmsKeyId} does not offer ${signing}`);
  }
  if (out.PublicKey === undefined) {
    throw new CryptoError("UNEXPECTED_RESPONSE", "KMS GetPublicKey returned no PublicKey");
  }
  const spki = Uint8Array.from(out.PublicKey);
  importPublicKey(alg, spki);
  return spki;
}
