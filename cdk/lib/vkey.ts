import { formatCosignatureVerifierKey, formatVerifierKey, NOTE_SIGNATURE_TYPE_ED25519 } from "#chain";
import { ed25519RawPublicKey } from "../../lib/crypto/keys.js";

/**
 * The verifier keys a deployment needs and only KMS can give, since a KMS key's public key
 * exists once the key does: from the DER SubjectPublicKeyInfo `aws kms get-public-key`
 * returns (base64) to the C2SP vkey.
 *   log      the log's checkpoint key: name = the log's origin, type 0x01 Ed25519
 *            (docs/formats/checkpoint.md §1.4) — ZHIXIN_WITNESS_LOG_VKEYS of every witness;
 *   witness  a department's witness key: name = its cosigner name, type 0x04
 *            (docs/formats/witness.md §1.3) — `witness.vkey` in the consortium file.
 * Computed by lib/chain, as the services compute them: nothing here is a second encoding.
 */
export type VkeyKind = "log" | "witness";

export function vkeyFromKmsPublicKey(kind: VkeyKind, name: string, publicKeyBase64: string): string {
  const spki = new Uint8Array(Buffer.from(publicKeyBase64.trim(), "base64"));
  let raw: Uint8Array;
  try {
    raw = ed25519RawPublicKey(spki);
  } catch {
    throw new Error(
      `not an Ed25519 public key (${spki.length} bytes of DER): both keys are ECC_NIST_EDWARDS25519`,
    );
  }
  return kind === "log"
    ? formatVerifierKey(name, NOTE_SIGNATURE_TYPE_ED25519, raw)
    : formatCosignatureVerifierKey(name, raw);
}
