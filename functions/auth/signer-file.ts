import { generateKeyPairSync } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { SignatureAlgorithm } from "#chain";
import { asBytes } from "../../lib/crypto/keys.js";
import { LocalSigner } from "../../lib/crypto/local-signer.js";

// Local signers' key files: the file half of LocalSigner, for local mode, the seal-block
// function's ZHIXIN_SEALER_KEY_FILE, benches and tests.

/** Loads a PKCS#8 PEM private key file (as written by generateKeyFile). */
export async function readSignerFile(
  path: string,
  keyId: string,
  alg?: SignatureAlgorithm,
): Promise<LocalSigner> {
  return LocalSigner.fromPem(await readFile(path, "utf8"), keyId, alg, path);
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
