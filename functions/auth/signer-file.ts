import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { CryptoSuite, SignatureAlgorithm } from "#chain";
import { generateKeyPair } from "../../lib/crypto/key-pairs.js";
import { asBytes } from "../../lib/crypto/keys.js";
import { LocalSigner } from "../../lib/crypto/local-signer.js";

// Local signers' key files: the file half of LocalSigner, for local mode, the seal-block
// function's ZHIXIN_SEALER_KEY_FILE, benches and tests.

/**
 * Loads a PKCS#8 PEM private key file (as written by generateKeyFile); an SM2 key signs
 * with `sm2Id`, the identifier of the ledgers it signs for (default SM2_DEFAULT_ID).
 */
export async function readSignerFile(
  path: string,
  keyId: string,
  alg?: SignatureAlgorithm,
  sm2Id?: string,
): Promise<LocalSigner> {
  return LocalSigner.fromPem(await readFile(path, "utf8"), keyId, alg, path, sm2Id);
}

/**
 * Loads `owner`'s key file (as written by generateKeyFile), named by the key id derived
 * from its public key (docs/design/key-history.md §1): local mode's members and sealer.
 */
export async function readOwnerSignerFile(
  suite: CryptoSuite,
  path: string,
  owner: string,
  alg?: SignatureAlgorithm,
): Promise<LocalSigner> {
  return LocalSigner.fromPemForOwner(suite, await readFile(path, "utf8"), owner, alg, path);
}

/**
 * Creates a new key pair and writes the private key to `path` as PKCS#8 PEM, mode 0600,
 * creating missing parent directories with mode 0700. Never overwrites: an existing
 * file fails with EEXIST. Returns the DER SubjectPublicKeyInfo, from which the key's id
 * is derived (readOwnerSignerFile).
 */
export async function generateKeyFile(path: string, alg: SignatureAlgorithm): Promise<Uint8Array> {
  const { privateKey, publicKey } = generateKeyPair(alg);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600, flag: "wx" });
  return asBytes(publicKey.export({ format: "der", type: "spki" }));
}
