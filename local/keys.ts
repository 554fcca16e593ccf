import { existsSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cosignerKeyOf, type SignatureAlgorithm, toHex } from "#chain";
import { StaticKeyDirectory } from "../functions/auth/key-directory.js";
import { generateKeyFile, readOwnerSignerFile, readSignerFile } from "../functions/auth/signer-file.js";
import { ensureSubjectKeyFile } from "../functions/sharing/subject-key.js";
import {
  type Consortium,
  cosignatureAlgorithmOf,
  suiteOf,
  witnessesOf,
  witnessName,
} from "../lib/consortium/consortium.js";
import { type KeyRole, type PublicKeyRecord, SEALER_OWNER } from "../lib/crypto/key-directory.js";
import {
  isRetiredWitnessKeyName,
  keyFile,
  retiredWitnessKeyName,
  trustFile,
  witnessKeyFile,
} from "../lib/local-home.js";

/**
 * Local mode's stand-in for KMS: one PKCS#8 PEM file per member under
 * $ZHIXIN_HOME/keys (mode 0600, directory 0700), generated on first start, and the
 * public trust bundle keys/trust.json that the handlers and auditors use.
 *
 *   keys/<member>.pem     private key of a department, auditor, or "sealer"
 *   keys/trust.json       { "log": <origin>, "keys": [ { keyId, owner, role, alg, spki, validFrom,
 *                         validUntil? } ] }
 *   keys/subject.key      32 random bytes: the subject key's master (lib/chain subject.ts)
 *   keys/sealer.<16 hex>.retired.pem   a sealer key replaced by rotateLocalSealerKey
 *   keys/<id>.witness.<8 hex>.retired.pem   a witness key replaced by rotateLocalWitnessKey
 *
 * A key's id is derived from it, "<member>/<16 hex of SHA-256(spki)>" (docs/design/key-history.md §1).
 *
 * The sealer's keys stay in trust.json after they are replaced, with the validUntil their
 * rotation gave them: blocks and checkpoints they signed are checked against them for as long
 * as the ledger exists (a sealer key is not in the ledger's key history). A member's replaced
 * key is not kept: the ledger's key records hold it (cli/commands/keys.ts, `keys rotate`).
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
    const signer = await readOwnerSignerFile(suiteOf(consortium), path, m.id);
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
  // The sealer's earlier keys, as the bundle has them (validUntil given by their rotation, or
  // now for one replaced by other means, a deleted sealer.pem: what it signed stays checkable).
  // Oldest first, before the one that signs now, as rotateLocalSealerKey lists them.
  const sealerNow = records.findIndex((r) => r.role === "sealer");
  const earlier = existing
    // The same key under an id of a home older than derived ids is not an earlier key.
    .filter(
      (k) => k.role === "sealer" && !records.some((r) => r.keyId === k.keyId || sameBytes(r.spki, k.spki)),
    )
    .map((k) => ({ ...k, validUntil: k.validUntil ?? now.toISOString() }));
  records.splice(sealerNow, 0, ...earlier);
  const subjectKeyFile = join(dir, "subject.key");
  if (await ensureSubjectKeyFile(subjectKeyFile)) generated.push("subject");
  const directory = new StaticKeyDirectory(records);
  // The log's origin beside the keys: with the sealer's key it gives the checkpoint
  // verifier key (docs/FORMATS.md §5), so an auditor needs this one file.
  const bundle = { log: consortium.log, ...directory.toJson() };
  await writeFile(trustFile(home), `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o644 });
  return { dir, trustFile: trustFile(home), directory, generated, subjectKeyFile };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export interface SealerRotation {
  /** The key id of the key replaced, kept in trust.json with validUntil. */
  retired: string;
  /** The key id of the sealer's key from now on (keys/sealer.pem). */
  active: string;
  /** Where the replaced key's file is kept, under keys/. */
  oldKeyFile: string;
}

/**
 * Local mode: replaces the sealer's key (docs/LOCAL.md; docs/DEPLOY.md, "Rotating the
 * sealer's key", for AWS). The new key waits in keys/sealer.next.pem until keys/trust.json
 * lists it (validFrom `now`) beside the old one (validUntil `now`); the old file is then kept
 * as keys/sealer.<16 hex of its id>.retired.pem and the new one becomes keys/sealer.pem. A run
 * cut short anywhere is finished by running it again. The sealer and the witnesses read
 * sealer.pem when `npm start` starts, so the new key signs from the next start: until then the
 * old one still signs, which the audit accepts (a sealer key's validity does not bind it,
 * docs/FORMATS.md §5). Run it with the node stopped, or restart the node afterwards.
 */
export async function rotateLocalSealerKey(
  home: string,
  consortium: Consortium,
  now: Date,
): Promise<SealerRotation> {
  const current = keyFile(home, SEALER_OWNER);
  const pending = join(home, "keys", `${SEALER_OWNER}.next.pem`);
  if (!existsSync(trustFile(home))) {
    throw new Error(`no trust bundle: ${trustFile(home)} does not exist (\`npm start\` writes it)`);
  }
  const bundle = JSON.parse(await readFile(trustFile(home), "utf8")) as { log?: unknown };
  const keys = StaticKeyDirectory.fromJson(bundle).listKeys();
  const alg = consortium.sealer.alg;
  const retiredFile = (keyId: string) =>
    `${SEALER_OWNER}.${keyId.slice(SEALER_OWNER.length + 1)}.retired.pem`;
  if (!existsSync(current) && existsSync(pending)) {
    // Cut short between the two renames below: trust.json lists the new key and the old one
    // is kept aside, so this finishes that rotation rather than starting another.
    await rename(pending, current);
    const active = await readOwnerSignerFile(suiteOf(consortium), current, SEALER_OWNER, alg);
    const since = keys.find((k) => k.keyId === active.keyId)?.validFrom;
    const retired = keys.find(
      (k) => k.role === "sealer" && k.keyId !== active.keyId && k.validUntil === since,
    );
    if (retired === undefined)
      throw new Error(`${trustFile(home)} does not list the sealer key ${active.keyId} replaced`);
    return { retired: retired.keyId, active: active.keyId, oldKeyFile: retiredFile(retired.keyId) };
  }
  if (!existsSync(current)) {
    throw new Error(`no sealer key: ${current} does not exist (\`npm start\` makes it)`);
  }
  if (!existsSync(pending)) await generateKeyFile(pending, alg);
  const old = await readOwnerSignerFile(suiteOf(consortium), current, SEALER_OWNER, alg);
  const next = await readOwnerSignerFile(suiteOf(consortium), pending, SEALER_OWNER, alg);
  const oldKeyFile = retiredFile(old.keyId);
  const at = now.toISOString();
  const records: PublicKeyRecord[] = keys.map((k) =>
    k.keyId === old.keyId && k.validUntil === undefined ? { ...k, validUntil: at } : k,
  );
  if (!records.some((k) => k.keyId === old.keyId)) {
    throw new Error(
      `${trustFile(home)} does not list ${old.keyId}, the sealer's key in ${current}: start the node once (\`npm start\`) so that it does, then rotate`,
    );
  }
  if (!records.some((k) => k.keyId === next.keyId)) {
    records.push({
      keyId: next.keyId,
      owner: SEALER_OWNER,
      role: "sealer",
      alg: next.alg,
      spki: await next.publicKey(),
      validFrom: at,
    });
  }
  const written = {
    ...(bundle.log === undefined ? {} : { log: bundle.log }),
    ...new StaticKeyDirectory(records).toJson(),
  };
  await writeFile(trustFile(home), `${JSON.stringify(written, null, 2)}\n`, { mode: 0o644 });
  await rename(current, join(home, "keys", oldKeyFile));
  await rename(pending, current);
  return { retired: old.keyId, active: next.keyId, oldKeyFile };
}

/** What `ZHIXIN_ROTATE_KEYS` may name (docs/LOCAL.md "Keys"): the sealer, an auditor, a witness. */
export interface LocalRotation {
  /** What was rotated: "sealer", the auditor's id, or "witness:<department>". */
  name: string;
  retired: string;
  active: string;
  oldKeyFile: string;
}

/**
 * `ZHIXIN_ROTATE_KEYS=sealer,<auditor>,…` before npm start serves: each key named is
 * replaced, in the order given. The sealer's by rotateLocalSealerKey. An auditor's key
 * signs no entry (auditors write nothing to the ledger), so its old file is kept aside as
 * keys/<auditor>.<16 hex>.retired.pem and a new one made: the trust bundle npm start then
 * writes names only the new one, and the old one signs no request from this start on.
 * Departments' keys are on the ledger and are rotated there (`zhixin keys rotate`): naming
 * one is refused, as is a name that is no key of the consortium. `witness:<department>`:
 * that department's witness key, by rotateLocalWitnessKey. Throws Error saying what to do.
 */
export async function rotateLocalKeys(
  home: string,
  consortium: Consortium,
  names: readonly string[],
  now: Date,
): Promise<LocalRotation[]> {
  const auditors = new Map(consortium.auditors.map((a) => [a.id, a]));
  const witnessing = witnessesOf(consortium).map((w) => w.id);
  for (const name of names) {
    if (name === SEALER_OWNER || auditors.has(name)) continue;
    if (name.startsWith(WITNESS_PREFIX)) {
      const id = name.slice(WITNESS_PREFIX.length);
      if (witnessing.includes(id)) continue;
      throw new Error(
        `${JSON.stringify(name)}: ${JSON.stringify(id)} is no witnessing department of ${consortium.consortium}: give witness:<department> with one of ${witnessing.join(", ") || 'none (no department has "witness" in the consortium file)'}`,
      );
    }
    if (consortium.departments.some((d) => d.id === name)) {
      throw new Error(
        `${name} is a department: its keys are on the ledger, rotate it with \`zhixin keys rotate --as ${name}\` while npm start runs`,
      );
    }
    throw new Error(
      `${JSON.stringify(name)} names no key npm start can rotate: give "sealer", an auditor (${[...auditors.keys()].join(", ") || "none"}) or witness:<department> (${witnessing.join(", ") || "none"})`,
    );
  }
  const done: LocalRotation[] = [];
  for (const name of names) {
    if (name === SEALER_OWNER) {
      done.push({ name, ...(await rotateLocalSealerKey(home, consortium, now)) });
      continue;
    }
    if (name.startsWith(WITNESS_PREFIX)) {
      done.push({
        name,
        ...(await rotateLocalWitnessKey(home, consortium, name.slice(WITNESS_PREFIX.length), now)),
      });
      continue;
    }
    const current = keyFile(home, name);
    if (!existsSync(current)) {
      throw new Error(`no key for ${name}: ${current} does not exist (\`npm start\` makes it)`);
    }
    const old = await readOwnerSignerFile(suiteOf(consortium), current, name);
    const oldKeyFile = `${name}.${old.keyId.slice(name.length + 1)}.retired.pem`;
    await rename(current, join(home, "keys", oldKeyFile));
    await generateKeyFile(current, (auditors.get(name) as { alg: SignatureAlgorithm }).alg);
    const next = await readOwnerSignerFile(suiteOf(consortium), current, name);
    done.push({ name, retired: old.keyId, active: next.keyId, oldKeyFile });
  }
  return done;
}

const WITNESS_PREFIX = "witness:";

/**
 * Local mode: replaces a witnessing department's cosignature key (docs/LOCAL.md "Keys";
 * docs/DEPLOY.md §8 for AWS). The new key is made as keys/<id>.witness.next.pem, the old
 * file kept as keys/<id>.witness.<its key ID>.retired.pem (its mtime set to `now`, which
 * orders a witness's retired keys for `zhixin trust export`), and the new one becomes
 * keys/<id>.witness.pem; a run cut short is finished by running it again. The witness's
 * state table is not touched: it goes on from what it cosigned with the old key, and
 * signs with the new one from the next start. Verifiers count the old key's cosignatures
 * with a trust root that lists both (docs/formats/trust-root.md §1): `zhixin trust export`
 * lists every retired key before the current one. Returns the keys as
 * "<cosigner name>+<key ID hex>".
 */
export async function rotateLocalWitnessKey(
  home: string,
  consortium: Consortium,
  id: string,
  now: Date,
): Promise<Omit<LocalRotation, "name">> {
  const current = witnessKeyFile(home, id);
  const pending = join(home, "keys", `${id}.witness.next.pem`);
  const name = witnessName(consortium.consortium, id);
  const alg = cosignatureAlgorithmOf(consortium);
  const keyOf = async (path: string) => {
    const spki = await (await readSignerFile(path, `${id}/witness`, alg)).publicKey();
    return toHex(cosignerKeyOf(name, alg, spki).keyHash);
  };
  if (!existsSync(current) && existsSync(pending)) {
    // Cut short between the two renames below: the old key is already kept aside.
    await rename(pending, current);
    const active = await keyOf(current);
    const retired = (await readdir(join(home, "keys")))
      .filter((f) => isRetiredWitnessKeyName(id, f))
      .map((f) => ({ f, at: statSync(join(home, "keys", f)).mtimeMs }))
      .sort((a, b) => b.at - a.at)[0];
    if (retired === undefined)
      throw new Error(`found ${pending} but no retired key of ${id}'s witness beside it`);
    const hash = retired.f.slice(id.length + 9, id.length + 17);
    return { retired: `${name}+${hash}`, active: `${name}+${active}`, oldKeyFile: retired.f };
  }
  if (!existsSync(current)) {
    throw new Error(`no witness key for ${id}: ${current} does not exist (\`npm start\` makes it)`);
  }
  if (!existsSync(pending)) await generateKeyFile(pending, alg);
  const old = await keyOf(current);
  const next = await keyOf(pending);
  const oldKeyFile = retiredWitnessKeyName(id, old);
  const kept = join(home, "keys", oldKeyFile);
  await rename(current, kept);
  await utimes(kept, now, now);
  await rename(pending, current);
  return { retired: `${name}+${old}`, active: `${name}+${next}`, oldKeyFile };
}
