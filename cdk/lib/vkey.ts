import {
  cosignerKeyOf,
  formatCosignatureVerifierKey,
  formatVerifierKey,
  isRecordedSpki,
  noteKeyOf,
} from "#chain";

/**
 * The verifier keys a deployment needs and only KMS can give, since a KMS key's public key
 * exists once the key does: from the DER SubjectPublicKeyInfo `aws kms get-public-key`
 * returns (base64) to the C2SP vkey.
 *   log      the log's checkpoint key: name = the log's origin, type 0x01 Ed25519 or 0xff
 *            SM2 (docs/formats/checkpoint.md §1.3) — ZHIXIN_WITNESS_LOG_VKEYS of every witness;
 *   witness  a department's witness key: name = its cosigner name, type 0x04 Ed25519 or
 *            the SM2 cosignature's (docs/formats/witness.md §1.3, §1.7) — `witness.vkey`
 *            in the consortium file.
 * The key's algorithm is read from its SPKI: ECC_NIST_EDWARDS25519 keys are Ed25519, SM2
 * keys (China Regions) SM2. Computed by lib/chain, as the services compute them: nothing
 * here is a second encoding.
 */
export type VkeyKind = "log" | "witness";

export function vkeyFromKmsPublicKey(kind: VkeyKind, name: string, publicKeyBase64: string): string {
  const spki = new Uint8Array(Buffer.from(publicKeyBase64.trim(), "base64"));
  const alg = isRecordedSpki("ed25519", spki)
    ? "ed25519"
    : isRecordedSpki("sm2-sm3", spki)
      ? "sm2-sm3"
      : undefined;
  if (alg === undefined)
    throw new Error(
      `not an Ed25519 or SM2 public key (${spki.length} bytes of DER): both keys are ECC_NIST_EDWARDS25519, or SM2 in a gm consortium`,
    );
  if (kind === "log") {
    const { type, publicKey } = noteKeyOf(alg, spki);
    return formatVerifierKey(name, type, publicKey);
  }
  return formatCosignatureVerifierKey(cosignerKeyOf(name, alg, spki));
}
