import type { SignatureAlgorithm } from "#chain";
import { SignInError } from "./errors.js";
import { kmsEndpointOf } from "./kms.js";

/**
 * config.json, beside index.html: how the page reaches the ledger. The built bundle holds
 * {"mode":"local"} (console/public/config.json: sign with the local node's demo keys); the
 * CDK stack publishes its own in its place (cdk/lib/console.ts):
 *
 *   {"mode":"aws","region":"cn-north-1","apiHost":"abc123.execute-api.cn-north-1.amazonaws.com.cn",
 *    "kmsEndpoint":"https://kms.cn-north-1.amazonaws.com.cn","consortium":"demo","log":"…",
 *    "members":[{"id":"hf-haikou","name":"…","role":"department","alg":"ed25519",
 *                "kmsKey":"alias/zhixin/demo/hf-haikou"}, …]}
 *
 * apiHost is what SigV4 names (CloudFront forwards /v1/* there with Host set to it);
 * kmsEndpoint defaults to KMS's public endpoint in the region; kmsKey is what KMS takes as
 * KeyId, the alias in the ledger's account or, with `ownAccount`, the key ARN in the
 * member's own account, which other credentials sign with (docs/DEPLOY.md "Members' keys").
 */

export interface AwsMember {
  id: string;
  name: string;
  role: "department" | "auditor";
  alg: SignatureAlgorithm;
  kmsKey: string;
  /** The key is in the member's own account: KMS takes that account's credentials. */
  ownAccount: boolean;
}

export interface AwsConsoleConfig {
  mode: "aws";
  region: string;
  apiHost: string;
  kmsEndpoint: string;
  consortium: string;
  log: string;
  members: AwsMember[];
}

export type ConsoleConfig = { mode: "local" } | AwsConsoleConfig;

/** GET ./config.json beside the page; a page with none (an older bundle) is local. */
export async function loadConsoleConfig(): Promise<ConsoleConfig> {
  const res = await fetch("config.json", { headers: { accept: "application/json" } });
  if (!res.ok) return { mode: "local" };
  return parseConsoleConfig(await res.json());
}

/** SignInError CONFIG_INVALID {detail} for anything the stack would not have written. */
export function parseConsoleConfig(json: unknown): ConsoleConfig {
  const bad = (detail: string) => new SignInError("CONFIG_INVALID", { detail });
  const o = record(json, "config.json", bad);
  if (o.mode === "local") return { mode: "local" };
  if (o.mode !== "aws") throw bad(`mode is ${JSON.stringify(o.mode)}, not "aws" or "local"`);
  const text = (obj: Record<string, unknown>, name: string, where: string): string => {
    const v = obj[name];
    if (typeof v !== "string" || v === "") throw bad(`${where}.${name} is not a non-empty string`);
    return v;
  };
  const region = text(o, "region", "config");
  if (!Array.isArray(o.members) || o.members.length === 0)
    throw bad("config.members is not a non-empty list");
  const members = o.members.map((m: unknown, i: number): AwsMember => {
    const where = `config.members[${i}]`;
    const r = record(m, where, bad);
    const role = r.role;
    if (role !== "department" && role !== "auditor") throw bad(`${where}.role is not department or auditor`);
    const alg = r.alg;
    if (alg !== "ed25519" && alg !== "ecdsa-p256-sha256")
      throw bad(`${where}.alg is not ed25519 or ecdsa-p256-sha256`);
    return {
      id: text(r, "id", where),
      name: text(r, "name", where),
      role,
      alg,
      kmsKey: text(r, "kmsKey", where),
      ownAccount: r.ownAccount === true,
    };
  });
  const kmsEndpoint = o.kmsEndpoint === undefined ? kmsEndpointOf(region) : text(o, "kmsEndpoint", "config");
  try {
    new URL(kmsEndpoint);
  } catch {
    throw bad(`config.kmsEndpoint ${kmsEndpoint} is not a URL`);
  }
  return {
    mode: "aws",
    region,
    apiHost: text(o, "apiHost", "config"),
    kmsEndpoint,
    consortium: text(o, "consortium", "config"),
    log: text(o, "log", "config"),
    members,
  };
}

function record(v: unknown, where: string, bad: (d: string) => Error): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad(`${where} is not an object`);
  return v as Record<string, unknown>;
}
