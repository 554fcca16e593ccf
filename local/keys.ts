import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SignatureAlgorithm } from "#chain";
import { StaticKeyDirectory } from "../functions/auth/key-directory.js";
import { generateKeyFile, readSignerFile } from "../functions/auth/signer-file.js";
import { ensureSubjectKeyFile } from "../functions/sharing/subject-key.js";
import type { Consortium } from "../lib/consortium/consortium.js";
import type { KeyRole, PublicKeyRecord } from "../lib/crypto/key-directory.js";
import { keyFile, localKeyId, trustFile } from "../lib/local-home.js";

/**
 * Local mode's stand-in for KMS: one PKCS#8 PEM file per member under
 * $ZHIXIN_HOME/keys (mode 0600, directory 0700), generated on first start, and the
 * public trust bundle keys/trust.json that the handlers and auditors use.
 *
 *   keys/<member>.pem     private key of a department, auditor, or "sealer"
 *   keys/trust.json       { "log": <origin>, "keys": [ { keyId, owner, role, alg, spki, validFrom } ] }
 *   keys/subject.key      32 random bytes: the subject key's master (lib/chain subject.ts)
 *
 * Key ids are "<member>/key-1".
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
    { id: "sealer", role: "sealer", alg: consortium.sealer.alg },
  ];
  const existing = existsSync(trustFile(home))
    ? StaticKeyDirectory.fromJson(JSON.parse(await readFile(trustFile(home), "utf8"))).listKeys()
    : [];
  const records: PublicKeyRecord[] = [];
  const generated: string[] = [];
  for (const m of members) {
    const keyId = localKeyId(m.id);
    const path = keyFile(home, m.id);
    if (!existsSync(path)) {
      await generateKeyFile(path, m.alg);
      generated.push(m.id);
    }
    // The file is the truth (it may predate a change of `alg` in the consortium file).
    const signer = await readSignerFile(path, keyId);
    const spki = await signer.publicKey();
    const known = existing.find((k) => k.keyId === keyId);
    const sameKey = known && Buffer.from(known.spki).equals(Buffer.from(spki));
    records.push({
      keyId,
      owner: m.id,
      role: m.role,
      alg: signer.alg,
      spki,
      // Keep the original validity when the key is unchanged, so restarts do not move it.
      validFrom: sameKey && known ? known.validFrom : new Date(now.getTime() - 60_000).toISOString(),
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
