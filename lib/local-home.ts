import { join } from "node:path";

/**
 * Where local mode keeps member keys in $ZHIXIN_HOME (local/keys.ts writes them, the CLI
 * signs with them):
 *
 *   keys/<member>.pem     private key of a department, auditor, or "sealer"
 *   keys/trust.json       the public trust bundle
 *
 * Key ids are "<member>/key-1".
 */

export function localKeyId(member: string): string {
  return `${member}/key-1`;
}

export function keyFile(home: string, member: string): string {
  return join(home, "keys", `${member}.pem`);
}

export function trustFile(home: string): string {
  return join(home, "keys", "trust.json");
}
