import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { type CryptoSuite, deriveSubjectKey, SUBJECT_KEY_BYTES } from "#chain";

/**
 * Local mode's subject key: 32 random bytes in keys/subject.key (mode 0600), made on
 * first start. The working key is derived from it (lib/chain subject.ts) exactly as on
 * AWS, where KMS GenerateMac over the same label stands in for the file
 * (kms-subject-key.ts). Losing the file makes every subject index unreadable: back it up
 * with the member keys.
 */
export async function ensureSubjectKeyFile(path: string): Promise<boolean> {
  if (existsSync(path)) return false;
  await writeFile(path, randomBytes(SUBJECT_KEY_BYTES), { mode: 0o600, flag: "wx" });
  return true;
}

export async function loadLocalSubjectKey(suite: CryptoSuite, path: string): Promise<Uint8Array> {
  const master = new Uint8Array(await readFile(path));
  if (master.length !== SUBJECT_KEY_BYTES) {
    throw new Error(`${path} must hold ${SUBJECT_KEY_BYTES} bytes, holds ${master.length}`);
  }
  return deriveSubjectKey(suite, master);
}
