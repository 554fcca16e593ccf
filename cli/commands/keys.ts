import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isDerivedKeyId, KEY_RETIRE_TYPE, KEY_REVOKE_TYPE, type SignatureAlgorithm } from "#chain";
import { keyAddRecord } from "../../lib/crypto/key-records.js";
import { LocalSigner } from "../../lib/crypto/local-signer.js";
import type { Signer } from "../../lib/crypto/signer.js";
import { keyFile } from "../../lib/local-home.js";
import type { KeyHistoryView } from "../../lib/protocol/keys.js";
import { ZhixinClient } from "../client.js";
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
 *   retire <keyId>            the key signs nothing received from now on
 *   revoke <keyId> --compromised-since <time>
 *                             as retire, and what it signed since <time> is a finding
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

export async function runKeysAdd(ctx: Context, values: Values): Promise<number> {
  const identity = await ctx.identity();
  const next = await newKeySigner(ctx, values, identity.department);
  const client = await clientFor(ctx, identity);
  const receipt = await client.submit([await keyAddRecord(next, identity.department)]);
  printJson({
    member: identity.department,
    added: next.keyId,
    signedBy: identity.signer.keyId,
    entryId: firstId(receipt),
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
  const client = await clientFor(ctx, identity);
  const receipt = await client.submit([{ type: KEY_REVOKE_TYPE, data: { keyId, compromisedSince } }]);
  printJson({
    member: identity.department,
    revoked: keyId,
    compromisedSince,
    signedBy: identity.signer.keyId,
    entryId: firstId(receipt),
  });
  return 0;
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
  const old = LocalSigner.fromPemForOwner(await readFile(current, "utf8"), member, undefined, current);
  if (!existsSync(pending)) await writeFile(pending, newPrivateKeyPem(old.alg), { mode: 0o600, flag: "wx" });
  const next = LocalSigner.fromPemForOwner(await readFile(pending, "utf8"), member, undefined, pending);

  const asOld = await clientFor(ctx, { department: member, signer: old });
  const asNext = await clientFor(ctx, { department: member, signer: next });
  const state = () => asOld.keys(member);
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
    if (statusOf(view, old.keyId) !== "active") {
      throw new UsageError(
        `${old.keyId} is ${statusOf(view, old.keyId)} and cannot add a key; a member whose keys are all retired or revoked needs the other departments (docs/design/key-history.md §3 rule 4, not built)`,
        "keys rotate",
      );
    }
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
    return LocalSigner.fromPemForOwner(await readFile(file, "utf8"), member, undefined, file);
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
  const { privateKey } =
    alg === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return privateKey.export({ format: "pem", type: "pkcs8" }) as string;
}

function firstId(receipt: { entries: Array<{ id: string }> }): string {
  return receipt.entries[0]?.id ?? "";
}
