import { join } from "node:path";

/**
 * Where local mode keeps member keys in $ZHIXIN_HOME (local/keys.ts writes them, the CLI
 * signs with them):
 *
 *   keys/<member>.pem     private key of a department, auditor, or "sealer"
 *   keys/trust.json       the public trust bundle
 *   keys/<id>.witness.pem a witnessing department's cosigning key (Ed25519)
 *
 * A key's id is derived from the key, `<member>/<16 hex of SHA-256(spki)>` (deriveKeyId,
 * docs/design/key-history.md §1), so it is read from the key file (readOwnerSignerFile)
 * or the trust bundle, never composed from the member id alone.
 */

export function keyFile(home: string, member: string): string {
  return join(home, "keys", `${member}.pem`);
}

export function trustFile(home: string): string {
  return join(home, "keys", "trust.json");
}

/** A witnessing department's cosigning key (local/witnesses.ts generates it). */
export function witnessKeyFile(home: string, id: string): string {
  return join(home, "keys", `${id}.witness.pem`);
}
