import { join } from "node:path";

/**
 * Where local mode keeps member keys in $ZHIXIN_HOME (local/keys.ts writes them, the CLI
 * signs with them):
 *
 *   keys/<member>.pem     private key of a department, auditor, or "sealer"
 *   keys/trust.json       the public trust bundle
 *   keys/<id>.witness.pem a witnessing department's cosigning key (Ed25519)
 *   keys/<id>.witness.<8 hex>.retired.pem   one it replaced (ZHIXIN_ROTATE_KEYS=witness:<id>),
 *                         named by its cosignature key ID (docs/formats/witness.md §1.3)
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

/** The file name, under keys/, of a witness key replaced by a rotation: its cosignature key ID in hex. */
export function retiredWitnessKeyName(id: string, keyHashHex: string): string {
  return `${id}.witness.${keyHashHex}.retired.pem`;
}

/** Whether a file name under keys/ is one of `id`'s retired witness keys (retiredWitnessKeyName). */
export function isRetiredWitnessKeyName(id: string, fileName: string): boolean {
  return (
    fileName.startsWith(`${id}.witness.`) && /^[0-9a-f]{8}\.retired\.pem$/.test(fileName.slice(id.length + 9))
  );
}
