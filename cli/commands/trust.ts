import { statSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  cosignerKeyOf,
  formatCosignatureVerifierKey,
  formatVerifierKey,
  fromBase64,
  type NoteKey,
  noteKeyOf,
} from "#chain";
import {
  type Consortium,
  cosignatureAlgorithmOf,
  keyGovernanceOf,
  suiteOf,
  witnessesOf,
  witnessName,
  witnessQuorumOf,
} from "../../lib/consortium/consortium.js";
import { SEALER_OWNER } from "../../lib/crypto/key-directory.js";
import { KmsSigner } from "../../lib/crypto/kms-signer.js";
import { LocalSigner } from "../../lib/crypto/local-signer.js";
import { EvidenceError, formatTrustRoot } from "../../lib/evidence/index.js";
import { isRetiredWitnessKeyName, trustFile, witnessKeyFile } from "../../lib/local-home.js";
import { AwsCliError, explainAwsError } from "../aws.js";
import { InputError } from "../input.js";
import { UsageError, type Values } from "../usage.js";
import { type Context, optionalString } from "./context.js";

/**
 * `zhixin trust export`: the trust root (docs/formats/trust-root.md) — the log's origin,
 * the sealer's checkpoint key, each witness's cosignature key, the quorum and the key
 * governance — from where each lives (§4): the consortium file for the origin, the quorum,
 * the key governance (its departments and keyRecords.cosigns) and deployed witnesses' vkeys; locally the home's keys/trust.json and keys/<id>.witness.pem (with the
 * witness's retired keys, keys/<id>.witness.<8 hex>.retired.pem); on AWS
 * the sealer's KMS key (kms:GetPublicKey). Says on stderr where each key came from, so
 * whoever hands the file on can say it too.
 */

interface Sourced {
  vkey: string;
  from: string;
}

export async function runTrustExport(ctx: Context, values: Values): Promise<number> {
  const sealerKey = optionalString(values, "sealer-key");
  if (sealerKey === undefined && values.region !== undefined) {
    throw new UsageError("--region goes with --sealer-key", "trust export");
  }
  const { text, sources } = await buildTrustRoot(ctx, sealerKey);
  const out = optionalString(values, "out");
  if (out === undefined) process.stdout.write(text);
  else await writeFile(out, text);
  process.stderr.write(
    `${[
      `Trust root of the log ${ctx.consortium.log}${out === undefined ? "" : `, written to ${out}`}:`,
      ...sources,
      "Give it to whoever checks evidence before they need it, by another way than the evidence itself;",
      "they can compare each key with its owner (docs/formats/trust-root.md §4).",
    ].join("\n")}\n`,
  );
  return 0;
}

/**
 * The trust root's file text, and where each of its values came from (one line each):
 * locally from the home, with `sealerKey` (the stack's SealerKeyArn) from KMS. Also what
 * `zhixin export` puts in an export.
 */
export async function buildTrustRoot(
  ctx: Context,
  sealerKey: string | undefined,
): Promise<{ text: string; sources: string[] }> {
  const c = ctx.consortium;
  // Every sealer key while one is rotated, oldest first: older blocks and checkpoints stay checkable.
  const sealers =
    sealerKey === undefined
      ? await localSealers(ctx.home, c)
      : await Promise.all(sealerKey.split(",").map((arn) => kmsSealer(ctx, arn.trim(), c)));
  // Every key of each witness, its retired ones first (oldest first): what it cosigned
  // before a rotation still counts for it, once (docs/formats/trust-root.md §1).
  const perWitness = await Promise.all(
    witnessesOf(c).map((w): Promise<Sourced[]> | Sourced[] => {
      if (w.endpoint) {
        const { key, retired } = w.endpoint;
        return [
          ...retired.map((k) => ({
            vkey: formatCosignatureVerifierKey(k),
            from: `${ctx.consortiumFile} (its witness's retiredVkeys)`,
          })),
          {
            vkey: formatCosignatureVerifierKey(key),
            from: `${ctx.consortiumFile} (its witness vkey)`,
          },
        ];
      }
      if (sealerKey !== undefined) {
        throw new InputError(
          `${ctx.consortiumFile} gives witness ${w.id} no { url, vkey }: on AWS its vkey is its member stack's output WitnessVkey, to be written into the file`,
        );
      }
      return localWitness(ctx.home, c, w.id);
    }),
  );
  const witnesses = perWitness.flat();
  const quorum = witnessQuorumOf(c);
  const keyGovernance = keyGovernanceOf(c);
  let text: string;
  try {
    text = formatTrustRoot({
      log: c.log,
      suite: suiteOf(c),
      sealers: sealers.map((s) => s.vkey),
      witnesses: witnesses.map((w) => w.vkey),
      quorum,
      keyGovernance,
    });
  } catch (e) {
    if (e instanceof EvidenceError) throw new InputError(`${ctx.consortiumFile}: ${e.message}`);
    throw e;
  }
  return {
    text,
    sources: [
      ...sealers.map((s) => `  sealer key   from ${s.from}`),
      ...witnesses.map((w) => `  witness ${w.vkey.slice(0, w.vkey.indexOf("+"))}   from ${w.from}`),
      `  quorum ${quorum} of ${perWitness.length} witnesses, from ${ctx.consortiumFile}`,
      `  key governance: ${keyGovernance.departments.length} departments, ${keyGovernance.ownerCosigns} cosign(s) of an owner's key record (keyRecords.cosigns), from ${ctx.consortiumFile}`,
    ],
  };
}

/**
 * keys/trust.json's sealer keys, in its order (oldest first, local/keys.ts rotateLocalSealerKey):
 * `{ "log", "keys": [{ "role": "sealer", "spki": <base64>, … }] }`.
 */
async function localSealers(home: string, c: Consortium): Promise<Sourced[]> {
  const file = trustFile(home);
  let bundle: { log?: unknown; keys?: Array<{ role?: unknown; owner?: unknown; spki?: unknown }> };
  try {
    bundle = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new InputError(
      `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): \`npm start\` writes it in ZHIXIN_HOME (${home}); on AWS pass --sealer-key <SealerKeyArn>`,
    );
  }
  if (bundle.log !== c.log) {
    throw new InputError(`${file} is the trust bundle of ${JSON.stringify(bundle.log)}, not of ${c.log}`);
  }
  const sealers = (bundle.keys ?? []).filter((k) => k.role === "sealer" && k.owner === SEALER_OWNER);
  if (sealers.length === 0 || sealers.some((k) => typeof k.spki !== "string"))
    throw new InputError(`${file} names no sealer key: \`npm start\` writes it`);
  return sealers.map((k) => ({ vkey: sealerVkey(c, fromBase64(k.spki as string), file), from: file }));
}

/** The sealer's public key from KMS GetPublicKey, checked to be a key of the suite's sealer algorithm. */
async function kmsSealer(ctx: Context, arn: string, c: Consortium): Promise<Sourced> {
  const { KMSClient, GetPublicKeyCommand } = await import("@aws-sdk/client-kms");
  const region = ctx.region(arn);
  const credentials = await ctx.credentials();
  const client =
    ctx.deps.kmsClient?.(region, credentials) ??
    new KMSClient({ ...(region ? { region } : {}), credentials });
  const signer = new KmsSigner(
    {
      sign: () => Promise.reject(new Error("the trust export only reads the sealer's public key")),
      getPublicKey: (input) => client.send(new GetPublicKeyCommand(input)),
    },
    { keyId: SEALER_OWNER, alg: c.sealer.alg, kmsKeyId: arn },
  );
  let spki: Uint8Array;
  try {
    spki = await signer.publicKey();
  } catch (e) {
    const explained = explainAwsError(e, { kind: "kms-read", key: arn });
    if (explained instanceof AwsCliError) throw explained;
    throw new AwsCliError("KEY_UNUSABLE", `--sealer-key ${arn}: ${(e as Error).message}`);
  }
  return { vkey: sealerVkey(c, spki, arn), from: `KMS ${arn}` };
}

/** The sealer's vkey: its checkpoint key (docs/formats/checkpoint.md §1.3), of the suite's algorithm. */
function sealerVkey(c: Consortium, spki: Uint8Array, source: string): string {
  let key: NoteKey;
  try {
    key = noteKeyOf(c.sealer.alg, spki);
  } catch {
    throw new InputError(
      `${source}: the sealer's key is not ${c.sealer.alg}, which the ${suiteOf(c).name} suite's sealer signs checkpoints with`,
    );
  }
  return formatVerifierKey(c.log, key.type, key.publicKey);
}

/**
 * A local witness's vkeys: those of its retired key files (keys/<id>.witness.<8 hex>.retired.pem,
 * local/keys.ts rotateLocalWitnessKey), oldest retired first, then its key file's
 * (local/witnesses.ts generates it).
 */
async function localWitness(home: string, c: Consortium, id: string): Promise<Sourced[]> {
  const dir = join(home, "keys");
  const retired = (await readdir(dir).catch(() => []))
    .filter((f) => isRetiredWitnessKeyName(id, f))
    .map((f) => ({ file: join(dir, f), at: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => a.at - b.at || a.file.localeCompare(b.file));
  return [
    ...(await Promise.all(retired.map((r) => witnessKeyOf(r.file, c, id)))),
    await witnessKeyOf(witnessKeyFile(home, id), c, id),
  ];
}

async function witnessKeyOf(file: string, c: Consortium, id: string): Promise<Sourced> {
  let pem: string;
  try {
    pem = await readFile(file, "utf8");
  } catch (e) {
    throw new InputError(
      `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): \`npm start\` generates each witness's key in ZHIXIN_HOME (${dirname(dirname(file))})`,
    );
  }
  let spki: Uint8Array;
  try {
    spki = await LocalSigner.fromPem(pem, `${id}/witness`, cosignatureAlgorithmOf(c), file).publicKey();
  } catch (e) {
    throw new InputError(`${file}: ${(e as Error).message}`);
  }
  return {
    vkey: formatCosignatureVerifierKey(
      cosignerKeyOf(witnessName(c.consortium, id), cosignatureAlgorithmOf(c), spki),
    ),
    from: file,
  };
}
