import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import {
  contentDigest,
  isDerivedKeyId,
  type JsonValue,
  KEY_ADD_TYPE,
  KEY_COSIGN_TYPE,
  KEY_RETIRE_TYPE,
  KEY_REVOKE_TYPE,
  parseJson,
  parseKeyRecord,
  type SignatureAlgorithm,
} from "#chain";
import { suiteOf } from "../../lib/consortium/consortium.js";
import { generateKeyPair } from "../../lib/crypto/key-pairs.js";
import { keyAddRecord } from "../../lib/crypto/key-records.js";
import { LocalSigner } from "../../lib/crypto/local-signer.js";
import type { Signer } from "../../lib/crypto/signer.js";
import { keyFile } from "../../lib/local-home.js";
import type { KeyHistoryView } from "../../lib/protocol/keys.js";
import { ClientError, ZhixinClient } from "../client.js";
import type { Identity } from "../identity.js";
import { UsageError, type Values } from "../usage.js";
import { type Context, optionalString, printJson, requireString } from "./context.js";

/**
 * `zhixin keys`: a member's keys on the ledger (docs/design/key-history.md §3–§5,
 * docs/API.md "Keys"). Each key record goes alone in its own request, signed by the
 * acting key (--as's key file, or --kms-key):
 *
 *   show [member]             GET /v1/keys/{member} (default: the acting member)
 *   introduce                 the acting key's own zhixin.key.add: a member's first key
 *   add --new-key-file f | --new-kms-key k
 *                             another key of the member, added by the acting key
 *   add --for <member> (--new-key-file f | --record r)
 *                             a recovery: another member's key, added by this department
 *   add --print-record --for <member> --new-key-file f
 *                             prints the add (with the new key's pop) for --record
 *   retire <keyId>            the key signs nothing received from now on
 *   revoke <keyId> --compromised-since <time>
 *                             as retire, and what it signed since <time> is a finding; of
 *                             another member's key, a recovery
 *   cosign <entryId> --for <member>
 *                             cosign a key record of <member> awaiting cosigns
 *   rotate --as <member>      local mode: a new key file, added by the current key, which
 *                             the new key then retires; safe to run again after a crash
 */

export async function runKeysShow(ctx: Context, _values: Values, positionals: string[]): Promise<number> {
  const client = await ctx.client();
  const member = positionals[0] ?? client.department;
  if (member === undefined) throw new UsageError("name the member whose keys to show", "keys show");
  printJson(await client.keys(member));
  return 0;
}

export async function runKeysIntroduce(ctx: Context, _values: Values): Promise<number> {
  const identity = await ctx.identity();
  const client = await clientFor(ctx, identity);
  const receipt = await client.submit([await keyAddRecord(identity.signer, identity.department)]);
  printJson({ member: identity.department, introduced: identity.signer.keyId, entryId: firstId(receipt) });
  return 0;
}

/**
 * The add of a key of the acting member — or, with --for, of another member's key: a
 * recovery (design §3 rule 4), whose pop the new key's holder makes (--new-key-file, or
 * its --print-record output given here as --record). --print-record only prints the record.
 */
export async function runKeysAdd(ctx: Context, values: Values): Promise<number> {
  const recordFile = optionalString(values, "record");
  if (values["print-record"] === true) {
    const member = requireString(values, "for", "keys add");
    printJson(await keyAddRecord(await newKeySigner(ctx, values, member), member));
    return 0;
  }
  const identity = await ctx.identity();
  const member = optionalString(values, "for") ?? identity.department;
  const record =
    recordFile === undefined
      ? await keyAddRecord(await newKeySigner(ctx, values, member), member)
      : await readAddRecord(recordFile, member);
  const client = await clientFor(ctx, identity);
  const entryId = firstId(await client.submit([record]));
  printJson({
    member,
    added: (record.data as { keyId: string }).keyId,
    signedBy: identity.signer.keyId,
    entryId,
    ...(await pendingNote(client, member, entryId)),
  });
  return 0;
}

export async function runKeysRetire(ctx: Context, _values: Values, positionals: string[]): Promise<number> {
  const keyId = keyIdArgument(positionals, "keys retire");
  const identity = await ctx.identity();
  const client = await clientFor(ctx, identity);
  const receipt = await client.submit([{ type: KEY_RETIRE_TYPE, data: { keyId } }]);
  printJson({
    member: identity.department,
    retired: keyId,
    signedBy: identity.signer.keyId,
    entryId: firstId(receipt),
  });
  return 0;
}

export async function runKeysRevoke(ctx: Context, values: Values, positionals: string[]): Promise<number> {
  const keyId = keyIdArgument(positionals, "keys revoke");
  const since = requireString(values, "compromised-since", "keys revoke");
  const compromisedSince = serverTime(since);
  const identity = await ctx.identity();
  // A key of another member is a recovery, counting once enough departments cosign it:
  // asked for by name (--for), never by a mistyped key id.
  const member = keyId.slice(0, keyId.indexOf("/"));
  const forMember = optionalString(values, "for") ?? identity.department;
  if (forMember !== member) {
    throw new UsageError(
      member === identity.department
        ? `${keyId} is ${member}'s own key: drop --for ${forMember}`
        : `${keyId} is ${member}'s key, not ${identity.department}'s: to propose its recovery as ${identity.department} (other departments then cosign it), add --for ${member}`,
      "keys revoke",
    );
  }
  const client = await clientFor(ctx, identity);
  const receipt = await client.submit([{ type: KEY_REVOKE_TYPE, data: { keyId, compromisedSince } }]);
  const entryId = firstId(receipt);
  printJson({
    member,
    revoked: keyId,
    compromisedSince,
    signedBy: identity.signer.keyId,
    entryId,
    ...(await pendingNote(client, member, entryId)),
  });
  return 0;
}

/**
 * Cosigns a key record of <member> awaiting cosigns (design §3 rules 4–5): reads it from
 * GET /v1/keys/<member>, prints what it is, recomputes its digest from its data (the
 * cosign names what this department saw, not what the server says it hashes to), and
 * submits the zhixin.cosign; then says whether the record took effect.
 */
export async function runKeysCosign(ctx: Context, values: Values, positionals: string[]): Promise<number> {
  const entryId = positionals[0] ?? "";
  if (!/^[0-9a-f]{32}$/.test(entryId)) {
    throw new UsageError(
      `give the entry id of the key record to cosign, 32 hex digits (\`zhixin keys show <member>\` lists those awaiting cosigns under "pending"), got ${JSON.stringify(entryId)}`,
      "keys cosign",
    );
  }
  const member = requireString(values, "for", "keys cosign");
  const identity = await ctx.identity();
  const client = await clientFor(ctx, identity);
  const pending = (await client.keys(member)).pending.find((p) => p.entryId === entryId);
  if (pending === undefined) {
    throw new UsageError(
      `${entryId} is not a key record of ${member} awaiting cosigns: it took effect already, never needed any, or is another member's (\`zhixin keys show ${member}\` lists what awaits cosigns under "pending")`,
      "keys cosign",
    );
  }
  let digest: string;
  try {
    digest = contentDigest(client.suite, pending.data as JsonValue);
  } catch {
    digest = "";
  }
  if (digest !== pending.contentDigest) {
    throw new ClientError(
      "BAD_RESPONSE",
      `the ledger lists ${entryId} with contentDigest ${pending.contentDigest}, which is not the digest of the data it shows (${digest}): nothing was cosigned — report this to the consortium's auditors`,
    );
  }
  let cosign: string;
  try {
    cosign = firstId(
      await client.submit([{ type: KEY_COSIGN_TYPE, data: { entryId, contentDigest: digest } }]),
    );
  } catch (e) {
    if (e instanceof ClientError && e.code === "KEY_COSIGN_REFUSED") {
      throw new ClientError(
        e.code,
        `${e.message} — the key's owner, the record's writer and a department that cosigned it already cannot cosign it (\`zhixin keys show ${member}\` lists its cosigners)`,
        e.status,
        e.details,
      );
    }
    throw e;
  }
  const after = (await client.keys(member)).pending.find((p) => p.entryId === entryId);
  printJson({
    member,
    cosigned: { entryId, type: pending.type, writer: pending.writer, data: pending.data },
    by: identity.department,
    entryId: cosign,
    ...(after === undefined
      ? { tookEffect: true }
      : { tookEffect: false, cosigners: after.cosigners, cosignsNeeded: after.cosignsNeeded }),
  });
  return 0;
}

/** For a key record that awaits cosigns: how many, and the command other departments run. */
async function pendingNote(
  client: ZhixinClient,
  member: string,
  entryId: string,
): Promise<{ pending?: { kind: string; cosignsNeeded: number; cosign: string } }> {
  let view: KeyHistoryView;
  try {
    view = await client.keys(member);
  } catch (e) {
    // A key that revoked itself signs nothing more, this read included: the revoke counted.
    if (e instanceof ClientError && e.code === "KEY_NOT_VALID") return {};
    throw e;
  }
  const pending = view.pending.find((p) => p.entryId === entryId);
  if (pending === undefined) return {};
  return {
    pending: {
      kind: pending.kind,
      cosignsNeeded: pending.cosignsNeeded,
      cosign: `zhixin keys cosign ${entryId} --for ${member} --as <department>`,
    },
  };
}

/** A zhixin.key.add record from a file (`keys add --print-record`'s output), of `member`'s key. */
async function readAddRecord(
  file: string,
  member: string,
): Promise<{ type: string; data: Record<string, unknown> }> {
  let record: { type?: unknown; data?: unknown };
  try {
    record = parseJson(await readFile(file, "utf8")) as typeof record;
  } catch (e) {
    throw new UsageError(`--record ${file}: not a JSON file (${(e as Error).message})`, "keys add");
  }
  try {
    const data = parseKeyRecord(String(record?.type), record?.data);
    if (data.type !== KEY_ADD_TYPE) throw new Error(`it is a ${data.type}, not a ${KEY_ADD_TYPE}`);
    if (data.owner !== member) throw new Error(`it adds a key of ${data.owner}, not of ${member}`);
  } catch (e) {
    throw new UsageError(
      `--record ${file} is not a key add of ${member} (${(e as Error).message}); \`zhixin keys add --print-record --for ${member} --new-key-file <pem>\` writes one`,
      "keys add",
    );
  }
  return record as { type: string; data: Record<string, unknown> };
}

/**
 * Local mode: replaces <member>.pem with a new key, recorded on the ledger first. The new
 * key waits in <member>.next.pem until the ledger has it added and the old one retired;
 * the old file is then kept as <member>.<old hash>.retired.pem. Each step looks at the
 * ledger before acting, so a run cut short anywhere is finished by running it again.
 */
export async function runKeysRotate(ctx: Context, values: Values): Promise<number> {
  if (values["kms-key"] !== undefined) {
    throw new UsageError(
      "keys rotate replaces a local key file; with KMS, create the new key and use `zhixin keys add --kms-key <current> --new-kms-key <new>`, then `zhixin keys retire <old key id> --kms-key <new>` (docs/DEPLOY.md)",
      "keys rotate",
    );
  }
  const member = ctx.member(requireString(values, "as", "keys rotate"));
  const current = keyFile(ctx.home, member);
  const pending = join(dirname(current), `${member}.next.pem`);
  if (!existsSync(current) && existsSync(pending)) {
    // Cut short between the two renames below: the old key is already kept aside.
    await rename(pending, current);
  }
  if (!existsSync(current)) {
    throw new UsageError(
      `no key for ${member}: ${current} does not exist (\`npm start\` makes it)`,
      "keys rotate",
    );
  }
  const suite = suiteOf(ctx.consortium);
  const old = LocalSigner.fromPemForOwner(suite, await readFile(current, "utf8"), member, undefined, current);
  if (!existsSync(pending)) await writeFile(pending, newPrivateKeyPem(old.alg), { mode: 0o600, flag: "wx" });
  const next = LocalSigner.fromPemForOwner(
    suite,
    await readFile(pending, "utf8"),
    member,
    undefined,
    pending,
  );

  const asOld = await clientFor(ctx, { department: member, signer: old, suite });
  const asNext = await clientFor(ctx, { department: member, signer: next, suite });
  const notActive = (keyId: string, status: string) =>
    new UsageError(
      `${keyId} is ${status} and cannot add a key; a member whose keys are all retired or revoked is recovered by the other departments: it prints the add of a new key (\`zhixin keys add --print-record --for ${member} --new-key-file <pem>\`), one of them submits it (\`--record\`, \`--as <department>\`) and enough others \`zhixin keys cosign\` it (docs/design/key-history.md §3 rule 4)`,
      "keys rotate",
    );
  const state = async () => {
    try {
      return await asOld.keys(member);
    } catch (e) {
      if (e instanceof ClientError && e.code === "KEY_NOT_VALID")
        throw notActive(old.keyId, "retired or revoked");
      throw e;
    }
  };
  const statusOf = (view: KeyHistoryView, keyId: string) => view.keys.find((k) => k.keyId === keyId)?.status;

  const steps: Record<string, string> = {};
  let view = await state();
  if (statusOf(view, old.keyId) === undefined) {
    throw new UsageError(
      `${old.keyId}, ${member}'s key in ${current}, is not on the ledger: introduce it first (\`zhixin keys introduce --as ${member}\`)`,
      "keys rotate",
    );
  }
  if (statusOf(view, next.keyId) === undefined) {
    if (statusOf(view, old.keyId) !== "active") throw notActive(old.keyId, String(statusOf(view, old.keyId)));
    steps.addEntry = firstId(await asOld.submit([await keyAddRecord(next, member)]));
    view = await state();
  }
  if (statusOf(view, old.keyId) === "active") {
    steps.retireEntry = firstId(await asNext.submit([{ type: KEY_RETIRE_TYPE, data: { keyId: old.keyId } }]));
  }
  const kept = join(dirname(current), `${member}.${old.keyId.slice(member.length + 1)}.retired.pem`);
  await rename(current, kept);
  await rename(pending, current);
  printJson({ member, retired: old.keyId, active: next.keyId, ...steps, oldKeyFile: basename(kept) });
  return 0;
}

/** The new key of `keys add`: a PEM file's (named for the member), or a KMS key's. */
async function newKeySigner(ctx: Context, values: Values, member: string): Promise<Signer> {
  const file = optionalString(values, "new-key-file");
  const kms = optionalString(values, "new-kms-key");
  if ((file === undefined) === (kms === undefined)) {
    throw new UsageError("give the new key: --new-key-file <pem> or --new-kms-key <key ARN>", "keys add");
  }
  if (file !== undefined)
    return LocalSigner.fromPemForOwner(
      suiteOf(ctx.consortium),
      await readFile(file, "utf8"),
      member,
      undefined,
      file,
    );
  return (await ctx.kmsIdentityOf(kms as string, member)).signer;
}

async function clientFor(ctx: Context, identity: Identity): Promise<ZhixinClient> {
  const transport = await ctx.transport();
  return new ZhixinClient({ url: ctx.url, ...identity, ...(transport ? { transport } : {}) });
}

function keyIdArgument(positionals: string[], command: "keys retire" | "keys revoke"): string {
  const keyId = positionals[0];
  if (keyId === undefined || !isDerivedKeyId(keyId)) {
    throw new UsageError(
      `give the key id, <member>/<16 hex digits> (\`zhixin keys show <member>\` lists them), got ${JSON.stringify(keyId ?? "")}`,
      command,
    );
  }
  return keyId;
}

/** An RFC 3339 time as the server writes times: UTC with milliseconds. */
function serverTime(text: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `--compromised-since takes an RFC 3339 time, e.g. 2026-12-01T08:00:00Z or 2026-12-01T16:00:00+08:00; got ${JSON.stringify(text)}`,
      "keys revoke",
    );
  }
  return new Date(ms).toISOString();
}

function newPrivateKeyPem(alg: SignatureAlgorithm): string {
  const { privateKey } = generateKeyPair(alg);
  return privateKey.export({ format: "pem", type: "pkcs8" }) as string;
}

function firstId(receipt: { entries: Array<{ id: string }> }): string {
  return receipt.entries[0]?.id ?? "";
}
