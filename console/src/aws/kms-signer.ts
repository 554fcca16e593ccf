import { deriveKeyId, isRecordedSpki, type SignatureAlgorithm, suiteOfAlgorithm } from "#chain";
import { ecdsaSignatureFromDer, P256_ORDER, SM2_ORDER } from "../../../lib/crypto/ecdsa-der.js";
import type { Signer } from "../../../lib/crypto/signer.js";
import { SignInError } from "./errors.js";
import type { KmsPort, KmsPublicKeyOutput, KmsSigningAlgorithm } from "./kms.js";

/**
 * The browser's signer over a member's KMS key: lib/crypto/kms-signer.ts KmsSigner.forOwner
 * as the page can run it. That file checks the key's SPKI with node:crypto (lib/crypto/keys.ts);
 * here WebCrypto checks it. Everything else is the same:
 *
 *   alg                 KMS key spec            SigningAlgorithm   KMS returns
 *   ed25519             ECC_NIST_EDWARDS25519   ED25519_SHA_512    64 raw bytes
 *   ecdsa-p256-sha256   ECC_NIST_P256           ECDSA_SHA_256      DER, possibly high-S → r||s
 *   sm2-sm3             SM2 (China Regions)     SM2DSA             DER → r||s
 *
 * The message is sent as is (MessageType RAW, KMS hashes it), at most 4096 bytes. One
 * GetPublicKey comes first: its SPKI gives the key id, `<member>/<16 hex of SHA-256(spki)>`
 * (docs/design/key-history.md §1), exactly as the CLI derives it, with the key's suite's H
 * (SM3 for SM2). For SM2, with RAW, KMS computes SM3(Z || M) with the standard identifier
 * 1234567812345678 (docs/formats/sm2.md §6).
 */

export const KMS_RAW_MESSAGE_LIMIT = 4096;
const SIGNATURE_SIZE = 64;

// The SPKI is checked to be the member's algorithm's in the form the ledger records
// (lib/chain isRecordedSpki) — WebCrypto has no SM2 to check it with.
const KMS_ALGORITHM: Record<
  SignatureAlgorithm,
  { spec: string; signing: KmsSigningAlgorithm; der?: bigint }
> = {
  ed25519: { spec: "ECC_NIST_EDWARDS25519", signing: "ED25519_SHA_512" },
  "ecdsa-p256-sha256": { spec: "ECC_NIST_P256", signing: "ECDSA_SHA_256", der: P256_ORDER },
  "sm2-sm3": { spec: "SM2", signing: "SM2DSA", der: SM2_ORDER },
};

export interface KmsMemberKey {
  /** The member whose key it is: the prefix of the derived key id. */
  owner: string;
  /** What KMS takes as KeyId: the alias alias/zhixin/<consortium>/<member>, or a key ARN. */
  kmsKey: string;
  /** The member's algorithm in the consortium file: the key must be of it. */
  alg: SignatureAlgorithm;
}

/**
 * A Signer of `owner`'s KMS key under the id derived from it. SignInError
 * KEY_WRONG_ALGORITHM when the key is not a SIGN_VERIFY key of `alg`; KmsError from the
 * GetPublicKey call propagates (./session.ts explains it).
 */
export async function kmsSigner(kms: KmsPort, key: KmsMemberKey): Promise<Signer> {
  const spki = publicKeyOf(await kms.getPublicKey({ KeyId: key.kmsKey }), key);
  const { signing, der } = KMS_ALGORITHM[key.alg];
  return {
    keyId: deriveKeyId(suiteOfAlgorithm(key.alg), key.owner, spki),
    alg: key.alg,
    publicKey: async () => spki.slice(),
    async sign(message) {
      if (message.length > KMS_RAW_MESSAGE_LIMIT) {
        throw new Error(
          `KMS signs RAW messages of at most ${KMS_RAW_MESSAGE_LIMIT} bytes; this one is ${message.length}`,
        );
      }
      const out = await kms.sign({
        KeyId: key.kmsKey,
        Message: message,
        MessageType: "RAW",
        SigningAlgorithm: signing,
      });
      if (out.SigningAlgorithm !== undefined && out.SigningAlgorithm !== signing) {
        throw new SignInError("KMS_UNREACHABLE", {
          detail: `KMS signed with ${out.SigningAlgorithm}, not ${signing}`,
        });
      }
      const signature = out.Signature;
      if (signature === undefined)
        throw new SignInError("KMS_UNREACHABLE", { detail: "KMS Sign returned no Signature" });
      if (der !== undefined) return ecdsaSignatureFromDer(signature, der);
      if (signature.length !== SIGNATURE_SIZE) {
        throw new SignInError("KMS_UNREACHABLE", {
          detail: `KMS Ed25519 signature is ${signature.length} bytes, not ${SIGNATURE_SIZE}`,
        });
      }
      return Uint8Array.from(signature);
    },
  };
}

/** The DER SPKI of a GetPublicKey answer, checked to be a SIGN_VERIFY key of the member's alg. */
function publicKeyOf(out: KmsPublicKeyOutput, key: KmsMemberKey): Uint8Array {
  const { spec, signing } = KMS_ALGORITHM[key.alg];
  const wrong = (detail: string) => new SignInError("KEY_WRONG_ALGORITHM", { key: key.kmsKey, detail });
  if (out.KeySpec !== spec) throw wrong(`${out.KeySpec ?? "no key spec"}, not ${spec} (${key.alg})`);
  if (out.KeyUsage !== "SIGN_VERIFY") throw wrong(`key usage ${out.KeyUsage ?? "none"}, not SIGN_VERIFY`);
  if (out.SigningAlgorithms !== undefined && !out.SigningAlgorithms.includes(signing)) {
    throw wrong(`it does not offer ${signing}`);
  }
  if (out.PublicKey === undefined) {
    throw new SignInError("KMS_UNREACHABLE", { detail: "KMS GetPublicKey returned no PublicKey" });
  }
  const spki = Uint8Array.from(out.PublicKey);
  if (!isRecordedSpki(key.alg, spki)) throw wrong(`its public key is not a ${key.alg} SubjectPublicKeyInfo`);
  return spki;
}
