import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SignatureAlgorithm } from "#chain";
import { StaticKeyDirectory } from "../functions/auth/key-directory.js";
import { generateKeyFile, readOwnerSignerFile } from "../functions/auth/signer-file.js";
import { ensureSubjectKeyFile } from "../functions/sharing/subject-key.js";
import type { Consortium } from "../lib/consortium/consortium.js";
import { type KeyRole, type PublicKeyRecord, SEALER_OWNER } from "../lib/crypto/key-directory.js";
import { keyFile, trustFile } from "../lib/local-home.js";

/**
 * Local mode's stand-in for KMS: one PKCS#8 PEM file per member under
 * $ZHIXIN_HOME/keys (mode 0600, directory 0700), generated on first start, and the
 * public trust bundle keys/trust.json that the handlers and auditors use.
 *
 *   keys/<member>.pem     private key of a department, auditor, or "sealer"
 *   keys/trust.json       { "log": <origin>, "keys": [ { keyId, owner, role, alg, spki, validFrom } ] }
 *   keys/subject.key      32 random bytes: the subject key's master (lib/chain subject.ts)
 *
 * A key's id is derived from it, "<member>/<16 hex of SHA-256(spki)>" (docs/design/key-history.md §1).
 */

export interface LocalKeys {
  dir: string;
  trustFile: string;
  directory: StaticKeyDirectory;
  /** Members whose keys were generated just now ("subject" for the subject key). */
  generated: string[];
  subjectKeyFile: string;
}

export async function ensureLocalKeys(home: string, consortium: Consortium, now: Date): Promise<LocalKeys> {
  const dir = join(home, "keys");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const members: Array<{ id: string; role: KeyRole; alg: SignatureAlgorithm }> = [
    ...consortium.departments.map((d) => ({ id: d.id, role: "department" as const, alg: d.alg })),
    ...consortium.auditors.map((a) => ({ id: a.id, role: "auditor" as const, alg: a.alg })),
    { id: SEALER_OWNER, role: "sealer", alg: consortium.sealer.alg },
  ];
  const existing = existsSync(trustFile(home))
    ? StaticKeyDirectory.fromJson(JSON.parse(await readFile(trustFile(home), "utf8"))).listKeys()
    : [];
  const records: PublicKeyRecord[] = [];
  const generated: string[] = [];
  for (const m of members) {
    const path = keyFile(home, m.id);
    if (!existsSync(path)) {
      await generateKeyFile(path, m.alg);
      generated.push(m.id);
    }
    // The file is the truth (it may predate a change of `alg` in the consortium file).
    const signer = await readOwnerSignerFile(path, m.id);
    const spki = await signer.publicKey();
    // The id names the key, so the same id is the same key.
    const known = existing.find((k) => k.keyId === signer.keyId);
    records.push({
      keyId: signer.keyId,
      owner: m.id,
      role: m.role,
      alg: signer.alg,
      spki,
      // Keep the original validity when the key is unchanged, so restarts do not move it.
      validFrom: known ? known.validFrom : new Date(now.getTime() - 60_000).toISOString(),
    });
  }
  const subjectKeyFile = join(dir, "subject.key");
  if (await ensureSubjectKeyFile(subjectKeyFile)) generated.push("subject");
  const directory = new StaticKeyDirectory(records);
  // The log's origin beside the keys: with the sealer's key it gives the checkpoint
  // verifier key (docs/FORMATS.md §5), so an auditor needs this one file.
  const bundle = { log: consortium.log, ...directory.toJson() };
  await writeFile(trustFile(home), `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o644 });
  return { dir, trustFile: trustFile(home), directory, generated, subjectKeyFile };
}
