import { deriveKeyId, INTL, type SignatureAlgorithm } from "#chain";
import { ecdsaSignatureFromDer } from "../../../lib/crypto/ecdsa-der.js";
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
 *
 * The message is sent as is (MessageType RAW, KMS hashes it), at most 4096 bytes. One
 * GetPublicKey comes first: its SPKI gives the key id, `<member>/<16 hex of SHA-256(spki)>`
 * (docs/design/key-history.md §1), exactly as the CLI derives it.
 */

export const KMS_RAW_MESSAGE_LIMIT = 4096;
const SIGNATURE_SIZE = 64;

// WebCrypto has no SM2: an SM2 member cannot sign in the browser yet (README, "Not built").
const KMS_ALGORITHM: Record<
  Exclude<SignatureAlgorithm, "sm2-sm3">,
  { spec: string; signing: KmsSigningAlgorithm; webCrypto: { name: string; namedCurve?: string } }
> = {
  ed25519: { spec: "ECC_NIST_EDWARDS25519", signing: "ED25519_SHA_512", webCrypto: { name: "Ed25519" } },
  "ecdsa-p256-sha256": {
    spec: "ECC_NIST_P256",
    signing: "ECDSA_SHA_256",
    webCrypto: { name: "ECDSA", namedCurve: "P-256" },
  },
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
export async function kmsSigner(kms: KmsPort, member: KmsMemberKey): Promise<Signer> {
  const { alg } = member;
  if (alg === "sm2-sm3") throw new Error("SM2 keys cannot sign in the browser yet");
  const key = { ...member, alg };
  const spki = await publicKeyOf(await kms.getPublicKey({ KeyId: key.kmsKey }), key);
  const { signing } = KMS_ALGORITHM[key.alg];
  return {
    keyId: deriveKeyId(INTL, key.owner, spki), // SM2 is refused above: the key is an intl one
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
      if (key.alg === "ecdsa-p256-sha256") return ecdsaSignatureFromDer(signature);
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
async function publicKeyOf(
  out: KmsPublicKeyOutput,
  key: KmsMemberKey & { alg: Exclude<SignatureAlgorithm, "sm2-sm3"> },
): Promise<Uint8Array> {
  const { spec, signing, webCrypto } = KMS_ALGORITHM[key.alg];
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
  try {
    await crypto.subtle.importKey("spki", spki as Uint8Array<ArrayBuffer>, webCrypto, true, ["verify"]);
  } catch {
    throw wrong(`its public key is not a ${key.alg} SubjectPublicKeyInfo`);
  }
  return spki;
}
